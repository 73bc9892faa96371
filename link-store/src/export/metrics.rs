//! The exporter's Prometheus metrics.

use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, Registry};

/// Why an event was not exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExportDrop {
    /// The queue was full: the oldest waiting events made room.
    QueueFull,
    /// The event could not be encoded (never expected; counted rather than hidden).
    Encode,
    /// Its record alone is over the server's `max_payload`.
    TooLarge,
    /// Still unpublished when the drain deadline passed at shutdown.
    Shutdown,
}

impl ExportDrop {
    const ALL: [Self; 4] = [
        Self::QueueFull,
        Self::Encode,
        Self::TooLarge,
        Self::Shutdown,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Self::QueueFull => "queue_full",
            Self::Encode => "encode",
            Self::TooLarge => "too_large",
            Self::Shutdown => "shutdown",
        }
    }
}

#[derive(Clone)]
pub(crate) struct ExportMetrics {
    published: IntCounterVec,
    dropped: IntCounterVec,
    pub errors: IntCounter,
    pub queue_depth: IntGauge,
    /// 1 once the stream is known to exist and the last publish round succeeded.
    pub healthy: IntGauge,
}

impl ExportMetrics {
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let published = IntCounterVec::new(
            Opts::new(
                "hoplink_export_published_total",
                "Events the stream acknowledged, by kind.",
            ),
            &["kind"],
        )?;
        let dropped = IntCounterVec::new(
            Opts::new(
                "hoplink_export_dropped_total",
                "Events given up on without being exported, by reason.",
            ),
            &["reason"],
        )?;
        let errors = IntCounter::new(
            "hoplink_export_errors_total",
            "Failed publish rounds and stream set-ups; their events are retried.",
        )?;
        let queue_depth = IntGauge::new(
            "hoplink_export_queue_depth",
            "Events written to their shard and waiting to be published.",
        )?;
        let healthy = IntGauge::new(
            "hoplink_export_healthy",
            "1 when the export stream exists and the last publish round was acknowledged.",
        )?;
        registry.register(Box::new(published.clone()))?;
        registry.register(Box::new(dropped.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(queue_depth.clone()))?;
        registry.register(Box::new(healthy.clone()))?;
        for reason in ExportDrop::ALL {
            dropped.with_label_values(&[reason.as_str()]);
        }
        Ok(Self {
            published,
            dropped,
            errors,
            queue_depth,
            healthy,
        })
    }

    pub fn published(&self, kind: &str, count: u64) {
        self.published.with_label_values(&[kind]).inc_by(count);
    }

    pub fn dropped(&self, reason: ExportDrop, count: u64) {
        if count > 0 {
            self.dropped
                .with_label_values(&[reason.as_str()])
                .inc_by(count);
        }
    }
}
