//! [`Breaker`]: the hot tier's circuit breaker.
//!
//! Not [`crate::cache::OriginGuard`]: a hot-tier operation has a budget of a few
//! milliseconds, so one timeout is noise (it must not send every request to Postgres for a
//! cool-down), there is no concurrency bound to enforce (the client pools connections), and
//! a probe must be released even when its caller gives up on it. So: `threshold`
//! consecutive failures of any kind open it; after the cool-down one caller probes
//! (half-open) while the others keep skipping; the probe's outcome closes or re-opens it.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What the breaker lets through now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    /// The cool-down is over: the next caller probes.
    HalfOpen,
}

impl BreakerState {
    /// The value of the state gauge: 0 closed, 1 open, 2 half-open.
    pub fn gauge(self) -> i64 {
        match self {
            Self::Closed => 0,
            Self::Open => 1,
            Self::HalfOpen => 2,
        }
    }
}

#[derive(Debug)]
pub struct Breaker {
    failures: AtomicU32,
    /// Milliseconds since `epoch` until which it stays open; 0 when closed.
    open_until_ms: AtomicU64,
    probing: AtomicBool,
    epoch: Instant,
    threshold: u32,
    cool_down: Duration,
}

/// Leave to run one operation. Report its outcome with [`Permit::succeeded`] or
/// [`Permit::failed`]; dropping it unreported (the caller gave up) counts as a failure.
#[derive(Debug)]
pub struct Permit<'a> {
    breaker: &'a Breaker,
    probe: bool,
    reported: bool,
}

impl Breaker {
    pub fn new(threshold: u32, cool_down: Duration) -> Self {
        Self {
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

    /// A permit, or `None` when the breaker is open (or another caller is probing).
    pub fn admit(&self) -> Option<Permit<'_>> {
        let open_until = self.open_until_ms.load(Ordering::Acquire);
        if open_until == 0 {
            return Some(Permit {
                breaker: self,
                probe: false,
                reported: false,
            });
        }
        if self.now_ms() < open_until || self.probing.swap(true, Ordering::AcqRel) {
            return None;
        }
        Some(Permit {
            breaker: self,
            probe: true,
            reported: false,
        })
    }

    pub fn state(&self) -> BreakerState {
        let open_until = self.open_until_ms.load(Ordering::Acquire);
        if open_until == 0 {
            BreakerState::Closed
        } else if self.now_ms() < open_until || self.probing.load(Ordering::Acquire) {
            BreakerState::Open
        } else {
            BreakerState::HalfOpen
        }
    }

    fn on_success(&self, probe: bool) {
        self.failures.store(0, Ordering::Release);
        self.open_until_ms.store(0, Ordering::Release);
        if probe {
            self.probing.store(false, Ordering::Release);
        }
    }

    fn on_failure(&self, probe: bool) {
        let failures = self
            .failures
            .fetch_add(1, Ordering::AcqRel)
            .saturating_add(1);
        if probe || failures >= self.threshold {
            let cool_down = u64::try_from(self.cool_down.as_millis()).unwrap_or(1_000);
            self.open_until_ms
                .store((self.now_ms() + cool_down).max(1), Ordering::Release);
        }
        if probe {
            self.probing.store(false, Ordering::Release);
        }
    }
}

impl Permit<'_> {
    #[cfg(test)]
    pub fn is_probe(&self) -> bool {
        self.probe
    }

    pub fn succeeded(mut self) {
        self.reported = true;
        self.breaker.on_success(self.probe);
    }

    pub fn failed(mut self) {
        self.reported = true;
        self.breaker.on_failure(self.probe);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.reported {
            self.breaker.on_failure(self.probe);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_failure_does_not_open_it() {
        let breaker = Breaker::new(3, Duration::from_secs(60));
        breaker.admit().unwrap().failed();
        breaker.admit().unwrap().failed();
        breaker.admit().unwrap().succeeded();
        breaker.admit().unwrap().failed();
        breaker.admit().unwrap().failed();
        assert_eq!(breaker.state(), BreakerState::Closed);
        breaker.admit().unwrap().failed();
        assert_eq!(breaker.state(), BreakerState::Open);
        assert!(breaker.admit().is_none());
    }

    #[test]
    fn one_probe_after_the_cool_down_closes_or_reopens_it() {
        let breaker = Breaker::new(1, Duration::from_millis(30));
        breaker.admit().unwrap().failed();
        assert!(breaker.admit().is_none());
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        let probe = breaker.admit().unwrap();
        assert!(probe.is_probe());
        assert!(breaker.admit().is_none(), "only one probe at a time");
        probe.failed();
        assert_eq!(breaker.state(), BreakerState::Open);

        std::thread::sleep(Duration::from_millis(40));
        breaker.admit().unwrap().succeeded();
        assert_eq!(breaker.state(), BreakerState::Closed);
        assert!(breaker.admit().is_some_and(|p| !p.is_probe()));
    }

    #[test]
    fn an_abandoned_probe_counts_as_failed_and_frees_the_next_probe() {
        let breaker = Breaker::new(1, Duration::from_millis(10));
        breaker.admit().unwrap().failed();
        std::thread::sleep(Duration::from_millis(20));
        drop(breaker.admit().unwrap());
        assert_eq!(breaker.state(), BreakerState::Open);
        std::thread::sleep(Duration::from_millis(20));
        assert!(breaker.admit().is_some(), "a new probe is allowed");
    }
}
