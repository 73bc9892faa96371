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

#[tokio::test]
async fn counts_from_before_countries_were_kept_count_as_an_unknown_country() {
    let dbs = TestDatabases::create(1).await;
    let pool = sqlx::PgPool::connect(&dbs.shard_urls[0])
        .await
        .expect("connect");
    migrate::SHARD
        .run_to(5, &pool)
        .await
        .expect("migrations before 0006");
    sqlx::query(
        "INSERT INTO link_stats_daily (app_id, day, link_id, platform, clicks, bot_views, installs, opens) \
         VALUES (1, '2026-05-01', 7, 'ios', 3, 1, 2, 4), (1, '2026-05-01', 7, 'android', 2, 0, 0, 1), \
                (1, '2026-05-02', 0, 'ios', 0, 0, 1, 0), (2, '2026-05-01', 7, 'ios', 9, 0, 0, 0)",
    )
    .execute(&pool)
    .await
    .expect("seed rollups");
    migrate::SHARD.run(&pool).await.expect("0006 and later");
    // (app, day, link, country, clicks, bot views, installs, opens)
    type Row = (i64, String, i64, String, i64, i64, i64, i64);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT app_id, day::text, link_id, country, clicks, bot_views, installs, opens \
         FROM link_country_daily ORDER BY app_id, day, link_id",
    )
    .fetch_all(&pool)
    .await
    .expect("country rollups");
    let unknown = String::new;
    assert_eq!(
        rows,
        [
            (1, "2026-05-01".into(), 7, unknown(), 5, 1, 2, 5),
            (1, "2026-05-02".into(), 0, unknown(), 0, 0, 1, 0),
            (2, "2026-05-01".into(), 7, unknown(), 9, 0, 0, 0),
        ]
    );
}
