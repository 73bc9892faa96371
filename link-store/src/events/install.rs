//! [`InstallEvent`]: an SDK install (`/v1/install`), and how a batch of them is written:
//! raw `installs` rows, the `installs` column of `link_stats_daily` and of
//! `link_country_daily` (link 0 for organic installs), and the browsers the attributed
//! clicks came from.

use sqlx::PgConnection;

use super::browser_apps;
use super::kind::ShardEvent;
use super::session::{SessionColumns, SessionStart, browser_marks};

/// An install as the API attributed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallEvent(pub SessionStart);

/// Raw rows first; the rollups count only the rows that insert actually added, so writing
/// a batch again adds nothing twice. `ON CONFLICT DO NOTHING` (no target) also covers the
/// one-install-per-click index, so a duplicate can never reject the whole batch.
const INSERT_INSTALLS: &str = "\
WITH inserted AS (
    INSERT INTO installs (id, app_id, occurred_at, platform, os, os_version, device_model,
                          device_token, bundle_token, match_type, click_id, link_id, country)
    SELECT * FROM UNNEST($1::uuid[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[],
                         $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                         $11::uuid[], $12::bigint[], $13::text[])
    ON CONFLICT DO NOTHING
    RETURNING app_id, occurred_at, platform, link_id, country
), by_platform AS (
    INSERT INTO link_stats_daily AS s (app_id, day, link_id, platform, installs)
    SELECT app_id, (occurred_at AT TIME ZONE 'UTC')::date, coalesce(link_id, 0), platform,
           count(*)
    FROM inserted
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (app_id, day, link_id, platform) DO UPDATE
    SET installs = s.installs + EXCLUDED.installs
)
INSERT INTO link_country_daily AS s (app_id, day, link_id, country, installs)
SELECT app_id, (occurred_at AT TIME ZONE 'UTC')::date, coalesce(link_id, 0),
       coalesce(country, ''), count(*)
FROM inserted
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
ON CONFLICT (app_id, day, link_id, country) DO UPDATE
SET installs = s.installs + EXCLUDED.installs";

impl ShardEvent for InstallEvent {
    const KIND: &'static str = "install";

    fn app_id(&self) -> link_core::AppId {
        self.0.app_id
    }

    async fn write_batch(
        conn: &mut PgConnection,
        events: &[&Self],
        _replay: bool,
    ) -> Result<(), sqlx::Error> {
        let c = SessionColumns::from_starts(events.iter().map(|e| &e.0));
        c.bind(sqlx::query(INSERT_INSTALLS))
            .execute(&mut *conn)
            .await?;
        let marks = browser_marks(events.iter().map(|e| &e.0));
        browser_apps::mark_installed(conn, &marks).await
    }
}
