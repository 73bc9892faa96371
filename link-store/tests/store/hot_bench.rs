//! The hot tier's figure: a link service that just started (empty cache) serving many
//! distinct links, from Aerospike or from Postgres alone. Measures the time until every
//! link has been answered once, the throughput, and the latency percentiles of that
//! warm-up. A benchmark, not a test: ignored by default. Run it in release mode:
//!
//! ```text
//! HOPLINK_TEST_AEROSPIKE_HOSTS=127.0.0.1:3000 cargo test --release -p link-store \
//!     --test store hot_bench -- --ignored --nocapture
//! ```
//! `HOPLINK_BENCH_LINKS` (100000) and `HOPLINK_BENCH_CONCURRENCY` (32, the cache's default
//! origin loads per shard) change the size.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use link_core::{AppId, LabelParts, Link, LinkCode, LinkData, LinkLabels, LinkType};
use link_store::cache::{CacheConfig, LinkCache};
use link_store::hot::{HotTier, HotTierConfig, WriteOutcome};
use link_store::origin::{Origin, PostgresOrigin};

use crate::helpers::{TestStore, env_usize};
use crate::hot_support::{aerospike_hosts, fresh_app_ids, hot_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark; run with --release -- --ignored --nocapture (see the module doc)"]
async fn hot_bench_fresh_link_service_warm_up() {
    let Some(hosts) = aerospike_hosts("hot_bench_fresh_link_service_warm_up") else {
        return;
    };
    let n = env_usize("HOPLINK_BENCH_LINKS", 100_000);
    let concurrency = env_usize("HOPLINK_BENCH_CONCURRENCY", 32);
    let t = TestStore::with_shards(1).await;
    fresh_app_ids(&t).await;
    let app = t.create_app("bench", "s1").await;

    let started = Instant::now();
    let links = create_links(&t, app, n).await;
    eprintln!(
        "bench: created {n} links in Postgres in {:?}",
        started.elapsed()
    );

    let loader = HotTier::start(&hot_config(&hosts), t.router.clone(), &t.registry).unwrap();
    assert!(
        loader
            .client
            .as_ref()
            .unwrap()
            .wait_connected(Duration::from_secs(10))
            .await
    );
    let started = Instant::now();
    let mut writes = tokio::task::JoinSet::new();
    let mut written = 0;
    for link in &links {
        if writes.len() >= 64 && writes.join_next().await.unwrap().unwrap() == WriteOutcome::Written
        {
            written += 1;
        }
        let wt = loader.write_through.clone();
        let link = link.clone();
        writes.spawn(async move { wt.put_link(&link).await });
    }
    while let Some(outcome) = writes.join_next().await {
        written += usize::from(outcome.unwrap() == WriteOutcome::Written);
    }
    eprintln!(
        "bench: wrote {written}/{n} links through to Aerospike in {:?}",
        started.elapsed()
    );
    assert_eq!(written, n);

    let codes: Arc<Vec<String>> =
        Arc::new(links.iter().map(|l| l.code.as_str().to_owned()).collect());
    for round in 1..=2 {
        run(
            &t,
            app,
            "postgres",
            Arc::new(PostgresOrigin),
            &codes,
            concurrency,
            round,
        )
        .await;
        // Production budgets (5 ms reads) on a tier of its own, as a new link service has.
        let registry = prometheus::Registry::new();
        let tier = HotTier::start(
            &HotTierConfig {
                aerospike_set_prefix: crate::hot_support::SET_PREFIX.to_owned(),
                ..HotTierConfig::with_hosts(&hosts)
            },
            t.router.clone(),
            &registry,
        )
        .unwrap();
        assert!(
            tier.client
                .as_ref()
                .unwrap()
                .wait_connected(Duration::from_secs(10))
                .await
        );
        run(
            &t,
            app,
            "aerospike",
            tier.origin.clone(),
            &codes,
            concurrency,
            round,
        )
        .await;
        let text = prometheus::TextEncoder::new()
            .encode_to_string(&registry.gather())
            .unwrap();
        for line in text.lines().filter(|l| {
            l.starts_with("hoplink_hot_requests_total") || l.starts_with("hoplink_hot_fallbacks")
        }) {
            eprintln!("bench:   {line}");
        }
    }
}

/// `n` links with a little data each, in one statement.
async fn create_links(t: &TestStore, app: AppId, n: usize) -> Vec<Link> {
    type Row = (i64, String, i64, DateTime<Utc>, DateTime<Utc>);
    let rows: Vec<Row> = sqlx::query_as(
        "INSERT INTO links (app_id, code, data, campaign, tags) \
         SELECT $1, 'b' || g, jsonb_build_object('$desktop_url', 'https://acme.test/p/' || g, \
                '$og_title', 'Product ' || g, 'product_id', g), 'launch', ARRAY['bench'] \
         FROM generate_series(1, $2) AS g \
         RETURNING id, code, version, created_at, updated_at",
    )
    .bind(app.get())
    .bind(i64::try_from(n).unwrap())
    .fetch_all(t.shard(1))
    .await
    .unwrap();
    rows.into_iter()
        .map(|(id, code, version, created_at, updated_at)| {
            let g = &code[1..];
            let mut data = serde_json::Map::new();
            data.insert(
                "$desktop_url".into(),
                format!("https://acme.test/p/{g}").into(),
            );
            data.insert("$og_title".into(), format!("Product {g}").into());
            data.insert("product_id".into(), g.parse::<i64>().unwrap().into());
            Link {
                id,
                app_id: app,
                code: LinkCode::parse(&code).unwrap(),
                is_alias: false,
                data: LinkData::from_map(&data).unwrap(),
                labels: LinkLabels::new(LabelParts {
                    campaign: Some("launch"),
                    tags: &["bench".into()],
                    ..LabelParts::default()
                })
                .unwrap(),
                link_type: LinkType::Standard,
                duration_secs: None,
                expires_at: None,
                version,
                created_at,
                updated_at,
                deleted_at: None,
            }
        })
        .collect()
}

/// A fresh cache over `origin`; `concurrency` tasks resolve every code once.
async fn run(
    t: &TestStore,
    app: AppId,
    name: &str,
    origin: Arc<dyn Origin>,
    codes: &Arc<Vec<String>>,
    concurrency: usize,
    round: usize,
) {
    let cache = LinkCache::new(
        &CacheConfig::default(),
        origin,
        &prometheus::Registry::new(),
    )
    .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let resolved = t.router.app(app).unwrap();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (cache, next, codes, resolved) =
            (cache.clone(), next.clone(), codes.clone(), resolved.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(codes.len() / concurrency + 1);
            let mut failed = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(code) = codes.get(i) else {
                    break;
                };
                let at = Instant::now();
                match cache.link(&resolved.route, &resolved.shard, code).await {
                    Ok(Some(_)) => {}
                    _ => failed += 1,
                }
                latencies.push(at.elapsed());
            }
            (latencies, failed)
        }));
    }
    let mut latencies = Vec::with_capacity(codes.len());
    let mut failed = 0;
    for task in tasks {
        let (l, f) = task.await.unwrap();
        latencies.extend(l);
        failed += f;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: usize| latencies[(latencies.len() * p / 100).min(latencies.len() - 1)];
    eprintln!(
        "bench: round {round} {name:>9}: {} links in {:>8.3?} ({:>7.0}/s) p50 {:?} p99 {:?} max {:?}, {failed} failed, concurrency {concurrency}",
        latencies.len(),
        elapsed,
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(50),
        pct(99),
        latencies[latencies.len() - 1],
    );
    assert_eq!(failed, 0);
}
