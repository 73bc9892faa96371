//! `/api/v1/domains`: the link domains of the caller's app.
//!
//! A domain belongs to at most one app in the whole deployment. Adding or removing one
//! changes the catalog, whose notification makes every link service route (or stop
//! routing) the host within a second. The first domain that is not the alternate one is
//! the primary one: short URLs are built on it, and removing it promotes the next.
//!
//! One domain may be the app's *alternate* domain. iOS opens a Universal Link only when
//! a tap leads to another domain than the page's own, so the iOS interstitial's "Open in
//! app" button links to the alternate domain; the app lists it in its Associated Domains
//! entitlement too. It serves the app's links like the others but never carries short
//! URLs; making a domain alternate takes the role from the previous one, and needs
//! another domain to carry the short URLs.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use link_core::{AppId, FieldError, Host};
use serde::Serialize;
use serde_json::{Map, Value};
use shard_router::catalog::apps::{self, AppSummary};
use utoipa::ToSchema;

use super::schemas::{Problem, only};
use crate::error::ApiError;
use crate::state::ApiState;

#[derive(Debug, Serialize, ToSchema)]
pub struct DomainResource {
    /// Lower-case host name (IDNs in punycode), without scheme or port.
    pub host: String,
    /// Whether short URLs are built on this domain (the app's first that is not the
    /// alternate one).
    pub primary: bool,
    /// Whether this is the app's alternate domain, which the iOS interstitial's "Open in
    /// app" button links to; it serves links but never carries short URLs.
    pub alternate: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DomainList {
    /// Primary first, the alternate domain (if any) last.
    pub data: Vec<DomainResource>,
}

#[derive(Debug, ToSchema)]
#[schema(example = json!({"host": "go.acme.app"}))]
pub struct DomainInput {
    /// A bare host name such as `go.acme.app`.
    pub host: String,
    /// Make it the app's alternate domain (default `false`); for a domain the app
    /// already has, a different value changes its role as `PATCH` does.
    pub alternate: Option<bool>,
}

#[derive(Debug, ToSchema)]
#[schema(example = json!({"alternate": true}))]
pub struct DomainPatchInput {
    /// `true` makes the domain the app's alternate one (the previous alternate domain
    /// becomes an ordinary one); `false` makes it an ordinary domain.
    pub alternate: bool,
}

/// The domain as `app` lists it, if it is one of the app's.
fn resource_of(app: &AppSummary, host: &str) -> Option<DomainResource> {
    let i = app.domains.iter().position(|d| d == host)?;
    let alternate = app.alternate_domain.as_deref() == Some(host);
    Some(DomainResource {
        host: host.to_owned(),
        // Summaries list the alternate domain last, so the first is the primary one
        // unless it is the alternate one itself.
        primary: i == 0 && !alternate,
        alternate,
    })
}

fn list_of(app: &AppSummary) -> DomainList {
    DomainList {
        data: app
            .domains
            .iter()
            .filter_map(|host| resource_of(app, host))
            .collect(),
    }
}

/// `alternate` of a request body: `None` when absent or `null`.
fn alternate_field(body: &Map<String, Value>) -> Result<Option<bool>, FieldError> {
    match body.get("alternate") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(alternate)) => Ok(Some(*alternate)),
        Some(_) => Err(FieldError::new("alternate", "must be true or false")),
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
    Ok(HttpResponse::Ok().json(list_of(&app)))
}

#[utoipa::path(
    tag = "apps",
    summary = "Add a link domain",
    description = "Point the domain's DNS at the link service; it is served within a second. Adding a domain the app already has answers 200 (after changing its role when `alternate` is given and differs). With `alternate: true` it becomes the app's alternate domain: the iOS interstitial's \"Open in app\" button links there, so that the tap crosses to another domain and iOS opens the app by Universal Link (list the domain in the app's Associated Domains entitlement too). It serves the app's links but never carries short URLs, and takes the role from the previous alternate domain.",
    request_body = DomainInput,
    responses(
        (status = 201, description = "Added", body = DomainResource),
        (status = 200, description = "The app already had this domain", body = DomainResource),
        (status = 400, description = "Malformed body, an invalid or unknown field (`host`, `alternate`), the app has 50 domains, or `alternate: true` would leave the app without another domain for its short URLs (field `alternate`)", body = Problem, content_type = "application/problem+json"),
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
    only(&body, &["host", "alternate"])?;
    let host = match body.get("host") {
        Some(Value::String(raw)) => Host::parse(raw).map_err(|e| e.at("host"))?,
        None | Some(Value::Null) => return Err(FieldError::new("host", "is required").into()),
        Some(_) => return Err(FieldError::new("host", "must be a string").into()),
    };
    let alternate = alternate_field(&body)?;
    let app = apps::get(&state.router, caller.app_id).await?;
    if let Some(had) = resource_of(&app, host.as_str()) {
        let had = match alternate {
            Some(wanted) if wanted != had.alternate => {
                if !apps::set_alternate(&state.router, caller.app_id, &host, wanted).await? {
                    // Removed by a concurrent request since it was read.
                    return Err(ApiError::NotFound("domain"));
                }
                reread(&state, caller.app_id, &host).await?
            }
            _ => had,
        };
        return Ok(HttpResponse::Ok().json(had));
    }
    apps::add_domain(
        &state.router,
        caller.app_id,
        &host,
        alternate.unwrap_or(false),
    )
    .await?;
    let added = reread(&state, caller.app_id, &host).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/domains/{host}")))
        .json(added))
}

#[utoipa::path(
    tag = "apps",
    summary = "Make a link domain the alternate one, or an ordinary one again",
    description = "With `alternate: true` the domain becomes the app's alternate domain, taking the role from the previous one: the iOS interstitial's \"Open in app\" button links there, so that the tap crosses to another domain and iOS opens the app by Universal Link (list the domain in the app's Associated Domains entitlement too). It keeps serving the app's links but no longer carries short URLs, so short URLs move to the next domain if it was the primary one. Link services follow within a second.",
    params(("host" = String, Path, description = "The domain, e.g. go.acme.app")),
    request_body = DomainPatchInput,
    responses(
        (status = 200, description = "The domain after the change", body = DomainResource),
        (status = 400, description = "Malformed body, `alternate` missing or not a boolean, an unknown field, or `alternate: true` would leave the app without another domain for its short URLs (field `alternate`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a secret key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The app has no such domain", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body larger than 1 MB", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The catalog is unavailable", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("secret_key" = []))
)]
#[patch("/{host}")]
pub async fn update_domain(
    req: HttpRequest,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    body: web::Json<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.secret_caller(&req).await?;
    let host = Host::parse(&path).map_err(|_| ApiError::NotFound("domain"))?;
    only(&body, &["alternate"])?;
    let alternate =
        alternate_field(&body)?.ok_or_else(|| FieldError::new("alternate", "is required"))?;
    if !apps::set_alternate(&state.router, caller.app_id, &host, alternate).await? {
        return Err(ApiError::NotFound("domain"));
    }
    Ok(HttpResponse::Ok().json(reread(&state, caller.app_id, &host).await?))
}

/// The domain as the catalog now lists it (its role may depend on the app's others).
async fn reread(state: &ApiState, app_id: AppId, host: &Host) -> Result<DomainResource, ApiError> {
    let app = apps::get(&state.router, app_id).await?;
    // Gone again only if a concurrent request removed it.
    resource_of(&app, host.as_str()).ok_or(ApiError::NotFound("domain"))
}

#[utoipa::path(
    tag = "apps",
    summary = "Remove a link domain",
    description = "Links stop being served on the host within a second. Removing the primary domain makes the next one that is not the alternate one primary (short URLs change accordingly); removing the last such domain leaves the app's links without a short URL until a domain is added.",
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
