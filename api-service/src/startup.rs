//! Building the API service: state, routes and background tasks.

use actix_web::web;
use prometheus::Registry;
use service_kit::server::{BindError, HttpService, bind};
use shard_router::{RouterError, ShardRouter, refresh};
use tokio_util::sync::CancellationToken;

use crate::config::ApiServiceConfig;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Bind(#[from] BindError),
    #[error(transparent)]
    Router(#[from] RouterError),
    #[error("could not register metrics")]
    Metrics(#[from] prometheus::Error),
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
        let (listener, _) = bind(config.api_addr)?;
        let registry = Registry::new();
        let router = ShardRouter::new(&config.router)?;
        router.register_metrics(&registry)?;
        if let Err(error) = router.refresh().await {
            tracing::warn!(%error, "catalog not loaded at start; serving unready until it is");
        }
        let background = vec![refresh::spawn(router.clone(), shutdown.child_token())];

        let router = web::Data::new(router);
        let registry = web::Data::new(registry);
        let service = HttpService::start(
            listener,
            config.api_workers,
            shutdown,
            background,
            move |cfg: &mut web::ServiceConfig| {
                cfg.app_data(router.clone())
                    .app_data(registry.clone())
                    .configure(service_kit::health::configure)
                    .configure(service_kit::metrics::configure);
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
