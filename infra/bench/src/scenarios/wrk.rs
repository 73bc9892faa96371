//! The issue's own yardstick: one cached link and the User-Agent mix, driven by `wrk`
//! against Hoplink and against nginx's static `return 302`, the same command, interleaved
//! A F B C A F B C, where F is a bare actix-web server giving the same 302: the framework's
//! floor, so the gap to nginx splits into what the HTTP stack costs and what a click does.
//! C repeats B with a worldwide crowd's country header (a second link service configured
//! to read it); it is reported beside B, not counted in the goal.
//!
//! `wrk` is a much lighter generator than ours (about 6 µs of CPU per request here against
//! 14), so on two shared cores it leaves more of the machine to the server and the ratio
//! shows more of the server's own cost. Clicks the recorder could not keep up with are
//! dropped by design (the redirect never waits); their count is in the row's notes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context as _;
use tokio::process::Command;

use crate::load::stats::Summary;
use crate::report::{Goal, Row};
use crate::stack::db::HOST;
use crate::stack::floor;
use crate::stack::nginx::Nginx;
use crate::stack::process::{ProcSample, ServerProcess};
use crate::workload;

use super::{ClickTally, Ctx, RECORDER_DRAIN};

/// The header a CDN adds with the client's country, as Cloudflare names it.
const COUNTRY_HEADER: &str = "CF-IPCountry";

/// Prints one machine-readable line when `wrk` is done; latencies are in microseconds.
const DONE: &str = r#"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "HOPLINK_WRK requests=%d duration_us=%d p50=%d p90=%d p99=%d p999=%d max=%d status_errors=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max, e.status,
    e.connect + e.read + e.write + e.timeout))
end
"#;

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    eprintln!("== wrk: one cached link vs nginx, the same wrk command");
    let Some(wrk) = find_wrk() else {
        eprintln!("SKIPPED: wrk is not installed (apt install wrk) [wrk]");
        return Ok(());
    };
    ctx.db.ensure_links(1, 1).await?;
    let dir = std::env::temp_dir().join(format!("hoplink-bench-wrk-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = format!("/{}", workload::code(0));
    let script = write_script(ctx, &dir, "clicks.lua", &path, None)?;
    // The same clicks from a worldwide crowd, each with the country a CDN would add: every
    // click batch then upserts dozens of per-country rollup rows instead of one.
    let countries = workload::zipf_countries(ctx.uas.len(), ctx.seed)?;
    let world_script = write_script(ctx, &dir, "world.lua", &path, Some(&countries))?;

    let link = ctx.start_link_service("link-wrk", &[]).await?;
    let world = ctx
        .start_link_service(
            "link-wrk-world",
            &[("HOPLINK_COUNTRY_HEADER", COUNTRY_HEADER)],
        )
        .await?;
    let nginx = Nginx::start(2).await?;
    let floor = floor::start(2).await?;
    let label = format!("1 link, wrk -t2 -c{}", ctx.connections);
    let connections = ctx.connections;
    let run_wrk =
        |addr: SocketAddr, duration: Duration| wrk_once(&wrk, &script, addr, connections, duration);
    // Warm-up: the link into the cache, the User-Agents into the memo; then the recorder
    // writes what it holds, so each measured run starts with an empty queue.
    run_wrk(link.addr, ctx.warmup).await?;
    wrk_once(&wrk, &world_script, world.addr, connections, ctx.warmup).await?;
    tokio::time::sleep(RECORDER_DRAIN).await;

    let (mut nginx_tps, mut floor_tps, mut hop_tps) = (Vec::new(), Vec::new(), Vec::new());
    let rounds = if ctx.quick { 1 } else { 2 };
    for round in 0..rounds {
        let before = nginx.sample();
        let summary = run_wrk(nginx.addr, ctx.measure).await?;
        let mut r = wrk_row(
            "nginx",
            &format!("{label} (A{round})"),
            summary,
            before,
            nginx.sample(),
        );
        r.notes = "static `return 302`".into();
        nginx_tps.push(r.summary.throughput);
        ctx.push_row(r);

        let before = floor.sample();
        let summary = run_wrk(floor.addr, ctx.measure).await?;
        let mut r = wrk_row(
            "actix-web",
            &format!("{label} (F{round})"),
            summary,
            before,
            floor.sample(),
        );
        r.notes = "bare static 302, 2 workers: the framework's floor".into();
        // It writes nothing; Postgres' CPU meanwhile is someone else's.
        r.db_cpu_us_per_request = None;
        floor_tps.push(r.summary.throughput);
        ctx.push_row(r);

        let r = clicks_row(
            &link,
            run_wrk(link.addr, ctx.measure),
            &format!("{label} (B{round})"),
        )
        .await?;
        hop_tps.push(r.summary.throughput);
        ctx.push_row(r);

        let world_run = wrk_once(&wrk, &world_script, world.addr, connections, ctx.measure);
        let mut r = clicks_row(
            &world,
            world_run,
            &format!("{label}, {COUNTRY_HEADER} (C{round})"),
        )
        .await?;
        r.notes = format!("{}; {}", r.notes, rollup_countries(ctx).await);
        ctx.push_row(r);
    }
    nginx.stop().await;
    floor.stop().await?;
    link.stop().await?;
    world.stop().await?;
    let _ = std::fs::remove_dir_all(&dir);

    let nginx_mean = mean(&nginx_tps);
    let floor_mean = mean(&floor_tps);
    let hop_mean = mean(&hop_tps);
    for r in ctx
        .report
        .rows
        .iter_mut()
        .filter(|r| r.scenario == "wrk" && r.system != "nginx")
    {
        r.ratio_to_nginx = Some(r.summary.throughput / nginx_mean);
    }
    let ratio = hop_mean / nginx_mean;
    ctx.report.goals.push(Goal {
        goal: "one cached link, wrk, >= 0.85x nginx".into(),
        measured: format!(
            "{ratio:.2}x ({hop_mean:.0} vs {nginx_mean:.0} req/s, mean of {} interleaved runs each; \
             a bare actix-web 302 {:.2}x, {floor_mean:.0} req/s)",
            hop_tps.len(),
            floor_mean / nginx_mean,
        ),
        met: ratio >= 0.85,
    });
    Ok(())
}

/// A wrk run against a link service, with the clicks it wrote in the notes.
pub(super) async fn clicks_row(
    server: &ServerProcess,
    run: impl Future<Output = anyhow::Result<WrkSummary>>,
    label: &str,
) -> anyhow::Result<Row> {
    let before = server.sample();
    let tally = ClickTally::start(server.addr).await;
    let summary = run.await?;
    // Sampled once the backlog is written, so Postgres' share covers the run's clicks.
    let notes = tally.finish().await;
    let mut r = wrk_row("hoplink", label, summary, before, server.sample());
    r.notes = notes;
    Ok(r)
}

pub(super) fn find_wrk() -> Option<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("wrk"))
        .find(|p| p.is_file())
}

/// The User-Agent pool, one per line (each followed by its country when `countries` is
/// given), and a script that formats one request per line at start-up and sends them in
/// random order, so both variants cost wrk the same per request.
pub(super) fn write_script(
    ctx: &Ctx,
    dir: &Path,
    name: &str,
    path: &str,
    countries: Option<&[&str]>,
) -> anyhow::Result<PathBuf> {
    let agents = dir.join(format!("{name}.agents"));
    let pool: Vec<String> = (0..ctx.uas.len())
        .map(|i| match countries {
            Some(c) => format!("{}\t{}", ctx.uas.get(i), c[i % c.len()]),
            None => ctx.uas.get(i).to_owned(),
        })
        .collect();
    std::fs::write(&agents, pool.join("\n"))?;
    let headers = match countries {
        Some(_) => format!(
            "local ua, country = line:match(\"^(.*)\\t(%u%u)$\")\n\
             \x20   local headers = {{ [\"Host\"] = {HOST:?}, [\"User-Agent\"] = ua, [{COUNTRY_HEADER:?}] = country }}"
        ),
        None => format!("local headers = {{ [\"Host\"] = {HOST:?}, [\"User-Agent\"] = line }}"),
    };
    let script = dir.join(name);
    std::fs::write(
        &script,
        format!(
            "local reqs = {{}}\n\
             init = function(args)\n\
             \x20 for line in io.lines({agents:?}) do\n\
             \x20   {headers}\n\
             \x20   reqs[#reqs + 1] = wrk.format(\"GET\", {path:?}, headers)\n\
             \x20 end\n\
             \x20 math.randomseed({seed})\n\
             end\n\
             request = function() return reqs[math.random(#reqs)] end\n\
             {DONE}",
            agents = agents.display().to_string(),
            seed = ctx.seed,
        ),
    )?;
    Ok(script)
}

/// How many countries the per-country rollup holds, as the world runs' evidence that their
/// clicks were counted by country.
async fn rollup_countries(ctx: &Ctx) -> String {
    let counted = async {
        let pool = ctx.db.shard_pool()?;
        let n: i64 = sqlx::query_scalar(
            "SELECT count(DISTINCT country) FROM link_country_daily WHERE country <> ''",
        )
        .fetch_one(&pool)
        .await?;
        anyhow::Ok(n)
    };
    match counted.await {
        Ok(n) => format!("{n} countries in the rollup"),
        Err(e) => format!("rollup not read: {e}"),
    }
}

pub(super) async fn wrk_once(
    wrk: &Path,
    script: &Path,
    addr: SocketAddr,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<WrkSummary> {
    let output = Command::new(wrk)
        .arg("-t2")
        .arg(format!("-c{connections}"))
        .arg(format!("-d{}s", duration.as_secs().max(1)))
        .arg("-s")
        .arg(script)
        .arg(format!("http://{addr}/"))
        .stdin(Stdio::null())
        .output()
        .await
        .context("running wrk")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "wrk failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    WrkSummary::parse(&stdout)
}

/// What the script's `done` printed.
#[derive(Debug, Default, PartialEq)]
pub(super) struct WrkSummary {
    requests: u64,
    duration_us: u64,
    p50: u64,
    p90: u64,
    p99: u64,
    p999: u64,
    max: u64,
    status_errors: u64,
    socket_errors: u64,
}

impl WrkSummary {
    fn parse(stdout: &str) -> anyhow::Result<Self> {
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("HOPLINK_WRK "))
            .context("wrk printed no summary line")?;
        let mut s = Self::default();
        for pair in line.split_whitespace() {
            let (key, value) = pair.split_once('=').context("malformed summary")?;
            let value: u64 = value.parse().with_context(|| format!("{key}={value}"))?;
            match key {
                "requests" => s.requests = value,
                "duration_us" => s.duration_us = value,
                "p50" => s.p50 = value,
                "p90" => s.p90 = value,
                "p99" => s.p99 = value,
                "p999" => s.p999 = value,
                "max" => s.max = value,
                "status_errors" => s.status_errors = value,
                "socket_errors" => s.socket_errors = value,
                _ => {}
            }
        }
        anyhow::ensure!(s.duration_us > 0, "wrk ran for no time");
        Ok(s)
    }
}

fn wrk_row(system: &str, label: &str, s: WrkSummary, before: ProcSample, after: ProcSample) -> Row {
    let seconds = s.duration_us as f64 / 1e6;
    let ms = |us: u64| us as f64 / 1000.0;
    let per_request = |secs: f64| (s.requests > 0).then(|| secs.max(0.0) * 1e6 / s.requests as f64);
    Row {
        scenario: "wrk".into(),
        system: system.into(),
        label: label.into(),
        summary: Summary {
            requests: s.requests,
            seconds,
            throughput: s.requests as f64 / seconds,
            p50_ms: ms(s.p50),
            p90_ms: ms(s.p90),
            p99_ms: ms(s.p99),
            p999_ms: ms(s.p999),
            max_ms: ms(s.max),
            statuses: Default::default(),
            transport_errors: s.socket_errors,
        },
        ratio_to_nginx: None,
        origin_loads: None,
        rss_mib: Some(after.rss_bytes as f64 / (1024.0 * 1024.0)),
        cpu_us_per_request: per_request(after.cpu_secs - before.cpu_secs),
        db_cpu_us_per_request: (after.db_cpu_secs > 0.0)
            .then(|| per_request(after.db_cpu_secs - before.db_cpu_secs))
            .flatten(),
        // wrk counts answers outside 2xx/3xx as status errors: every click answers 200 or
        // 302, nginx 302.
        errors: s.status_errors + s.socket_errors,
        notes: String::new(),
    }
}

pub(super) fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_done_line_among_wrk_output() {
        let out = "Running 1s test @ http://127.0.0.1:1/\n  2 threads and 8 connections\n\
                   HOPLINK_WRK requests=1200 duration_us=1000500 p50=310 p90=900 p99=2100 \
                   p999=4000 max=5012 status_errors=3 socket_errors=1\nRequests/sec: 1199.4\n";
        let s = WrkSummary::parse(out).unwrap();
        assert_eq!(
            s,
            WrkSummary {
                requests: 1200,
                duration_us: 1_000_500,
                p50: 310,
                p90: 900,
                p99: 2100,
                p999: 4000,
                max: 5012,
                status_errors: 3,
                socket_errors: 1,
            }
        );
        assert!(WrkSummary::parse("Requests/sec: 1\n").is_err());
    }
}
