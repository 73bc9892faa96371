use std::time::{Duration, Instant};

use link_core::ShardId;
use shard_router::catalog::apps;
use shard_router::testing::{ChaosProxy, server_addr};
use shard_router::{RouterError, ShardDsn};

use crate::helpers::{TestCatalog, add_shard, new_app};

#[tokio::test]
async fn an_unreachable_shard_only_affects_its_own_apps() {
    let t = TestCatalog::with_shards(1).await;
    // The second shard sits behind a proxy we can cut.
    let extra = shard_router::testing::TestDatabases::create(1).await;
    let proxy = ChaosProxy::start(server_addr(&extra.shard_urls[0])).await;
    add_shard(&t.router, "s2", &proxy.proxied_url(&extra.shard_urls[0])).await;

    let on_s1 = apps::create(
        &t.router,
        apps::NewApp {
            shard: Some(ShardId::parse("s1").unwrap()),
            ..new_app("one", &["one.example"])
        },
    )
    .await
    .expect("app on s1");
    let on_s2 = apps::create(
        &t.router,
        apps::NewApp {
            shard: Some(ShardId::parse("s2").unwrap()),
            ..new_app("two", &["two.example"])
        },
    )
    .await
    .expect("app on s2");
    assert_eq!(on_s2.shard.as_str(), "s2");

    proxy.cut();

    // A fresh router (a restarting service) still loads the whole map.
    let router = t.second_router().await;
    let routes = router.routes();
    assert!(routes.resolve_host("two.example").is_some());
    let (_, s1) = routes.resolve_host("one.example").expect("one resolves");
    let count = |pool: sqlx::PgPool, app: i64| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM app_configs WHERE app_id = $1")
            .bind(app)
            .fetch_one(&pool)
            .await
    };
    assert_eq!(
        count(s1.pool().unwrap().clone(), on_s1.app_id.get())
            .await
            .expect("s1 works"),
        1
    );

    let (_, s2) = routes.resolve_host("two.example").expect("two resolves");
    let started = Instant::now();
    assert!(
        count(s2.pool().unwrap().clone(), on_s2.app_id.get())
            .await
            .is_err()
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "failure took {:?}",
        started.elapsed()
    );

    // New apps can still be created, on the healthy shard.
    let placed = apps::create(
        &t.router,
        apps::NewApp {
            shard: Some(ShardId::parse("s1").unwrap()),
            ..new_app("three", &["three.example"])
        },
    )
    .await
    .expect("create on s1 while s2 is down");
    assert_eq!(placed.shard.as_str(), "s1");

    // An app placed on the dead shard fails cleanly and leaves the catalog unchanged.
    let before = t.snapshot().await;
    let err = apps::create(
        &t.router,
        apps::NewApp {
            shard: Some(ShardId::parse("s2").unwrap()),
            ..new_app("four", &["four.example"])
        },
    )
    .await
    .expect_err("s2 is down");
    assert!(
        matches!(err, RouterError::ShardUnavailable { .. }),
        "{err:?}"
    );
    assert!(err.is_unavailable());
    assert_eq!(t.snapshot().await, before);

    // Recovery.
    proxy.restore();
    assert_eq!(
        count(s2.pool().unwrap().clone(), on_s2.app_id.get())
            .await
            .expect("s2 back"),
        1
    );
    let _ = ShardDsn::parse(&t.dbs.shard_urls[0]).expect("dsn");
}
