//! The Branch-compatible SDK API: `/v1/open`, `/v1/install`, `/v1/close`, `/v1/url`,
//! `/v2/event/*`.

use prometheus::Registry;
use shard_router::ShardRouter;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::config::ApiServiceConfig;

/// State only the SDK endpoints use (event pipelines, matching).
pub struct SdkState {}

/// Builds the SDK state and its background tasks (they drain on `shutdown`).
pub fn start(
    _router: &ShardRouter,
    _config: &ApiServiceConfig,
    _registry: &Registry,
    _shutdown: &CancellationToken,
) -> Result<(SdkState, Vec<JoinHandle<()>>), prometheus::Error> {
    Ok((SdkState {}, Vec::new()))
}

/// Registers the SDK routes (documented in the OpenAPI document).
pub fn configure(_cfg: &mut ServiceConfig<'_>) {}
