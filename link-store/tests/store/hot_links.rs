//! Links and configs in the hot tier: versioned writes, tombstones, repair, and a second
//! link service that serves from Aerospike alone.

use std::time::Duration;

use aerospike::{Bin, Bins, Value, WritePolicy};
use link_core::AppConfig;
use link_store::hot::{HotOrigin, WriteOutcome};
use shard_router::app_config;

use crate::helpers::{TestStore, eventually};
use crate::hot_support::{
    aerospike_hosts, delete_link, fresh_app_ids, fresh_cache, hot_config, hot_tier, new_link,
    raw_client, raw_key, resolve, update_link,
};

#[tokio::test]
async fn a_second_link_service_serves_a_written_through_link_without_postgres() {
    let Some(hosts) =
        aerospike_hosts("a_second_link_service_serves_a_written_through_link_without_postgres")
    else {
        return;
    };
    let t = TestStore::with_proxied_last_shard(1).await;
    fresh_app_ids(&t).await;
    let app = t.create_app("flash", "s1").await;
    let api = hot_tier(&t, &hot_config(&hosts)).await;
    let link = new_link(&t, app, "push").await;
    assert_eq!(
        api.write_through.put_link(&link).await,
        WriteOutcome::Written
    );
    let stored = app_config::load(t.shard(1), app).await.unwrap().unwrap();
    assert_eq!(
        api.write_through.put_config(app, &stored).await,
        WriteOutcome::Written
    );

    // Another instance starts with an empty cache while the shard is unreachable: every
    // answer it gives can only come from Aerospike.
    t.proxy().cut();
    let registry = prometheus::Registry::new();
    let other =
        link_store::hot::HotTier::start(&hot_config(&hosts), t.router.clone(), &registry).unwrap();
    assert!(
        other
            .client
            .as_ref()
            .unwrap()
            .wait_connected(Duration::from_secs(10))
            .await
    );
    let cache = fresh_cache(other.origin.clone());
    let seen = resolve(&t, &cache, app, "push").await.unwrap().unwrap();
    assert_eq!(*seen, link);
    let route = t.router.app(app).unwrap();
    let config = cache
        .config(&route.route, &route.shard)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(*config, stored);
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .unwrap();
    assert!(
        !text.contains("hoplink_hot_fallbacks_total{"),
        "Postgres was asked:\n{text}"
    );
    assert!(text.contains(r#"hoplink_hot_requests_total{op="read",outcome="hit",set="links"} 1"#));
}

#[tokio::test]
async fn a_late_write_never_replaces_a_newer_copy_or_a_tombstone() {
    let Some(hosts) = aerospike_hosts("a_late_write_never_replaces_a_newer_copy_or_a_tombstone")
    else {
        return;
    };
    let t = TestStore::with_proxied_last_shard(1).await;
    fresh_app_ids(&t).await;
    let app = t.create_app("stale", "s1").await;
    let tier = hot_tier(&t, &hot_config(&hosts)).await;
    let wt = &tier.write_through;

    let v1 = new_link(&t, app, "promo").await;
    let v2 = update_link(&t, 1, &v1, "https://acme.test/v2").await;
    assert_eq!(wt.put_link(&v2).await, WriteOutcome::Written);
    // The write-through of v1, delayed, arrives after v2's.
    assert_eq!(wt.put_link(&v1).await, WriteOutcome::Stale);
    assert_eq!(
        wt.put_link(&v2).await,
        WriteOutcome::Stale,
        "same version: no-op"
    );

    // A delete that bumps the version, then resurrection attempts at every older version.
    let v3 = delete_link(&t, 1, &v2).await;
    assert_eq!(wt.delete_link(&v3).await, WriteOutcome::Written);
    for late in [&v1, &v2] {
        assert_eq!(wt.put_link(late).await, WriteOutcome::Stale);
    }
    // A live copy of the deleted version itself cannot replace the tombstone either.
    let mut undeleted = v3.clone();
    undeleted.deleted_at = None;
    assert_eq!(wt.put_link(&undeleted).await, WriteOutcome::Stale);
    // A delete that did not bump the version still wins over the live copy of it.
    let other = new_link(&t, app, "other").await;
    assert_eq!(wt.put_link(&other).await, WriteOutcome::Written);
    let mut deleted_in_place = other.clone();
    deleted_in_place.deleted_at = Some(chrono::Utc::now());
    assert_eq!(
        wt.delete_link(&deleted_in_place).await,
        WriteOutcome::Written
    );
    assert_eq!(wt.put_link(&other).await, WriteOutcome::Stale);

    // A link re-created under the code (a new row, so a larger id) replaces whatever the
    // old one left, even at a lower version.
    let mut recreated = v1.clone();
    recreated.id = v3.id + 1000;
    assert_eq!(wt.put_link(&recreated).await, WriteOutcome::Written);
    let mut old_row = v3.clone();
    old_row.version += 10;
    assert_eq!(wt.put_link(&old_row).await, WriteOutcome::Stale);
    assert_eq!(wt.put_link(&v3).await, WriteOutcome::Stale);

    // What a link service reads (the shard cut: only Aerospike can answer).
    t.proxy().cut();
    let cache = fresh_cache(tier.origin.clone());
    let seen = resolve(&t, &cache, app, "promo").await.unwrap().unwrap();
    assert_eq!((seen.id, seen.version), (recreated.id, recreated.version));
    let seen = resolve(&t, &cache, app, "other").await.unwrap().unwrap();
    assert!(seen.deleted_at.is_some(), "the tombstone answers 410");

    // Configs: the same rule by version.
    let config = |version, window| app_config::StoredConfig {
        config: AppConfig {
            attribution_window_secs: window,
            ..AppConfig::default()
        },
        version,
    };
    assert_eq!(
        wt.put_config(app, &config(5, 600)).await,
        WriteOutcome::Written
    );
    assert_eq!(
        wt.put_config(app, &config(4, 900)).await,
        WriteOutcome::Stale
    );
    let route = t.router.app(app).unwrap();
    let seen = cache
        .config(&route.route, &route.shard)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(*seen, config(5, 600));
}

#[tokio::test]
async fn a_miss_is_loaded_from_postgres_and_repaired() {
    let Some(hosts) = aerospike_hosts("a_miss_is_loaded_from_postgres_and_repaired") else {
        return;
    };
    let t = TestStore::with_proxied_last_shard(1).await;
    fresh_app_ids(&t).await;
    let app = t.create_app("repair", "s1").await;
    let tier = hot_tier(&t, &hot_config(&hosts)).await;

    // Never written through (created before the hot tier existed, say).
    let link = new_link(&t, app, "old").await;
    // A record this version cannot read (a future format) at the same version.
    let unreadable = new_link(&t, app, "future").await;
    let raw = raw_client(&hosts).await;
    let key = raw_key("links", app, b"future");
    let bins = [
        Bin::new("id", Value::Int(unreadable.id)),
        Bin::new("v", Value::Int(unreadable.version)),
        Bin::new("del", Value::Int(0)),
        Bin::new("b", Value::Blob(vec![99, 1, 2, 3])),
    ];
    raw.put(&WritePolicy::default(), &key, &bins).await.unwrap();

    let cache = fresh_cache(tier.origin.clone());
    assert_eq!(
        resolve(&t, &cache, app, "old").await.unwrap().as_deref(),
        Some(&link)
    );
    assert_eq!(
        resolve(&t, &cache, app, "future").await.unwrap().as_deref(),
        Some(&unreadable)
    );
    // Repairs run in the background; then a fresh instance needs no shard for either.
    let repaired = eventually(Duration::from_secs(5), || async {
        let record = raw.get(&Default::default(), &key, Bins::All).await.unwrap();
        matches!(record.bins.get("b"), Some(Value::Blob(b)) if b.first() == Some(&1))
    })
    .await;
    assert!(repaired, "the unreadable record was not rewritten");
    t.proxy().cut();
    let cache = fresh_cache(tier.origin.clone());
    let ok = eventually(Duration::from_secs(5), || async {
        let cache = fresh_cache(tier.origin.clone());
        resolve(&t, &cache, app, "old")
            .await
            .is_ok_and(|l| l.is_some())
    })
    .await;
    assert!(ok, "the missing link was not repaired");
    assert!(resolve(&t, &cache, app, "future").await.unwrap().is_some());
}

#[tokio::test]
async fn after_a_change_notification_postgres_answers_and_heals_the_hot_tier() {
    let Some(hosts) =
        aerospike_hosts("after_a_change_notification_postgres_answers_and_heals_the_hot_tier")
    else {
        return;
    };
    let t = TestStore::with_proxied_last_shard(1).await;
    fresh_app_ids(&t).await;
    let app = t.create_app("notify", "s1").await;
    let tier = hot_tier(&t, &hot_config(&hosts)).await;
    let origin: &HotOrigin = tier.hot_origin.as_ref().unwrap();

    let v1 = new_link(&t, app, "sale").await;
    assert_eq!(
        tier.write_through.put_link(&v1).await,
        WriteOutcome::Written
    );
    // The update commits, but its write-through is lost (or has not landed yet).
    let v2 = update_link(&t, 1, &v1, "https://acme.test/v2").await;
    let stale = resolve(&t, &fresh_cache(tier.origin.clone()), app, "sale")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stale.version, 1,
        "without the notification the hot copy is trusted"
    );

    origin.link_changed(app, "sale");
    let seen = resolve(&t, &fresh_cache(tier.origin.clone()), app, "sale")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(*seen, v2);
    // Healed: once the window is over, Aerospike alone answers with v2.
    t.proxy().cut();
    let healed = eventually(Duration::from_secs(10), || async {
        let cache = fresh_cache(tier.origin.clone());
        resolve(&t, &cache, app, "sale")
            .await
            .is_ok_and(|l| l.is_some_and(|l| l.version == 2))
    })
    .await;
    assert!(healed, "the hot tier still holds the old version");
}

/// An actix worker runs on a current-thread runtime of its own; once the shared client is
/// connected, such a runtime reads through a client opened on it, so its sockets are
/// polled by the thread that awaits them. The runtime that started the tier keeps the
/// shared client.
#[tokio::test]
async fn a_worker_runtime_reads_through_a_client_of_its_own() {
    let Some(hosts) = aerospike_hosts("a_worker_runtime_reads_through_a_client_of_its_own") else {
        return;
    };
    let t = TestStore::with_shards(1).await;
    fresh_app_ids(&t).await;
    let app = t.create_app("workers", "s1").await;
    let tier = hot_tier(&t, &hot_config(&hosts)).await;
    let link = new_link(&t, app, "local").await;
    assert_eq!(
        tier.write_through.put_link(&link).await,
        WriteOutcome::Written
    );
    let hits = |t: &TestStore| {
        t.metric(
            "hoplink_hot_requests_total",
            &[("set", "links"), ("op", "read"), ("outcome", "hit")],
        )
    };
    let seen = resolve(&t, &fresh_cache(tier.origin.clone()), app, "local").await;
    assert_eq!(seen.unwrap().as_deref(), Some(&link));
    assert_eq!(t.metric("hoplink_hot_worker_clients", &[]), 0.0);

    let origin = tier.origin.clone();
    let route = t.router.app(app).unwrap();
    let worker = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            // Reads answer all along: through the shared client until this runtime's own
            // is connected, then through it.
            let mut answers = Vec::new();
            for _ in 0..40 {
                let cache = fresh_cache(origin.clone());
                answers.push(cache.link(&route.route, &route.shard, "local").await);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            answers
        })
    });
    // Read while the worker still runs: its client closes with its runtime.
    assert!(
        eventually(Duration::from_secs(10), || async {
            t.metric("hoplink_hot_worker_clients", &[]) == 1.0
        })
        .await,
        "the worker's own client never connected"
    );
    let answers = tokio::task::spawn_blocking(move || worker.join().unwrap())
        .await
        .unwrap();
    assert_eq!(answers.len(), 40);
    for answer in answers {
        assert_eq!(answer.unwrap().as_deref(), Some(&link));
    }
    assert_eq!(hits(&t), 41.0, "every read was answered by Aerospike");
    assert_eq!(
        t.metric("hoplink_hot_worker_clients", &[]),
        1.0,
        "one client for the worker, none for this runtime"
    );
    tier.client.as_ref().unwrap().close().await;
    assert_eq!(t.metric("hoplink_hot_worker_clients", &[]), 0.0);
}
