use std::process::Output;

use shard_router::testing::TestDatabases;

pub const BIN: &str = env!("CARGO_BIN_EXE_hoplink");

/// Runs `hoplink` with `HOPLINK_CATALOG_URL` set.
pub async fn hoplink(catalog_url: &str, args: &[&str]) -> Output {
    tokio::process::Command::new(BIN)
        .args(args)
        .env("HOPLINK_CATALOG_URL", catalog_url)
        .env("HOPLINK_LOG", "warn")
        .output()
        .await
        .expect("run hoplink")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect()
}

/// A migrated catalog with shards `s1` and `s2` registered through the CLI.
pub async fn catalog_with_two_shards() -> TestDatabases {
    let dbs = TestDatabases::create(2).await;
    let out = hoplink(&dbs.catalog_url, &["migrate"]).await;
    assert!(out.status.success(), "migrate: {}", stderr(&out));
    for (i, url) in dbs.shard_urls.iter().enumerate() {
        let name = format!("s{}", i + 1);
        let out = hoplink(&dbs.catalog_url, &["shards", "add", &name, url]).await;
        assert!(out.status.success(), "shards add: {}", stderr(&out));
    }
    dbs
}

pub async fn catalog_counts(catalog_url: &str) -> Vec<i64> {
    let pool = sqlx::PgPool::connect(catalog_url)
        .await
        .expect("connect catalog");
    let mut counts = Vec::new();
    for table in ["shards", "apps", "app_domains", "api_keys"] {
        let sql = format!("SELECT count(*) FROM {table}");
        counts.push(
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&pool)
                .await
                .expect("count"),
        );
    }
    pool.close().await;
    counts
}
