//! `POST /api/v1/links/bulk`: up to 1,000 links in one request.
//!
//! Items are independent: each gets its own result, in request order, and a bad item
//! writes nothing while the good ones are created. The whole batch is one fenced
//! transaction on the app's shard with a single multi-row `INSERT ... ON CONFLICT DO
//! NOTHING` (plus one look-up for taken aliases), not a savepoint per item: a thousand
//! subtransactions would overflow Postgres' per-backend subtransaction cache, slowing
//! every concurrent snapshot on the shard.
//!
//! 1. Every item is parsed and validated against the app's config in memory (400s).
//! 2. The first occurrence of each alias, and every item without one (a code generated
//!    unique within the batch), is inserted; a taken code is skipped by the database.
//! 3. A generated code that was taken (about 2^-64 per link) gets a new one and is tried
//!    again. An alias that was taken, or repeated within the batch, is compared with the
//!    link now holding it: same parameters -> 200 with that link, else 409, exactly as a
//!    single create.

use std::collections::{HashMap, HashSet};

use actix_web::{HttpRequest, HttpResponse, post, web};
use link_core::{AppId, FieldError, Link, LinkCode};
use link_store::StoreError;
use link_store::links::{self, NewLink};
use serde::Serialize;
use serde_json::Value;
use shard_router::{app_config, fence};
use utoipa::ToSchema;

use super::schemas::{LinkInput, LinkResource, Problem, problem_json};
use crate::error::ApiError;
use crate::links::{Destinations, LinkParams};
use crate::state::ApiState;

pub const MAX_ITEMS: usize = 1000;
/// Rounds of regenerating codes that collided.
const CODE_ATTEMPTS: usize = 5;

/// The outcome of one item.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkItemResult {
    /// The item's position in the request, from 0.
    pub index: usize,
    /// 201 created, 200 an existing link with the same alias and parameters, 400 invalid,
    /// 409 alias taken by a link with other parameters.
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<LinkResource>,
    /// The problem document a single create would have answered with.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Problem>)]
    pub error: Option<Value>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "created": 1, "existing": 0, "failed": 1,
    "results": [
        {"index": 0, "status": 201, "link": {"url": "https://go.acme.app/Ab3xK9qPz2m", "code": "Ab3xK9qPz2m", "alias": false, "data": {}, "channel": null, "feature": null, "campaign": null, "stage": null, "tags": [], "type": 0, "duration": null, "expires_at": null, "created_at": "2026-06-01T10:00:00Z", "updated_at": "2026-06-01T10:00:00Z", "deleted_at": null, "version": 1}},
        {"index": 1, "status": 400, "error": {"type": "https://hoplink.dev/problems/invalid_field", "title": "Invalid field", "status": 400, "code": "invalid_field", "detail": "type must be 0, 1 or 2", "field": "type"}}
    ]
}))]
pub struct BulkResponse {
    pub created: usize,
    pub existing: usize,
    pub failed: usize,
    /// One result per item, in request order.
    pub results: Vec<BulkItemResult>,
}

enum Outcome {
    Created(Link),
    Existing(Link),
    Failed(ApiError),
}

#[utoipa::path(
    tag = "links",
    summary = "Create up to 1,000 links",
    description = "The body is a JSON array of link parameter objects (as for `POST /api/v1/links`). Each item gets its own result, in order; a bad item writes nothing and does not stop the others. The response is 200 whenever the request itself was acceptable, whatever the items' outcomes.",
    request_body(content = Vec<LinkInput>, description = "At most 1,000 items"),
    responses(
        (status = 200, description = "One result per item", body = BulkResponse),
        (status = 400, description = "Not a JSON array, or more than 1,000 items (field `body`); nothing was written", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a secret key", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body larger than 1 MB", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The app's shard is unavailable; nothing was written", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("secret_key" = []))
)]
#[post("/bulk")]
pub async fn bulk_create_links(
    req: HttpRequest,
    state: web::Data<ApiState>,
    body: web::Json<Vec<Value>>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.secret_caller(&req).await?;
    let items = body.into_inner();
    if items.len() > MAX_ITEMS {
        return Err(FieldError::new(
            "body",
            format!(
                "at most {MAX_ITEMS} links per request (got {}); split the batch",
                items.len()
            ),
        )
        .into());
    }
    let outcomes = create_all(&state, caller.app_id, &items).await?;
    let mut response = BulkResponse {
        created: 0,
        existing: 0,
        failed: 0,
        results: Vec::with_capacity(outcomes.len()),
    };
    for (index, outcome) in outcomes.into_iter().enumerate() {
        let (status, link, error) = match outcome {
            Outcome::Created(link) => {
                response.created += 1;
                (201, Some(LinkResource::new(&state, link)), None)
            }
            Outcome::Existing(link) => {
                response.existing += 1;
                (200, Some(LinkResource::new(&state, link)), None)
            }
            Outcome::Failed(error) => {
                response.failed += 1;
                let status = actix_web::ResponseError::status_code(&error).as_u16();
                (status, None, Some(problem_json(&error)))
            }
        };
        response.results.push(BulkItemResult {
            index,
            status,
            link,
            error,
        });
    }
    Ok(HttpResponse::Ok().json(response))
}

/// Validates and inserts every item in one fenced transaction; one outcome per item.
async fn create_all(
    state: &ApiState,
    app_id: AppId,
    items: &[Value],
) -> Result<Vec<Outcome>, ApiError> {
    let resolved = state.app(app_id)?;
    let mut tx = fence::begin_app_write(resolved.shard.pool()?, &resolved.route).await?;
    let config = app_config::load(&mut *tx, app_id)
        .await?
        .ok_or(ApiError::NotFound("app"))?;

    let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(items.len());
    // Items to insert now: (index, code, link). Codes are unique within the batch.
    let mut round: Vec<(usize, LinkCode, NewLink)> = Vec::new();
    // Items whose alias was taken or repeated: settled against the stored link.
    let mut contested: Vec<(usize, NewLink)> = Vec::new();
    let mut used: HashSet<LinkCode> = HashSet::new();
    for (index, item) in items.iter().enumerate() {
        let parsed = match item {
            Value::Object(map) => LinkParams::from_json(map)
                .and_then(|p| p.into_new_link(&config.config, Destinations::Any)),
            _ => Err(FieldError::new("body", "each item must be a JSON object")),
        };
        let new = match parsed {
            Ok(new) => new,
            Err(e) => {
                outcomes.push(Some(Outcome::Failed(e.into())));
                continue;
            }
        };
        outcomes.push(None);
        match new.alias.clone() {
            Some(alias) if !used.insert(alias.clone()) => contested.push((index, new)),
            Some(alias) => round.push((index, alias, new)),
            None => round.push((index, fresh_code(&mut used), new)),
        }
    }

    for _ in 0..CODE_ATTEMPTS {
        if round.is_empty() {
            break;
        }
        let rows: Vec<(LinkCode, &NewLink)> = round
            .iter()
            .map(|(_, code, new)| (code.clone(), new))
            .collect();
        let mut inserted: HashMap<String, Link> = links::insert_many(&mut tx, app_id, &rows)
            .await?
            .into_iter()
            .map(|link| (link.code.as_str().to_owned(), link))
            .collect();
        let mut retry = Vec::new();
        for (index, code, new) in round {
            match inserted.remove(code.as_str()) {
                Some(link) => outcomes[index] = Some(Outcome::Created(link)),
                None if new.alias.is_some() => contested.push((index, new)),
                None => retry.push((index, fresh_code(&mut used), new)),
            }
        }
        round = retry;
    }
    for (index, _, _) in round {
        outcomes[index] = Some(Outcome::Failed(
            FieldError::new("code", "could not generate a free code").into(),
        ));
    }

    if !contested.is_empty() {
        let codes: Vec<&str> = contested
            .iter()
            .filter_map(|(_, new)| new.alias.as_ref().map(LinkCode::as_str))
            .collect();
        let holders: HashMap<String, Link> = links::find_by_codes(&mut *tx, app_id, &codes)
            .await?
            .into_iter()
            .map(|link| (link.code.as_str().to_owned(), link))
            .collect();
        for (index, new) in contested {
            let Some(alias) = new.alias.clone() else {
                continue;
            };
            outcomes[index] = Some(match holders.get(alias.as_str()) {
                Some(link) if crate::links::same_params(link, &new) => {
                    Outcome::Existing(link.clone())
                }
                _ => Outcome::Failed(StoreError::AliasTaken(alias).into()),
            });
        }
    }
    tx.commit().await?;
    let outcomes: Vec<Outcome> = outcomes
        .into_iter()
        .map(|o| o.ok_or_else(|| ApiError::Internal("bulk item without an outcome".into())))
        .collect::<Result<_, _>>()?;
    write_through(state, &outcomes).await;
    Ok(outcomes)
}

/// Writes the new links through to the hot tier, a bounded number at a time.
async fn write_through(state: &ApiState, outcomes: &[Outcome]) {
    use futures_util::StreamExt;
    if !state.hot.write_through.is_enabled() {
        return;
    }
    let created = outcomes.iter().filter_map(|o| match o {
        Outcome::Created(link) => Some(link),
        _ => None,
    });
    futures_util::stream::iter(created)
        .for_each_concurrent(16, |link| async move {
            state.hot.write_through.put_link(link).await;
        })
        .await;
}

/// A generated code not used elsewhere in this batch.
fn fresh_code(used: &mut HashSet<LinkCode>) -> LinkCode {
    loop {
        let code = LinkCode::generate();
        if used.insert(code.clone()) {
            return code;
        }
    }
}
