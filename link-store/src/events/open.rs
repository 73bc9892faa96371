//! [`OpenEvent`]: an SDK open (`/v1/open`), and how a batch of them is written: raw
//! `opens` rows, the `opens` column of both rollups (link 0 for organic opens), and
//! the browsers the attributed clicks came from.

use sqlx::PgConnection;

use super::browser_apps;
use super::kind::ShardEvent;
use super::session::{SessionColumns, SessionStart, browser_marks};

/// An open as the API attributed it, with the session id it answered.
#[derive(Clone, PartialEq, Eq)]
pub struct OpenEvent {
    pub start: SessionStart,
    pub session_id: String,
}

impl std::fmt::Debug for OpenEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenEvent")
            .field("start", &self.start)
            .field("session_id", &"<redacted>")
            .finish()
    }
}

/// As for installs: the rollups count only the rows the insert added.
const INSERT_OPENS: &str = "\
WITH inserted AS (
    INSERT INTO opens (id, app_id, occurred_at, platform, os, os_version, device_model,
                          device_token, bundle_token, match_type, click_id, link_id, country, session_id)
    SELECT * FROM UNNEST($1::uuid[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[],
                         $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                         $11::uuid[], $12::bigint[], $13::text[], $14::text[])
    ON CONFLICT DO NOTHING
    RETURNING app_id, occurred_at, platform, link_id, country
), by_platform AS (
    INSERT INTO link_stats_daily AS s (app_id, day, link_id, platform, opens)
    SELECT app_id, (occurred_at AT TIME ZONE 'UTC')::date, coalesce(link_id, 0), platform,
           count(*)
    FROM inserted
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (app_id, day, link_id, platform) DO UPDATE
    SET opens = s.opens + EXCLUDED.opens
)
INSERT INTO link_country_daily AS s (app_id, day, link_id, country, opens)
SELECT app_id, (occurred_at AT TIME ZONE 'UTC')::date, coalesce(link_id, 0),
       coalesce(country, ''), count(*)
FROM inserted
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
ON CONFLICT (app_id, day, link_id, country) DO UPDATE
SET opens = s.opens + EXCLUDED.opens";

impl ShardEvent for OpenEvent {
    const KIND: &'static str = "open";

    fn app_id(&self) -> link_core::AppId {
        self.start.app_id
    }

    async fn write_batch(
        conn: &mut PgConnection,
        events: &[&Self],
        _replay: bool,
    ) -> Result<(), sqlx::Error> {
        let c = SessionColumns::from_starts(events.iter().map(|e| &e.start));
        let session_ids: Vec<&str> = events.iter().map(|e| e.session_id.as_str()).collect();
        c.bind(sqlx::query(INSERT_OPENS))
            .bind(session_ids)
            .execute(&mut *conn)
            .await?;
        let marks = browser_marks(events.iter().map(|e| &e.start));
        browser_apps::mark_installed(conn, &marks).await
    }
}
