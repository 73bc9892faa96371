//! The developer API under `/api/v1` (Bearer secret key) and its admin endpoints
//! (Bearer admin token).
//!
//! # Layout
//! - [`app`]: `GET`/`PATCH /api/v1/app`: the app, its name and platform configuration.
//! - [`domains`]: `/api/v1/domains`: link domains, the primary and the alternate one.
//! - [`keys`]: `/api/v1/keys`: API keys (list, create, revoke, rotate).
//! - [`links`]: `/api/v1/links`: link CRUD and listing with cursors.
//! - [`bulk`]: `POST /api/v1/links/bulk`: up to 1,000 links, one result each.
//! - [`purge`]: `POST /api/v1/purge`: drop cached links by tag.
//! - [`qr`]: `GET /api/v1/links/{code}/qr`: a link's QR code (SVG or PNG).
//! - [`stats`]: `GET /api/v1/stats`, `GET /api/v1/links/{code}/stats`: daily rollups.
//! - [`admin`]: `/api/v1/admin/{apps,shards}`: for operators.
//! - [`schemas`], [`config_json`], [`cursor`]: shapes and parsing shared by the above.
//!
//! Every handler authenticates first (secret key: SDK keys get 403, unknown or revoked
//! 401, over the rate limit 429) and then works on the caller's app only, so another
//! app's resources answer 404, exactly like missing ones. This module never builds SQL
//! from request text, and never shows a shard, a stored key or a shard password to a
//! tenant.
//!
//! # Routing
//! One actix scope per resource (`/api/v1/links`, `/api/v1/keys`, ...) rather than one
//! `/api/v1` scope: an actix scope owns every path under its prefix, so a single
//! `/api/v1` scope would also swallow `/api/v1/openapi.json`, which start-up registers
//! after the routes it documents.

pub mod admin;
pub mod app;
pub mod bulk;
pub mod config_json;
pub mod cursor;
pub mod domains;
pub mod keys;
pub mod links;
pub mod purge;
pub mod qr;
pub mod schemas;
pub mod stats;

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the developer API routes (documented in the OpenAPI document).
pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(
        scope("/api/v1/app")
            .service(app::get_app)
            .service(app::update_app),
    )
    .service(
        scope("/api/v1/domains")
            .service(domains::list_domains)
            .service(domains::add_domain)
            .service(domains::update_domain)
            .service(domains::remove_domain),
    )
    .service(
        scope("/api/v1/keys")
            .service(keys::list_keys)
            .service(keys::create_key)
            .service(keys::rotate_keys)
            .service(keys::revoke_key),
    )
    .service(
        scope("/api/v1/links")
            .service(links::list_links)
            .service(links::create_link)
            .service(bulk::bulk_create_links)
            .service(stats::link_stats)
            .service(qr::link_qr)
            .service(links::get_link)
            .service(links::update_link)
            .service(links::delete_link),
    )
    .service(scope("/api/v1/purge").service(purge::purge_tag))
    .service(scope("/api/v1/stats").service(stats::app_stats))
    .service(
        scope("/api/v1/admin")
            .service(admin::create_app)
            .service(admin::list_apps)
            .service(admin::add_shard)
            .service(admin::list_shards),
    );
}
