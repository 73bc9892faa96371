//! `/metrics` in the Prometheus text format, over the registry the service was built with
//! (never the global default registry, so two services in one process stay apart).

use actix_web::{HttpResponse, web};
use prometheus::{Encoder, Registry, TextEncoder};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(render));
}

async fn render(registry: web::Data<Registry>) -> HttpResponse {
    let encoder = TextEncoder::new();
    let mut body = Vec::with_capacity(16 * 1024);
    match encoder.encode(&registry.gather(), &mut body) {
        Ok(()) => HttpResponse::Ok()
            .content_type(encoder.format_type())
            .body(body),
        Err(error) => {
            tracing::warn!(%error, "could not encode metrics");
            HttpResponse::ServiceUnavailable().finish()
        }
    }
}
