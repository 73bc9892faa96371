//! The hot tier going away and coming back, on an Aerospike server of the test's own (so
//! it can be killed without disturbing the shared one): Postgres answers meanwhile, no
//! look-up fails or waits, and the hot tier is used again once it answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use link_core::AppId;
use link_store::hot::{BreakerState, HotTier, HotTierConfig, WriteOutcome};

use crate::helpers::{TestStore, eventually};
use crate::hot_support::{LocalAerospike, fresh_app_ids, hot_config, new_link};

/// Budgets for a debug build on a busy machine, and a short cool-down so recovery shows
/// quickly.
fn outage_config(hosts: &str) -> HotTierConfig {
    HotTierConfig {
        aerospike_read_timeout_ms: 20,
        aerospike_write_timeout_ms: 200,
        aerospike_breaker_failures: 3,
        aerospike_breaker_cooldown_ms: 200,
        ..hot_config(hosts)
    }
}

fn hits(t: &TestStore) -> f64 {
    t.metric(
        "hoplink_hot_requests_total",
        &[("set", "links"), ("op", "read"), ("outcome", "hit")],
    )
}

#[tokio::test]
async fn a_hot_tier_that_is_down_at_start_is_bypassed_until_it_comes_up() {
    let Some(mut server) =
        LocalAerospike::prepare("a_hot_tier_that_is_down_at_start_is_bypassed_until_it_comes_up")
    else {
        return;
    };
    let t = TestStore::with_shards(1).await;
    fresh_app_ids(&t).await;
    let app = t.create_app("late", "s1").await;
    let link = new_link(&t, app, "early").await;
    let resolved = t.router.app(app).unwrap();

    let started = Instant::now();
    let tier = HotTier::start(
        &outage_config(&server.hosts()),
        t.router.clone(),
        &t.registry,
    )
    .unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "startup waited for Aerospike"
    );
    let client = tier.client.clone().unwrap();
    assert!(!client.is_connected());

    // Degraded: Postgres answers, writes are skipped without an error.
    let loaded = tier
        .origin
        .load_link(&resolved.shard, app, "early")
        .await
        .unwrap();
    assert_eq!(loaded.as_ref(), Some(&link));
    assert_eq!(
        tier.write_through.put_link(&link).await,
        WriteOutcome::Failed
    );
    assert!(!tier.browsers.is_installed(app, uuid::Uuid::new_v4()).await);
    assert_eq!(t.metric("hoplink_hot_connected", &[]), 0.0);
    assert!(t.metric("hoplink_hot_fallbacks_total", &[("what", "link")]) >= 1.0);

    server.start().await;
    assert!(
        client.wait_connected(Duration::from_secs(20)).await,
        "never connected"
    );
    assert_eq!(t.metric("hoplink_hot_connected", &[]), 1.0);
    let served = eventually(Duration::from_secs(10), || async {
        let _ = tier.origin.load_link(&resolved.shard, app, "early").await;
        hits(&t) >= 1.0
    })
    .await;
    assert!(served, "the hot tier is not used after it came up");
}

#[tokio::test]
async fn a_hot_tier_killed_mid_load_fails_no_lookup_and_recovers_after_a_restart() {
    let Some(mut server) = LocalAerospike::prepare(
        "a_hot_tier_killed_mid_load_fails_no_lookup_and_recovers_after_a_restart",
    ) else {
        return;
    };
    server.start().await;
    let t = TestStore::with_shards(1).await;
    fresh_app_ids(&t).await;
    let app = t.create_app("crash", "s1").await;
    let tier = HotTier::start(
        &outage_config(&server.hosts()),
        t.router.clone(),
        &t.registry,
    )
    .unwrap();
    let client = tier.client.clone().unwrap();
    assert!(client.wait_connected(Duration::from_secs(10)).await);
    let mut codes = Vec::new();
    for i in 0..50 {
        let link = new_link(&t, app, &format!("l{i}")).await;
        assert_eq!(
            tier.write_through.put_link(&link).await,
            WriteOutcome::Written
        );
        codes.push(link.code.as_str().to_owned());
    }

    // Four workers look links up at the origin (what every cache miss does) until told to
    // stop; each look-up must find its link.
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicU64::new(0));
    let codes = Arc::new(codes);
    let mut workers = Vec::new();
    for w in 0..4 {
        let (tier, stop, failures, codes) =
            (tier.clone(), stop.clone(), failures.clone(), codes.clone());
        let shard = t.router.app(app).unwrap().shard;
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = w;
            while !stop.load(Ordering::Relaxed) {
                let code = &codes[i % codes.len()];
                let started = Instant::now();
                match tier
                    .origin
                    .load_link(&shard, AppId::new(app.get()).unwrap(), code)
                    .await
                {
                    Ok(Some(link)) if link.code.as_str() == code => {}
                    _ => {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
                latencies.push(started.elapsed());
                i += 4;
                tokio::task::yield_now().await;
            }
            latencies
        }));
    }

    tokio::time::sleep(Duration::from_millis(700)).await;
    let hits_before = hits(&t);
    assert!(hits_before > 0.0, "the load is not served by Aerospike");
    server.kill().await;
    let opened = eventually(Duration::from_secs(5), || async {
        client.breaker_state() != BreakerState::Closed
    })
    .await;
    assert!(opened, "the breaker never opened");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let fallbacks_during = t.metric("hoplink_hot_fallbacks_total", &[("what", "link")]);
    assert!(fallbacks_during > 0.0);
    assert!(
        t.metric(
            "hoplink_hot_requests_total",
            &[("set", "links"), ("outcome", "skipped_open")]
        ) > 0.0,
        "the open breaker did not skip Aerospike"
    );

    server.start().await;
    let restarted_at = hits(&t);
    let recovered = eventually(Duration::from_secs(20), || async {
        client.breaker_state() == BreakerState::Closed && hits(&t) > restarted_at + 20.0
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.unwrap());
    }
    latencies.sort();
    let p99 = latencies[latencies.len() * 99 / 100];
    let max = latencies[latencies.len() - 1];
    eprintln!(
        "hot outage: {} look-ups, p99 {p99:?}, max {max:?}, {} fallbacks",
        latencies.len(),
        t.metric("hoplink_hot_fallbacks_total", &[("what", "link")])
    );
    assert!(
        recovered,
        "the hot tier was not used again after the restart"
    );
    assert_eq!(failures.load(Ordering::Relaxed), 0, "look-ups failed");
    assert!(
        p99 < Duration::from_millis(100),
        "look-ups waited: p99 {p99:?}"
    );
    assert_eq!(t.metric("hoplink_hot_breaker_state", &[]), 0.0);
    assert!(t.metric("hoplink_hot_breaker_transitions_total", &[("to", "open")]) >= 1.0);
}
