//! The event stream export: what an event pipeline has written to its shard is also
//! published to a NATS JetStream stream, one JSON message per event, for offline
//! analytics (a warehouse loader, a data-lake sink, the app team's own consumers).
//!
//! Postgres stays the record. Events are handed over only after their shard transaction
//! committed, so the stream never carries an event the shard does not hold. Handing over
//! never waits: the exporter has its own bounded queue and task, so a slow or absent NATS
//! holds up neither the click path nor the shard writes. What NATS cannot take is kept and
//! retried with backoff (the oldest dropped and counted past `export_queue_capacity`);
//! delivery is at least once, and every message carries its event id as `Nats-Msg-Id`, so
//! the stream drops a resend within its duplicate window (2 minutes).
//!
//! Records carry no IP address, fingerprint, browser id or device token. The wire format
//! is documented in [`record`] and in `docs/event-export.md`.
//!
//! # Configuration
//! [`ExportConfig`], flattened into a service's config:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `HOPLINK_EXPORT_NATS_URL` | unset (off) | NATS server(s), e.g. `nats://127.0.0.1:4222` |
//! | `HOPLINK_EXPORT_STREAM` | `HOPLINK_EVENTS` | stream name; created when missing |
//! | `HOPLINK_EXPORT_SUBJECT_PREFIX` | `hoplink.events` | subjects are `<prefix>.<kind>.<app id>` |
//! | `HOPLINK_EXPORT_STREAM_MAX_AGE_SECS` | `604800` | `max_age` of a stream Hoplink creates |
//! | `HOPLINK_EXPORT_QUEUE_CAPACITY` | `200000` | events waiting to be published |
//! | `HOPLINK_EXPORT_DRAIN_DEADLINE_MS` | `10000` | how long shutdown keeps publishing |
//!
//! # Metrics
//! `hoplink_export_published_total{kind}`, `hoplink_export_dropped_total{reason}`
//! (`queue_full`, `encode`, `shutdown`), `hoplink_export_errors_total`,
//! `hoplink_export_queue_depth`, `hoplink_export_healthy`.

pub mod config;
mod metrics;
mod publisher;
pub mod record;
#[cfg(feature = "testing")]
pub mod testing;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use link_core::AppId;
use prometheus::Registry;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

pub use config::ExportConfig;
use metrics::{ExportDrop, ExportMetrics};

/// Why the exporter could not start.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("invalid event export settings: {0}")]
    Config(String),
    #[error(transparent)]
    Metrics(#[from] prometheus::Error),
}

/// One event, encoded for the stream.
pub(crate) struct ExportMessage {
    /// The pipeline kind (`click`, `install`, ...), for the metrics.
    pub kind: &'static str,
    pub subject: String,
    /// The event's id: the stream's de-duplication key.
    pub id: String,
    pub payload: Bytes,
}

/// The queue between the pipelines and the publishing task.
struct Shared {
    queue: Mutex<VecDeque<ExportMessage>>,
    capacity: usize,
    wake: Notify,
    metrics: ExportMetrics,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<ExportMessage>> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes up to `max` messages from the front.
    fn take(&self, max: usize) -> Vec<ExportMessage> {
        let mut queue = self.lock();
        let n = queue.len().min(max);
        let taken = queue.drain(..n).collect();
        self.metrics.queue_depth.set(queue.len() as i64);
        taken
    }

    /// Puts messages that failed back at the front, in their order. Newer ones beyond
    /// the capacity go first: the older were already waiting longer.
    fn put_back(&self, failed: Vec<ExportMessage>) {
        let mut queue = self.lock();
        for message in failed.into_iter().rev() {
            queue.push_front(message);
        }
        let over = queue.len().saturating_sub(self.capacity);
        queue.truncate(self.capacity);
        self.metrics.dropped(ExportDrop::QueueFull, over as u64);
        self.metrics.queue_depth.set(queue.len() as i64);
    }

    fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

/// The pipelines' handle on the exporter. Cloning is cheap; the exporter's task publishes
/// what is left and ends once every clone is dropped.
#[derive(Clone)]
pub struct Exporter {
    shared: Arc<Shared>,
    prefix: Arc<str>,
    /// Closed when the last clone is dropped, which tells the task to drain.
    _alive: mpsc::Sender<()>,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Exporter {
    /// Registers the export metrics and, when `HOPLINK_EXPORT_NATS_URL` is set, starts the
    /// publishing task: `None` when export is off. The task connects in the background, so
    /// a NATS that is down at start only delays the export. Must be called inside a Tokio
    /// runtime.
    pub fn start(
        config: &ExportConfig,
        registry: &Registry,
    ) -> Result<Option<(Self, JoinHandle<()>)>, ExportError> {
        if config.nats_url().is_none() {
            return Ok(None);
        }
        config.validate().map_err(ExportError::Config)?;
        let servers = config.servers().map_err(ExportError::Config)?;
        let metrics = ExportMetrics::register(registry)?;
        let shared = Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            capacity: config.queue_capacity(),
            wake: Notify::new(),
            metrics,
        });
        let (alive, closed) = mpsc::channel(1);
        let task = tokio::spawn(publisher::run(
            publisher::Settings::new(servers, config),
            shared.clone(),
            closed,
        ));
        let exporter = Self {
            shared,
            prefix: config.export_subject_prefix.as_str().into(),
            _alive: alive,
        };
        Ok(Some((exporter, task)))
    }

    /// The subject of an event of `kind` of `app`.
    pub(crate) fn subject(&self, kind: &str, app: AppId) -> String {
        format!("{}.{kind}.{}", self.prefix, app.get())
    }

    /// Queues encoded events for publishing; never waits. Past the capacity the oldest
    /// waiting events are dropped and counted.
    pub(crate) fn submit(&self, messages: Vec<ExportMessage>) {
        if messages.is_empty() {
            return;
        }
        let mut queue = self.shared.lock();
        queue.extend(messages);
        let over = queue.len().saturating_sub(self.shared.capacity);
        if over > 0 {
            queue.drain(..over);
            self.shared
                .metrics
                .dropped(ExportDrop::QueueFull, over as u64);
        }
        self.shared.metrics.queue_depth.set(queue.len() as i64);
        drop(queue);
        self.shared.wake.notify_one();
    }

    /// Counts events that could not be encoded.
    pub(crate) fn encode_failed(&self, count: u64) {
        self.shared.metrics.dropped(ExportDrop::Encode, count);
    }
}
