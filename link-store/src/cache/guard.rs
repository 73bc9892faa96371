//! Per-shard protection of the origin: a bound on concurrent loads and a circuit breaker.
//!
//! A cache miss may load from a shard only with a free permit (never waits for one), and
//! only while the shard's breaker is closed. After consecutive failures (or one timeout)
//! the breaker opens for a cool-down; then a single probe is let through, and its outcome
//! closes or re-opens the breaker. A dead shard thus costs the click path one timeout per
//! cool-down, not one per request.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Every permit of the shard is in use.
    Saturated,
    /// The breaker is open: the shard failed recently.
    Open,
}

pub struct OriginGuard {
    permits: Arc<Semaphore>,
    failures: AtomicU32,
    /// Milliseconds since `epoch` until which the breaker stays open; 0 when closed.
    open_until_ms: AtomicU64,
    probing: AtomicBool,
    epoch: Instant,
    threshold: u32,
    cool_down: Duration,
}

/// Permission to load; report the outcome with [`Admission::succeeded`] or
/// [`Admission::failed`].
pub struct Admission {
    _permit: OwnedSemaphorePermit,
    probe: bool,
}

impl Admission {
    pub fn is_probe(&self) -> bool {
        self.probe
    }
}

impl OriginGuard {
    pub fn new(max_concurrent: usize, threshold: u32, cool_down: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            failures: AtomicU32::new(0),
            open_until_ms: AtomicU64::new(0),
            probing: AtomicBool::new(false),
            epoch: Instant::now(),
            threshold: threshold.max(1),
            cool_down,
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    pub fn admit(&self) -> Result<Admission, Rejection> {
        let open_until = self.open_until_ms.load(Ordering::Acquire);
        let mut probe = false;
        if open_until != 0 {
            if self.now_ms() < open_until {
                return Err(Rejection::Open);
            }
            // Cool-down over: one caller probes, the rest keep failing fast.
            if self.probing.swap(true, Ordering::AcqRel) {
                return Err(Rejection::Open);
            }
            probe = true;
        }
        match self.permits.clone().try_acquire_owned() {
            Ok(permit) => Ok(Admission {
                _permit: permit,
                probe,
            }),
            Err(_) => {
                if probe {
                    self.probing.store(false, Ordering::Release);
                }
                Err(Rejection::Saturated)
            }
        }
    }

    pub fn succeeded(&self, admission: Admission) {
        self.failures.store(0, Ordering::Release);
        self.open_until_ms.store(0, Ordering::Release);
        if admission.probe {
            self.probing.store(false, Ordering::Release);
        }
    }

    /// Records a failure; a timeout opens the breaker at once.
    pub fn failed(&self, admission: Admission, timed_out: bool) {
        let failures = self.failures.fetch_add(1, Ordering::AcqRel) + 1;
        if timed_out || failures >= self.threshold || admission.probe {
            let until = self.now_ms() + u64::try_from(self.cool_down.as_millis()).unwrap_or(1000);
            self.open_until_ms.store(until.max(1), Ordering::Release);
        }
        if admission.probe {
            self.probing.store(false, Ordering::Release);
        }
    }

    pub fn is_open(&self) -> bool {
        let until = self.open_until_ms.load(Ordering::Acquire);
        until != 0 && self.now_ms() < until
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_concurrency_without_queueing() {
        let guard = OriginGuard::new(2, 3, Duration::from_secs(1));
        let a = guard.admit().unwrap();
        let _b = guard.admit().unwrap();
        assert_eq!(guard.admit().err(), Some(Rejection::Saturated));
        guard.succeeded(a);
        assert!(guard.admit().is_ok());
    }

    #[test]
    fn opens_after_failures_and_probes_once_after_cool_down() {
        let guard = OriginGuard::new(8, 2, Duration::from_millis(50));
        let a = guard.admit().unwrap();
        guard.failed(a, false);
        assert!(!guard.is_open());
        let b = guard.admit().unwrap();
        guard.failed(b, false);
        assert!(guard.is_open());
        assert_eq!(guard.admit().err(), Some(Rejection::Open));

        std::thread::sleep(Duration::from_millis(60));
        let probe = guard.admit().unwrap();
        assert!(probe.is_probe());
        assert_eq!(guard.admit().err(), Some(Rejection::Open), "only one probe");
        guard.succeeded(probe);
        assert!(!guard.is_open());
        assert!(guard.admit().is_ok());
    }

    #[test]
    fn a_timeout_opens_at_once_and_a_failed_probe_reopens() {
        let guard = OriginGuard::new(8, 5, Duration::from_millis(30));
        let a = guard.admit().unwrap();
        guard.failed(a, true);
        assert!(guard.is_open());
        std::thread::sleep(Duration::from_millis(40));
        let probe = guard.admit().unwrap();
        guard.failed(probe, false);
        assert!(guard.is_open());
    }
}
