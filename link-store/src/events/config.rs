//! [`EventsConfig`]: queue and batching limits of an event pipeline.
//!
//! Field names carry the `events_` prefix so a service can `#[serde(flatten)]` this struct
//! into its own config and read it from `HOPLINK_EVENTS_*` variables (see the table in
//! [`crate::events`]).

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// The most rows one batch transaction writes, whatever the config says: a bigger batch
/// holds its row locks longer and buys no throughput.
const MAX_BATCH_CEILING: usize = 10_000;
/// The most concurrent batch writes per shard: each takes a connection of the shard's
/// background pool.
const MAX_SHARD_WRITERS: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct EventsConfig {
    /// Events the in-memory queue holds; beyond it `record` drops (`queue_full`).
    pub events_queue_capacity: usize,
    /// Rows per shard transaction; a shard with this many events waiting is written at once.
    pub events_max_batch: usize,
    /// Batches written to one shard at the same time; unset, each kind's own default
    /// ([`super::ShardEvent::SHARD_WRITERS`]). Beyond the first, a writer only starts for a
    /// full batch, when one writer cannot keep up.
    pub events_shard_writers: Option<usize>,
    /// How long an event may wait for its batch to fill before it is written anyway.
    pub events_flush_interval_ms: u64,
    /// Events held for shards that fail or lag (across all shards); the oldest beyond it
    /// are dropped (`write_failed`).
    pub events_max_pending: usize,
    /// After the last recorder is dropped, how long the pipeline keeps writing (and
    /// retrying) what it still holds before giving up.
    pub events_drain_deadline_ms: u64,
    /// Where events beyond `events_max_pending`, and those unwritten at shutdown, are kept
    /// until their shards take writes again ([`super::spool`]); unset, they are dropped.
    pub events_spool_dir: Option<PathBuf>,
    /// The most bytes the spool keeps on disk per event kind; beyond it events are dropped.
    pub events_spool_max_bytes: u64,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            events_queue_capacity: 65_536,
            // At 1,000, sustained wrk load on two cores (70-80k clicks/s) outran the
            // writer in every run and the queue dropped 6-21% of the clicks; at 5,000 it kept
            // up, and Postgres spent about a quarter less CPU per click (docs/benchmarks.md).
            events_max_batch: 5_000,
            events_shard_writers: None,
            events_flush_interval_ms: 200,
            events_max_pending: 100_000,
            events_drain_deadline_ms: 10_000,
            events_spool_dir: None,
            // About two million clicks.
            events_spool_max_bytes: 1 << 30,
        }
    }
}

// Accessors clamp nonsense (zeroes) to something that works instead of failing startup
// over an analytics setting.
impl EventsConfig {
    pub(crate) fn queue_capacity(&self) -> usize {
        self.events_queue_capacity.max(1)
    }

    pub(crate) fn max_batch(&self) -> usize {
        self.events_max_batch.clamp(1, MAX_BATCH_CEILING)
    }

    pub(crate) fn shard_writers(&self, kind_default: usize) -> usize {
        self.events_shard_writers
            .unwrap_or(kind_default)
            .clamp(1, MAX_SHARD_WRITERS)
    }

    pub(crate) fn flush_interval(&self) -> Duration {
        Duration::from_millis(self.events_flush_interval_ms.max(1))
    }

    pub(crate) fn max_pending(&self) -> usize {
        self.events_max_pending.max(self.max_batch())
    }

    pub(crate) fn drain_deadline(&self) -> Duration {
        Duration::from_millis(self.events_drain_deadline_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_keys_take_the_defaults() {
        let parsed: EventsConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(parsed, EventsConfig::default());
        let parsed: EventsConfig = serde_json::from_str(r#"{"events_max_batch": 5}"#).unwrap();
        assert_eq!(parsed.max_batch(), 5);
        assert_eq!(parsed.queue_capacity(), 65_536);
        assert_eq!(parsed.shard_writers(2), 2, "unset: the kind's default");
        let parsed: EventsConfig = serde_json::from_str(r#"{"events_shard_writers": 3}"#).unwrap();
        assert_eq!(parsed.shard_writers(2), 3);
    }

    #[test]
    fn zeroes_are_clamped_to_working_values() {
        let config = EventsConfig {
            events_queue_capacity: 0,
            events_max_batch: 0,
            events_shard_writers: Some(0),
            events_flush_interval_ms: 0,
            events_max_pending: 0,
            events_drain_deadline_ms: 0,
            ..EventsConfig::default()
        };
        assert_eq!(config.queue_capacity(), 1);
        assert_eq!(config.max_batch(), 1);
        assert_eq!(config.shard_writers(2), 1);
        assert_eq!(config.flush_interval(), Duration::from_millis(1));
        assert_eq!(config.max_pending(), 1);
        assert_eq!(config.drain_deadline(), Duration::ZERO);
    }
}
