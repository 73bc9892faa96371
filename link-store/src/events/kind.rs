//! [`ShardEvent`]: what an event kind tells the pipeline about itself.

use std::future::Future;

use link_core::AppId;
use sqlx::PgConnection;

use crate::export::record::ExportedLink;

/// An event that is written to its app's shard in batches (clicks, installs, opens, SDK
/// events).
///
/// The pipeline does the queueing, routing, fencing, retries and metrics; a kind only says
/// whose it is and how a batch of it becomes rows.
///
/// Serde carries an event through the spool ([`super::spool`]) with every field, unlike
/// [`Self::export_record`].
pub trait ShardEvent:
    serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static
{
    /// The `kind` label of the pipeline's metrics and logs, e.g. `"click"`.
    const KIND: &'static str;

    /// Batches of this kind written to one shard at the same time unless
    /// `events_shard_writers` says otherwise. Each takes a connection of the shard's
    /// background pool while it runs.
    const SHARD_WRITERS: usize = 1;

    /// The app the event belongs to; its shard is the one it is written to.
    fn app_id(&self) -> AppId;

    /// The event's id, unique within its kind: the exported message's de-duplication key.
    fn event_id(&self) -> uuid::Uuid;

    /// The link the event is about, whose code and labels its exported record carries.
    fn link_id(&self) -> Option<i64> {
        None
    }

    /// The event's exported record, JSON ([`crate::export::record`]).
    fn export_record(&self, link: Option<&ExportedLink>) -> serde_json::Result<Vec<u8>>;

    /// Writes a batch inside the caller's transaction, which has already fenced every app
    /// in it. A batch may be written again after a failure whose outcome is unknown (a
    /// commit that timed out); `replay` is then true, and writing events that are already
    /// stored must not count them twice. When it is false no event of the batch has been
    /// in any attempt, so none can be stored yet.
    fn write_batch(
        conn: &mut PgConnection,
        events: &[&Self],
        replay: bool,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
}
