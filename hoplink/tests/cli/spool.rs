//! `hoplink spool status` and `hoplink spool drain` on the spool a stopped pipeline left
//! while its shard was down.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use link_core::client::{Browser, OsFamily, Platform};
use link_core::{AppId, ClickId};
use link_store::events::{ClickEvent, ClickRecorder, EventsConfig, start_click_pipeline};
use serde_json::Value;
use shard_router::testing::{ChaosProxy, TestDatabases, server_addr};
use shard_router::{RouterConfig, ShardRouter};

use crate::helpers::{hoplink, json_lines, stderr};

const CLICKS: usize = 250;

/// A catalog whose one shard is behind a proxy the test can cut, and an app on it.
async fn app_behind_a_proxy() -> (TestDatabases, ChaosProxy, AppId) {
    let dbs = TestDatabases::create(1).await;
    let out = hoplink(&dbs.catalog_url, &["migrate"]).await;
    assert!(out.status.success(), "migrate: {}", stderr(&out));
    let proxy = ChaosProxy::start(server_addr(&dbs.shard_urls[0])).await;
    let url = proxy.proxied_url(&dbs.shard_urls[0]);
    let out = hoplink(&dbs.catalog_url, &["shards", "add", "s1", &url]).await;
    assert!(out.status.success(), "shards add: {}", stderr(&out));
    let out = hoplink(
        &dbs.catalog_url,
        &["apps", "create", "Acme", "--domain", "go.acme.app"],
    )
    .await;
    assert!(out.status.success(), "apps create: {}", stderr(&out));
    let app = AppId::new(json_lines(&out)[0]["app_id"].as_i64().unwrap()).unwrap();
    (dbs, proxy, app)
}

fn click(app: AppId) -> ClickEvent {
    ClickEvent {
        click_id: ClickId::generate(),
        app_id: app,
        link_id: 1,
        occurred_at: Utc::now(),
        platform: Platform::Ios,
        os: OsFamily::Ios,
        os_version: Some((18, 1)),
        browser: Browser::Safari,
        in_app: None,
        is_bot: false,
        fingerprint: Some([3; 32]),
        browser_id: None,
        country: None,
        counted: true,
        uses_up_link: false,
        query: None,
    }
}

fn spooling(dir: &Path) -> EventsConfig {
    EventsConfig {
        events_max_batch: 10,
        events_max_pending: 50,
        events_flush_interval_ms: 20,
        events_drain_deadline_ms: 300,
        events_spool_dir: Some(dir.to_owned()),
        ..EventsConfig::default()
    }
}

/// The `kind` line of a `spool status` or `spool drain` output.
fn line(out: &std::process::Output, kind: &str) -> Value {
    json_lines(out)
        .into_iter()
        .find(|l| l["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} line in {:?}", json_lines(out)))
}

async fn spool(catalog_url: &str, args: &[&str]) -> std::process::Output {
    let args = [&["spool"], args].concat();
    tokio::time::timeout(Duration::from_secs(90), hoplink(catalog_url, &args))
        .await
        .expect("the spool command ends")
}

#[tokio::test]
async fn drain_writes_a_stopped_services_spool_once_its_shard_takes_writes() {
    let (dbs, proxy, app) = app_behind_a_proxy().await;
    let dir = tempfile::tempdir().unwrap();
    let dir_arg = dir.path().to_str().unwrap();
    let router = ShardRouter::connect(&RouterConfig::new(dbs.catalog_url.as_str()))
        .await
        .unwrap();
    let registry = prometheus::Registry::new();
    let (recorder, batcher): (ClickRecorder, _) =
        start_click_pipeline(router, &spooling(dir.path()), &registry, None).unwrap();
    proxy.cut();
    let recorded: HashSet<uuid::Uuid> = (0..CLICKS)
        .map(|_| {
            let event = click(app);
            let id = event.click_id.as_uuid();
            recorder.record(event);
            id
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // While the service runs on the directory, it is its own.
    let out = spool(&dbs.catalog_url, &["status", "--dir", dir_arg]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(line(&out, "click")["in_use"], true);
    let out = spool(&dbs.catalog_url, &["drain", "--dir", dir_arg]).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("is in use by another process"),
        "{}",
        stderr(&out)
    );

    drop(recorder);
    tokio::time::timeout(Duration::from_secs(10), batcher)
        .await
        .expect("stops at the drain deadline")
        .unwrap();
    let out = spool(&dbs.catalog_url, &["status", "--dir", dir_arg]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let click_line = line(&out, "click");
    assert_eq!(click_line["events"], CLICKS);
    // Every event was bound for s1 when it was spooled: the files wait for that shard only.
    assert_eq!(click_line["by_shard"], serde_json::json!({ "s1": CLICKS }));
    // Files of at most a batch (10).
    let files = click_line["files"].as_u64().unwrap();
    assert!(files >= (CLICKS / 10) as u64, "{click_line}");
    assert_eq!(click_line["in_use"], false);
    assert!(click_line["oldest"].is_string());
    assert_eq!(line(&out, "open")["files"], 0);

    // The shard still down: the drain gives up at its timeout and keeps every event.
    let out = spool(
        &dbs.catalog_url,
        &["drain", "--dir", dir_arg, "--timeout-secs", "2"],
    )
    .await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!("{CLICKS} events in {files} files are still in"))
            && stderr(&out).contains("their shards (s1) did not take writes"),
        "{}",
        stderr(&out)
    );
    let drained = line(&out, "click");
    assert_eq!(
        (drained["written"].as_u64(), drained["events_left"].as_u64()),
        (Some(0), Some(CLICKS as u64))
    );
    assert_eq!(
        drained["events_left_by_shard"],
        serde_json::json!({ "s1": CLICKS })
    );

    proxy.restore();
    let out = spool(&dbs.catalog_url, &["drain", "--dir", dir_arg]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let drained = line(&out, "click");
    assert_eq!(drained["events_before"], CLICKS);
    assert_eq!(drained["written"], CLICKS);
    assert_eq!(drained["files_left"], 0);
    assert_eq!(drained["dropped"], serde_json::json!({}));

    let shard = sqlx::PgPool::connect(&dbs.shard_urls[0]).await.unwrap();
    let stored: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM clicks WHERE app_id = $1")
        .bind(app.get())
        .fetch_all(&shard)
        .await
        .unwrap();
    assert_eq!(stored.len(), CLICKS, "each click once");
    assert_eq!(stored.into_iter().collect::<HashSet<_>>(), recorded);
    let rollup: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(clicks), 0)::int8 FROM link_stats_daily WHERE app_id = $1",
    )
    .bind(app.get())
    .fetch_one(&shard)
    .await
    .unwrap();
    assert_eq!(rollup, CLICKS as i64);
    shard.close().await;

    let out = spool(&dbs.catalog_url, &["status", "--dir", dir_arg]).await;
    assert_eq!(line(&out, "click")["files"], 0);
    // Nothing left: a second drain has nothing to do.
    let out = spool(&dbs.catalog_url, &["drain", "--dir", dir_arg]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(line(&out, "click")["written"], 0);
}

#[tokio::test]
async fn a_missing_spool_directory_is_refused() {
    for command in ["status", "drain"] {
        let out = spool(
            "postgres://unused",
            &[command, "--dir", "/nonexistent/hoplink-spool"],
        )
        .await;
        assert!(!out.status.success(), "{command}");
        assert!(
            stderr(&out).contains("is not a directory"),
            "{command}: {}",
            stderr(&out)
        );
    }
}
