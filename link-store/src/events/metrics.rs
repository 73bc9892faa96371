//! The pipeline's Prometheus metrics, labelled by event `kind`.
//!
//! [`EventMetrics`] registers the metric families once per registry; each pipeline then
//! resolves its own children (`KindMetrics`) up front, so the click path increments a
//! counter without hashing label values.

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry,
};

/// Why an event was given up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DropReason {
    /// The in-memory queue was full when it was recorded.
    QueueFull,
    /// The pipeline had already stopped.
    Closed,
    /// The app is not in the shard map.
    UnknownApp,
    /// The app's shard kept refusing the write (moved or being moved) after map refreshes.
    StaleRoute,
    /// Held for a failing or lagging shard beyond `events_max_pending`; the oldest go.
    WriteFailed,
    /// The shard rejected the batch's data; retrying cannot help.
    Rejected,
    /// Still unwritten when the drain deadline passed at shutdown.
    Shutdown,
    /// Bound for the spool, which had no room left (`events_spool_max_bytes`).
    SpoolFull,
    /// Bound for the spool, which could not write them.
    SpoolError,
}

impl DropReason {
    const ALL: [Self; 9] = [
        Self::QueueFull,
        Self::Closed,
        Self::UnknownApp,
        Self::StaleRoute,
        Self::WriteFailed,
        Self::Rejected,
        Self::Shutdown,
        Self::SpoolFull,
        Self::SpoolError,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::QueueFull => "queue_full",
            Self::Closed => "closed",
            Self::UnknownApp => "unknown_app",
            Self::StaleRoute => "stale_route",
            Self::WriteFailed => "write_failed",
            Self::Rejected => "rejected",
            Self::Shutdown => "shutdown",
            Self::SpoolFull => "spool_full",
            Self::SpoolError => "spool_error",
        }
    }
}

/// The metric families of every event pipeline of a process. Register once, then start any
/// number of pipelines (one per event kind) with it.
#[derive(Clone)]
pub struct EventMetrics {
    written: IntCounterVec,
    batches: IntCounterVec,
    write_errors: IntCounterVec,
    dropped: IntCounterVec,
    queue_depth: IntGaugeVec,
    pending: IntGaugeVec,
    flush_seconds: HistogramVec,
    spooled: IntCounterVec,
    replayed: IntCounterVec,
    spool_bytes: IntGaugeVec,
    spool_files: IntGaugeVec,
}

impl EventMetrics {
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let metrics = Self {
            written: IntCounterVec::new(
                Opts::new(
                    "hoplink_events_written_total",
                    "Events written to their shard.",
                ),
                &["kind"],
            )?,
            batches: IntCounterVec::new(
                Opts::new(
                    "hoplink_events_batches_written_total",
                    "Batch transactions committed on a shard.",
                ),
                &["kind"],
            )?,
            write_errors: IntCounterVec::new(
                Opts::new(
                    "hoplink_events_write_errors_total",
                    "Batch transactions that failed (and were retried or rejected).",
                ),
                &["kind"],
            )?,
            dropped: IntCounterVec::new(
                Opts::new(
                    "hoplink_events_dropped_total",
                    "Events given up on, by reason.",
                ),
                &["kind", "reason"],
            )?,
            queue_depth: IntGaugeVec::new(
                Opts::new(
                    "hoplink_events_queue_depth",
                    "Events recorded but not yet taken by the batcher.",
                ),
                &["kind"],
            )?,
            pending: IntGaugeVec::new(
                Opts::new(
                    "hoplink_events_pending",
                    "Events taken by the batcher and not yet written (waiting, in flight or for a retry).",
                ),
                &["kind"],
            )?,
            flush_seconds: HistogramVec::new(
                HistogramOpts::new(
                    "hoplink_events_flush_duration_seconds",
                    "Duration of one successful batch transaction on a shard.",
                )
                .buckets(vec![
                    0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ]),
                &["kind"],
            )?,
            spooled: IntCounterVec::new(
                Opts::new(
                    "hoplink_events_spooled_total",
                    "Events written to the spool on disk instead of being dropped.",
                ),
                &["kind"],
            )?,
            replayed: IntCounterVec::new(
                Opts::new(
                    "hoplink_events_replayed_total",
                    "Events read back from the spool to be written to their shard.",
                ),
                &["kind"],
            )?,
            spool_bytes: IntGaugeVec::new(
                Opts::new(
                    "hoplink_events_spool_bytes",
                    "Bytes of spool files on disk.",
                ),
                &["kind"],
            )?,
            spool_files: IntGaugeVec::new(
                Opts::new(
                    "hoplink_events_spool_files",
                    "Spool files on disk, by the shard their events wait for ('' for files \
                     that wait for every shard).",
                ),
                &["kind", "shard"],
            )?,
        };
        registry.register(Box::new(metrics.written.clone()))?;
        registry.register(Box::new(metrics.batches.clone()))?;
        registry.register(Box::new(metrics.write_errors.clone()))?;
        registry.register(Box::new(metrics.dropped.clone()))?;
        registry.register(Box::new(metrics.queue_depth.clone()))?;
        registry.register(Box::new(metrics.pending.clone()))?;
        registry.register(Box::new(metrics.flush_seconds.clone()))?;
        registry.register(Box::new(metrics.spooled.clone()))?;
        registry.register(Box::new(metrics.replayed.clone()))?;
        registry.register(Box::new(metrics.spool_bytes.clone()))?;
        registry.register(Box::new(metrics.spool_files.clone()))?;
        Ok(metrics)
    }

    pub(crate) fn kind(&self, kind: &str) -> KindMetrics {
        KindMetrics {
            written: self.written.with_label_values(&[kind]),
            batches: self.batches.with_label_values(&[kind]),
            write_errors: self.write_errors.with_label_values(&[kind]),
            dropped: DropReason::ALL.map(|r| self.dropped.with_label_values(&[kind, r.as_str()])),
            queue_depth: self.queue_depth.with_label_values(&[kind]),
            pending: self.pending.with_label_values(&[kind]),
            flush_seconds: self.flush_seconds.with_label_values(&[kind]),
            spooled: self.spooled.with_label_values(&[kind]),
            replayed: self.replayed.with_label_values(&[kind]),
            spool_bytes: self.spool_bytes.with_label_values(&[kind]),
            spool_files: SpoolFiles {
                gauges: self.spool_files.clone(),
                kind: kind.to_owned(),
            },
        }
    }
}

/// One pipeline's children of [`EventMetrics`].
#[derive(Clone)]
pub(crate) struct KindMetrics {
    pub written: IntCounter,
    pub batches: IntCounter,
    pub write_errors: IntCounter,
    dropped: [IntCounter; DropReason::ALL.len()],
    pub queue_depth: IntGauge,
    pub pending: IntGauge,
    pub flush_seconds: Histogram,
    pub spooled: IntCounter,
    pub replayed: IntCounter,
    pub spool_bytes: IntGauge,
    pub spool_files: SpoolFiles,
}

/// One kind's `hoplink_events_spool_files`, whose shard labels come and go with the files.
#[derive(Clone)]
pub(crate) struct SpoolFiles {
    gauges: IntGaugeVec,
    kind: String,
}

impl SpoolFiles {
    /// Sets the count of files waiting for `shard` (`None`: for every shard).
    pub fn set(&self, shard: Option<&str>, files: usize) {
        self.gauges
            .with_label_values(&[self.kind.as_str(), shard.unwrap_or("")])
            .set(i64::try_from(files).unwrap_or(i64::MAX));
    }
}

impl KindMetrics {
    pub fn dropped(&self, reason: DropReason) -> &IntCounter {
        &self.dropped[reason as usize]
    }

    /// Every reason's count so far, in a fixed order.
    pub fn dropped_counts(&self) -> Vec<(&'static str, u64)> {
        DropReason::ALL
            .iter()
            .map(|r| (r.as_str(), self.dropped(*r).get()))
            .collect()
    }

    pub fn drop_n(&self, reason: DropReason, n: usize) {
        if n > 0 {
            self.dropped(reason).inc_by(n as u64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_index_their_own_counter() {
        for (i, reason) in DropReason::ALL.iter().enumerate() {
            assert_eq!(*reason as usize, i);
        }
        let registry = Registry::new();
        let metrics = EventMetrics::register(&registry).unwrap().kind("click");
        metrics.drop_n(DropReason::StaleRoute, 3);
        assert_eq!(metrics.dropped(DropReason::StaleRoute).get(), 3);
        assert_eq!(metrics.dropped(DropReason::QueueFull).get(), 0);
    }
}
