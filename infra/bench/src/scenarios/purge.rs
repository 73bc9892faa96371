//! Purge under load: while the 100k-link hot scenario runs, purge the tag that the 10k
//! most popular links carry, and see what the click path pays for it.

use std::time::Duration;

use crate::load::closed_loop;

use super::{Ctx, click_ok, origin_loads, row};

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    eprintln!("== purge under load: tag of 10k hot links purged mid-run");
    let links: u64 = if ctx.quick { 2_000 } else { 100_000 };
    let tagged: u64 = if ctx.quick { 1_000 } else { 10_000 };
    ctx.db.ensure_links(links, tagged).await?;
    let plan = ctx.click_plan(links, 200_000, ctx.seed ^ 0x5eed)?;
    let link = ctx.start_link_service("link-purge", &[]).await?;
    closed_loop(
        link.addr,
        &plan,
        ctx.connections,
        Duration::ZERO,
        ctx.warmup,
    )
    .await;

    let pool = ctx.db.shard_pool()?;
    let app = ctx.db.app_id.get();
    let half = ctx.measure / 2;
    let purge = tokio::spawn(async move {
        tokio::time::sleep(half).await;
        sqlx::query("SELECT pg_notify('hoplink_links', 'tag ' || $1 || ' hot-tag')")
            .bind(app)
            .execute(&pool)
            .await
            .map(|_| ())
    });
    let loads = origin_loads(link.addr).await;
    let before = link.sample();
    let stats = closed_loop(
        link.addr,
        &plan,
        ctx.connections,
        Duration::ZERO,
        ctx.measure,
    )
    .await;
    purge.await??;
    let mut r = row(
        "purge",
        "hoplink",
        &format!(
            "{}k links, tag on {}k purged at t={:.0}s",
            links / 1000,
            tagged / 1000,
            half.as_secs_f64()
        ),
        &stats,
        before,
        link.sample(),
        click_ok,
    );
    r.origin_loads = Some(origin_loads(link.addr).await - loads);
    ctx.push_row(r);
    link.stop().await?;
    Ok(())
}
