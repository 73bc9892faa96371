//! The framework's floor: a bare actix-web server that answers every request with the
//! static 302 nginx gives, on as many workers as the bench gives the link service. Measured beside nginx and Hoplink in the wrk scenario, it splits Hoplink's
//! gap to nginx into what the HTTP stack costs and what the click path's own work costs.

use std::net::SocketAddr;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{App, HttpResponse, HttpServer, web};

use super::process::ServerProcess;

/// Where the floor server listens (set by the bench for its child process).
const ADDR_VAR: &str = "HOPLINK_BENCH_FLOOR_ADDR";
/// nginx's `return 302` target, so the two answer alike.
const LOCATION: &str = "https://example.com/landing";

/// Starts `hoplink-bench serve-floor` with `workers` HTTP workers.
pub async fn start(workers: usize) -> anyhow::Result<ServerProcess> {
    ServerProcess::start(
        "actix-floor",
        "serve-floor",
        ADDR_VAR,
        &[(
            "HOPLINK_BENCH_FLOOR_WORKERS".to_owned(),
            workers.to_string(),
        )],
        "/readyz",
    )
    .await
}

/// The child process's body: serves until SIGTERM or SIGINT.
pub async fn serve() -> anyhow::Result<()> {
    let addr: SocketAddr = std::env::var(ADDR_VAR)?.parse()?;
    let workers = std::env::var("HOPLINK_BENCH_FLOOR_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(2);
    HttpServer::new(|| {
        App::new()
            .route("/readyz", web::get().to(HttpResponse::Ok))
            .default_service(web::to(redirect))
    })
    .workers(workers)
    .bind(addr)?
    .run()
    .await?;
    Ok(())
}

async fn redirect() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, HeaderValue::from_static(LOCATION)))
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        ))
        .finish()
}
