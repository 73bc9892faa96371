//! Shapes shared by several developer-API resources: the problem document, the link
//! representation and the link parameters, as documented in the OpenAPI document; and
//! [`only`], which refuses unknown keys in a request body.
//!
//! Representations are our own structs rather than the domain types' serde output, so a
//! change inside `link-core` cannot silently change the public API.

use chrono::{DateTime, Utc};
use link_core::{FieldError, Link};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::ApiState;

/// An error (RFC 9457 problem document), served as `application/problem+json`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://hoplink.dev/problems/invalid_field",
    "title": "Invalid field", "status": 400, "code": "invalid_field",
    "detail": "must be 0, 1 or 2", "field": "type"
}))]
pub struct Problem {
    /// `https://hoplink.dev/problems/{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// Stable machine-readable code: `invalid_field`, `malformed_body`,
    /// `payload_too_large`, `unauthorized`, `forbidden`, `not_found`, `alias_taken`,
    /// `domain_taken`, `last_secret_key`, `shard_exists`, `no_active_shard`,
    /// `rate_limited`, `unavailable`, `internal`.
    pub code: String,
    pub detail: String,
    /// The offending field (`invalid_field` only), e.g. `alias`, `data.$ios_url`,
    /// `config.ios.team_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The problem document `error` answers with, as JSON (for per-item results). Built by
/// the one mapping in [`crate::error`], so an item's error reads exactly like a request's.
pub fn problem_json(error: &ApiError) -> Value {
    use actix_web::ResponseError;
    use actix_web::body::MessageBody;
    let body = error.error_response().into_body();
    match body.try_into_bytes() {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

/// Refuses a body with a key outside `known`, naming the first such key.
pub fn only(body: &Map<String, Value>, known: &[&str]) -> Result<(), FieldError> {
    match body.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(FieldError::new(unknown.clone(), "unknown field")),
        None => Ok(()),
    }
}

/// A link as the developer API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "url": "https://go.acme.app/summer-sale", "code": "summer-sale", "alias": true,
    "data": {"$desktop_url": "https://acme.app/sale", "product_id": 42},
    "channel": "email", "feature": "marketing", "campaign": "summer", "stage": null,
    "tags": ["summer"], "type": 2, "duration": null, "expires_at": null,
    "created_at": "2026-06-01T10:00:00Z", "updated_at": "2026-06-01T10:00:00Z",
    "deleted_at": null, "version": 1
}))]
pub struct LinkResource {
    /// The short URL on the app's primary domain (never its alternate one); `null` when
    /// the app has no such domain.
    pub url: Option<String>,
    pub code: String,
    /// Whether `code` was chosen by the creator (an alias) rather than generated.
    pub alias: bool,
    /// Branch link data: `$`-prefixed control keys (`$ios_url`, `$desktop_url`,
    /// `$deeplink_path`, `$og_title`, `$twitter_card`, ...) and the app's own keys.
    #[schema(value_type = Object)]
    pub data: Map<String, Value>,
    pub channel: Option<String>,
    pub feature: Option<String>,
    pub campaign: Option<String>,
    pub stage: Option<String>,
    pub tags: Vec<String>,
    /// Branch link type: 0 unlimited, 1 one-time, 2 marketing.
    #[serde(rename = "type")]
    #[schema(minimum = 0, maximum = 2)]
    pub link_type: i16,
    /// Attribution window of this link's clicks, seconds (the app's when `null`).
    pub duration: Option<u32>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set when the link was deleted; a deleted link answers clicks with 410.
    pub deleted_at: Option<DateTime<Utc>>,
    /// Bumped on every change.
    pub version: i64,
}

impl LinkResource {
    pub fn new(state: &ApiState, link: Link) -> Self {
        Self {
            url: state.short_url(link.app_id, link.code.as_str()),
            code: link.code.into(),
            alias: link.is_alias,
            data: link.data.to_map(),
            channel: link.labels.channel().map(str::to_owned),
            feature: link.labels.feature().map(str::to_owned),
            campaign: link.labels.campaign().map(str::to_owned),
            stage: link.labels.stage().map(str::to_owned),
            tags: link.labels.tags_vec(),
            link_type: link.link_type.to_branch(),
            duration: link.duration_secs,
            expires_at: link.expires_at,
            created_at: link.created_at,
            updated_at: link.updated_at,
            deleted_at: link.deleted_at,
            version: link.version,
        }
    }
}

/// Link parameters, Branch style. Every field is optional. Parsed leniently like Branch:
/// `data` may be a JSON-encoded string, `type` and `duration` numeric strings, `tags` a
/// single string. Unknown fields are ignored.
#[derive(Debug, ToSchema)]
#[schema(example = json!({
    "alias": "summer-sale", "channel": "email", "campaign": "summer", "tags": ["summer"],
    "data": {"$desktop_url": "https://acme.app/sale", "$deeplink_path": "sale/summer"}
}))]
pub struct LinkInput {
    /// The code to use: `[A-Za-z0-9_-]` parts, up to 8 joined by `/` as Branch path
    /// aliases are (`product/id1234`, not starting `a/`), 128 characters in all; a random
    /// one when absent. Re-creating
    /// an alias with the same parameters returns the existing link (200); with other
    /// parameters it is 409 `alias_taken`.
    pub alias: Option<String>,
    /// Link data (at most 16 KB); URL keys must be http(s), deep-link paths relative or
    /// on the app's own URI schemes.
    #[schema(value_type = Option<Object>)]
    pub data: Option<Map<String, Value>>,
    pub channel: Option<String>,
    pub feature: Option<String>,
    pub campaign: Option<String>,
    pub stage: Option<String>,
    /// At most 32 tags of at most 128 characters.
    pub tags: Option<Vec<String>>,
    /// 0 unlimited (default), 1 one-time, 2 marketing.
    #[schema(rename = "type", minimum = 0, maximum = 2)]
    pub link_type: Option<i64>,
    /// Attribution window in seconds, 1 to 7776000.
    pub duration: Option<u32>,
    /// RFC 3339 timestamp after which clicks answer 410.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A partial update with Branch's merge semantics: `data` keys are merged into the
/// stored data (a `null` value removes the key); every other field present replaces the
/// stored value (`null` clears it); absent fields are kept. The code cannot change.
#[derive(Debug, ToSchema)]
#[schema(example = json!({"data": {"$desktop_url": "https://acme.app/new", "old_key": null}, "campaign": null}))]
pub struct LinkPatchInput {
    #[schema(value_type = Option<Object>)]
    pub data: Option<Map<String, Value>>,
    pub channel: Option<String>,
    pub feature: Option<String>,
    pub campaign: Option<String>,
    pub stage: Option<String>,
    pub tags: Option<Vec<String>>,
    #[schema(rename = "type", minimum = 0, maximum = 2)]
    pub link_type: Option<i64>,
    pub duration: Option<u32>,
    pub expires_at: Option<DateTime<Utc>>,
}
