//! `GET /api/v1/app` and `PATCH /api/v1/app`: the caller's app, its domains and its
//! platform configuration.
//!
//! The name and domains live in the catalog, the configuration on the app's shard (where
//! the click path reads it). A configuration change is one fenced transaction on the
//! shard; its trigger tells every link service to drop the cached copy. The shard an app
//! lives on is an operator's concern and never shown here.

use actix_web::{HttpRequest, HttpResponse, get, patch, web};
use chrono::{DateTime, Utc};
use link_core::{AppId, FieldError};
use serde::Serialize;
use serde_json::{Map, Value};
use shard_router::catalog::apps;
use shard_router::{app_config, fence};
use utoipa::ToSchema;

use super::config_json::{self, AppConfigResource};
use super::schemas::Problem;
use crate::error::ApiError;
use crate::state::ApiState;

/// The caller's app.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "name": "Acme", "domains": ["go.acme.app", "acme.link", "go-alt.acme.app"],
    "alternate_domain": "go-alt.acme.app",
    "config": {
        "ios": {"bundle_id": "com.acme.app", "team_id": "ABCDE12345", "app_store_id": "1234567890", "uri_scheme": "acme"},
        "android": {"package": "com.acme.app", "sha256_cert_fingerprints": [], "uri_scheme": "acme"},
        "fallback_url": "https://acme.app/", "desktop_url": null,
        "expired_link_behavior": "gone",
        "preview": {"title": "Acme", "description": null, "image_url": null},
        "attribution_window_secs": 7200,
        "long_link_hosts": ["acme.app"]
    },
    "config_version": 3, "created_at": "2026-06-01T10:00:00Z"
}))]
pub struct AppResource {
    pub id: i64,
    pub name: String,
    /// The app's link domains in the order they were added, the alternate one last; the
    /// first is the primary one, where short URLs are built (unless the alternate one is
    /// the only domain left: then the app has no short URLs).
    pub domains: Vec<String>,
    /// The domain the iOS interstitial's "Open in app" button links to, so that iOS opens
    /// the app by Universal Link (it does only when a tap leads to another domain); it
    /// serves the app's links but never its short URLs. Also in `domains`.
    pub alternate_domain: Option<String>,
    pub config: AppConfigResource,
    /// Bumped on every configuration change.
    pub config_version: i64,
    pub created_at: DateTime<Utc>,
}

/// A partial update. `config` is a JSON merge patch (RFC 7396) over the `config` object
/// of `GET /api/v1/app`: present keys replace, `null` clears a value (or resets it to its
/// default), nested objects merge. Unknown keys are refused, naming the field.
#[derive(Debug, ToSchema)]
#[schema(example = json!({"name": "Acme Inc.", "config": {"ios": {"team_id": "ABCDE12345"}, "desktop_url": null}}))]
pub struct AppPatchInput {
    /// 1 to 200 characters.
    pub name: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub config: Option<Map<String, Value>>,
}

/// Attempts at a configuration write that lost a deadlock to a concurrent one.
const CONFIG_WRITE_ATTEMPTS: usize = 3;

#[utoipa::path(
    tag = "apps",
    operation_id = "get_app",
    summary = "The caller's app and its configuration",
    responses(
        (status = 200, description = "The app", body = AppResource),
        (status = 401, description = "Missing, unknown or revoked key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a secret key", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The app's shard or the catalog is unavailable", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("secret_key" = []))
)]
#[get("")]
pub async fn get_app(
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.secret_caller(&req).await?;
    Ok(HttpResponse::Ok().json(read(&state, caller.app_id).await?))
}

#[utoipa::path(
    tag = "apps",
    operation_id = "update_app",
    summary = "Change the app's name or configuration",
    request_body = AppPatchInput,
    responses(
        (status = 200, description = "The app after the change", body = AppResource),
        (status = 400, description = "Malformed body, or an invalid field (named in `field`, e.g. `config.ios.team_id`); nothing was changed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a secret key", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body larger than 1 MB", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The app's shard or the catalog is unavailable; retrying the same patch is safe", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("secret_key" = []))
)]
#[patch("")]
pub async fn update_app(
    req: HttpRequest,
    state: web::Data<ApiState>,
    body: web::Json<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.secret_caller(&req).await?;
    let body = body.into_inner();
    for key in body.keys() {
        match key.as_str() {
            "name" | "config" => {}
            "id" | "domains" | "alternate_domain" | "config_version" | "created_at" => {
                return Err(FieldError::new(
                    key.clone(),
                    "is read-only (domains change through /api/v1/domains)",
                )
                .into());
            }
            _ => return Err(FieldError::new(key.clone(), "unknown field").into()),
        }
    }
    // Everything is validated before anything is written.
    let name = match body.get("name") {
        None => None,
        Some(Value::String(name)) => Some(apps::validate_name(name)?),
        Some(_) => return Err(FieldError::new("name", "must be a string").into()),
    };
    let config_patch = match body.get("config") {
        None => None,
        Some(patch @ Value::Object(_)) => Some(patch),
        Some(_) => return Err(FieldError::new("config", "must be an object").into()),
    };
    // The configuration first: it is the part that can still be refused (it is checked
    // against the stored one). A patch is idempotent, so if the rename then fails (503)
    // retrying the same request converges.
    if let Some(patch) = config_patch {
        write_config(&state, caller.app_id, patch).await?;
    }
    if let Some(name) = name {
        apps::rename(&state.router, caller.app_id, &name).await?;
    }
    Ok(HttpResponse::Ok().json(read(&state, caller.app_id).await?))
}

async fn read(state: &ApiState, app_id: AppId) -> Result<AppResource, ApiError> {
    let summary = apps::get(&state.router, app_id).await?;
    let resolved = state.app(app_id)?;
    let stored = app_config::load(resolved.shard.pool()?, app_id)
        .await?
        .ok_or(ApiError::NotFound("app"))?;
    Ok(AppResource {
        id: app_id.get(),
        name: summary.name,
        domains: summary.domains,
        alternate_domain: summary.alternate_domain,
        config: AppConfigResource::from(&stored.config),
        config_version: stored.version,
        created_at: summary.created_at,
    })
}

/// Applies a merge patch to the stored configuration in one fenced transaction.
async fn write_config(state: &ApiState, app_id: AppId, patch: &Value) -> Result<(), ApiError> {
    for _ in 0..CONFIG_WRITE_ATTEMPTS {
        let resolved = state.app(app_id)?;
        let mut tx = fence::begin_app_write(resolved.shard.pool()?, &resolved.route).await?;
        let stored = app_config::load(&mut *tx, app_id)
            .await?
            .ok_or(ApiError::NotFound("app"))?;
        let mut json = config_json::to_json(&stored.config);
        config_json::merge_patch(&mut json, patch);
        let config = config_json::parse(&json, "config")?;
        if config == stored.config {
            // Nothing changes: no version bump, no cache invalidation.
            return Ok(());
        }
        match app_config::update(&mut *tx, app_id, &config).await {
            Ok(Some(version)) => {
                tx.commit().await?;
                let stored = app_config::StoredConfig { config, version };
                state.hot.write_through.put_config(app_id, &stored).await;
                return Ok(());
            }
            Ok(None) => return Err(ApiError::NotFound("app")),
            // Every write holds the fence row FOR SHARE; two concurrent configuration
            // writes both upgrading it deadlock, and Postgres aborts one. Retry that one.
            Err(e) if is_deadlock(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Unavailable)
}

fn is_deadlock(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.code().as_deref() == Some("40P01"))
}
