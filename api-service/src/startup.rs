//! Building the API service: state, routes, OpenAPI document and background tasks.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use prometheus::Registry;
use service_kit::forwarded::Forwarded;
use service_kit::server::{BindError, HttpService, bind};
use shard_router::{RouterError, ShardRouter, refresh};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::routes::MethodTable;
use utoipa_actix_web::AppExt;

use crate::auth::KeyStore;
use crate::config::ApiServiceConfig;
use crate::error::{self, ApiError};
use crate::openapi::ApiDoc;
use crate::ratelimit::RateLimits;
use crate::state::{ApiState, LinkUrls};
use crate::{developer, sdk};

/// Request bodies above this are refused with 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

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
    HotTier(#[from] link_store::hot::HotTierError),
    #[error(transparent)]
    Export(#[from] link_store::export::ExportError),
    #[error(transparent)]
    Spool(#[from] link_store::events::SpoolError),
    #[error("could not start the HTTP server")]
    Serve(#[source] std::io::Error),
}

pub struct Application {
    service: HttpService,
}

impl Application {
    /// Binds and prepares the service. A catalog that is down does not stop the build:
    /// the service starts unready and the refresher keeps trying.
    pub async fn build(
        config: ApiServiceConfig,
        shutdown: CancellationToken,
    ) -> Result<Self, StartupError> {
        let admin_token = config.admin_token()?;
        let (listener, _) = bind(config.api_addr)?;
        let registry = Registry::new();
        service_kit::telemetry::register_metrics(&registry)?;
        let router = ShardRouter::new(&config.router)?;
        router.register_metrics(&registry)?;
        if let Err(error) = router.refresh().await {
            tracing::warn!(%error, "catalog not loaded at start; serving unready until it is");
        }
        let keys = KeyStore::new(router.clone(), admin_token);
        let hot = link_store::hot::HotTier::start(&config.hot, router.clone(), &registry)?;
        let (sdk_state, sdk_tasks) = sdk::start(&router, &config, &registry)?;
        let limits = RateLimits::new(
            config.sdk_rate_per_sec,
            config.sdk_burst,
            config.secret_rate_per_sec,
            config.secret_burst,
        );
        let mut background = vec![
            refresh::spawn(router.clone(), shutdown.child_token()),
            keys.spawn_invalidation(shutdown.child_token()),
        ];
        background.extend(sdk_tasks);

        let state = web::Data::new(ApiState {
            router: router.clone(),
            keys,
            limits,
            forwarded: Forwarded::new(config.trusted_proxies.clone()),
            country_header: config.country_header.clone(),
            fingerprint_key: config.fingerprint_key(),
            links: LinkUrls {
                scheme: config.link_scheme.clone(),
                port: config.link_port,
            },
            sdk: sdk_state,
            hot: hot.clone(),
        });
        background.push(close_hot_tier(hot, shutdown.child_token()));
        background.push(shrink_rate_limits(state.clone(), shutdown.child_token()));
        let router = web::Data::new(router);
        let registry = web::Data::new(registry);
        let methods = MethodTable::default();
        let service = HttpService::start(
            listener,
            config.api_workers,
            shutdown,
            background,
            move || {
                actix_web::App::new()
                    .into_utoipa_app()
                    .openapi(ApiDoc::openapi())
                    .app_data(state.clone())
                    .app_data(router.clone())
                    .app_data(registry.clone())
                    .app_data(
                        web::JsonConfig::default()
                            .limit(MAX_BODY_BYTES)
                            .error_handler(error::json_error),
                    )
                    .app_data(web::PayloadConfig::default().limit(MAX_BODY_BYTES))
                    .app_data(web::QueryConfig::default().error_handler(error::query_error))
                    .app_data(web::PathConfig::default().error_handler(error::path_error))
                    .configure(sdk::configure)
                    .configure(developer::configure)
                    .openapi_service(|api| {
                        methods.fill(&api);
                        let document = web::Data::new(api);
                        web::resource("/api/v1/openapi.json")
                            .app_data(document)
                            .route(web::get().to(openapi_json))
                    })
                    .into_app()
                    .configure(service_kit::health::configure)
                    .configure(service_kit::metrics::configure)
                    .app_data(web::Data::new(methods.clone()))
                    .default_service(web::to(not_found))
            },
        )
        .map_err(StartupError::Serve)?;
        Ok(Self { service })
    }

    pub fn port(&self) -> u16 {
        self.service.port()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.service.run_until_stopped().await
    }
}

async fn openapi_json(document: web::Data<utoipa::openapi::OpenApi>) -> HttpResponse {
    HttpResponse::Ok().json(document.get_ref())
}

/// No route took the request: 405 when the path exists under other methods, else 404.
async fn not_found(
    req: actix_web::HttpRequest,
    methods: web::Data<MethodTable>,
) -> Result<HttpResponse, ApiError> {
    match methods.allowed(req.path()) {
        Some(allow) => Err(ApiError::MethodNotAllowed { allow }),
        None => Err(ApiError::NotFound("route")),
    }
}

fn shrink_rate_limits(state: web::Data<ApiState>, shutdown: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = tick.tick() => state.limits.shrink(),
            }
        }
    })
}

/// Closes the Aerospike client once the service stops.
fn close_hot_tier(tier: link_store::hot::HotTier, shutdown: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        shutdown.cancelled().await;
        if let Some(client) = &tier.client {
            client.close().await;
        }
    })
}
