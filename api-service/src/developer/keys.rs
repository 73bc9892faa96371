//! `/api/v1/keys`: the caller's app's API keys.
//!
//! Keys are stored hashed: a key is shown once, in the response that creates it, and
//! listed afterwards by its visible prefix only. Revocation takes effect on every API
//! instance within a second (the catalog notifies them and they drop their key caches).
//!
//! Self-lockout policy: a secret key may revoke any key of its app, itself included,
//! except the app's last active secret key (409 `last_secret_key`): without one, only an
//! operator could reach the app's developer API again. Rotation always issues the
//! replacement in the same transaction, so it may revoke the calling key.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use link_core::FieldError;
use link_core::keys::KeyKind;
use serde::Serialize;
use serde_json::{Map, Value};
use shard_router::catalog::keys::{self, IssuedKey, KeyInfo, Revoked};
use utoipa::ToSchema;

use super::schemas::Problem;
use crate::error::ApiError;
use crate::state::ApiState;

pub const MAX_LABEL_CHARS: usize = 100;

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyKindResource {
    /// `key_live_...`: SDK endpoints only; safe to ship inside an app.
    Sdk,
    /// `secret_live_...`: the developer API; keep it on your servers.
    Secret,
}

impl From<KeyKind> for KeyKindResource {
    fn from(kind: KeyKind) -> Self {
        match kind {
            KeyKind::Sdk => Self::Sdk,
            KeyKind::Secret => Self::Secret,
        }
    }
}

/// A key as listed: never the key itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyResource {
    pub id: i64,
    pub kind: KeyKindResource,
    /// The visible start of the key, e.g. `secret_live_AbC12xYz`.
    pub prefix: String,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Whether this is the key making the request.
    pub current: bool,
}

impl KeyResource {
    fn new(info: KeyInfo, caller_key: i64) -> Self {
        Self {
            current: info.id == caller_key,
            id: info.id,
            kind: info.kind.into(),
            prefix: info.prefix,
            label: info.label,
            created_at: info.created_at,
            revoked_at: info.revoked_at,
        }
    }
}

/// A freshly created key. `key` is shown this once and cannot be retrieved later.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewKeyResource {
    pub id: i64,
    pub kind: KeyKindResource,
    /// The whole key.
    pub key: String,
    pub prefix: String,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<IssuedKey> for NewKeyResource {
    fn from(issued: IssuedKey) -> Self {
        Self {
            id: issued.info.id,
            kind: issued.info.kind.into(),
            key: issued.key.expose().to_owned(),
            prefix: issued.info.prefix,
            label: issued.info.label,
            created_at: issued.info.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    /// Every key of the app, revoked ones included, oldest first.
    pub data: Vec<KeyResource>,
}

#[derive(Debug, ToSchema)]
#[schema(example = json!({"kind": "secret", "label": "billing server"}))]
pub struct KeyInput {
    pub kind: KeyKindResource,
    /// At most 100 characters.
    pub label: Option<String>,
}

#[derive(Debug, ToSchema)]
#[schema(example = json!({"kind": "sdk"}))]
pub struct RotateInput {
    pub kind: KeyKindResource,
}

fn kind_field(body: &Map<String, Value>) -> Result<KeyKind, FieldError> {
    match body.get("kind") {
        Some(Value::String(raw)) => KeyKind::parse(raw).map_err(|e| e.at("kind")),
        None | Some(Value::Null) => Err(FieldError::new("kind", "is required")),
        Some(_) => Err(FieldError::new("kind", "must be \"sdk\" or \"secret\"")),
    }
}

fn label_field(body: &Map<String, Value>) -> Result<Option<String>, FieldError> {
    let label = match body.get("label") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(label)) => label.trim(),
        Some(_) => return Err(FieldError::new("label", "must be a string")),
    };
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(FieldError::new("label", "must be at most 100 characters"));
    }
    if label.chars().any(char::is_control) {
        return Err(FieldError::new(
            "label",
            "must not contain control characters",
        ));
    }
    Ok((!label.is_empty()).then(|| label.to_owned()))
}

#[utoipa::path(
    tag = "apps",
    summary = "The app's API keys (prefixes only)",
    responses(
        (status = 200, description = "The keys", body = KeyList),
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
pub async fn list_keys(
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.secret_caller(&req).await?;
    let listed = keys::list(state.router.catalog(), caller.app_id).await?;
    Ok(HttpResponse::Ok().json(KeyList {
        data: listed
            .into_iter()
            .map(|info| KeyResource::new(info, caller.key_id))
            .collect(),
    }))
}

#[utoipa::path(
    tag = "apps",
    summary = "Create a key",
    description = "The response is the only place the whole key is ever shown.",
    request_body = KeyInput,
    responses(
        (status = 201, description = "Created", body = NewKeyResource),
        (status = 400, description = "Malformed body or invalid field (`kind`, `label`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a secret key", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body larger than 1 MB", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The catalog is unavailable", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("secret_key" = []))
)]
#[post("")]
pub async fn create_key(
    req: HttpRequest,
    state: web::Data<ApiState>,
    body: web::Json<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.secret_caller(&req).await?;
    let kind = kind_field(&body)?;
    let label = label_field(&body)?;
    let issued = keys::create(
        state.router.catalog(),
        caller.app_id,
        kind,
        label.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(NewKeyResource::from(issued)))
}

#[utoipa::path(
    tag = "apps",
    summary = "Revoke a key",
    description = "Effective on every instance within a second. The app's last active secret key cannot be revoked (409 `last_secret_key`); create or rotate to a new one first.",
    params(("id" = i64, Path, description = "The key's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Missing, unknown or revoked key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a secret key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The app has no such active key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`last_secret_key`: it is the app's last active secret key", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The catalog is unavailable", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("secret_key" = []))
)]
#[delete("/{id}")]
pub async fn revoke_key(
    req: HttpRequest,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.secret_caller(&req).await?;
    let key_id: i64 = path.parse().map_err(|_| ApiError::NotFound("key"))?;
    match keys::revoke_keeping_a_secret(state.router.catalog(), caller.app_id, key_id).await? {
        Revoked::Revoked => Ok(HttpResponse::NoContent().finish()),
        Revoked::NotFound => Err(ApiError::NotFound("key")),
        Revoked::LastSecretKey => Err(ApiError::conflict(
            "last_secret_key",
            "this is the app's last active secret key; create or rotate to a new one first",
        )),
    }
}

#[utoipa::path(
    tag = "apps",
    summary = "Rotate the keys of one kind",
    description = "Revokes every active key of the kind and issues one new key, in one transaction. Rotating `secret` also revokes the key making the request: use the returned key from now on.",
    request_body = RotateInput,
    responses(
        (status = 201, description = "The new key", body = NewKeyResource),
        (status = 400, description = "Malformed body or invalid `kind`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a secret key", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body larger than 1 MB", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The catalog is unavailable", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("secret_key" = []))
)]
#[post("/rotate")]
pub async fn rotate_keys(
    req: HttpRequest,
    state: web::Data<ApiState>,
    body: web::Json<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.secret_caller(&req).await?;
    let kind = kind_field(&body)?;
    let issued = keys::rotate(state.router.catalog(), caller.app_id, &[kind])
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal("rotation issued no key".into()))?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(NewKeyResource::from(issued)))
}
