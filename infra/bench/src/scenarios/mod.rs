//! The scenarios of the suite. Each measures, appends rows to the report, and records
//! whether the issue's goals were met.

pub mod cold_start;
pub mod export;
pub mod flash;
pub mod hot;
pub mod purge;
pub mod sdk;
pub mod wrk;

use std::net::SocketAddr;
use std::time::Duration;

use crate::load::{Plan, Planned, RunStats};
use crate::report::{Report, Row};
use crate::stack::db::{BenchDb, HOST};
use crate::stack::process::{ProcSample, ServerProcess, metric};
use crate::workload::{self, UaMix};

pub const COOKIE_SECRET: &str = "hoplink-bench-cookie-secret-0123456789abcdef";
pub const FINGERPRINT_KEY: &str = "hoplink-bench-fingerprint-key";

pub struct Ctx {
    pub db: BenchDb,
    pub uas: UaMix,
    pub seed: u64,
    pub quick: bool,
    pub report: Report,
    pub connections: usize,
    pub warmup: Duration,
    pub measure: Duration,
    /// `HOPLINK_AEROSPIKE_HOSTS` for services, when a server is reachable.
    pub aerospike: Option<String>,
    /// Link counts of the hot scenario; the first is the one compared with nginx.
    pub hot_links: Vec<u64>,
}

impl Ctx {
    /// Environment of a link service under test.
    pub fn link_env(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env = vec![
            (
                "HOPLINK_CATALOG_URL".to_owned(),
                self.db.catalog_url().to_owned(),
            ),
            ("HOPLINK_COOKIE_SECRET".to_owned(), COOKIE_SECRET.to_owned()),
            (
                "HOPLINK_FINGERPRINT_KEY".to_owned(),
                FINGERPRINT_KEY.to_owned(),
            ),
            ("HOPLINK_LINK_WORKERS".to_owned(), "2".to_owned()),
            ("HOPLINK_TRUSTED_PROXIES".to_owned(), "127.0.0.1".to_owned()),
            (
                "HOPLINK_CACHE_MAX_BYTES".to_owned(),
                (2u64 << 30).to_string(),
            ),
        ];
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        env.extend(link_env_override());
        env
    }

    pub async fn start_link_service(
        &self,
        name: &str,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<ServerProcess> {
        ServerProcess::start(
            name,
            "serve-link",
            "HOPLINK_LINK_ADDR",
            &self.link_env(extra),
            "/readyz",
        )
        .await
    }

    /// A plan of clicks on bench links drawn from Zipf(1.1) over `links`, with the UA mix.
    pub fn click_plan(&self, links: u64, count: usize, seed: u64) -> anyhow::Result<Plan> {
        let ranks = workload::zipf_ranks(links, 1.1, count, seed)?;
        let requests = ranks
            .iter()
            .enumerate()
            .map(|(i, rank)| {
                Planned::get(HOST, &format!("/{}", workload::code(*rank)))?
                    .header(http::header::USER_AGENT, self.uas.get(i))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Plan::new(requests)
    }

    pub fn push_row(&mut self, row: Row) {
        eprintln!(
            "  {:<14} {:<8} {:<34} {:>9.0} req/s  p99 {:>7.2} ms  errors {}",
            row.scenario,
            row.system,
            row.label,
            row.summary.throughput,
            row.summary.p99_ms,
            row.errors
        );
        self.report.rows.push(row);
    }
}

/// A row for a run against a server, with its CPU and memory cost.
pub fn row(
    scenario: &str,
    system: &str,
    label: &str,
    stats: &RunStats,
    before: ProcSample,
    after: ProcSample,
    ok: impl Fn(u16) -> bool,
) -> Row {
    let cpu = (after.cpu_secs - before.cpu_secs).max(0.0);
    let db_cpu = (after.db_cpu_secs - before.db_cpu_secs).max(0.0);
    let per_request = |secs: f64| (stats.requests > 0).then(|| secs * 1e6 / stats.requests as f64);
    Row {
        scenario: scenario.to_owned(),
        system: system.to_owned(),
        label: label.to_owned(),
        summary: stats.summary(),
        ratio_to_nginx: None,
        origin_loads: None,
        rss_mib: Some(after.rss_bytes as f64 / (1024.0 * 1024.0)),
        cpu_us_per_request: per_request(cpu),
        // Only where the sample read the database (not for nginx).
        db_cpu_us_per_request: if after.db_cpu_secs > 0.0 {
            per_request(db_cpu)
        } else {
            None
        },
        errors: stats.errors(ok),
        notes: String::new(),
    }
}

/// Link origin loads so far (all outcomes), from the service's metrics.
pub async fn origin_loads(addr: SocketAddr) -> f64 {
    metric(addr, "hoplink_origin_loads_total", &[r#"kind="link""#]).await
}

/// Long enough for the recorder to write a run's backlog at the rates seen here, so the
/// next run (nginx's too) starts on a quiet Postgres.
pub const RECORDER_DRAIN: Duration = Duration::from_secs(3);

/// `HOPLINK_BENCH_LINK_ENV="HOPLINK_EVENTS_MAX_BATCH=1000,HOPLINK_LINK_WORKERS=1"`: settings
/// every link service of the run gets on top of the scenario's own, for A/B runs of one
/// setting. Malformed items are skipped, loudly.
fn link_env_override() -> Vec<(String, String)> {
    let Ok(spec) = std::env::var("HOPLINK_BENCH_LINK_ENV") else {
        return Vec::new();
    };
    parse_env_list(&spec)
}

fn parse_env_list(spec: &str) -> Vec<(String, String)> {
    spec.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .filter_map(|item| match item.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                Some((key.trim().to_owned(), value.trim().to_owned()))
            }
            _ => {
                eprintln!("WARNING: HOPLINK_BENCH_LINK_ENV: {item:?} is not KEY=VALUE; skipped");
                None
            }
        })
        .collect()
}

/// Clicks the recorder wrote and dropped over a run: a link service answers faster than
/// Postgres on the same cores can record, and then drops (and counts) rather than waits.
pub struct ClickTally {
    addr: SocketAddr,
    written: f64,
    dropped: f64,
}

impl ClickTally {
    pub async fn start(addr: SocketAddr) -> Self {
        let (written, dropped) = Self::read(addr).await;
        Self {
            addr,
            written,
            dropped,
        }
    }

    /// Waits for the run's backlog to be written, then says what became of its clicks.
    pub async fn finish(self) -> String {
        tokio::time::sleep(RECORDER_DRAIN).await;
        let (written, dropped) = Self::read(self.addr).await;
        let (written, dropped) = (written - self.written, dropped - self.dropped);
        if dropped > 0.0 {
            format!("clicks written {written:.0}, {dropped:.0} dropped (the recorder fell behind)")
        } else {
            format!("clicks written {written:.0}, none dropped")
        }
    }

    async fn read(addr: SocketAddr) -> (f64, f64) {
        let labels = [r#"kind="click""#];
        (
            metric(addr, "hoplink_events_written_total", &labels).await,
            metric(addr, "hoplink_events_dropped_total", &labels).await,
        )
    }
}

/// Redirects and pages are what a click may answer; anything else counts as an error.
pub fn click_ok(status: u16) -> bool {
    matches!(status, 200 | 302)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_env_override_is_a_comma_separated_list_of_settings() {
        assert_eq!(
            parse_env_list(" HOPLINK_EVENTS_MAX_BATCH=1000, HOPLINK_LINK_WORKERS = 1 ,"),
            vec![
                ("HOPLINK_EVENTS_MAX_BATCH".to_owned(), "1000".to_owned()),
                ("HOPLINK_LINK_WORKERS".to_owned(), "1".to_owned()),
            ]
        );
        assert_eq!(
            parse_env_list("NO_EQUALS,=value,K=a=b"),
            vec![("K".to_owned(), "a=b".to_owned())]
        );
        assert!(parse_env_list("").is_empty());
    }
}
