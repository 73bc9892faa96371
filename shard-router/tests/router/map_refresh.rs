use std::time::{Duration, Instant};

use link_core::Host;
use shard_router::catalog::apps;
use shard_router::refresh;
use tokio_util::sync::CancellationToken;

use crate::helpers::TestCatalog;

#[tokio::test]
async fn loads_the_map_from_the_catalog() {
    let t = TestCatalog::with_shards(2).await;
    let a = t.create_app("Acme", &["go.acme.app", "acme.link"]).await;
    let b = t.create_app("Other", &["l.other.io"]).await;

    let router = t.second_router().await;
    let routes = router.routes();
    let (route, shard) = routes.resolve_host("go.acme.app").expect("acme resolves");
    assert_eq!(route.app_id, a.app_id);
    assert_eq!(shard.id, a.shard);
    assert_eq!(
        routes.resolve_host("ACME.link:443").map(|r| r.0.app_id),
        Some(a.app_id)
    );
    assert_eq!(
        routes.resolve_host("l.other.io").map(|r| r.0.app_id),
        Some(b.app_id)
    );
    assert!(routes.resolve_host("nobody.example").is_none());
    assert_eq!(routes.map.app_count(), 2);
    assert_eq!(routes.map.domain_count(), 3);

    // The resolved pool reaches the shard that holds the app.
    let (_, shard) = routes.resolve_host("l.other.io").expect("resolves");
    let held: i64 = sqlx::query_scalar("SELECT count(*) FROM app_configs WHERE app_id = $1")
        .bind(b.app_id.get())
        .fetch_one(shard.pool().expect("pool"))
        .await
        .expect("query shard");
    assert_eq!(held, 1);
}

#[tokio::test]
async fn a_change_through_one_router_is_seen_by_another_within_a_second() {
    let t = TestCatalog::with_shards(2).await;
    let watcher = t.second_router().await;
    let stop = CancellationToken::new();
    let task = refresh::spawn(watcher.clone(), stop.clone());
    // Let the listener subscribe before the change.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let started = Instant::now();
    let app = t.create_app("Acme", &["go.acme.app"]).await;
    let seen = wait_for(Duration::from_secs(1), || {
        watcher.resolve_host("go.acme.app").map(|r| r.route.app_id) == Some(app.app_id)
    })
    .await;
    assert!(seen, "new app not routable by the second router within 1 s");
    eprintln!(
        "new app seen by second router after {:?}",
        started.elapsed()
    );

    let host = Host::parse("acme.link").expect("host");
    apps::add_domain(&t.router, app.app_id, &host, false)
        .await
        .expect("add domain");
    assert!(
        wait_for(Duration::from_secs(1), || watcher
            .resolve_host("acme.link")
            .is_some())
        .await,
        "added domain not seen within 1 s"
    );
    apps::remove_domain(&t.router, app.app_id, &host)
        .await
        .expect("remove domain");
    assert!(
        wait_for(Duration::from_secs(1), || watcher
            .resolve_host("acme.link")
            .is_none())
        .await,
        "removed domain still routed after 1 s"
    );

    stop.cancel();
    task.await.expect("refresher stops cleanly");
}

#[tokio::test]
async fn polling_catches_up_without_notifications() {
    let t = TestCatalog::with_shards(1).await;
    let mut config = shard_router::RouterConfig::new(t.dbs.catalog_url.as_str());
    config.map_poll_secs = 1;
    let watcher = shard_router::ShardRouter::new(&config).expect("router");
    watcher.refresh().await.expect("load");
    let app = t.create_app("Acme", &["go.acme.app"]).await;
    // Insert a domain with notifications suppressed for this session, as a restore would.
    let mut conn = t.router.catalog().acquire().await.expect("conn");
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut *conn)
        .await
        .expect("set");
    sqlx::query("INSERT INTO app_domains (host, app_id) VALUES ('quiet.example', $1)")
        .bind(app.app_id.get())
        .execute(&mut *conn)
        .await
        .expect("insert");
    sqlx::query("RESET session_replication_role")
        .execute(&mut *conn)
        .await
        .expect("reset");
    drop(conn);

    let stop = CancellationToken::new();
    let task = refresh::spawn(watcher.clone(), stop.clone());
    assert!(
        wait_for(Duration::from_secs(3), || watcher
            .resolve_host("quiet.example")
            .is_some())
        .await,
        "poll did not pick up the change"
    );
    stop.cancel();
    task.await.expect("refresher stops");
}

async fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    done()
}
