//! What every API handler shares, built once at start-up.

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;
use link_core::fingerprint::FingerprintKey;
use link_core::{AppId, Country};
use service_kit::forwarded::Forwarded;
use shard_router::{Resolved, ShardRouter};

use crate::auth::{Caller, KeyStore};
use crate::error::ApiError;
use crate::ratelimit::RateLimits;

pub struct ApiState {
    pub router: ShardRouter,
    pub keys: KeyStore,
    pub limits: RateLimits,
    pub forwarded: Forwarded,
    /// `HOPLINK_COUNTRY_HEADER`: where a trusted proxy names the device's country.
    pub country_header: Option<HeaderName>,
    pub fingerprint_key: FingerprintKey,
    pub links: LinkUrls,
    pub sdk: crate::sdk::SdkState,
    /// Aerospike hot tier when configured (write-through, click index, browser state);
    /// Postgres-backed equivalents otherwise.
    pub hot: link_store::hot::HotTier,
}

/// How the short URLs the API hands out are written.
#[derive(Debug, Clone)]
pub struct LinkUrls {
    pub scheme: String,
    pub port: Option<u16>,
}

impl ApiState {
    /// The caller's app as routed now: 404 if the map does not know it (deleted, or not
    /// loaded yet), 503 if its shard has no usable pool.
    pub fn app(&self, app_id: AppId) -> Result<Resolved, ApiError> {
        let resolved = self.router.app(app_id).ok_or(ApiError::NotFound("app"))?;
        resolved.shard.pool()?;
        Ok(resolved)
    }

    /// The short URL of a link: the app's primary domain and the code. `None` when the
    /// app has no domain yet, other than its alternate one (never a short URL's).
    pub fn short_url(&self, app_id: AppId, code: &str) -> Option<String> {
        let routes = self.router.routes();
        let host = routes.map.primary_domain(app_id)?;
        Some(match self.links.port {
            Some(port) => format!("{}://{host}:{port}/{code}", self.links.scheme),
            None => format!("{}://{host}/{code}", self.links.scheme),
        })
    }

    /// An SDK caller (`branch_key`), within its rate limit.
    pub async fn sdk_caller(&self, branch_key: Option<&str>) -> Result<Caller, ApiError> {
        let caller = self.keys.sdk(branch_key).await?;
        self.limits.check(&caller)?;
        Ok(caller)
    }

    /// A developer-API caller (Bearer secret key), within its rate limit.
    pub async fn secret_caller(&self, req: &HttpRequest) -> Result<Caller, ApiError> {
        let caller = self.keys.secret(req).await?;
        self.limits.check(&caller)?;
        Ok(caller)
    }

    /// The device's country, when a trusted proxy named it in `HOPLINK_COUNTRY_HEADER`.
    pub fn country(&self, req: &HttpRequest) -> Option<Country> {
        self.forwarded
            .trusted_header(req, self.country_header.as_ref())
            .and_then(Country::parse)
    }

    /// The client's address, honouring `X-Forwarded-For` from trusted proxies only.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<std::net::IpAddr> {
        let forwarded_for = req
            .headers()
            .get(actix_web::http::header::X_FORWARDED_FOR)
            .and_then(|v| v.to_str().ok());
        self.forwarded
            .client_ip(req.peer_addr().map(|a| a.ip()), forwarded_for)
    }
}
