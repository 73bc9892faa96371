//! Marking browsers as having an app installed: when an SDK install or open is attributed
//! to a click that carried a browser id, that browser has the app (the click path then
//! tries the app first on iOS).
//!
//! The one write is [`mark_installed`], an upsert into the shard's `browser_apps` table
//! (migration 0002) inside the install or open batch's fenced transaction, so a busy
//! attribution path costs one statement per batch rather than one transaction per match.
//! When the hot tier's `BrowserState` is configured, the API marks the browser there as
//! well; this table stays the durable record.

use chrono::{DateTime, Utc};
use link_core::AppId;
use sqlx::PgConnection;
use uuid::Uuid;

/// One browser seen opening an app.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BrowserMark {
    pub app_id: AppId,
    pub browser_id: Uuid,
    pub seen_at: DateTime<Utc>,
}

impl std::fmt::Debug for BrowserMark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserMark")
            .field("app_id", &self.app_id)
            .field("browser_id", &"<redacted>")
            .field("seen_at", &self.seen_at)
            .finish()
    }
}

/// Duplicates within the batch are folded first (an upsert may not touch a row twice in
/// one statement), and rows are locked in key order like every other batch writer.
const UPSERT_MARKS: &str = "\
INSERT INTO browser_apps AS b (app_id, browser_id, first_seen_at, last_seen_at)
SELECT app_id, browser_id, min(seen_at), max(seen_at)
FROM UNNEST($1::bigint[], $2::uuid[], $3::timestamptz[]) AS m (app_id, browser_id, seen_at)
GROUP BY 1, 2
ORDER BY 1, 2
ON CONFLICT (app_id, browser_id) DO UPDATE
SET last_seen_at = greatest(b.last_seen_at, EXCLUDED.last_seen_at)";

/// Records that these browsers have their app, inside the caller's fenced transaction.
pub async fn mark_installed(
    conn: &mut PgConnection,
    marks: &[BrowserMark],
) -> Result<(), sqlx::Error> {
    if marks.is_empty() {
        return Ok(());
    }
    let app_ids: Vec<i64> = marks.iter().map(|m| m.app_id.get()).collect();
    let browsers: Vec<Uuid> = marks.iter().map(|m| m.browser_id).collect();
    let seen: Vec<DateTime<Utc>> = marks.iter().map(|m| m.seen_at).collect();
    sqlx::query(UPSERT_MARKS)
        .bind(app_ids)
        .bind(browsers)
        .bind(seen)
        .execute(conn)
        .await?;
    Ok(())
}
