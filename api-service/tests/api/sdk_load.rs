//! Throughput of the SDK API's hot endpoints, measured with `wrk` against this process's
//! API service (2 workers). Ignored by default; run in release:
//!
//! ```text
//! cargo test --release -p api-service --test api sdk_load -- --ignored --nocapture
//! ```
//!
//! - `/v1/open`, first session, probabilistic match: every request comes from its own
//!   address (`X-Forwarded-For` through a trusted proxy) for which one click was seeded, so
//!   each open runs the real candidate query and claim, then records an open.
//! - `/v1/open` of a known install (organic): no query at all.
//! - `/v1/url`: one fenced link insert per request.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use link_core::client::OsFamily;
use link_core::fingerprint::{FingerprintKey, fingerprint};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{Options, TestApp};
use crate::sdk_support::{code_of, create_url, link_id, scalar};

/// Clicks seeded for the probabilistic run (one per client address).
const SEEDED: u32 = 400_000;
const DURATION: &str = "20s";
const THREADS: &str = "2";
const CONNECTIONS: &str = "32";

fn load_config(config: &mut api_service::ApiServiceConfig) {
    config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    config.sdk_rate_per_sec = 10_000_000;
    config.sdk_burst = 10_000_000;
    config.events = link_store::events::EventsConfig::default();
}

/// The address of client `i` (1-based), as the wrk script computes it.
fn address(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        10,
        ((i >> 16) & 0xff) as u8,
        ((i >> 8) & 0xff) as u8,
        (i & 0xff) as u8,
    ))
}

const OPEN_SCRIPT: &str = r#"
local tid = 0
local threads = {}
function setup(thread)
  tid = tid + 1
  thread:set("id", tid)
  table.insert(threads, thread)
end
function init(args)
  counter = 0
  nthreads = tonumber(args[1])
  body = args[2]
end
function request()
  counter = counter + 1
  local i = id + (counter - 1) * nthreads
  local ip = string.format("10.%d.%d.%d", math.floor(i / 65536) % 256, math.floor(i / 256) % 256, i % 256)
  return wrk.format("POST", "/v1/open", {["Content-Type"] = "application/json", ["X-Forwarded-For"] = ip}, body)
end
"#;

const POST_SCRIPT: &str = r#"
function init(args)
  path = args[1]
  body = args[2]
end
function request()
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end
"#;

async fn wrk(t: &TestApp, script: &str, args: &[&str]) -> String {
    let path = std::env::temp_dir().join(format!("hoplink-sdk-load-{}.lua", Uuid::new_v4()));
    std::fs::write(&path, script).unwrap();
    let mut command = tokio::process::Command::new("wrk");
    command
        .args([
            "-t",
            THREADS,
            "-c",
            CONNECTIONS,
            "-d",
            DURATION,
            "--latency",
            "-s",
        ])
        .arg(&path)
        .arg(&t.api)
        .arg("--")
        .args(args);
    let output = command.output().await.expect("wrk must be installed");
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    format!(
        "$ wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION} --latency -s <script> {} -- {}\n{text}",
        t.api,
        args.join(" ")
    )
}

/// Seeds one unclaimed iPhone click per client address for `link`.
async fn seed_clicks(t: &TestApp, link: i64) {
    let app = t.acme.app_id;
    let key = FingerprintKey::new(api_service::config::DEFAULT_FINGERPRINT_KEY.as_bytes());
    let pool = t.shard_pool(app);
    let mut i = 1;
    while i <= SEEDED {
        let end = (i + 20_000).min(SEEDED + 1);
        let ids: Vec<Uuid> = (i..end).map(|_| Uuid::now_v7()).collect();
        let browsers: Vec<Uuid> = (i..end).map(|_| Uuid::new_v4()).collect();
        let fingerprints: Vec<Vec<u8>> = (i..end)
            .map(|n| fingerprint(&key, app, address(n), OsFamily::Ios).to_vec())
            .collect();
        sqlx::query(
            "INSERT INTO clicks (id, app_id, link_id, occurred_at, platform, os, os_version, \
             browser, is_bot, fingerprint, browser_id) \
             SELECT id, $2, $3, now(), 'ios', 'ios', '17.4', 'safari', false, fp, b \
             FROM UNNEST($1::uuid[], $4::bytea[], $5::uuid[]) AS u (id, fp, b)",
        )
        .bind(&ids)
        .bind(app.get())
        .bind(link)
        .bind(&fingerprints)
        .bind(&browsers)
        .execute(&pool)
        .await
        .unwrap();
        i = end;
    }
    sqlx::query("ANALYZE clicks").execute(&pool).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a load measurement: run in release with --ignored --nocapture (needs wrk)"]
async fn open_with_probabilistic_match_and_url_creation_throughput() {
    let t = TestApp::spawn_with(Options {
        configure: Some(load_config),
        ..Options::default()
    })
    .await;
    let app = t.acme.app_id;
    let url = create_url(
        &t,
        &t.acme.sdk_key,
        json!({"channel": "load", "data": {"k": "v"}}),
    )
    .await;
    let link = link_id(&t, app, code_of(&url)).await;
    seed_clicks(&t, link).await;

    let open = json!({"branch_key": t.acme.sdk_key, "os": "iOS", "os_version": "17.4",
                      "model": "iPhone15,2", "app_version": "1.0", "sdk": "ios3.4.0"})
    .to_string();
    println!("{}", wrk(&t, OPEN_SCRIPT, &[THREADS, &open]).await);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let claimed = scalar(
        &t,
        app,
        "SELECT count(*) FROM clicks WHERE app_id = $1 AND matched_at IS NOT NULL",
    )
    .await;
    let recorded = scalar(
        &t,
        app,
        "SELECT count(*) FROM opens WHERE app_id = $1 AND match_type = 'probabilistic'",
    )
    .await;
    let marked = scalar(
        &t,
        app,
        "SELECT count(*) FROM browser_apps WHERE app_id = $1",
    )
    .await;
    println!(
        "claimed clicks: {claimed}, probabilistic opens recorded: {recorded}, browsers marked: {marked}"
    );
    assert!(
        claimed > 0 && claimed == recorded,
        "{claimed} claims, {recorded} opens"
    );

    let known = json!({"branch_key": t.acme.sdk_key, "os": "iOS", "os_version": "17.4",
                       "randomized_bundle_token": "4611686018427387904",
                       "randomized_device_token": "4611686018427387905"})
    .to_string();
    println!("{}", wrk(&t, POST_SCRIPT, &["/v1/open", &known]).await);

    let links_before = t.count(app, "links").await;
    let create = json!({"branch_key": t.acme.sdk_key, "channel": "load", "campaign": "bench",
                        "data": {"$deeplink_path": "product/7", "k": "v"}})
    .to_string();
    println!("{}", wrk(&t, POST_SCRIPT, &["/v1/url", &create]).await);
    println!(
        "links created: {}",
        t.count(app, "links").await - links_before
    );
}
