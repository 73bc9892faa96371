use std::time::{Duration, Instant};

use link_core::app::{AndroidPackage, AppStoreId, BundleId, CertFingerprint, TeamId, UriScheme};
use link_core::{AndroidConfig, AppConfig, AppId, Host, IosConfig, LinkCode, WebUrl};
use link_service::{Application, LinkServiceConfig};
use link_store::links::{self, NewLink};
use shard_router::catalog::apps;
use shard_router::testing::{ChaosProxy, TestDatabases, server_addr};
use shard_router::{PoolSettings, ShardDsn, ShardRouter, fence, migrate};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
pub const IPHONE_INSTAGRAM: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 327.0.0.25.89 (iPhone14,5; iOS 17_4; en_US; en; scale=3.00; 1170x2532; 588348207)";
pub const IPHONE_WECHAT: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN";
pub const ANDROID_CHROME: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36";
pub const ANDROID_FIREFOX: &str =
    "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0";
pub const DESKTOP: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
pub const SLACKBOT: &str = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)";

pub const HOST: &str = "go.acme.test";
pub const OTHER_HOST: &str = "l.other.test";

pub struct TestApp {
    /// Dropped last: the databases outlive the service.
    pub _dbs: TestDatabases,
    pub router: ShardRouter,
    pub app_id: AppId,
    pub other_app_id: AppId,
    pub base: String,
    pub client: reqwest::Client,
    pub shutdown: CancellationToken,
    pub proxy: Option<ChaosProxy>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    /// What the service was built with, for [`Self::restart`].
    config: LinkServiceConfig,
}

/// Options for [`TestApp::spawn_with`].
#[derive(Default)]
pub struct Options {
    /// Put the first shard (app "acme") behind a chaos proxy (`TestApp::proxy`).
    pub proxy_first_shard: bool,
    pub configure: Option<fn(&mut LinkServiceConfig)>,
    /// Export events to this NATS server (`HOPLINK_EXPORT_NATS_URL`).
    pub export_nats_url: Option<String>,
    /// Spool events here (`HOPLINK_EVENTS_SPOOL_DIR`).
    pub spool_dir: Option<std::path::PathBuf>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(Options::default()).await
    }

    /// Two shards; app "acme" (`HOST`, full iOS + Android config) on the first, app
    /// "other" (`OTHER_HOST`) on the second; a link service on port 0.
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
            Some(proxy) => proxy.proxied_url(&dbs.shard_urls[0]),
            None => dbs.shard_urls[0].clone(),
        };
        for (name, url) in [
            ("s1", first_url.as_str()),
            ("s2", dbs.shard_urls[1].as_str()),
        ] {
            shard_router::catalog::shards::add(
                &router,
                link_core::ShardId::parse(name).unwrap(),
                ShardDsn::parse(url).unwrap(),
                100,
                &PoolSettings::default(),
            )
            .await
            .unwrap();
        }
        let acme = apps::create(
            &router,
            apps::NewApp {
                name: "Acme".into(),
                domains: vec![Host::parse(HOST).unwrap()],
                alternate_domain: None,
                config: acme_config(),
                shard: Some(link_core::ShardId::parse("s1").unwrap()),
            },
        )
        .await
        .unwrap();
        let other = apps::create(
            &router,
            apps::NewApp {
                name: "Other".into(),
                domains: vec![Host::parse(OTHER_HOST).unwrap()],
                alternate_domain: None,
                config: AppConfig {
                    fallback_url: WebUrl::parse("https://other.test/").ok(),
                    ..AppConfig::default()
                },
                shard: Some(link_core::ShardId::parse("s2").unwrap()),
            },
        )
        .await
        .unwrap();

        let mut config = LinkServiceConfig::for_catalog(&dbs.catalog_url);
        config.events.events_flush_interval_ms = 50;
        config.export.export_nats_url = options.export_nats_url;
        config.events.events_spool_dir = options.spool_dir;
        if let Some(configure) = options.configure {
            configure(&mut config);
        }
        let shutdown = CancellationToken::new();
        let (base, server) = start(&config, &shutdown).await;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A stalled answer fails the test instead of stalling the whole suite.
            .timeout(shard_router::testing::REQUEST_TIMEOUT)
            .build()
            .unwrap();
        let test = Self {
            _dbs: dbs,
            router,
            app_id: acme.app_id,
            other_app_id: other.app_id,
            base,
            client,
            shutdown,
            proxy,
            server: Some(server),
            config,
        };
        // Change listeners connect asynchronously; wait until they are up so tests that
        // change links see the notification.
        tokio::time::sleep(Duration::from_millis(300)).await;
        test
    }

    /// A GET for `path` on `host` with a User-Agent.
    pub async fn get(&self, host: &str, path: &str, user_agent: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("host", host)
            .header("user-agent", user_agent)
            .send()
            .await
            .expect("request")
    }

    pub async fn create_link(
        &self,
        app: AppId,
        code: &str,
        data: serde_json::Value,
        tags: &[&str],
    ) {
        self.insert_link(
            app,
            NewLink {
                alias: Some(LinkCode::parse(code).unwrap()),
                data: data.as_object().cloned().unwrap_or_default(),
                tags: tags.iter().map(|t| (*t).to_owned()).collect(),
                ..NewLink::default()
            },
        )
        .await;
    }

    pub async fn insert_link(&self, app: AppId, link: NewLink) {
        let resolved = self.router.app(app).unwrap();
        let mut tx = fence::begin_app_write(resolved.shard.pool().unwrap(), &resolved.route)
            .await
            .unwrap();
        links::insert(&mut tx, app, &link).await.unwrap();
        tx.commit().await.unwrap();
    }

    pub fn shard_pool(&self, app: AppId) -> sqlx::PgPool {
        self.router.app(app).unwrap().shard.pool().unwrap().clone()
    }

    /// A metric's value from `/metrics`, summing the series whose labels contain all of
    /// `labels` (`key="value"` strings).
    pub async fn metric(&self, name: &str, labels: &[&str]) -> f64 {
        let text = self
            .client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .filter(|l| l.starts_with(name) && !l.starts_with('#'))
            .filter(|l| {
                let series = l.split_whitespace().next().unwrap_or_default();
                series == name
                    || (series.starts_with(&format!("{name}{{"))
                        && labels.iter().all(|lab| series.contains(lab)))
            })
            .filter(|l| !labels.is_empty() || l.split_whitespace().next() == Some(name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// Stops the service as SIGTERM would and waits for it to drain.
    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            tokio::time::timeout(Duration::from_secs(30), server)
                .await
                .expect("service drained within 30 s")
                .expect("join")
                .expect("server result");
        }
    }

    /// Stops the service and starts a new one with the same configuration, as a
    /// redeployment would (on a new port).
    pub async fn restart(&mut self) {
        self.stop().await;
        self.shutdown = CancellationToken::new();
        let (base, server) = start(&self.config, &self.shutdown).await;
        self.base = base;
        self.server = Some(server);
    }
}

/// Builds and runs a link service; returns its base URL and its task.
async fn start(
    config: &LinkServiceConfig,
    shutdown: &CancellationToken,
) -> (String, JoinHandle<std::io::Result<()>>) {
    let app = Application::build(config.clone(), shutdown.clone())
        .await
        .expect("build link service");
    let base = format!("http://127.0.0.1:{}", app.port());
    (base, tokio::spawn(app.run_until_stopped()))
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
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
        long_link_hosts: vec![Host::parse("partner.test").unwrap()],
        ..AppConfig::default()
    }
}

pub async fn wait_until<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < limit {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check().await
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}
