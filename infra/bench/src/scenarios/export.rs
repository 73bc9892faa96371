//! The event stream export's cost on the click path's machine: the wrk scenario's one
//! cached link and User-Agent mix against three link services, interleaved: no export,
//! export with 100 records per message (the default), and one record per message. A
//! private `nats-server -js` runs on the same cores, and its CPU per click is in each
//! row's notes, with what was published. Skipped loudly without `wrk` or `nats-server`.

use link_store::export::testing::TestNats;

use crate::stack::process::{ServerProcess, metric, sample_tree};

use super::wrk::{clicks_row, find_wrk, mean, write_script, wrk_once};
use super::{Ctx, RECORDER_DRAIN};
use crate::workload;

/// How the three services are set up.
const VARIANTS: [(&str, Option<&str>); 3] = [
    ("no export", None),
    ("export, 100 a message", Some("100")),
    ("export, 1 a message", Some("1")),
];

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    eprintln!("== export: one cached link under wrk, with and without the event stream export");
    let Some(wrk) = find_wrk() else {
        eprintln!("SKIPPED: wrk is not installed (apt install wrk) [export]");
        return Ok(());
    };
    let Some(nats) = TestNats::start("bench export").await else {
        return Ok(());
    };
    ctx.db.ensure_links(1, 1).await?;
    let dir = std::env::temp_dir().join(format!("hoplink-bench-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let script = write_script(
        ctx,
        &dir,
        "clicks.lua",
        &format!("/{}", workload::code(0)),
        None,
    )?;

    let url = nats.url();
    let mut services: Vec<ServerProcess> = Vec::new();
    for (i, (_, per_message)) in VARIANTS.iter().enumerate() {
        let mut env = Vec::new();
        if let Some(per_message) = per_message {
            env.push(("HOPLINK_EXPORT_NATS_URL", url.as_str()));
            env.push(("HOPLINK_EXPORT_EVENTS_PER_MESSAGE", *per_message));
        }
        services.push(
            ctx.start_link_service(&format!("link-export-{i}"), &env)
                .await?,
        );
    }
    for service in &services {
        wrk_once(&wrk, &script, service.addr, ctx.connections, ctx.warmup).await?;
    }
    tokio::time::sleep(RECORDER_DRAIN).await;

    let label = format!("1 link, wrk -t2 -c{}", ctx.connections);
    let rounds = if ctx.quick { 1 } else { 2 };
    let mut throughput = vec![Vec::new(); VARIANTS.len()];
    for round in 0..rounds {
        for (i, (name, per_message)) in VARIANTS.iter().enumerate() {
            let service = &services[i];
            let nats_before = sample_tree(nats.pid()).cpu_secs;
            let published_before = published(service).await;
            let run = wrk_once(&wrk, &script, service.addr, ctx.connections, ctx.measure);
            let mut row = clicks_row(service, run, &format!("{label}, {name} (R{round})")).await?;
            row.scenario = "export".into();
            if per_message.is_some() {
                // The recorder's drain (in clicks_row) gives the exporter time to publish.
                let nats_us = (sample_tree(nats.pid()).cpu_secs - nats_before) * 1e6
                    / row.summary.requests.max(1) as f64;
                let published = published(service).await - published_before;
                row.notes = format!(
                    "{}; published {published:.0}; nats-server {nats_us:.1} µs/click",
                    row.notes
                );
            }
            throughput[i].push(row.summary.throughput);
            ctx.push_row(row);
        }
    }
    for service in services {
        service.stop().await?;
    }
    drop(nats);
    let _ = std::fs::remove_dir_all(&dir);

    let base = mean(&throughput[0]);
    for r in ctx
        .report
        .rows
        .iter_mut()
        .filter(|r| r.scenario == "export")
    {
        r.notes = format!("{}; {:.2}x no export", r.notes, r.summary.throughput / base);
    }
    Ok(())
}

async fn published(service: &ServerProcess) -> f64 {
    metric(
        service.addr,
        "hoplink_export_published_total",
        &[r#"kind="click""#],
    )
    .await
}
