use link_core::{AppConfig, Host, ShardId};
use shard_router::catalog::{apps, shards};
use shard_router::testing::TestDatabases;
use shard_router::{PoolSettings, RouterConfig, ShardDsn, ShardRouter, migrate};

pub struct TestCatalog {
    pub dbs: TestDatabases,
    pub router: ShardRouter,
}

impl TestCatalog {
    /// A migrated catalog with `shards` registered shards named `s1`, `s2`, ...
    pub async fn with_shards(shards: usize) -> Self {
        let dbs = TestDatabases::create(shards).await;
        let router = router_for(&dbs.catalog_url);
        migrate::migrate_catalog(router.catalog())
            .await
            .expect("migrate catalog");
        router.refresh().await.expect("load empty map");
        for (i, url) in dbs.shard_urls.iter().enumerate() {
            add_shard(&router, &format!("s{}", i + 1), url).await;
        }
        Self { dbs, router }
    }

    /// Another router on the same catalog, as a second process would have.
    pub async fn second_router(&self) -> ShardRouter {
        let router = router_for(&self.dbs.catalog_url);
        router.refresh().await.expect("load map");
        router
    }

    pub async fn create_app(&self, name: &str, domains: &[&str]) -> apps::CreatedApp {
        apps::create(&self.router, new_app(name, domains))
            .await
            .expect("create app")
    }

    pub async fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT count(*) FROM {table}");
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(self.router.catalog())
            .await
            .expect("count rows")
    }

    /// Row counts of every catalog table, to show a rejected request changed nothing.
    pub async fn snapshot(&self) -> Vec<i64> {
        let mut counts = Vec::new();
        for table in ["shards", "apps", "app_domains", "api_keys", "app_moves"] {
            counts.push(self.count(table).await);
        }
        counts
    }
}

pub fn router_for(catalog_url: &str) -> ShardRouter {
    let mut config = RouterConfig::new(catalog_url);
    config.shard_pool.shard_acquire_timeout_ms = 1000;
    ShardRouter::new(&config).expect("router")
}

pub async fn add_shard(router: &ShardRouter, name: &str, url: &str) {
    shards::add(
        router,
        ShardId::parse(name).expect("shard id"),
        ShardDsn::parse(url).expect("dsn"),
        shards::DEFAULT_WEIGHT,
        &PoolSettings::default(),
    )
    .await
    .expect("add shard");
}

pub fn new_app(name: &str, domains: &[&str]) -> apps::NewApp {
    apps::NewApp {
        name: name.to_owned(),
        domains: domains
            .iter()
            .map(|d| Host::parse(d).expect("host"))
            .collect(),
        alternate_domain: None,
        config: AppConfig::default(),
        shard: None,
    }
}
