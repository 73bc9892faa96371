//! Building the link service: state, routes and background tasks.

use std::time::Duration;

use actix_web::{HttpResponse, guard, web};
use link_core::client::ClassifierMemo;
use link_store::cache::{LinkCache, invalidation};
use link_store::export::Exporter;
use link_store::hot::{HotTier, HotTierError};
use prometheus::Registry;
use service_kit::server::{BindError, HttpService, bind};
use shard_router::{RouterError, ShardRouter, refresh};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::click::browser_id::BrowserIds;
use crate::click::installed::InstalledApps;
use crate::click::metrics::ClickMetrics;
use crate::click::{self, respond};
use crate::config::LinkServiceConfig;
use crate::long_link::{AppendedControls, LongLinks, ParsedLongLinks};
use crate::pages::ErrorPage;
use crate::state::ClickState;
use crate::well_known;
use service_kit::forwarded::Forwarded;

/// Memory for parsed long links: some thousands of them.
const PARSED_LONG_LINKS_BYTES: u64 = 16 * 1024 * 1024;
/// Memory for short links with appended control keys, as overridden: some thousands.
const APPENDED_CONTROLS_BYTES: u64 = 8 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Bind(#[from] BindError),
    #[error(transparent)]
    Router(#[from] RouterError),
    #[error(transparent)]
    Config(#[from] link_core::FieldError),
    #[error("could not register metrics")]
    Metrics(#[from] prometheus::Error),
    #[error(transparent)]
    HotTier(#[from] HotTierError),
    #[error(transparent)]
    Export(#[from] link_store::export::ExportError),
    #[error(transparent)]
    Events(#[from] link_store::events::PipelineError),
    #[error("could not start the HTTP server")]
    Serve(#[source] std::io::Error),
}

pub struct Application {
    service: HttpService,
    cache: LinkCache,
}

impl Application {
    /// Binds and prepares the service. A catalog that is down does not stop the build:
    /// the service starts unready and the refresher keeps trying.
    pub async fn build(
        config: LinkServiceConfig,
        shutdown: CancellationToken,
    ) -> Result<Self, StartupError> {
        let cookie_key = config.cookie_key()?;
        let (listener, _) = bind(config.link_addr)?;
        let registry = Registry::new();
        service_kit::telemetry::register_metrics(&registry)?;
        let router = ShardRouter::new(&config.router)?;
        router.register_metrics(&registry)?;
        if let Err(error) = router.refresh().await {
            tracing::warn!(%error, "catalog not loaded at start; serving unready until it is");
        }
        let tier = HotTier::start(&config.hot, router.clone(), &registry)?;
        let cache = LinkCache::new(&config.cache, tier.origin.clone(), &registry)?;
        let export = Exporter::start(&config.export, &registry)?;
        let (exporter, export_task) = export.unzip();
        let (recorder, recorder_task) = link_store::events::start_click_pipeline(
            router.clone(),
            &config.events,
            &registry,
            exporter,
        )?;

        let mut background = vec![
            refresh::spawn(router.clone(), shutdown.child_token()),
            invalidation::spawn(
                router.clone(),
                invalidation::Targets {
                    cache: cache.clone(),
                    hot: tier.hot_origin.clone(),
                },
                shutdown.child_token(),
            ),
            close_hot_tier(tier.clone(), shutdown.child_token()),
            report_cache_sizes(cache.clone(), shutdown.child_token()),
            // Ends when the server has dropped every recorder, after flushing the queue.
            recorder_task,
        ];
        // Ends after the recorder's pipeline, which holds the last exporter handle.
        background.extend(export_task);

        let state = web::Data::new(ClickState {
            router: router.clone(),
            cache: cache.clone(),
            memo: ClassifierMemo::new(config.ua_memo_capacity),
            browser_ids: BrowserIds::new(cookie_key),
            forwarded: Forwarded::new(config.trusted_proxies.clone()),
            country_header: config.country_header.clone(),
            fingerprint_key: config.fingerprint_key(),
            recorder,
            clicks: tier.clicks.clone(),
            installed: InstalledApps::new(tier.browsers.clone()),
            metrics: ClickMetrics::new(&registry)?,
            long_links: LongLinks::new(
                Duration::from_millis(config.cache.origin_timeout_ms.max(1)),
                config.long_link_rows_per_sec,
                tier.write_through.clone(),
                &registry,
            )?,
            parsed_long_links: ParsedLongLinks::new(PARSED_LONG_LINKS_BYTES),
            appended_controls: AppendedControls::new(APPENDED_CONTROLS_BYTES),
        });
        let router = web::Data::new(router);
        let registry = web::Data::new(registry);
        let service = HttpService::start(
            listener,
            config.link_workers,
            shutdown,
            background,
            move || {
                actix_web::App::new()
                    .app_data(state.clone())
                    .app_data(router.clone())
                    .app_data(registry.clone())
                    .configure(service_kit::health::configure)
                    .configure(service_kit::metrics::configure)
                    .configure(routes)
            },
        )
        .map_err(StartupError::Serve)?;
        Ok(Self { service, cache })
    }

    pub fn port(&self) -> u16 {
        self.service.port()
    }

    /// The service's cache, for tests and diagnostics.
    pub fn cache(&self) -> &LinkCache {
        &self.cache
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.service.run_until_stopped().await
    }
}

fn get_or_head() -> guard::AnyGuard {
    guard::Any(guard::Get()).or(guard::Head())
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/.well-known/apple-app-site-association",
        web::route().guard(get_or_head()).to(well_known::apple),
    )
    .route(
        "/apple-app-site-association",
        web::route().guard(get_or_head()).to(well_known::apple),
    )
    .route(
        "/.well-known/assetlinks.json",
        web::route().guard(get_or_head()).to(well_known::android),
    )
    .route("/", web::route().guard(get_or_head()).to(click::root))
    // Short links and long links' `/a/{key}` are served by the default service rather
    // than routes with dynamic segments: the router would run a regex over every click's
    // path (about 1,400 instructions), and the handlers check the path's shape anyway.
    .default_service(web::to(click_or_fallback));
}

async fn click_or_fallback(
    req: actix_web::HttpRequest,
    state: web::Data<ClickState>,
) -> HttpResponse {
    let method = req.method();
    if method == actix_web::http::Method::GET || method == actix_web::http::Method::HEAD {
        match req.path().strip_prefix("/a/") {
            Some(_) => click::long(req, state).await,
            None => click::click(req, state).await,
        }
    } else {
        method_not_allowed()
    }
}

/// Methods other than GET and HEAD: 405.
fn method_not_allowed() -> HttpResponse {
    let mut response = respond::error(ErrorPage::BadRequest);
    *response.status_mut() = actix_web::http::StatusCode::METHOD_NOT_ALLOWED;
    response.headers_mut().insert(
        actix_web::http::header::ALLOW,
        actix_web::http::header::HeaderValue::from_static("GET, HEAD"),
    );
    response
}

fn report_cache_sizes(cache: LinkCache, shutdown: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = tick.tick() => cache.report_sizes(),
            }
        }
    })
}

/// Closes the Aerospike client once the service stops.
fn close_hot_tier(tier: HotTier, shutdown: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        shutdown.cancelled().await;
        if let Some(client) = &tier.client {
            client.close().await;
        }
    })
}
