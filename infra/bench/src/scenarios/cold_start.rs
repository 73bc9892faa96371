//! Cold start: a freshly started link service (empty in-process cache) joins under load
//! and serves 100k distinct links, first with Postgres only, then with the Aerospike hot
//! tier when a server is reachable. Reports time to the first 100k answers, throughput
//! and p99 during warm-up.

use std::time::Duration;

use crate::load::{Plan, Planned, burst};
use crate::stack::db::HOST;
use crate::workload;

use super::{Ctx, click_ok, origin_loads, row};

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    eprintln!("== cold start: fresh instance, 100k distinct links");
    let links: u64 = if ctx.quick { 2_000 } else { 100_000 };
    ctx.db.ensure_links(links, 0).await?;
    let plan = Plan::new(
        (0..links)
            .map(|rank| {
                Planned::get(HOST, &format!("/{}", workload::code(rank)))?
                    .header(http::header::USER_AGENT, ctx.uas.get(rank as usize))
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
    )?;
    let per_conn = (links as usize).div_ceil(ctx.connections);

    let mut variants: Vec<(&str, Vec<(&str, String)>)> = vec![("postgres only", Vec::new())];
    match &ctx.aerospike {
        Some(hosts) => {
            // A first instance reads every link once, which repairs them into Aerospike.
            // Sets of this run only: ids restart at 1 in every run's fresh databases, and a
            // previous run's records must not answer for this run's links.
            let prefix = format!("bench{}_", chrono::Utc::now().timestamp() % 10_000_000);
            let env = [
                ("HOPLINK_AEROSPIKE_HOSTS", hosts.as_str()),
                ("HOPLINK_AEROSPIKE_SET_PREFIX", prefix.as_str()),
            ];
            // In production the API writes every link through; here the links were seeded
            // in SQL, so a warmer reads each once at a pace its background repairs keep up
            // with (a burst of misses drops repairs beyond the in-flight bound).
            let warm = ctx.start_link_service("link-warmer", &env).await?;
            let warm_connections = ctx.connections.min(8);
            burst(
                warm.addr,
                &plan,
                warm_connections,
                (links as usize).div_ceil(warm_connections),
            )
            .await;
            tokio::time::sleep(Duration::from_secs(1)).await;
            warm.stop().await?;
            // The measured instance reads the sets the warmer filled.
            variants.push((
                "aerospike hot tier",
                env.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
            ));
        }
        None => eprintln!(
            "  SKIPPED: cold start with Aerospike: no Aerospike server (set HOPLINK_AEROSPIKE_HOSTS or HOPLINK_TEST_AEROSPIKE_HOSTS)"
        ),
    }
    for (label, env) in variants {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let link = ctx.start_link_service("link-cold", &env).await?;
        let loads = origin_loads(link.addr).await;
        let before = link.sample();
        let stats = burst(link.addr, &plan, ctx.connections, per_conn).await;
        let mut r = row(
            "cold start",
            "hoplink",
            &format!("{}k distinct links, {label}", links / 1000),
            &stats,
            before,
            link.sample(),
            click_ok,
        );
        r.origin_loads = Some(origin_loads(link.addr).await - loads);
        r.notes = format!(
            "first {}k answers in {:.2} s",
            links / 1000,
            stats.elapsed.as_secs_f64()
        );
        ctx.push_row(r);
        link.stop().await?;
    }
    Ok(())
}
