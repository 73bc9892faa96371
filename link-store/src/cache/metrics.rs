//! Cache and origin metrics, registered on the service's registry.

use prometheus::{IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry};

#[derive(Clone)]
pub struct CacheMetrics {
    /// `cache` = link|config; `result` = hit|negative_hit|stale|prefresh|miss|collapsed|unavailable
    pub requests: IntCounterVec,
    /// `requests{result="hit"}` for links and configs, resolved once: every click counts
    /// two hits, and a label look-up hashes its strings each time.
    pub link_hits: IntCounter,
    pub config_hits: IntCounter,
    /// `kind` = link|config; `outcome` = found|not_found|error|unreadable|timeout|saturated|breaker_open
    pub origin_loads: IntCounterVec,
    pub invalidations: IntCounterVec,
    pub entries: IntGaugeVec,
    pub weighted_bytes: IntGaugeVec,
}

impl CacheMetrics {
    pub fn new(registry: &Registry) -> prometheus::Result<Self> {
        let requests = IntCounterVec::new(
            Opts::new("hoplink_cache_requests_total", "Cache look-ups by outcome."),
            &["cache", "result"],
        )?;
        let origin_loads = IntCounterVec::new(
            Opts::new(
                "hoplink_origin_loads_total",
                "Loads from the origin (hot tier or shard) caused by cache misses, by outcome.",
            ),
            &["kind", "outcome"],
        )?;
        let invalidations = IntCounterVec::new(
            Opts::new(
                "hoplink_cache_invalidations_total",
                "Cache invalidations by cause.",
            ),
            &["cause"],
        )?;
        let entries = IntGaugeVec::new(
            Opts::new("hoplink_cache_entries", "Entries held by the cache."),
            &["cache"],
        )?;
        let weighted_bytes = IntGaugeVec::new(
            Opts::new(
                "hoplink_cache_weighted_bytes",
                "Approximate bytes held by the cache.",
            ),
            &["cache"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(origin_loads.clone()))?;
        registry.register(Box::new(invalidations.clone()))?;
        registry.register(Box::new(entries.clone()))?;
        registry.register(Box::new(weighted_bytes.clone()))?;
        Ok(Self {
            link_hits: requests.with_label_values(&["link", "hit"]),
            config_hits: requests.with_label_values(&["config", "hit"]),
            requests,
            origin_loads,
            invalidations,
            entries,
            weighted_bytes,
        })
    }
}
