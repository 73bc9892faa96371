//! `/api/v1/admin`: the deployment's apps and shards, for operators (Bearer
//! `HOPLINK_ADMIN_TOKEN`; when it is not set, every admin route answers 403).
//!
//! These are the same operations as the `hoplink apps` and `hoplink shards` commands,
//! over HTTP. Shard URLs hold credentials and are only ever shown redacted.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use link_core::{FieldError, Host, ShardId};
use serde::Serialize;
use serde_json::{Map, Value};
use shard_router::catalog::{apps, shards};
use shard_router::{PoolSettings, RouterError, ShardDsn};
use utoipa::ToSchema;

use super::config_json;
use super::schemas::{Problem, only};
use crate::error::ApiError;
use crate::state::ApiState;

#[derive(Debug, ToSchema)]
#[schema(example = json!({
    "name": "Acme", "domains": ["go.acme.app"], "alternate_domain": "go-alt.acme.app",
    "config": {"ios": {"bundle_id": "com.acme.app", "team_id": "ABCDE12345"}, "fallback_url": "https://acme.app/"}
}))]
pub struct AppInput {
    /// 1 to 200 characters.
    pub name: String,
    /// Link domains, primary first (at most 50); each must be free.
    pub domains: Option<Vec<String>>,
    /// A further free domain that serves the app's links but never its short URLs: the
    /// iOS interstitial's "Open in app" button links there, so iOS opens the app by
    /// Universal Link. Needs `domains` beside it and must not be one of them.
    pub alternate_domain: Option<String>,
    /// The platform configuration, shaped like `config` of `GET /api/v1/app`; absent
    /// keys take their defaults.
    #[schema(value_type = Option<Object>)]
    pub config: Option<Map<String, Value>>,
    /// Place the app on this shard instead of the least loaded active one.
    pub shard: Option<String>,
}

/// A created app with its first keys, each shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedAppResource {
    pub app_id: i64,
    pub name: String,
    pub shard: String,
    /// Every domain of the app: primary first, the alternate one (if any) last.
    pub domains: Vec<String>,
    pub alternate_domain: Option<String>,
    pub sdk_key: String,
    pub secret_key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminAppResource {
    pub app_id: i64,
    pub name: String,
    pub shard: String,
    /// `active`, `moving` or `suspended`.
    pub state: String,
    /// Bumped by every move between shards.
    pub epoch: i64,
    /// Every domain of the app: primary first, the alternate one (if any) last.
    pub domains: Vec<String>,
    pub alternate_domain: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminAppList {
    /// Every app, oldest first.
    pub data: Vec<AdminAppResource>,
}

#[derive(Debug, ToSchema)]
#[schema(example = json!({"name": "shard-3", "url": "postgres://hoplink:secret@db3:5432/hoplink_shard_3", "weight": 100}))]
pub struct ShardInput {
    /// `[a-z0-9][a-z0-9_-]{0,62}`.
    pub name: String,
    /// `postgres://` URL of a database of its own (not the catalog's).
    pub url: String,
    /// Placement weight, 1 to 10000 (default 100).
    pub weight: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShardResource {
    pub name: String,
    /// The URL with its password replaced by `****`.
    pub url: String,
    /// `active`, `draining` or `retired`.
    pub state: String,
    pub weight: i32,
    /// Apps placed on the shard.
    pub apps: i64,
}

impl From<shards::ShardSummary> for ShardResource {
    fn from(s: shards::ShardSummary) -> Self {
        Self {
            name: s.id.into(),
            url: s.dsn,
            state: s.state,
            weight: s.weight,
            apps: s.apps,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShardList {
    pub data: Vec<ShardResource>,
}

fn string_field(
    body: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<String>, FieldError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(FieldError::new(field, "must be a string")),
    }
}

#[utoipa::path(
    tag = "admin",
    summary = "Create an app",
    description = "Places the app on the least loaded active shard (or `shard`), registers its domains (and its alternate domain) and issues one SDK key and one secret key, shown only in this response.",
    request_body = AppInput,
    responses(
        (status = 201, description = "Created", body = CreatedAppResource),
        (status = 400, description = "Malformed body or an invalid field (`name`, `domains`, `alternate_domain`, `config.*`, `shard`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong admin token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The admin API is disabled (HOPLINK_ADMIN_TOKEN is not set)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`domain_taken`, `shard_not_active` or `no_active_shard`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body larger than 1 MB", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The catalog or the chosen shard is unavailable; nothing was created", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("admin_token" = []))
)]
#[post("/apps")]
pub async fn create_app(
    req: HttpRequest,
    state: web::Data<ApiState>,
    body: web::Json<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    state.keys.admin(&req)?;
    only(
        &body,
        &["name", "domains", "alternate_domain", "config", "shard"],
    )?;
    let name =
        string_field(&body, "name")?.ok_or_else(|| FieldError::new("name", "is required"))?;
    let domains = match body.get("domains") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(raw) => Host::parse(raw).map_err(|e| e.at(format!("domains[{i}]"))),
                _ => Err(FieldError::new(format!("domains[{i}]"), "must be a string")),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(FieldError::new("domains", "must be an array of host names").into()),
    };
    let alternate_domain = string_field(&body, "alternate_domain")?
        .map(|raw| Host::parse(&raw).map_err(|e| e.at("alternate_domain")))
        .transpose()?;
    let config = match body.get("config") {
        None | Some(Value::Null) => link_core::AppConfig::default(),
        Some(value) => config_json::parse(value, "config")?,
    };
    let shard = string_field(&body, "shard")?
        .map(|raw| ShardId::parse(&raw).map_err(|e| e.at("shard")))
        .transpose()?;
    let created = apps::create(
        &state.router,
        apps::NewApp {
            name,
            domains,
            alternate_domain,
            config,
            shard,
        },
    )
    .await
    .map_err(|e| match e {
        // The shard was named in the body: a 400 on that field, not a missing resource.
        RouterError::UnknownShard(id) => {
            FieldError::new("shard", format!("no shard named {id}")).into()
        }
        other => ApiError::from(other),
    })?;
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(CreatedAppResource {
            app_id: created.app_id.get(),
            name: created.name,
            shard: created.shard.into(),
            domains: created.domains.into_iter().map(String::from).collect(),
            alternate_domain: created.alternate_domain.map(String::from),
            sdk_key: created.sdk_key.key.expose().to_owned(),
            secret_key: created.secret_key.key.expose().to_owned(),
        }))
}

#[utoipa::path(
    tag = "admin",
    summary = "Every app of the deployment",
    responses(
        (status = 200, description = "The apps", body = AdminAppList),
        (status = 401, description = "Wrong admin token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The admin API is disabled (HOPLINK_ADMIN_TOKEN is not set)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The catalog is unavailable", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("admin_token" = []))
)]
#[get("/apps")]
pub async fn list_apps(
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    state.keys.admin(&req)?;
    let listed = apps::list(&state.router).await?;
    Ok(HttpResponse::Ok().json(AdminAppList {
        data: listed
            .into_iter()
            .map(|a| AdminAppResource {
                app_id: a.app_id.get(),
                name: a.name,
                shard: a.shard.into(),
                state: a.state,
                epoch: a.epoch,
                domains: a.domains,
                alternate_domain: a.alternate_domain,
                created_at: a.created_at,
            })
            .collect(),
    }))
}

#[utoipa::path(
    tag = "admin",
    summary = "Register a shard",
    description = "Connects to the database, checks it is not a catalog, migrates it, then adds it to the catalog; new apps may be placed on it at once. A database that cannot be reached or migrated is a 400 on `url` with the reason: registering is an operator's one-off action whose usual failure is a wrong URL, password or firewall, which retrying the same request would not fix. Nothing is written to the catalog unless every step succeeded.",
    request_body = ShardInput,
    responses(
        (status = 201, description = "Registered", body = ShardResource),
        (status = 400, description = "Malformed body, an invalid field (`name`, `url`, `weight`), or the database could not be reached or migrated (field `url`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong admin token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The admin API is disabled (HOPLINK_ADMIN_TOKEN is not set)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`shard_exists`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body larger than 1 MB", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The catalog is unavailable", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("admin_token" = []))
)]
#[post("/shards")]
pub async fn add_shard(
    req: HttpRequest,
    state: web::Data<ApiState>,
    body: web::Json<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    state.keys.admin(&req)?;
    only(&body, &["name", "url", "weight"])?;
    let name =
        string_field(&body, "name")?.ok_or_else(|| FieldError::new("name", "is required"))?;
    let id = ShardId::parse(name.trim()).map_err(|e| e.at("name"))?;
    let url = string_field(&body, "url")?.ok_or_else(|| FieldError::new("url", "is required"))?;
    let dsn = ShardDsn::parse(&url).map_err(|e| e.at("url"))?;
    let weight = match body.get("weight") {
        None | Some(Value::Null) => shards::DEFAULT_WEIGHT,
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|w| i32::try_from(w).ok())
            .ok_or_else(|| FieldError::new("weight", "must be between 1 and 10000"))?,
        Some(_) => return Err(FieldError::new("weight", "must be an integer").into()),
    };
    let added = shards::add(&state.router, id, dsn, weight, &PoolSettings::default())
        .await
        .map_err(|e| match e {
            RouterError::Invalid(e) if e.field == "dsn" => FieldError::new("url", e.reason).into(),
            RouterError::ShardUnavailable { source, .. } => FieldError::new(
                "url",
                format!(
                    "could not use the database: {}",
                    shard_router::error::chain(&source)
                ),
            )
            .into(),
            RouterError::Migration { source, .. } => FieldError::new(
                "url",
                format!(
                    "could not migrate the database: {}",
                    shard_router::error::chain(&source)
                ),
            )
            .into(),
            other => ApiError::from(other),
        })?;
    Ok(HttpResponse::Created().json(ShardResource::from(added)))
}

#[utoipa::path(
    tag = "admin",
    summary = "Every shard, URLs redacted",
    responses(
        (status = 200, description = "The shards", body = ShardList),
        (status = 401, description = "Wrong admin token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The admin API is disabled (HOPLINK_ADMIN_TOKEN is not set)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The catalog is unavailable", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("admin_token" = []))
)]
#[get("/shards")]
pub async fn list_shards(
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    state.keys.admin(&req)?;
    let listed = shards::list(&state.router).await?;
    Ok(HttpResponse::Ok().json(ShardList {
        data: listed.into_iter().map(ShardResource::from).collect(),
    }))
}
