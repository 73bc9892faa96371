//! [`OpenEvent`]: an SDK open (`/v1/open`), and how a batch of them is written: raw
//! `opens` rows, the `opens` column of both rollups (link 0 for organic opens), and
//! the browsers the attributed clicks came from.

use sqlx::PgConnection;

use super::browser_apps;
use super::kind::ShardEvent;
use super::session::{SessionColumns, SessionStart, browser_marks, insert_sessions};
use crate::export::record::ExportedLink;

/// An open as the API attributed it, with the session id it answered.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

const INSERT_OPENS: &str = insert_sessions!(
    "opens",
    extra_columns = ", session_id",
    extra_params = ", $14::text[]"
);

impl ShardEvent for OpenEvent {
    const KIND: &'static str = "open";

    fn event_id(&self) -> uuid::Uuid {
        self.start.id
    }

    fn link_id(&self) -> Option<i64> {
        self.start.link_id
    }

    fn export_record(&self, link: Option<&ExportedLink>) -> serde_json::Result<Vec<u8>> {
        crate::export::record::open(self, link)
    }

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
