//! Deleting raw clicks no attribution can use any more. Stats live in the daily rollups,
//! so raw click rows are only needed while an install or open may still be matched to
//! them: the longest attribution window (90 days) and no longer. At a busy deployment's
//! click rate `clicks` is the table that grows without bound; an operator prunes it on a
//! schedule (`hoplink clicks prune`).

use chrono::{DateTime, Duration, Utc};
use link_core::link_input::MAX_DURATION_SECS;
use sqlx::PgPool;

use crate::StoreError;

/// The shortest retention allowed: one day beyond the longest attribution window (an
/// app's or a link's, both at most [`MAX_DURATION_SECS`]), so pruning never takes a
/// click an install could still be matched to.
pub const MIN_RETENTION_DAYS: u32 = MAX_DURATION_SECS / 86_400 + 1;

/// Rows deleted per statement: small enough that each statement's locks and WAL stay
/// short while the click batcher keeps writing.
pub const DEFAULT_BATCH: u32 = 10_000;

/// Clicks that occurred before this are no longer needed, for a retention of `days`;
/// `None` when `days` is below [`MIN_RETENTION_DAYS`].
pub fn cutoff(now: DateTime<Utc>, days: u32) -> Option<DateTime<Utc>> {
    (days >= MIN_RETENTION_DAYS).then(|| now - Duration::days(i64::from(days)))
}

/// Deletes the shard's clicks older than `before`, `batch` rows per statement, and
/// returns how many it deleted. The rollups keep counting them.
pub async fn prune_clicks(
    pool: &PgPool,
    before: DateTime<Utc>,
    batch: u32,
) -> Result<u64, StoreError> {
    let mut deleted = 0;
    loop {
        let done = sqlx::query(
            "DELETE FROM clicks WHERE id IN \
             (SELECT id FROM clicks WHERE occurred_at < $1 LIMIT $2)",
        )
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
