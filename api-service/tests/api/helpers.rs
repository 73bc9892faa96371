//! `TestApp`: two shards, two apps (one per shard) with their keys, an API service and a
//! link service on port 0, and typed request helpers.

use std::time::Duration;

use link_core::app::{AndroidPackage, AppStoreId, BundleId, CertFingerprint, TeamId, UriScheme};
use link_core::{AndroidConfig, AppConfig, AppId, Host, IosConfig, ShardId, WebUrl};
use secrecy::SecretString;
use serde_json::Value;
use shard_router::catalog::{apps, shards};
use shard_router::testing::{ChaosProxy, TestDatabases, server_addr};
use shard_router::{PoolSettings, ShardDsn, ShardRouter, migrate};
use tokio_util::sync::CancellationToken;

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef0123456789";
pub const HOST: &str = "go.acme.test";
pub const OTHER_HOST: &str = "l.other.test";
pub const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
pub const ANDROID_CHROME: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36";

/// An app created for a test, with its keys.
pub struct TestAppKeys {
    pub app_id: AppId,
    pub sdk_key: String,
    pub secret_key: String,
}

pub struct TestApp {
    pub router: ShardRouter,
    pub acme: TestAppKeys,
    pub other: TestAppKeys,
    /// `http://127.0.0.1:<port>` of the API service.
    pub api: String,
    /// `http://127.0.0.1:<port>` of the link service (for clicks).
    pub link: String,
    pub client: reqwest::Client,
    pub shutdown: CancellationToken,
    pub proxy: Option<ChaosProxy>,
    /// Dropped last: the databases outlive the services.
    pub _dbs: TestDatabases,
}

#[derive(Default)]
pub struct Options {
    /// Put the first shard (app "acme") behind a chaos proxy (`TestApp::proxy`).
    pub proxy_first_shard: bool,
    pub configure: Option<fn(&mut api_service::ApiServiceConfig)>,
    pub configure_link: Option<fn(&mut link_service::LinkServiceConfig)>,
    /// Turn the Aerospike hot tier on in both services, with sets of this test's own.
    pub hot_tier: Option<String>,
    /// Export both services' events to this NATS server (`HOPLINK_EXPORT_NATS_URL`).
    pub export_nats_url: Option<String>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(Options::default()).await
    }

    pub async fn spawn_with(options: Options) -> Self {
        let dbs = TestDatabases::create(2).await;
        let router =
            ShardRouter::new(&shard_router::RouterConfig::new(dbs.catalog_url.as_str())).unwrap();
        migrate::migrate_catalog(router.catalog()).await.unwrap();
        router.refresh().await.unwrap();
        let proxy = if options.proxy_first_shard {
            Some(ChaosProxy::start(server_addr(&dbs.shard_urls[0])).await)
        } else {
            None
        };
        let first_url = match &proxy {
            Some(p) => p.proxied_url(&dbs.shard_urls[0]),
            None => dbs.shard_urls[0].clone(),
        };
        for (name, url) in [
            ("s1", first_url.as_str()),
            ("s2", dbs.shard_urls[1].as_str()),
        ] {
            shards::add(
                &router,
                ShardId::parse(name).unwrap(),
                ShardDsn::parse(url).unwrap(),
                100,
                &PoolSettings::default(),
            )
            .await
            .unwrap();
        }
        let acme = create_app(&router, "Acme", HOST, acme_config(), "s1").await;
        let other = create_app(
            &router,
            "Other",
            OTHER_HOST,
            AppConfig {
                fallback_url: WebUrl::parse("https://other.test/").ok(),
                ..AppConfig::default()
            },
            "s2",
        )
        .await;

        let shutdown = CancellationToken::new();
        let mut config = api_service::ApiServiceConfig::for_catalog(&dbs.catalog_url);
        config.admin_token = Some(SecretString::from(ADMIN_TOKEN.to_owned()));
        config.link_scheme = "https".into();
        config.events.events_flush_interval_ms = 50;
        config.export.export_nats_url = options.export_nats_url.clone();
        if let Some(configure) = options.configure {
            configure(&mut config);
        }
        let hot = options.hot_tier.as_ref().map(|hosts| {
            let mut hot = link_store::hot::config::HotTierConfig::with_hosts(hosts.clone());
            // These tests check what reaches Aerospike, not how fast: the production
            // budgets (5 ms reads, 10 ms writes, no retry) time out on a CI machine running
            // dozens of tests at once, and a timed-out write-through is only skipped.
            hot.aerospike_read_timeout_ms = 200;
            hot.aerospike_write_timeout_ms = 1_000;
            hot.aerospike_set_prefix =
                format!("t{}_", &uuid::Uuid::new_v4().simple().to_string()[..12]);
            hot
        });
        if let Some(hot) = &hot {
            config.hot = hot.clone();
        }
        let api_app = api_service::Application::build(config, shutdown.child_token())
            .await
            .unwrap();
        let api = format!("http://127.0.0.1:{}", api_app.port());
        tokio::spawn(api_app.run_until_stopped());

        let mut link_config = link_service::LinkServiceConfig::for_catalog(&dbs.catalog_url);
        link_config.events.events_flush_interval_ms = 50;
        link_config.export.export_nats_url = options.export_nats_url.clone();
        if let Some(configure) = options.configure_link {
            configure(&mut link_config);
        }
        if let Some(hot) = hot {
            link_config.hot = hot;
        }
        let link_app = link_service::Application::build(link_config, shutdown.child_token())
            .await
            .unwrap();
        let link = format!("http://127.0.0.1:{}", link_app.port());
        tokio::spawn(link_app.run_until_stopped());

        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A stalled answer fails the test instead of stalling the whole suite.
            .timeout(shard_router::testing::REQUEST_TIMEOUT)
            .build()
            .unwrap();
        if options.hot_tier.is_some() {
            // Both clients connect in the background; until then every hot call is skipped.
            for base in [&api, &link] {
                assert!(
                    hot_connected(&client, base).await,
                    "{base} did not reach Aerospike within 10 s"
                );
            }
        }
        // Let the change listeners subscribe.
        tokio::time::sleep(Duration::from_millis(300)).await;
        Self {
            router,
            acme,
            other,
            api,
            link,
            client,
            shutdown,
            proxy,
            _dbs: dbs,
        }
    }

    /// `POST {api}{path}` with a JSON body; returns status and parsed body (`Value::Null`
    /// when empty or not JSON).
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.api))
            .json(body)
            .send()
            .await
            .unwrap();
        read(response).await
    }

    /// A developer-API request with `Authorization: Bearer {token}`.
    pub async fn dev(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.api))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        read(request.send().await.unwrap()).await
    }

    /// A click on the link service as `user_agent`, from the test's loopback address.
    pub async fn click(&self, host: &str, code: &str, user_agent: &str) -> reqwest::Response {
        self.client
            .get(format!("{}/{code}", self.link))
            .header("host", host)
            .header("user-agent", user_agent)
            .send()
            .await
            .unwrap()
    }

    pub fn shard_pool(&self, app: AppId) -> sqlx::PgPool {
        self.router.app(app).unwrap().shard.pool().unwrap().clone()
    }

    /// Rows in `table` of `app`'s shard for that app.
    pub async fn count(&self, app: AppId, table: &str) -> i64 {
        let sql = format!("SELECT count(*) FROM {table} WHERE app_id = $1");
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(app.get())
            .fetch_one(&self.shard_pool(app))
            .await
            .unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn create_app(
    router: &ShardRouter,
    name: &str,
    host: &str,
    config: AppConfig,
    shard: &str,
) -> TestAppKeys {
    let created = apps::create(
        router,
        apps::NewApp {
            name: name.into(),
            domains: vec![Host::parse(host).unwrap()],
            alternate_domain: None,
            config,
            shard: Some(ShardId::parse(shard).unwrap()),
        },
    )
    .await
    .unwrap();
    TestAppKeys {
        app_id: created.app_id,
        sdk_key: created.sdk_key.key.expose().to_owned(),
        secret_key: created.secret_key.key.expose().to_owned(),
    }
}

pub fn acme_config() -> AppConfig {
    AppConfig {
        ios: IosConfig {
            bundle_id: BundleId::parse("com.acme.app").ok(),
            team_id: TeamId::parse("ABCDE12345").ok(),
            app_store_id: AppStoreId::parse("1234567890").ok(),
            uri_scheme: UriScheme::parse("acme").ok(),
        },
        android: AndroidConfig {
            package: AndroidPackage::parse("com.acme.app").ok(),
            sha256_cert_fingerprints: vec![CertFingerprint::parse(&"AB".repeat(32)).unwrap()],
            uri_scheme: UriScheme::parse("acme").ok(),
        },
        fallback_url: WebUrl::parse("https://acme.test/").ok(),
        desktop_url: WebUrl::parse("https://acme.test/desktop").ok(),
        ..AppConfig::default()
    }
}

/// The Prometheus text of the service at `base` (the API's or the link service's URL).
pub async fn metrics_text(client: &reqwest::Client, base: &str) -> String {
    client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Whether the service at `base` reports its Aerospike client connected, waiting up to 10 s.
async fn hot_connected(client: &reqwest::Client, base: &str) -> bool {
    for _ in 0..100 {
        let metrics = metrics_text(client, base).await;
        if metrics.lines().any(|l| l == "hoplink_hot_connected 1") {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
