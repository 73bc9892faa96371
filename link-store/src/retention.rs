//! Deleting raw rows no attribution can use any more. Stats live in the daily rollups, so
//! raw click rows are only needed while an install or open may still be matched to them:
//! the longest attribution window (90 days) and no longer. At a busy deployment's click
//! rate `clicks` is the table that grows without bound; an operator prunes it on a
//! schedule (`hoplink clicks prune`). Installs, opens and SDK events carry the apps'
//! pseudonymous device tokens and user ids, which a retention policy may want gone
//! (`hoplink sessions prune`); nothing reads them back, and their counts are in the
//! rollups too.

use chrono::{DateTime, Duration, Utc};
use link_core::link_input::MAX_DURATION_SECS;
use sqlx::PgPool;

use crate::StoreError;

/// The shortest retention allowed: one day beyond the longest attribution window (an
/// app's or a link's, both at most [`MAX_DURATION_SECS`]), so pruning never takes a
/// click an install could still be matched to, nor the install that claimed a click
/// still inside its window.
pub const MIN_RETENTION_DAYS: u32 = MAX_DURATION_SECS / 86_400 + 1;

/// Rows deleted per statement: small enough that each statement's locks and WAL stay
/// short while the click batcher keeps writing.
pub const DEFAULT_BATCH: u32 = 10_000;

/// Rows that occurred before this are no longer needed, for a retention of `days`;
/// `None` when `days` is below [`MIN_RETENTION_DAYS`].
pub fn cutoff(now: DateTime<Utc>, days: u32) -> Option<DateTime<Utc>> {
    (days >= MIN_RETENTION_DAYS).then(|| now - Duration::days(i64::from(days)))
}

/// A raw table pruned by age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawTable {
    Clicks,
    Installs,
    Opens,
    SdkEvents,
}

impl RawTable {
    /// What the SDKs' sessions and events write.
    pub const SESSIONS: [Self; 3] = [Self::Installs, Self::Opens, Self::SdkEvents];

    pub fn name(self) -> &'static str {
        match self {
            Self::Clicks => "clicks",
            Self::Installs => "installs",
            Self::Opens => "opens",
            Self::SdkEvents => "sdk_events",
        }
    }

    /// One batch: rows older than `$1`, at most `$2` of them (each table has a BRIN index
    /// on `occurred_at`, so a batch reads the old end only).
    fn delete_batch(self) -> &'static str {
        macro_rules! delete_batch {
            ($table:literal) => {
                concat!(
                    "DELETE FROM ",
                    $table,
                    " WHERE id IN (SELECT id FROM ",
                    $table,
                    " WHERE occurred_at < $1 LIMIT $2)"
                )
            };
        }
        match self {
            Self::Clicks => delete_batch!("clicks"),
            Self::Installs => delete_batch!("installs"),
            Self::Opens => delete_batch!("opens"),
            Self::SdkEvents => delete_batch!("sdk_events"),
        }
    }
}

/// Deletes the shard's rows of `table` older than `before`, `batch` rows per statement,
/// and returns how many it deleted. The rollups keep counting them.
pub async fn prune(
    pool: &PgPool,
    table: RawTable,
    before: DateTime<Utc>,
    batch: u32,
) -> Result<u64, StoreError> {
    let mut deleted = 0;
    loop {
        let done = sqlx::query(table.delete_batch())
            .bind(before)
            .bind(i64::from(batch.max(1)))
            .execute(pool)
            .await?
            .rows_affected();
        deleted += done;
        if done < u64::from(batch.max(1)) {
            return Ok(deleted);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_table_deletes_its_own_rows() {
        for table in [
            RawTable::Clicks,
            RawTable::Installs,
            RawTable::Opens,
            RawTable::SdkEvents,
        ] {
            let name = table.name();
            assert_eq!(
                table.delete_batch(),
                format!(
                    "DELETE FROM {name} WHERE id IN (SELECT id FROM {name} \
                     WHERE occurred_at < $1 LIMIT $2)"
                )
            );
        }
    }

    #[test]
    fn retention_never_reaches_into_an_attribution_window() {
        assert_eq!(MIN_RETENTION_DAYS, 91);
        let now = Utc::now();
        assert_eq!(cutoff(now, 90), None);
        assert_eq!(cutoff(now, 91), Some(now - Duration::days(91)));
        assert!(
            cutoff(now, MIN_RETENTION_DAYS).unwrap()
                < now - Duration::seconds(i64::from(MAX_DURATION_SECS))
        );
    }
}
