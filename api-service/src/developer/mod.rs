//! The developer API under `/api/v1` (Bearer secret key) and its admin endpoints
//! (Bearer admin token).

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the developer API routes (documented in the OpenAPI document).
pub fn configure(_cfg: &mut ServiceConfig<'_>) {}
