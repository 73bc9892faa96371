//! The hot tier's Prometheus metrics, registered once per process on the service's registry.

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry};

/// Outcome of one hot-tier operation, the `outcome` label of `hoplink_hot_requests_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A read found the record.
    Hit,
    /// A read found nothing (or a record it could not use).
    Miss,
    /// A write was applied.
    Written,
    /// A write was refused because the stored copy is as new or newer.
    Stale,
    Timeout,
    Error,
    /// Not tried: the breaker is open.
    SkippedOpen,
    /// Not tried: not connected to the cluster (yet).
    SkippedDisconnected,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "hit",
            Self::Miss => "miss",
            Self::Written => "written",
            Self::Stale => "stale",
            Self::Timeout => "timeout",
            Self::Error => "error",
            Self::SkippedOpen => "skipped_open",
            Self::SkippedDisconnected => "skipped_disconnected",
        }
    }
}

#[derive(Clone)]
pub(crate) struct HotMetrics {
    /// `set` = links|configs|clicks|browsers, `op` = read|write, `outcome`: [`Outcome`].
    pub requests: IntCounterVec,
    /// `op` = read|write: latency of operations that reached the server.
    pub seconds: HistogramVec,
    /// `what` = link|config|clicks|browser: answers served by Postgres instead.
    pub fallbacks: IntCounterVec,
    /// Background writes not started: `reason` = busy.
    pub dropped: IntCounterVec,
    /// 0 closed, 1 open, 2 half-open.
    pub breaker_state: IntGauge,
    /// 1 once the client reached the cluster.
    pub connected: IntGauge,
    /// Worker runtimes' own clients that reached the cluster.
    pub worker_clients: IntGauge,
    /// Breaker transitions: `to` = open|closed.
    pub transitions: IntCounterVec,
}

impl HotMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let metrics = Self {
            requests: IntCounterVec::new(
                Opts::new(
                    "hoplink_hot_requests_total",
                    "Aerospike hot-tier operations by set, kind and outcome.",
                ),
                &["set", "op", "outcome"],
            )?,
            seconds: HistogramVec::new(
                HistogramOpts::new(
                    "hoplink_hot_request_duration_seconds",
                    "Duration of hot-tier operations that reached the server.",
                )
                .buckets(vec![
                    0.000_25, 0.000_5, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05,
                ]),
                &["op"],
            )?,
            fallbacks: IntCounterVec::new(
                Opts::new(
                    "hoplink_hot_fallbacks_total",
                    "Answers Postgres gave because the hot tier could not.",
                ),
                &["what"],
            )?,
            dropped: IntCounterVec::new(
                Opts::new(
                    "hoplink_hot_background_dropped_total",
                    "Background hot-tier writes not started, by reason.",
                ),
                &["reason"],
            )?,
            breaker_state: IntGauge::new(
                "hoplink_hot_breaker_state",
                "Hot-tier circuit breaker: 0 closed, 1 open, 2 half-open.",
            )?,
            connected: IntGauge::new(
                "hoplink_hot_connected",
                "1 once the Aerospike client has reached the cluster.",
            )?,
            worker_clients: IntGauge::new(
                "hoplink_hot_worker_clients",
                "Aerospike clients of worker runtimes (one per actix worker) connected.",
            )?,
            transitions: IntCounterVec::new(
                Opts::new(
                    "hoplink_hot_breaker_transitions_total",
                    "Times the hot-tier breaker opened or closed since start.",
                ),
                &["to"],
            )?,
        };
        registry.register(Box::new(metrics.requests.clone()))?;
        registry.register(Box::new(metrics.seconds.clone()))?;
        registry.register(Box::new(metrics.fallbacks.clone()))?;
        registry.register(Box::new(metrics.dropped.clone()))?;
        registry.register(Box::new(metrics.breaker_state.clone()))?;
        registry.register(Box::new(metrics.connected.clone()))?;
        registry.register(Box::new(metrics.worker_clients.clone()))?;
        registry.register(Box::new(metrics.transitions.clone()))?;
        Ok(metrics)
    }

    pub fn count(&self, set: &str, op: &str, outcome: Outcome) {
        self.requests
            .with_label_values(&[set, op, outcome.as_str()])
            .inc();
    }

    pub fn fallback(&self, what: &str) {
        self.fallbacks.with_label_values(&[what]).inc();
    }
}
