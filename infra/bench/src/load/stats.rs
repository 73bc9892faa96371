use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// What a run measured. Latencies in microseconds.
#[derive(Debug, Clone)]
pub struct RunStats {
    pub requests: u64,
    pub elapsed: Duration,
    pub statuses: BTreeMap<u16, u64>,
    pub transport_errors: u64,
    pub latency_us: Histogram<u64>,
}

impl Default for RunStats {
    fn default() -> Self {
        Self {
            requests: 0,
            elapsed: Duration::ZERO,
            statuses: BTreeMap::new(),
            transport_errors: 0,
            latency_us: new_histogram(),
        }
    }
}

pub fn new_histogram() -> Histogram<u64> {
    // 1 µs to 60 s at 3 significant digits.
    Histogram::new_with_bounds(1, 60_000_000, 3).unwrap_or_else(|_| {
        Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant digits is valid"))
    })
}

impl RunStats {
    pub fn record(&mut self, status: u16, latency: Duration) {
        self.requests += 1;
        *self.statuses.entry(status).or_default() += 1;
        let us = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let _ = self.latency_us.record(us.min(60_000_000));
    }

    pub fn merge(&mut self, other: &RunStats) {
        self.requests += other.requests;
        self.transport_errors += other.transport_errors;
        for (status, n) in &other.statuses {
            *self.statuses.entry(*status).or_default() += n;
        }
        let _ = self.latency_us.add(&other.latency_us);
        self.elapsed = self.elapsed.max(other.elapsed);
    }

    pub fn throughput(&self) -> f64 {
        if self.elapsed.is_zero() {
            0.0
        } else {
            self.requests as f64 / self.elapsed.as_secs_f64()
        }
    }

    pub fn quantile_ms(&self, q: f64) -> f64 {
        self.latency_us.value_at_quantile(q) as f64 / 1000.0
    }

    /// Responses that were not what the scenario expects (`ok` decides), plus transport
    /// errors.
    pub fn errors(&self, ok: impl Fn(u16) -> bool) -> u64 {
        self.transport_errors
            + self
                .statuses
                .iter()
                .filter(|(s, _)| !ok(**s))
                .map(|(_, n)| n)
                .sum::<u64>()
    }

    pub fn summary(&self) -> Summary {
        Summary {
            requests: self.requests,
            seconds: self.elapsed.as_secs_f64(),
            throughput: self.throughput(),
            p50_ms: self.quantile_ms(0.50),
            p90_ms: self.quantile_ms(0.90),
            p99_ms: self.quantile_ms(0.99),
            p999_ms: self.quantile_ms(0.999),
            max_ms: self.latency_us.max() as f64 / 1000.0,
            statuses: self.statuses.clone(),
            transport_errors: self.transport_errors,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub requests: u64,
    pub seconds: f64,
    pub throughput: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub statuses: BTreeMap<u16, u64>,
    pub transport_errors: u64,
}
