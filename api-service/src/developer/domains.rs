//! `/api/v1/domains`: the link domains of the caller's app.
//!
//! A domain belongs to at most one app in the whole deployment. Adding or removing one
//! changes the catalog, whose notification makes every link service route (or stop
//! routing) the host within a second. The first domain is the primary one: short URLs
//! are built on it, and removing it promotes the next.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use link_core::{FieldError, Host};
use serde::Serialize;
use serde_json::{Map, Value};
use shard_router::catalog::apps;
use utoipa::ToSchema;

use super::schemas::Problem;
use crate::error::ApiError;
use crate::state::ApiState;

#[derive(Debug, Serialize, ToSchema)]
pub struct DomainResource {
    /// Lower-case host name (IDNs in punycode), without scheme or port.
    pub host: String,
    /// Whether short URLs are built on this domain (the app's first).
    pub primary: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DomainList {
    pub data: Vec<DomainResource>,
}

#[derive(Debug, ToSchema)]
#[schema(example = json!({"host": "go.acme.app"}))]
pub struct DomainInput {
    /// A bare host name such as `go.acme.app`.
    pub host: String,
}

fn list_of(domains: Vec<String>) -> DomainList {
    DomainList {
        data: domains
            .into_iter()
            .enumerate()
            .map(|(i, host)| DomainResource {
                host,
                primary: i == 0,
            })
            .collect(),
    }
}

#[utoipa::path(
    tag = "apps",
    summary = "The app's link domains, primary first",
    responses(
        (status = 200, description = "The domains", body = DomainList),
        (status = 401, description = "Missing, unknown or revoked key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a secret key", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The catalog is unavailable", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("secret_key" = []))
)]
#[get("")]
pub async fn list_domains(
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.secret_caller(&req).await?;
    let app = apps::get(&state.router, caller.app_id).await?;
    Ok(HttpResponse::Ok().json(list_of(app.domains)))
}

#[utoipa::path(
    tag = "apps",
    summary = "Add a link domain",
    description = "Point the domain's DNS at the link service; it is served within a second. Adding a domain the app already has answers 200.",
    request_body = DomainInput,
    responses(
        (status = 201, description = "Added", body = DomainResource),
        (status = 200, description = "The app already had this domain", body = DomainResource),
        (status = 400, description = "Malformed body or invalid host (field `host`), or the app has 50 domains", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a secret key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`domain_taken`: another app has this domain", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body larger than 1 MB", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The catalog is unavailable", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("secret_key" = []))
)]
#[post("")]
pub async fn add_domain(
    req: HttpRequest,
    state: web::Data<ApiState>,
    body: web::Json<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.secret_caller(&req).await?;
    let host = match body.get("host") {
        Some(Value::String(raw)) => Host::parse(raw).map_err(|e| e.at("host"))?,
        None | Some(Value::Null) => return Err(FieldError::new("host", "is required").into()),
        Some(_) => return Err(FieldError::new("host", "must be a string").into()),
    };
    let current = apps::get(&state.router, caller.app_id).await?.domains;
    if let Some(i) = current.iter().position(|d| d == host.as_str()) {
        return Ok(HttpResponse::Ok().json(DomainResource {
            host: host.into(),
            primary: i == 0,
        }));
    }
    apps::add_domain(&state.router, caller.app_id, &host).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/domains/{host}")))
        .json(DomainResource {
            primary: current.is_empty(),
            host: host.into(),
        }))
}

#[utoipa::path(
    tag = "apps",
    summary = "Remove a link domain",
    description = "Links stop being served on the host within a second. Removing the primary domain makes the next one primary (short URLs change accordingly); removing the last leaves the app's links without a URL until a domain is added.",
    params(("host" = String, Path, description = "The domain, e.g. go.acme.app")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Missing, unknown or revoked key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a secret key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The app has no such domain", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The catalog is unavailable", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("secret_key" = []))
)]
#[delete("/{host}")]
pub async fn remove_domain(
    req: HttpRequest,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.secret_caller(&req).await?;
    let host = Host::parse(&path).map_err(|_| ApiError::NotFound("domain"))?;
    if apps::remove_domain(&state.router, caller.app_id, &host).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound("domain"))
    }
}
