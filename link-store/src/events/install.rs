//! [`InstallEvent`]: an SDK install (`/v1/install`), and how a batch of them is written:
//! raw `installs` rows, the `installs` column of `link_stats_daily` and of
//! `link_country_daily` (link 0 for organic installs), and the browsers the attributed
//! clicks came from.

use sqlx::PgConnection;

use super::browser_apps;
use super::kind::ShardEvent;
use super::session::{SessionColumns, SessionStart, browser_marks, insert_sessions};
use crate::export::record::ExportedLink;

/// An install as the API attributed it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct InstallEvent(pub SessionStart);

const INSERT_INSTALLS: &str = insert_sessions!("installs", extra_columns = "", extra_params = "");

impl ShardEvent for InstallEvent {
    const KIND: &'static str = "install";

    fn event_id(&self) -> uuid::Uuid {
        self.0.id
    }

    fn link_id(&self) -> Option<i64> {
        self.0.link_id
    }

    fn export_record(&self, link: Option<&ExportedLink>) -> serde_json::Result<Vec<u8>> {
        crate::export::record::install(self, link)
    }

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
