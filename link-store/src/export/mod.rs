//! The event stream export: what an event pipeline has written to its shard is also
//! published to a NATS JetStream stream, one JSON message per event, for offline
//! analytics (a warehouse loader, a data-lake sink, the app team's own consumers).
//!
//! A message holds up to `export_events_per_message` records (100 by default) of one kind
//! and app, one per line (NDJSON): in wrk runs one message per event cost NATS about
//! 15 µs and this service about 10 µs per event, 100 per message NATS about 1.4 µs and
//! this service under 1 µs (docs/benchmarks.md).
//!
//! Postgres stays the record. Events are handed over only after their shard transaction
//! committed, so the stream never carries an event the shard does not hold. Handing over
//! never waits: the exporter has its own bounded queue and task, so a slow or absent NATS
//! holds up neither the click path nor the shard writes. What NATS cannot take is kept and
//! retried with backoff (the oldest dropped and counted past `export_queue_capacity`);
//! delivery is at least once. Every message carries a `Nats-Msg-Id` (its event's id, or
//! its first event's id and count), so the stream drops a resend within its duplicate
//! window (2 minutes); consumers de-duplicate across windows by each record's `id`.
//!
//! Records carry no IP address, fingerprint, browser id or device token. The wire format
//! is documented in [`record`] and in `docs/event-export.md`.
//!
//! # Configuration
//! [`ExportConfig`], flattened into a service's config:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `HOPLINK_EXPORT_NATS_URL` | unset (off) | NATS server(s), e.g. `nats://127.0.0.1:4222`; `user:password@` or `token@` before the host log in |
//! | `HOPLINK_EXPORT_STREAM` | `HOPLINK_EVENTS` | stream name; created when missing |
//! | `HOPLINK_EXPORT_SUBJECT_PREFIX` | `hoplink.events` | subjects are `<prefix>.<kind>.<app id>` |
//! | `HOPLINK_EXPORT_STREAM_MAX_AGE_SECS` | `604800` | `max_age` of a stream Hoplink creates |
//! | `HOPLINK_EXPORT_EVENTS_PER_MESSAGE` | `100` | records per message (1-1000); `1` for one event per message |
//! | `HOPLINK_EXPORT_QUEUE_CAPACITY` | `200000` | events waiting to be published |
//! | `HOPLINK_EXPORT_DRAIN_DEADLINE_MS` | `10000` | how long shutdown keeps publishing |
//!
//! # Metrics
//! `hoplink_export_published_total{kind}`, `hoplink_export_dropped_total{reason}`
//! (`queue_full`, `encode`, `too_large`, `shutdown`), `hoplink_export_errors_total`,
//! `hoplink_export_queue_depth`, `hoplink_export_healthy`.

pub mod config;
mod message;
mod metrics;
mod publisher;
pub mod record;
#[cfg(feature = "testing")]
pub mod testing;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use foldhash::HashMap;
use prometheus::Registry;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

pub use config::{ExportConfig, check_ca_file, client_options, parse_servers};
pub(crate) use message::ExportMessage;
use metrics::{ExportDrop, ExportMetrics};
use record::ExportedLink;

use crate::events::ShardEvent;

/// Why the exporter could not start.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("invalid event export settings: {0}")]
    Config(String),
    #[error(transparent)]
    Metrics(#[from] prometheus::Error),
}

/// The messages waiting to be published, and how many events they hold.
#[derive(Default)]
struct Queue {
    messages: VecDeque<ExportMessage>,
    events: usize,
}

impl Queue {
    /// Drops the oldest messages until at most `capacity` events wait; returns how many
    /// events went.
    fn trim(&mut self, capacity: usize) -> u64 {
        let mut dropped = 0;
        while self.events > capacity {
            let Some(oldest) = self.messages.pop_front() else {
                break;
            };
            self.events -= oldest.events as usize;
            dropped += oldest.events;
        }
        dropped
    }
}

/// The queue between the pipelines and the publishing task.
struct Shared {
    queue: Mutex<Queue>,
    /// In events.
    capacity: usize,
    wake: Notify,
    metrics: ExportMetrics,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes up to `max` messages from the front.
    fn take(&self, max: usize) -> Vec<ExportMessage> {
        let mut queue = self.lock();
        let n = queue.messages.len().min(max);
        let taken: Vec<ExportMessage> = queue.messages.drain(..n).collect();
        queue.events -= taken.iter().map(|m| m.events as usize).sum::<usize>();
        self.metrics.queue_depth.set(queue.events as i64);
        taken
    }

    /// Queues messages at the back (new) or, in their order, at the front (a round that
    /// failed), then drops the oldest beyond the capacity.
    fn put(&self, messages: Vec<ExportMessage>, front: bool) {
        let mut queue = self.lock();
        queue.events += messages.iter().map(|m| m.events as usize).sum::<usize>();
        if front {
            for message in messages.into_iter().rev() {
                queue.messages.push_front(message);
            }
        } else {
            queue.messages.extend(messages);
        }
        let dropped = queue.trim(self.capacity);
        self.metrics.dropped(ExportDrop::QueueFull, dropped);
        self.metrics.queue_depth.set(queue.events as i64);
    }

    fn is_empty(&self) -> bool {
        self.lock().messages.is_empty()
    }
}

/// The pipelines' handle on the exporter. Cloning is cheap; the exporter's task publishes
/// what is left and ends once every clone is dropped.
#[derive(Clone)]
pub struct Exporter {
    shared: Arc<Shared>,
    prefix: Arc<str>,
    per_message: usize,
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
            queue: Mutex::new(Queue::default()),
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
            per_message: config.events_per_message(),
            _alive: alive,
        };
        Ok(Some((exporter, task)))
    }

    /// Queues events a shard has just committed (`links`: their links as that
    /// transaction saw them); never waits. Past the capacity the oldest waiting events are
    /// dropped and counted.
    pub(crate) fn submit<'a, E: ShardEvent>(
        &self,
        written: impl Iterator<Item = &'a E>,
        links: &HashMap<i64, ExportedLink>,
    ) {
        let (messages, unencodable) =
            message::build(&self.prefix, self.per_message, written, links);
        self.shared.metrics.dropped(ExportDrop::Encode, unencodable);
        if messages.is_empty() {
            return;
        }
        self.shared.put(messages, false);
        self.shared.wake.notify_one();
    }
}
