use shard_router::migrate;
use shard_router::testing::TestDatabases;

use crate::helpers::{TestCatalog, router_for};

#[tokio::test]
async fn migrate_is_idempotent() {
    let t = TestCatalog::with_shards(2).await;
    for _ in 0..2 {
        let report = migrate::migrate_all(&t.router).await.expect("migrate");
        assert_eq!(report.len(), 3);
        assert!(report.iter().all(|r| r.ok), "{report:?}");
    }
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(t.router.catalog())
        .await
        .expect("count");
    assert_eq!(applied as usize, migrate::CATALOG.iter().count());
}

#[tokio::test]
async fn concurrent_migrations_of_one_database_both_succeed() {
    let dbs = TestDatabases::create(0).await;
    let a = router_for(&dbs.catalog_url);
    let b = router_for(&dbs.catalog_url);
    let (ra, rb) = tokio::join!(
        migrate::migrate_catalog(a.catalog()),
        migrate::migrate_catalog(b.catalog())
    );
    ra.expect("first migrator");
    rb.expect("second migrator");
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' \
         AND table_name IN ('shards', 'apps', 'app_domains', 'api_keys', 'app_moves')",
    )
    .fetch_one(a.catalog())
    .await
    .expect("count tables");
    assert_eq!(tables, 5);
}

#[tokio::test]
async fn a_failing_shard_is_reported_without_stopping_the_others() {
    let t = TestCatalog::with_shards(1).await;
    sqlx::query("INSERT INTO shards (id, dsn) VALUES ('gone', 'postgres://127.0.0.1:1/nowhere')")
        .execute(t.router.catalog())
        .await
        .expect("insert dead shard");
    let report = migrate::migrate_all(&t.router)
        .await
        .expect("catalog migrates");
    let by_target: Vec<(&str, bool)> = report.iter().map(|r| (r.target.as_str(), r.ok)).collect();
    assert_eq!(
        by_target,
        vec![("catalog", true), ("shard gone", false), ("shard s1", true)]
    );
}
