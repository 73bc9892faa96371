//! Liveness and readiness.
//!
//! `/healthz` answers 200 while the process serves HTTP at all. `/readyz` answers 200
//! only when the shard map has been loaded and the catalog answers within a second, so a
//! load balancer keeps traffic away from an instance that cannot route yet.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use shard_router::ShardRouter;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("cache-control", "no-store"))
        .body(r#"{"status":"ok"}"#)
}

async fn readyz(router: web::Data<ShardRouter>) -> HttpResponse {
    let map_loaded = router.is_loaded();
    let catalog = router.ping_catalog(Duration::from_secs(1)).await;
    let body = serde_json::json!({
        "status": if map_loaded && catalog { "ready" } else { "not_ready" },
        "map_loaded": map_loaded,
        "catalog_reachable": catalog,
    });
    let mut response = if map_loaded && catalog {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    response
        .insert_header(("cache-control", "no-store"))
        .json(body)
}
