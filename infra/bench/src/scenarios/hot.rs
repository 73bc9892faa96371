//! Hot click path: N links with Zipf(1.1) popularity and a realistic User-Agent mix, for
//! N = 1k (against nginx, interleaved A B A B), 100k and 1M; plus memory per cached link.

use std::time::Duration;

use crate::load::{Plan, Planned, closed_loop, open_loop};
use crate::report::Goal;
use crate::stack::nginx::Nginx;
use crate::stack::process::metric;

use super::{ClickTally, Ctx, RECORDER_DRAIN, click_ok, origin_loads, row};

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    eprintln!("== hot: click path vs nginx, 1k / 100k / 1M links");
    let sizes = ctx.hot_links.clone();
    let mut throughput_1k = None;
    for (i, &n) in sizes.iter().enumerate() {
        ctx.db.ensure_links(n, 10_000.min(n)).await?;
        let plan = ctx.click_plan(n, 200_000, ctx.seed ^ n)?;
        // A million links need more than the default 256 MiB of cache, and a TTL longer
        // than the sweep that loads them; both are operator settings, stated in the notes.
        let big = n >= 1_000_000;
        let env: &[(&str, &str)] = if big { BIG_CACHE_ENV } else { &[] };
        let link = ctx.start_link_service(&format!("link-{n}"), env).await?;
        if big {
            // Measured first, on an empty cache: every link loaded once, then RSS per link.
            memory_per_link(ctx, &link, n).await?;
        }
        let noun = if n == 1 { "link" } else { "links" };
        let label = format!("{} {noun}, {} conns", count(n), ctx.connections);
        // Warm the cache with one pass so the measured runs see a steady state.
        closed_loop(
            link.addr,
            &plan,
            ctx.connections,
            Duration::ZERO,
            ctx.warmup,
        )
        .await;
        tokio::time::sleep(RECORDER_DRAIN).await;

        if i == 0 {
            let nginx = Nginx::start(2).await?;
            let nginx_plan = nginx_plan(&plan)?;
            let (mut nginx_tps, mut hop_tps) = (Vec::new(), Vec::new());
            let rounds = if ctx.quick { 1 } else { 2 };
            for round in 0..rounds {
                let before = nginx.sample();
                let stats = closed_loop(
                    nginx.addr,
                    &nginx_plan,
                    ctx.connections,
                    Duration::from_secs(1),
                    ctx.measure,
                )
                .await;
                let mut r = row(
                    "hot",
                    "nginx",
                    &format!("{label} (A{round})"),
                    &stats,
                    before,
                    nginx.sample(),
                    |s| s == 302,
                );
                r.notes = "static `return 302`".into();
                nginx_tps.push(stats.throughput());
                ctx.push_row(r);

                let before = link.sample();
                let loads = origin_loads(link.addr).await;
                let tally = ClickTally::start(link.addr).await;
                let stats = closed_loop(
                    link.addr,
                    &plan,
                    ctx.connections,
                    Duration::from_secs(1),
                    ctx.measure,
                )
                .await;
                // Sampled once the backlog is written, so Postgres' share covers the run.
                let notes = tally.finish().await;
                let mut r = row(
                    "hot",
                    "hoplink",
                    &format!("{label} (B{round})"),
                    &stats,
                    before,
                    link.sample(),
                    click_ok,
                );
                r.origin_loads = Some(origin_loads(link.addr).await - loads);
                r.notes = notes;
                hop_tps.push(stats.throughput());
                ctx.push_row(r);
            }
            // Open loop at half of Hoplink's closed-loop rate, a load both sustain: latencies
            // measured from each request's intended start (coordinated omission corrected).
            let rate = (mean(&hop_tps) / 2.0).max(100.0);
            for (system, addr, p) in [
                ("nginx", nginx.addr, &nginx_plan),
                ("hoplink", link.addr, &plan),
            ] {
                let before = if system == "nginx" {
                    nginx.sample()
                } else {
                    link.sample()
                };
                let tally = ClickTally::start(link.addr).await;
                let stats = open_loop(addr, p, ctx.connections, rate, ctx.measure).await;
                let clicks = if system == "nginx" {
                    String::new()
                } else {
                    format!("; {}", tally.finish().await)
                };
                let after = if system == "nginx" {
                    nginx.sample()
                } else {
                    link.sample()
                };
                let ok: fn(u16) -> bool = if system == "nginx" {
                    |s| s == 302
                } else {
                    click_ok
                };
                let mut r = row(
                    "hot",
                    system,
                    &format!("{label}, open loop {rate:.0}/s"),
                    &stats,
                    before,
                    after,
                    ok,
                );
                r.notes = format!("fixed rate, CO-corrected latency{clicks}");
                ctx.push_row(r);
            }
            nginx.stop().await;
            let nginx_mean = mean(&nginx_tps);
            let hop_mean = mean(&hop_tps);
            let ratio = hop_mean / nginx_mean;
            for r in ctx.report.rows.iter_mut().filter(|r| {
                r.scenario == "hot"
                    && r.system == "hoplink"
                    && r.label.starts_with(&label)
                    && !r.label.contains("open loop")
            }) {
                r.ratio_to_nginx = Some(r.summary.throughput / nginx_mean);
            }
            throughput_1k = Some(hop_mean);
            ctx.report.goals.push(Goal {
                goal: "hot click path >= 0.85x nginx".into(),
                measured: format!("{ratio:.2}x ({hop_mean:.0} vs {nginx_mean:.0} req/s, mean of {} interleaved runs each)", hop_tps.len()),
                met: ratio >= 0.85,
            });
        } else {
            let before = link.sample();
            let loads = origin_loads(link.addr).await;
            let fallbacks_before = fallbacks(link.addr).await;
            let tally = ClickTally::start(link.addr).await;
            let stats = closed_loop(
                link.addr,
                &plan,
                ctx.connections,
                Duration::from_secs(1),
                ctx.measure,
            )
            .await;
            let clicks = tally.finish().await;
            let mut r = row(
                "hot",
                "hoplink",
                &label,
                &stats,
                before,
                link.sample(),
                click_ok,
            );
            r.origin_loads = Some(origin_loads(link.addr).await - loads);
            let fallbacks = fallbacks(link.addr).await - fallbacks_before;
            if fallbacks > 0.0 {
                r.notes =
                    format!("{fallbacks:.0} answered with the app fallback (origin saturated)");
            }
            if let Some(base) = throughput_1k {
                let rel = stats.throughput() / base;
                let sep = if r.notes.is_empty() { "" } else { "; " };
                r.notes = format!("{}{sep}{rel:.2}x the 1k-link throughput", r.notes);
                if n == 1_000_000 {
                    ctx.report.goals.push(Goal {
                        goal: "1M links >= 0.8x the 1k-link throughput".into(),
                        measured: format!(
                            "{rel:.2}x ({:.0} vs {base:.0} req/s)",
                            stats.throughput()
                        ),
                        met: rel >= 0.8,
                    });
                }
            }
            let sep = if r.notes.is_empty() { "" } else { "; " };
            r.notes = format!("{}{sep}{clicks}", r.notes);
            if big {
                r.notes.push_str(BIG_CACHE_NOTE);
            }
            ctx.push_row(r);
        }
        link.stop().await?;
    }
    Ok(())
}

const BIG_CACHE_ENV: &[(&str, &str)] = &[
    ("HOPLINK_CACHE_MAX_BYTES", "2147483648"),
    ("HOPLINK_CACHE_TTL_SECS", "600"),
];
const BIG_CACHE_NOTE: &str =
    "; cache 2 GiB and TTL 600 s (every link swept into the cache before measuring)";

/// Clicks answered with the app's fallback because the origin was saturated, so far.
async fn fallbacks(addr: std::net::SocketAddr) -> f64 {
    metric(
        addr,
        "hoplink_link_requests_total",
        &[r#"outcome="fallback_unavailable""#],
    )
    .await
}

/// `1`, `1k`, `100k`, `1M`: a link count as the report shows it.
fn count(n: u64) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

/// Loads every link once (a sequential sweep) and divides the RSS growth by the number
/// of cached links.
async fn memory_per_link(
    ctx: &mut Ctx,
    link: &crate::stack::process::ServerProcess,
    n: u64,
) -> anyhow::Result<()> {
    let entries =
        |addr| async move { metric(addr, "hoplink_cache_entries", &[r#"cache="link""#]).await };
    let weighted = |addr| async move {
        metric(addr, "hoplink_cache_weighted_bytes", &[r#"cache="link""#]).await
    };
    // The gauge is refreshed every 10 s by the service.
    tokio::time::sleep(Duration::from_secs(11)).await;
    let entries_before = entries(link.addr).await;
    let weighted_before = weighted(link.addr).await;
    let rss_before = link.sample().rss_bytes;
    let sweep = Plan::new(
        (0..n)
            .map(|rank| {
                Planned::get(
                    crate::stack::db::HOST,
                    &format!("/{}", crate::workload::code(rank)),
                )
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
    )?;
    // Fewer connections than the shard's origin-load slots (32 by default): a sweep of
    // misses beyond them would be answered with the fallback (fail fast), not cached.
    let connections = ctx.connections.min(16);
    let per_conn = (n as usize).div_ceil(connections);
    let started = std::time::Instant::now();
    crate::load::burst(link.addr, &sweep, connections, per_conn).await;
    let sweep_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(11)).await;
    let entries_after = entries(link.addr).await;
    let weighted_after = weighted(link.addr).await;
    let rss_after = link.sample().rss_bytes;
    let added = (entries_after - entries_before).max(1.0);
    let per_link = (rss_after.saturating_sub(rss_before)) as f64 / added;
    // What the cache's weigher charges per link: its capacity is set in these bytes, so
    // it should be close to the RSS actually spent.
    let weighed_per_link = (weighted_after - weighted_before) / added;
    eprintln!(
        "  memory: {added:.0} links cached by the sweep ({sweep_secs:.0} s), RSS {:.0} -> {:.0} MiB, {per_link:.0} bytes per cached link (the weigher charges {weighed_per_link:.0})",
        rss_before as f64 / 1048576.0,
        rss_after as f64 / 1048576.0
    );
    ctx.report.goals.push(Goal {
        goal: "<= 1 KiB RSS per cached link".into(),
        measured: format!(
            "{per_link:.0} B/link ({added:.0} links cached, RSS {:.0} -> {:.0} MiB; weigher charges {weighed_per_link:.0} B/link)",
            rss_before as f64 / 1048576.0,
            rss_after as f64 / 1048576.0
        ),
        met: per_link <= 1024.0,
    });
    Ok(())
}

/// The same request sequence pointed at nginx (same paths and User-Agents).
pub fn nginx_plan(plan: &Plan) -> anyhow::Result<Plan> {
    let requests = (0..plan.len())
        .map(|i| {
            let mut p = plan.at(i).clone();
            p.host = http::HeaderValue::from_static("nginx.bench");
            p
        })
        .collect();
    Plan::new(requests)
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}
