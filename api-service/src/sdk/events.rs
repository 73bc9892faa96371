//! `POST /v1/close`, `POST /v2/event/standard` and `POST /v2/event/custom`: checked,
//! authenticated, queued for the app's shard (`sdk_events`), answered at once. Nothing
//! here waits for the shard: a batch is written within `HOPLINK_EVENTS_FLUSH_INTERVAL_MS`.
//!
//! `user_data` is reduced to an allow-list of descriptive keys before it is stored:
//! advertising ids, hardware ids, IP addresses and User-Agents are dropped.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::Utc;
use link_core::FieldError;
use link_store::events::{SdkEvent, SdkEventCategory};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::body::{self, Fields};
use super::device::{Device, presented_token};
use super::schema::{SdkCloseRequest, SdkEmpty, SdkEventRequest, SdkEventResponse};
use crate::error::ApiError;
use crate::state::ApiState;

/// Longest event name and alias, in characters.
const MAX_NAME_CHARS: usize = 128;

/// Largest `event_data`, `custom_data` and `content_items`, each, serialised.
pub const MAX_PART_BYTES: usize = 16 * 1024;

/// The `user_data` keys that are stored; everything else (identifiers) is dropped.
const USER_DATA_KEPT: &[&str] = &[
    "os",
    "os_version",
    "os_version_android",
    "brand",
    "model",
    "app_version",
    "sdk",
    "sdk_version",
    "plugin_name",
    "plugin_version",
    "country",
    "language",
    "locale",
    "environment",
    "connection_type",
    "screen_width",
    "screen_height",
    "screen_dpi",
    "limit_ad_tracking",
];

/// The session and device a request names (top level for close, `user_data` for v2).
struct Who {
    device: Device,
    session_id: Option<String>,
    device_token: Option<String>,
    bundle_token: Option<String>,
    developer_identity: Option<String>,
}

impl Who {
    fn read(f: Fields<'_>, user_agent: Option<&str>, state: &ApiState) -> Result<Self, FieldError> {
        let os = f.text("os")?;
        let os_version = f.text("os_version")?;
        let os_version_android = f.text("os_version_android")?;
        let model = f.text("model")?;
        Ok(Self {
            device: Device::describe(
                os.as_deref(),
                os_version.as_deref(),
                os_version_android.as_deref(),
                model.as_deref(),
                f.text("user_agent")?.as_deref().or(user_agent),
                &state.sdk.memo,
            ),
            session_id: presented_token(f.str("session_id")?.as_deref()),
            device_token: presented_token(
                f.str("randomized_device_token")?
                    .or(f.str("device_fingerprint_id")?)
                    .as_deref(),
            ),
            bundle_token: presented_token(
                f.str("randomized_bundle_token")?
                    .or(f.str("identity_id")?)
                    .as_deref(),
            ),
            developer_identity: f
                .text("developer_identity")?
                .or(f.text("identity")?)
                .map(|id| id.chars().take(256).collect()),
        })
    }
}

fn header_user_agent(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
}

#[utoipa::path(
    tag = "sdk",
    request_body = SdkCloseRequest,
    responses(
        (status = 200, description = "Recorded", body = SdkEmpty),
        (status = 400, description = "Malformed body or a known field of the wrong type"),
        (status = 401, description = "Missing, unknown or revoked `branch_key`"),
        (status = 413, description = "Body over 1 MB"),
        (status = 429, description = "The key's rate limit (Retry-After)"),
    )
)]
#[post("/v1/close")]
pub async fn close(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let body = body::object(&req, payload).await?;
    let f = Fields(&body);
    let who = Who::read(f, header_user_agent(&req), &state)?;
    let caller = state.sdk_caller(f.text("branch_key")?.as_deref()).await?;
    state.sdk.events.record(SdkEvent {
        id: Uuid::now_v7(),
        app_id: caller.app_id,
        occurred_at: Utc::now(),
        category: SdkEventCategory::Close,
        name: "CLOSE".to_owned(),
        customer_event_alias: None,
        platform: who.device.platform,
        os: Some(who.device.os),
        os_version: who.device.os_version,
        session_id: who.session_id,
        device_token: who.device_token,
        bundle_token: who.bundle_token,
        developer_identity: who.developer_identity,
        user_data: Map::new(),
        event_data: Map::new(),
        custom_data: Map::new(),
        content_items: Vec::new(),
    });
    Ok(HttpResponse::Ok().json(SdkEmpty {}))
}

#[utoipa::path(
    tag = "sdk",
    request_body = SdkEventRequest,
    responses(
        (status = 200, description = "Recorded", body = SdkEventResponse),
        (status = 400, description = "Malformed body, no `name`, a field of the wrong type or too large"),
        (status = 401, description = "Missing, unknown or revoked `branch_key`"),
        (status = 413, description = "Body over 1 MB"),
        (status = 429, description = "The key's rate limit (Retry-After)"),
    )
)]
#[post("/v2/event/standard")]
pub async fn standard(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    v2_event(&req, payload, &state, SdkEventCategory::Standard).await
}

#[utoipa::path(
    tag = "sdk",
    request_body = SdkEventRequest,
    responses(
        (status = 200, description = "Recorded", body = SdkEventResponse),
        (status = 400, description = "Malformed body, no `name`, a field of the wrong type or too large"),
        (status = 401, description = "Missing, unknown or revoked `branch_key`"),
        (status = 413, description = "Body over 1 MB"),
        (status = 429, description = "The key's rate limit (Retry-After)"),
    )
)]
#[post("/v2/event/custom")]
pub async fn custom(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    v2_event(&req, payload, &state, SdkEventCategory::Custom).await
}

async fn v2_event(
    req: &HttpRequest,
    payload: web::Payload,
    state: &ApiState,
    category: SdkEventCategory,
) -> Result<HttpResponse, ApiError> {
    let body = body::object(req, payload).await?;
    let f = Fields(&body);
    let name =
        bounded(f.text("name")?, "name")?.ok_or_else(|| FieldError::new("name", "is required"))?;
    let alias = bounded(f.text("customer_event_alias")?, "customer_event_alias")?;
    let user_data = f
        .object("user_data")?
        .map(|u| u.into_owned())
        .unwrap_or_default();
    let who = Who::read(Fields(&user_data), header_user_agent(req), state)
        .map_err(|e| FieldError::new(format!("user_data.{}", e.field), e.reason))?;
    let event_data = f
        .object("event_data")?
        .map(|m| m.into_owned())
        .unwrap_or_default();
    let custom_data = f
        .object("custom_data")?
        .map(|m| m.into_owned())
        .unwrap_or_default();
    let content_items = f
        .array("content_items")?
        .map(|a| a.into_owned())
        .unwrap_or_default();
    if content_items.iter().any(|item| !item.is_object()) {
        return Err(FieldError::new("content_items", "must be an array of objects").into());
    }
    for (field, size) in [
        ("event_data", json_len(&event_data)),
        ("custom_data", json_len(&custom_data)),
        ("content_items", json_len(&content_items)),
    ] {
        if size > MAX_PART_BYTES {
            return Err(FieldError::new(field, "must be at most 16 KB").into());
        }
    }
    let caller = state.sdk_caller(f.text("branch_key")?.as_deref()).await?;
    let kept: Map<String, Value> = user_data
        .into_iter()
        .filter(|(k, v)| USER_DATA_KEPT.contains(&k.as_str()) && json_len(v) <= 256)
        .collect();
    state.sdk.events.record(SdkEvent {
        id: Uuid::now_v7(),
        app_id: caller.app_id,
        occurred_at: Utc::now(),
        category,
        name,
        customer_event_alias: alias,
        platform: who.device.platform,
        os: Some(who.device.os),
        os_version: who.device.os_version,
        session_id: who.session_id,
        device_token: who.device_token,
        bundle_token: who.bundle_token,
        developer_identity: who.developer_identity,
        user_data: kept,
        event_data,
        custom_data,
        content_items,
    });
    Ok(HttpResponse::Ok().json(SdkEventResponse {
        branch_view_enabled: false,
    }))
}

fn bounded(value: Option<String>, field: &'static str) -> Result<Option<String>, FieldError> {
    match value {
        Some(v) if v.chars().count() > MAX_NAME_CHARS => Err(FieldError::new(
            field,
            format!("must be at most {MAX_NAME_CHARS} characters"),
        )),
        other => Ok(other),
    }
}

fn json_len(value: &impl serde::Serialize) -> usize {
    serde_json::to_vec(value).map_or(usize::MAX, |v| v.len())
}
