//! What the cache holds per key: the value (or its known absence), when it was loaded,
//! whether a background refresh is already under way, and whether it must be reloaded
//! before it is served again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Cached<T> {
    /// `None` caches "there is no such thing" (negative caching).
    pub value: Option<Arc<T>>,
    pub loaded_at: Instant,
    /// Approximate memory held, for the weigher.
    pub weight: u32,
    refreshing: AtomicBool,
    /// Changes may have been missed since it was loaded: reload it before serving it, but
    /// keep it to serve stale if the reload fails.
    revalidate: AtomicBool,
}

/// How old an entry is relative to its time to live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    /// Past the prefresh point (~90% of the TTL): serve it, refresh in the background.
    Prefresh,
    /// Past its TTL: reload before serving; serve it only if the reload fails.
    Expired,
}

impl<T> Cached<T> {
    pub fn new(value: Option<T>, weight: u32, loaded_at: Instant) -> Arc<Self> {
        Arc::new(Self {
            value: value.map(Arc::new),
            loaded_at,
            weight,
            refreshing: AtomicBool::new(false),
            revalidate: AtomicBool::new(false),
        })
    }

    pub fn freshness(&self, now: Instant, ttl: Duration) -> Freshness {
        let age = now.saturating_duration_since(self.loaded_at);
        if age >= ttl || self.revalidate.load(Ordering::Relaxed) {
            Freshness::Expired
        } else if age >= ttl.mul_f32(0.9) {
            Freshness::Prefresh
        } else {
            Freshness::Fresh
        }
    }

    /// True for exactly one caller per entry: the one that starts its background refresh.
    pub fn claim_refresh(&self) -> bool {
        !self.refreshing.swap(true, Ordering::AcqRel)
    }

    /// Makes the entry expired from now on, without dropping it.
    pub fn mark_expired(&self) {
        self.revalidate.store(true, Ordering::Relaxed);
    }
}
