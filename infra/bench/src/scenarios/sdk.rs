//! SDK load: `/v1/install` and `/v1/open` from devices whose clicks are waiting to be
//! matched (probabilistic attribution: the fingerprint of IP + OS), and `/v1/url` link
//! creation. Goal: `/v1/open` with attribution >= 10k/s.

use std::net::Ipv4Addr;
use std::time::Duration;

use chrono::Utc;
use link_core::client::OsFamily;
use link_core::fingerprint::{FingerprintKey, fingerprint};
use serde_json::json;

use crate::load::{Plan, Planned, closed_loop};
use crate::report::Goal;
use crate::stack::process::ServerProcess;

use super::{Ctx, FINGERPRINT_KEY, row};

/// The address of simulated device `i` (10.x.y.z).
fn device_ip(i: u32) -> Ipv4Addr {
    Ipv4Addr::from(0x0a00_0000 | (i & 0x00ff_ffff))
}

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    eprintln!("== sdk: /v1/open and /v1/install with waiting clicks, /v1/url creation");
    let devices: u32 = if ctx.quick { 2_000 } else { 200_000 };
    ctx.db.ensure_links(1_000, 0).await?;
    seed_clicks(ctx, devices).await?;
    let mut env = ctx.link_env(&[]);
    env.push(("HOPLINK_SDK_RATE_PER_SEC".into(), "10000000".into()));
    env.push(("HOPLINK_SDK_BURST".into(), "10000000".into()));
    let api = ServerProcess::start("api", "serve-api", "HOPLINK_API_ADDR", &env, "/readyz").await?;

    for (label, path) in [
        ("/v1/open, probabilistic match", "/v1/open"),
        ("/v1/install, probabilistic match", "/v1/install"),
    ] {
        let offset = if path == "/v1/open" { 0 } else { devices / 2 };
        let plan = Plan::new(
            (0..devices / 2)
                .map(|i| {
                    let device = offset + i;
                    Planned::post_json(
                        "api.bench",
                        path,
                        &json!({
                            "branch_key": ctx.db.sdk_key, "os": "iOS", "os_version": "17.4",
                            "model": "iPhone15,2", "hardware_id": format!("bench-device-{device}"),
                            "is_hardware_id_real": false, "sdk": "ios3.0.0"
                        }),
                    )?
                    .header(
                        http::header::HeaderName::from_static("x-forwarded-for"),
                        &device_ip(device).to_string(),
                    )
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
        )?;
        let pool = ctx.db.shard_pool()?;
        let matched_before: i64 =
            sqlx::query_scalar("SELECT count(*) FROM clicks WHERE matched_at IS NOT NULL")
                .fetch_one(&pool)
                .await?;
        let before = api.sample();
        let stats = closed_loop(
            api.addr,
            &plan,
            ctx.connections,
            Duration::from_millis(500),
            ctx.measure,
        )
        .await;
        let matched: i64 =
            sqlx::query_scalar("SELECT count(*) FROM clicks WHERE matched_at IS NOT NULL")
                .fetch_one(&pool)
                .await?;
        let mut r = row("sdk", "hoplink", label, &stats, before, api.sample(), |s| {
            s == 200
        });
        r.notes = format!("{} clicks matched during the run", matched - matched_before);
        if path == "/v1/open" {
            ctx.report.goals.push(Goal {
                goal: "/v1/open with attribution >= 10k/s".into(),
                measured: format!(
                    "{:.0} req/s, p99 {:.1} ms",
                    stats.throughput(),
                    r.summary.p99_ms
                ),
                met: stats.throughput() >= 10_000.0,
            });
        }
        ctx.push_row(r);
    }

    let plan = Plan::new(
        (0..10_000)
            .map(|i| {
                Planned::post_json(
                    "api.bench",
                    "/v1/url",
                    &json!({
                        "branch_key": ctx.db.sdk_key, "channel": "share", "feature": "invite",
                        "data": { "$deeplink_path": format!("invite/{i}"), "inviter": i, "$og_title": "Join me" }
                    }),
                )
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
    )?;
    let before = api.sample();
    let stats = closed_loop(
        api.addr,
        &plan,
        ctx.connections.min(32),
        Duration::from_millis(500),
        ctx.measure,
    )
    .await;
    let r = row(
        "sdk",
        "hoplink",
        "/v1/url link creation",
        &stats,
        before,
        api.sample(),
        |s| s == 200,
    );
    ctx.push_row(r);
    api.stop().await?;
    Ok(())
}

/// One unmatched iPhone click per device, made a minute ago, written straight to the
/// shard (the click path's own cost is measured by the hot scenario).
async fn seed_clicks(ctx: &Ctx, devices: u32) -> anyhow::Result<()> {
    let key = FingerprintKey::new(FINGERPRINT_KEY.as_bytes());
    let pool = ctx.db.shard_pool()?;
    let link_ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM links WHERE app_id = $1 ORDER BY id LIMIT 1000")
            .bind(ctx.db.app_id.get())
            .fetch_all(&pool)
            .await?;
    anyhow::ensure!(!link_ids.is_empty(), "no bench links");
    let at = Utc::now() - chrono::Duration::seconds(60);
    // 200k rows into an indexed table, after the hot runs have filled it with clicks, can
    // outlast the pool's statement timeout on a busy machine; lift it here only.
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL statement_timeout = 0")
        .execute(&mut *tx)
        .await?;
    for chunk_start in (0..devices).step_by(20_000) {
        let chunk_end = (chunk_start + 20_000).min(devices);
        let mut ids = Vec::new();
        let mut links = Vec::new();
        let mut fps = Vec::new();
        for i in chunk_start..chunk_end {
            ids.push(uuid_v7_like(i));
            links.push(link_ids[i as usize % link_ids.len()]);
            fps.push(fingerprint(&key, ctx.db.app_id, device_ip(i).into(), OsFamily::Ios).to_vec());
        }
        sqlx::query(
            "INSERT INTO clicks (id, app_id, link_id, occurred_at, platform, os, os_version, browser, is_bot, fingerprint) \
             SELECT id, $1, link, $2, 'ios', 'ios', '17.4', 'safari', false, fp \
             FROM UNNEST($3::uuid[], $4::bigint[], $5::bytea[]) AS t(id, link, fp)",
        )
        .bind(ctx.db.app_id.get())
        .bind(at)
        .bind(&ids)
        .bind(&links)
        .bind(&fps)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("ANALYZE clicks").execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

fn uuid_v7_like(i: u32) -> uuid::Uuid {
    uuid::Uuid::from_u128(uuid::Uuid::now_v7().as_u128().wrapping_add(u128::from(i)))
}
