//! `POST /api/v1/purge`: drop every cached copy of the app's links that carry a tag.
//!
//! Cache tags let a developer refresh a whole group of links (a campaign, a match id)
//! in one call, e.g. after changing rows behind the API's back or to force a re-read
//! during a flash crowd. The purge is a notification on the app's shard that every link
//! service listens to; they drop the entries within about a second. Nothing is written.

use actix_web::{HttpRequest, HttpResponse, post, web};
use link_core::{FieldError, link_input};
use link_store::links;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::schemas::Problem;
use crate::error::ApiError;
use crate::state::ApiState;

#[derive(Debug, ToSchema)]
#[schema(example = json!({"tag": "match-7"}))]
pub struct PurgeInput {
    /// The cache tag (a link tag), 1 to 128 characters.
    pub tag: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PurgeResponse {
    pub tag: String,
    /// Live links of the app carrying the tag when the purge was sent.
    pub links: i64,
}

#[utoipa::path(
    tag = "links",
    summary = "Purge cached links by tag",
    description = "Accepted, not awaited: link services drop their cached copies of the app's links carrying the tag within about a second, and the next click reads the link afresh. Answers 202 even when no live link carries the tag (`links` is then 0).",
    request_body = PurgeInput,
    responses(
        (status = 202, description = "Purge sent", body = PurgeResponse),
        (status = 400, description = "Malformed body or invalid `tag`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a secret key", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body larger than 1 MB", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The app's shard is unavailable; nothing was purged", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("secret_key" = []))
)]
#[post("")]
pub async fn purge_tag(
    req: HttpRequest,
    state: web::Data<ApiState>,
    body: web::Json<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.secret_caller(&req).await?;
    let tag = match body.get("tag") {
        Some(Value::String(tag)) => tag.clone(),
        None | Some(Value::Null) => return Err(FieldError::new("tag", "is required").into()),
        Some(_) => return Err(FieldError::new("tag", "must be a string").into()),
    };
    // Tags are normalised on the way in, so normalise the same way to match them.
    let tag = link_input::normalize_tags(vec![tag])
        .map_err(|e| FieldError::new("tag", e.reason))?
        .pop()
        .ok_or_else(|| FieldError::new("tag", "must not be empty"))?;
    let resolved = state.app(caller.app_id)?;
    let pool = resolved.shard.pool()?;
    links::notify_tag_purge(pool, caller.app_id, &tag).await?;
    let count = links::count_live_with_tag(pool, caller.app_id, &tag).await?;
    Ok(HttpResponse::Accepted().json(PurgeResponse { tag, links: count }))
}
