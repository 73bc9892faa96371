//! Flash crowd: 2,000 connections hit a link created a moment ago (nothing cached), then
//! again right after its tag is purged. Goal: exactly one origin load per key per purge,
//! zero errors, p99 under 25 ms. nginx takes the same crowd first: the time 2,000
//! simultaneous requests need on this machine even when nothing is loaded.

use std::time::Duration;

use crate::load::{Plan, Planned, burst};
use crate::report::Goal;
use crate::stack::db::HOST;
use crate::stack::nginx::Nginx;

use super::{Ctx, click_ok, origin_loads, row};

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    eprintln!("== flash crowd: a cold link, then the same link right after a tag purge");
    let connections = if ctx.quick { 200 } else { 2_000 };
    let link = ctx.start_link_service("link-flash", &[]).await?;
    // Warm the app config and the classifier memo with unrelated traffic first: a real
    // instance has served other links before the push goes out.
    ctx.db.ensure_links(1_000, 0).await?;
    let warm = ctx.click_plan(1_000, 20_000, ctx.seed)?;
    crate::load::closed_loop(link.addr, &warm, 32, Duration::ZERO, Duration::from_secs(2)).await;

    let code = format!("flash-{}", ctx.seed);
    let pool = ctx.db.shard_pool()?;
    sqlx::query(
        "INSERT INTO links (app_id, code, is_alias, data, tags) VALUES ($1, $2, true, \
         '{\"$deeplink_path\": \"live/final\", \"$desktop_url\": \"https://example.com/live\"}', ARRAY['match-42']) \
         ON CONFLICT (app_id, code) DO NOTHING",
    )
    .bind(ctx.db.app_id.get())
    .bind(&code)
    .execute(&pool)
    .await?;
    // Let the insert's notification land before the crowd (it would drop a negative entry).
    tokio::time::sleep(Duration::from_millis(200)).await;

    let plan = Plan::new(
        (0..connections)
            .map(|i| {
                Planned::get(HOST, &format!("/{code}"))?
                    .header(http::header::USER_AGENT, ctx.uas.get(i))
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
    )?;
    let nginx = Nginx::start(2).await?;
    let before = nginx.sample();
    let stats = burst(nginx.addr, &super::hot::nginx_plan(&plan)?, connections, 1).await;
    let mut r = row(
        "flash",
        "nginx",
        &format!("{connections} conns, static 302"),
        &stats,
        before,
        nginx.sample(),
        |s| s == 302,
    );
    let nginx_p99 = r.summary.p99_ms;
    r.notes = format!("{} s for the crowd (yardstick)", format_secs(stats.elapsed));
    ctx.push_row(r);
    nginx.stop().await;

    let mut all_met = true;
    for phase in ["cold link", "after tag purge"] {
        if phase == "after tag purge" {
            sqlx::query("SELECT pg_notify('hoplink_links', 'tag ' || $1 || ' match-42')")
                .bind(ctx.db.app_id.get())
                .execute(&pool)
                .await?;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let loads_before = origin_loads(link.addr).await;
        let before = link.sample();
        let stats = burst(link.addr, &plan, connections, 1).await;
        let loads = origin_loads(link.addr).await - loads_before;
        let mut r = row(
            "flash",
            "hoplink",
            &format!("{connections} conns, {phase}"),
            &stats,
            before,
            link.sample(),
            click_ok,
        );
        r.origin_loads = Some(loads);
        let met = loads == 1.0 && r.errors == 0 && r.summary.p99_ms < 25.0;
        all_met &= met;
        r.notes = format!("{} s for the crowd", format_secs(stats.elapsed));
        ctx.report.goals.push(Goal {
            goal: format!("flash crowd ({phase}): 1 origin load, 0 errors, p99 < 25 ms"),
            measured: format!(
                "{loads:.0} origin loads, {} errors, p99 {:.1} ms (nginx, same crowd: {nginx_p99:.1} ms)",
                r.errors, r.summary.p99_ms
            ),
            met,
        });
        ctx.push_row(r);
    }
    let _ = all_met;
    link.stop().await?;
    Ok(())
}

fn format_secs(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}
