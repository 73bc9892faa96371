//! `/api/v1/links`: create, read, list, update and delete the caller's app's links.
//!
//! Writes go through [`crate::links`] (shared with the SDK's `/v1/url`): one fenced
//! transaction on the app's shard each, whose trigger tells every link service to drop
//! its cached copy, so a changed link is served within a second. Every query is scoped to
//! the caller's app: another app's code answers 404.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use link_core::{FieldError, LinkCode, link_input};
use link_store::links::{self, ListFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::cursor;
use super::schemas::{LinkInput, LinkPatchInput, LinkResource, Problem};
use crate::error::ApiError;
use crate::links::{self as link_ops, Destinations, LinkParams};
use crate::state::ApiState;

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 1000;

/// One page of links, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkList {
    pub data: Vec<LinkResource>,
    /// Pass as `cursor` for the next page; `null` on the last page. (A page may come
    /// back empty when the previous one ended exactly at the end.)
    pub next_cursor: Option<String>,
}

/// Filters and paging of `GET /api/v1/links`. Filters combine with AND.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1 to 1000 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only links carrying this tag.
    pub tag: Option<String>,
    pub campaign: Option<String>,
    pub channel: Option<String>,
    pub feature: Option<String>,
    /// Include deleted links (default false).
    #[param(value_type = Option<bool>)]
    pub include_deleted: Option<String>,
}

impl ListParams {
    fn filter(&self) -> Result<ListFilter, FieldError> {
        let limit = match self.limit.as_deref() {
            None => DEFAULT_PAGE,
            Some(raw) => raw
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_PAGE).contains(n))
                .ok_or_else(|| FieldError::new("limit", "must be an integer from 1 to 1000"))?,
        };
        let include_deleted = match self.include_deleted.as_deref().map(str::trim) {
            None | Some("false" | "0" | "") => false,
            Some("true" | "1") => true,
            Some(_) => {
                return Err(FieldError::new("include_deleted", "must be true or false"));
            }
        };
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        // Checked as stored values are, so a control character is a 400, not a query error.
        let tag = match text(&self.tag) {
            Some(tag) => link_input::normalize_tags(vec![tag])
                .map_err(|e| FieldError {
                    field: "tag".into(),
                    ..e
                })?
                .pop(),
            None => None,
        };
        Ok(ListFilter {
            tag,
            campaign: link_input::normalize_attribute("campaign", text(&self.campaign))?,
            channel: link_input::normalize_attribute("channel", text(&self.channel))?,
            feature: link_input::normalize_attribute("feature", text(&self.feature))?,
            include_deleted,
            before_id: self.cursor.as_deref().map(cursor::decode).transpose()?,
            limit,
        })
    }
}

#[utoipa::path(
    tag = "links",
    summary = "Create a link",
    request_body = LinkInput,
    responses(
        (status = 201, description = "Created", body = LinkResource,
            headers(("Location" = String, description = "/api/v1/links/{code}"))),
        (status = 200, description = "The alias already exists with these same parameters: the existing link (a safe retry)", body = LinkResource),
        (status = 400, description = "Malformed body or an invalid field (named in `field`); nothing was written", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a secret key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`alias_taken`: the alias belongs to a link with other parameters", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body larger than 1 MB", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The app's shard is unavailable", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("secret_key" = []))
)]
#[post("")]
pub async fn create_link(
    req: HttpRequest,
    state: web::Data<ApiState>,
    body: web::Json<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.secret_caller(&req).await?;
    let params = LinkParams::from_json(&body)?;
    let (link, created) =
        link_ops::create(&state, caller.app_id, params, Destinations::Any).await?;
    // A path alias's `/` is one path segment here: `/api/v1/links/product%2Fid1234`.
    let location = format!("/api/v1/links/{}", link.code.as_str().replace('/', "%2F"));
    let resource = LinkResource::new(&state, link);
    Ok(if created {
        HttpResponse::Created()
            .insert_header((header::LOCATION, location))
            .json(resource)
    } else {
        HttpResponse::Ok().json(resource)
    })
}

#[utoipa::path(
    tag = "links",
    summary = "List links, newest first",
    params(ListParams),
    responses(
        (status = 200, description = "One page", body = LinkList),
        (status = 400, description = "An invalid parameter (named in `field`: `limit`, `cursor`, `include_deleted`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a secret key", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The app's shard is unavailable", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("secret_key" = []))
)]
#[get("")]
pub async fn list_links(
    req: HttpRequest,
    state: web::Data<ApiState>,
    query: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.secret_caller(&req).await?;
    let filter = query.filter()?;
    let resolved = state.app(caller.app_id)?;
    let page = links::list(resolved.shard.pool()?, caller.app_id, &filter).await?;
    let next_cursor = match page.last_id {
        Some(last) if page.scanned == filter.limit as usize => Some(cursor::encode(last)),
        _ => None,
    };
    Ok(HttpResponse::Ok().json(LinkList {
        data: page
            .links
            .into_iter()
            .map(|link| LinkResource::new(&state, link))
            .collect(),
        next_cursor,
    }))
}

#[utoipa::path(
    tag = "links",
    summary = "Get a link (deleted ones too)",
    params(("code" = String, Path, description = "The link's code; a path alias with its `/` escaped (`product%2Fid1234`)")),
    responses(
        (status = 200, description = "The link", body = LinkResource),
        (status = 401, description = "Missing, unknown or revoked key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a secret key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The app has no such link", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`unreadable_row`: the stored link cannot be read (a value written past the API's checks; `detail` names the column); it has to be repaired in the shard's database", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The app's shard is unavailable", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("secret_key" = []))
)]
#[get("/{code}")]
pub async fn get_link(
    req: HttpRequest,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.secret_caller(&req).await?;
    let link = link_ops::get(&state, caller.app_id, &path).await?;
    Ok(HttpResponse::Ok().json(LinkResource::new(&state, link)))
}

#[utoipa::path(
    tag = "links",
    summary = "Update a link",
    description = "Branch merge semantics: `data` keys merge into the stored data (`null` removes a key); other fields present replace (`null` clears); absent fields are kept. Link services serve the change within a second.",
    params(("code" = String, Path, description = "The link's code; a path alias with its `/` escaped (`product%2Fid1234`)")),
    request_body = LinkPatchInput,
    responses(
        (status = 200, description = "The link after the change", body = LinkResource),
        (status = 400, description = "Malformed body or an invalid field (named in `field`); nothing was changed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a secret key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The app has no such live link", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`unreadable_row`: the stored link cannot be read (a value written past the API's checks; `detail` names the column); it has to be repaired in the shard's database", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body larger than 1 MB", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The app's shard is unavailable", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("secret_key" = []))
)]
#[patch("/{code}")]
pub async fn update_link(
    req: HttpRequest,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    body: web::Json<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.secret_caller(&req).await?;
    let code = LinkCode::parse(&path).map_err(|_| ApiError::NotFound("link"))?;
    match body.get("alias") {
        None | Some(Value::Null) => {}
        Some(Value::String(alias)) if alias == code.as_str() => {}
        Some(_) => {
            return Err(FieldError::new("alias", "a link's code cannot be changed").into());
        }
    }
    let patch = LinkParams::patch_from_json(&body)?;
    let link = link_ops::update(&state, caller.app_id, code.as_str(), &patch).await?;
    Ok(HttpResponse::Ok().json(LinkResource::new(&state, link)))
}

#[utoipa::path(
    tag = "links",
    summary = "Delete a link",
    description = "A soft delete: the link then answers clicks with 410 (or the app's fallback, per `expired_link_behavior`), its code is never reused, and it stays readable here with `deleted_at` set.",
    params(("code" = String, Path, description = "The link's code; a path alias with its `/` escaped (`product%2Fid1234`)")),
    responses(
        (status = 200, description = "The deleted link", body = LinkResource),
        (status = 401, description = "Missing, unknown or revoked key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a secret key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The app has no such live link", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`unreadable_row`: the stored link cannot be read (a value written past the API's checks; `detail` names the column); it has to be repaired in the shard's database", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The app's shard is unavailable", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("secret_key" = []))
)]
#[delete("/{code}")]
pub async fn delete_link(
    req: HttpRequest,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.secret_caller(&req).await?;
    let code = LinkCode::parse(&path).map_err(|_| ApiError::NotFound("link"))?;
    let link = link_ops::delete(&state, caller.app_id, code.as_str()).await?;
    Ok(HttpResponse::Ok().json(LinkResource::new(&state, link)))
}
