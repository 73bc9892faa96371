//! `/v1/url`: create (one or in bulk), read and update links the way Branch clients do.
//!
//! Creation and update go through [`crate::links`] (validation against the app's config,
//! fenced writes, cache invalidation); this module only speaks Branch's wire format. A
//! URL given to read or update must be on one of the caller's domains, anything else is
//! 404: another app's links do not exist for this key.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use link_core::keys::KeyKind;
use link_core::{AppId, FieldError, LinkCode};
use serde_json::{Map, Value};

use super::body::{self, Fields};
use super::schema::{
    SdkBulkError, SdkBulkItem, SdkLinkRead, SdkUrlQuery, SdkUrlRequest, SdkUrlResponse,
    SdkUrlUpdateQuery, SdkUrlUpdateRequest,
};
use super::session::own_link_code;
use super::shape::read_link;
use crate::error::ApiError;
use crate::links::{self, Destinations, LinkParams};
use crate::state::ApiState;

/// Most links one bulk request may create.
pub const MAX_BULK_ITEMS: usize = 1000;

#[utoipa::path(
    tag = "sdk",
    request_body = SdkUrlRequest,
    responses(
        (status = 200, description = "The short URL (also for a repeated alias with the same parameters)", body = SdkUrlResponse),
        (status = 400, description = "Malformed body or an invalid field (problem+json naming it), including a destination outside the app's own sites and `long_link_hosts`"),
        (status = 401, description = "Missing, unknown or revoked `branch_key`"),
        (status = 409, description = "The alias is taken by a link with other parameters, or the app has no domain"),
        (status = 413, description = "Body over 1 MB"),
        (status = 429, description = "The key's rate limit (Retry-After)"),
        (status = 503, description = "The app's shard cannot answer now (Retry-After)"),
    )
)]
#[post("/v1/url")]
pub async fn create(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let body = body::object(&req, payload).await?;
    let caller = state
        .sdk_caller(Fields(&body).text("branch_key")?.as_deref())
        .await?;
    let url = create_one(&state, caller.app_id, &body).await?;
    Ok(HttpResponse::Ok().json(SdkUrlResponse { url }))
}

#[utoipa::path(
    tag = "sdk",
    params(("branch_key" = String, Path, description = "The app's SDK key")),
    request_body(content = Vec<SdkUrlRequest>, description = "Up to 1000 link parameter objects"),
    responses(
        (status = 200, description = "One result per item, in order: `{\"url\"}` or `{\"error\"}`", body = Vec<SdkBulkItem>),
        (status = 400, description = "Not a JSON array, or more than 1000 items"),
        (status = 401, description = "Unknown or revoked key"),
        (status = 413, description = "Body over 1 MB"),
        (status = 429, description = "The key's rate limit (Retry-After)"),
        (status = 503, description = "The app's shard cannot answer now (Retry-After)"),
    )
)]
#[post("/v1/url/bulk/{branch_key}")]
pub async fn bulk(
    branch_key: web::Path<String>,
    payload: web::Payload,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.sdk_caller(Some(branch_key.as_str())).await?;
    let items = body::array(payload).await?;
    if items.len() > MAX_BULK_ITEMS {
        return Err(ApiError::MalformedBody(format!(
            "at most {MAX_BULK_ITEMS} links per request"
        )));
    }
    state.app(caller.app_id)?;
    let mut results = Vec::with_capacity(items.len());
    for item in &items {
        let outcome = match item {
            Value::Object(params) => create_one(&state, caller.app_id, params).await,
            _ => Err(ApiError::MalformedBody(
                "each item must be a JSON object".to_owned(),
            )),
        };
        results.push(match outcome {
            Ok(url) => SdkBulkItem {
                url: Some(url),
                error: None,
            },
            Err(error) => SdkBulkItem {
                url: None,
                error: Some(bulk_error(&error)),
            },
        });
    }
    Ok(HttpResponse::Ok().json(results))
}

#[utoipa::path(
    tag = "sdk",
    params(SdkUrlQuery),
    responses(
        (status = 200, description = "The link in Branch's read shape", body = SdkLinkRead),
        (status = 400, description = "No `url`"),
        (status = 401, description = "Missing, unknown or revoked `branch_key`"),
        (status = 404, description = "No live link of this app at that URL"),
        (status = 429, description = "The key's rate limit (Retry-After)"),
        (status = 503, description = "The app's shard cannot answer now (Retry-After)"),
    )
)]
#[get("/v1/url")]
pub async fn read(
    query: web::Query<SdkUrlQuery>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.sdk_caller(query.branch_key.as_deref()).await?;
    let code = requested_code(&state, caller.app_id, query.url.as_deref())?;
    let link = links::get(&state, caller.app_id, code.as_str()).await?;
    if link.deleted_at.is_some() {
        return Err(ApiError::NotFound("link"));
    }
    let url = state
        .short_url(caller.app_id, code.as_str())
        .unwrap_or_default();
    Ok(HttpResponse::Ok().json(read_link(&link, &url)))
}

#[utoipa::path(
    tag = "sdk",
    params(SdkUrlUpdateQuery),
    request_body = SdkUrlUpdateRequest,
    responses(
        (status = 200, description = "The link after the change, in Branch's read shape", body = SdkLinkRead),
        (status = 400, description = "Malformed body, an invalid field, or no `url`"),
        (status = 401, description = "Missing or wrong keys: `branch_secret` must be the secret key of `branch_key`'s app"),
        (status = 404, description = "No live link of this app at that URL"),
        (status = 413, description = "Body over 1 MB"),
        (status = 429, description = "A key's rate limit (Retry-After)"),
        (status = 503, description = "The app's shard cannot answer now (Retry-After)"),
    )
)]
#[put("/v1/url")]
pub async fn update(
    req: HttpRequest,
    query: web::Query<SdkUrlUpdateQuery>,
    payload: web::Payload,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let body = body::object(&req, payload).await?;
    let f = Fields(&body);
    let caller = state.sdk_caller(f.text("branch_key")?.as_deref()).await?;
    let secret = f.text("branch_secret")?.ok_or(ApiError::Unauthorized)?;
    let secret = state.keys.authenticate(&secret).await?;
    if secret.kind != KeyKind::Secret || secret.app_id != caller.app_id {
        return Err(ApiError::Unauthorized);
    }
    state.limits.check(&secret)?;
    let code = requested_code(&state, caller.app_id, query.url.as_deref())?;
    let patch = LinkParams::patch_from_json(&body)?;
    let link = links::update(&state, caller.app_id, code.as_str(), &patch).await?;
    let url = state
        .short_url(caller.app_id, code.as_str())
        .unwrap_or_default();
    Ok(HttpResponse::Ok().json(read_link(&link, &url)))
}

/// Creates one link from Branch parameters and returns its short URL.
async fn create_one(
    state: &ApiState,
    app: AppId,
    params: &Map<String, Value>,
) -> Result<String, ApiError> {
    let params = LinkParams::from_json(params)?;
    let no_domain = || {
        ApiError::conflict(
            "no_domain",
            "the app has no link domain for short URLs yet; add one before creating links",
        )
    };
    if state.short_url(app, "").is_none() {
        return Err(no_domain());
    }
    let (link, _created) = links::create(state, app, params, Destinations::OwnSites).await?;
    state
        .short_url(app, link.code.as_str())
        .ok_or_else(no_domain)
}

/// The code of `url` when it is a link URL on one of `app`'s domains; 404 otherwise.
fn requested_code(state: &ApiState, app: AppId, url: Option<&str>) -> Result<LinkCode, ApiError> {
    let raw = url
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| FieldError::new("url", "is required"))?;
    let parsed = url::Url::parse(raw)
        .or_else(|_| url::Url::parse(&format!("https://{raw}")))
        .map_err(|_| ApiError::NotFound("link"))?;
    own_link_code(state, app, &parsed).ok_or(ApiError::NotFound("link"))
}

fn bulk_error(error: &ApiError) -> SdkBulkError {
    use actix_web::ResponseError;
    let message = match error {
        ApiError::Invalid(e) => e.reason.to_string(),
        ApiError::Internal(_) => "an unexpected error occurred".to_owned(),
        other => other.to_string(),
    };
    if let ApiError::Internal(cause) = error {
        tracing::error!(%cause, "internal error in a bulk link item");
    }
    SdkBulkError {
        code: error.status_code().as_u16(),
        kind: error.code().to_owned(),
        message,
        field: match error {
            ApiError::Invalid(e) => Some(e.field.to_string()),
            _ => None,
        },
    }
}
