//! Bench databases on the local Postgres: a catalog, two shards, one app with its
//! domain and keys, and as many links as a scenario needs (inserted set-wise by SQL).

use link_core::app::{AndroidPackage, AppStoreId, BundleId, CertFingerprint, TeamId, UriScheme};
use link_core::{AndroidConfig, AppConfig, AppId, Host, IosConfig, ShardId, WebUrl};
use shard_router::catalog::{apps, shards};
use shard_router::testing::TestDatabases;
use shard_router::{PoolSettings, RouterConfig, ShardDsn, ShardRouter, migrate};

pub const HOST: &str = "bench.hoplink.test";

pub struct BenchDb {
    pub router: ShardRouter,
    pub app_id: AppId,
    pub sdk_key: String,
    pub links: u64,
    /// Dropped (with its databases) when the bench ends.
    pub dbs: TestDatabases,
}

impl BenchDb {
    pub async fn create() -> anyhow::Result<Self> {
        let dbs = TestDatabases::create(2).await;
        let router = ShardRouter::new(&RouterConfig::new(dbs.catalog_url.as_str()))?;
        migrate::migrate_catalog(router.catalog()).await?;
        router.refresh().await?;
        for (i, url) in dbs.shard_urls.iter().enumerate() {
            shards::add(
                &router,
                ShardId::parse(&format!("s{}", i + 1)).map_err(|e| anyhow::anyhow!("{e}"))?,
                ShardDsn::parse(url).map_err(|e| anyhow::anyhow!("{e}"))?,
                100,
                &PoolSettings::default(),
            )
            .await?;
        }
        let created = apps::create(
            &router,
            apps::NewApp {
                name: "Bench".into(),
                domains: vec![Host::parse(HOST).map_err(|e| anyhow::anyhow!("{e}"))?],
                alternate_domain: None,
                config: app_config()?,
                shard: None,
            },
        )
        .await?;
        Ok(Self {
            router,
            app_id: created.app_id,
            sdk_key: created.sdk_key.key.expose().to_owned(),
            links: 0,
            dbs,
        })
    }

    pub fn catalog_url(&self) -> &str {
        &self.dbs.catalog_url
    }

    pub fn shard_pool(&self) -> anyhow::Result<sqlx::PgPool> {
        let resolved = self
            .router
            .app(self.app_id)
            .ok_or_else(|| anyhow::anyhow!("bench app not in the map"))?;
        Ok(resolved.shard.pool()?.clone())
    }

    /// Makes sure links `b0 .. b{n-1}` exist (a realistic small data object each; every
    /// link of rank < `tagged` carries the tag `hot-tag`).
    pub async fn ensure_links(&mut self, n: u64, tagged: u64) -> anyhow::Result<()> {
        if n <= self.links {
            return Ok(());
        }
        let pool = self.shard_pool()?;
        // Seeding a million rows outlasts the pool's statement timeout; lift it here only.
        let mut tx = pool.begin().await?;
        sqlx::query("SET LOCAL statement_timeout = 0")
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO links (app_id, code, is_alias, data, channel, campaign, tags) \
             SELECT $1, 'b' || g, true, \
                    jsonb_build_object('$deeplink_path', 'item/' || g, '$desktop_url', 'https://example.com/item/' || g, 'item_id', g), \
                    'bench', 'load', \
                    CASE WHEN g < $4 THEN ARRAY['hot-tag', 'bench'] ELSE ARRAY['bench'] END \
             FROM generate_series($2::bigint, $3::bigint - 1) AS g \
             ON CONFLICT (app_id, code) DO NOTHING",
        )
        .bind(self.app_id.get())
        .bind(i64::try_from(self.links)?)
        .bind(i64::try_from(n)?)
        .bind(i64::try_from(tagged)?)
        .execute(&mut *tx)
        .await?;
        sqlx::query("ANALYZE links").execute(&mut *tx).await?;
        tx.commit().await?;
        self.links = n;
        Ok(())
    }
}

fn app_config() -> anyhow::Result<AppConfig> {
    let e = |e: link_core::Invalid| anyhow::anyhow!("{e}");
    Ok(AppConfig {
        ios: IosConfig {
            bundle_id: Some(BundleId::parse("com.bench.app").map_err(e)?),
            team_id: Some(TeamId::parse("BENCH00001").map_err(e)?),
            app_store_id: Some(AppStoreId::parse("1234567890").map_err(e)?),
            uri_scheme: Some(UriScheme::parse("bench").map_err(e)?),
        },
        android: AndroidConfig {
            package: Some(AndroidPackage::parse("com.bench.app").map_err(e)?),
            sha256_cert_fingerprints: vec![CertFingerprint::parse(&"AB".repeat(32)).map_err(e)?],
            uri_scheme: Some(UriScheme::parse("bench").map_err(e)?),
        },
        fallback_url: Some(WebUrl::parse("https://example.com/").map_err(e)?),
        desktop_url: Some(WebUrl::parse("https://example.com/desktop").map_err(e)?),
        ..AppConfig::default()
    })
}
