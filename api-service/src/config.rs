//! API service configuration, from `HOPLINK_*` variables over an optional TOML file.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `HOPLINK_API_ADDR` | `127.0.0.1:8081` | address the SDK and developer API listen on |
//! | `HOPLINK_API_WORKERS` | CPU cores | HTTP worker threads |
//! | `HOPLINK_ADMIN_TOKEN` | unset (admin API off) | bearer token for app and shard administration; at least 32 bytes |
//! | `HOPLINK_FINGERPRINT_KEY` | built-in (warns) | keys click fingerprints; must equal the link service's |
//! | `HOPLINK_TRUSTED_PROXIES` | none | comma-separated CIDRs whose `X-Forwarded-For` is believed |
//! | `HOPLINK_COUNTRY_HEADER` | none | a header a trusted proxy sets to the client's ISO country code (`CF-IPCountry`); installs and opens are counted by it |
//! | `HOPLINK_LINK_SCHEME` | `https` | scheme of the short URLs the API returns |
//! | `HOPLINK_LINK_PORT` | none | port in returned short URLs (dev: the link service's port) |
//! | `HOPLINK_SDK_RATE_PER_SEC` / `HOPLINK_SDK_BURST` | `50000` / `100000` | per SDK key token bucket (one key serves an app's whole installed base) |
//! | `HOPLINK_SECRET_RATE_PER_SEC` / `HOPLINK_SECRET_BURST` | `100` / `200` | per secret key token bucket |
//!
//! plus the router's ([`shard_router::config`]), event recording's
//! ([`link_store::events::EventsConfig`]), the event stream export's
//! ([`link_store::export::ExportConfig`], off unless `HOPLINK_EXPORT_NATS_URL` is set) and
//! the Aerospike hot tier's
//! ([`link_store::hot::config::HotTierConfig`]) variables.

use std::net::SocketAddr;

use actix_web::http::header::HeaderName;
use ipnet::IpNet;
use link_store::events::EventsConfig;
use link_store::export::ExportConfig;
use link_store::hot::config::HotTierConfig;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use shard_router::RouterConfig;

/// Same default as the link service, so an unconfigured pair still agrees.
pub const DEFAULT_FINGERPRINT_KEY: &str = "hoplink-default-fingerprint-key-change-me";

#[derive(Debug, Clone, Deserialize)]
pub struct ApiServiceConfig {
    #[serde(default = "default_addr")]
    pub api_addr: SocketAddr,
    #[serde(default)]
    pub api_workers: Option<usize>,
    pub admin_token: Option<SecretString>,
    pub fingerprint_key: Option<SecretString>,
    #[serde(default, deserialize_with = "service_kit::forwarded::cidr_list")]
    pub trusted_proxies: Vec<IpNet>,
    #[serde(
        default,
        deserialize_with = "service_kit::forwarded::optional_header_name"
    )]
    pub country_header: Option<HeaderName>,
    #[serde(default = "default_scheme")]
    pub link_scheme: String,
    #[serde(default)]
    pub link_port: Option<u16>,
    #[serde(default = "default_sdk_rate")]
    pub sdk_rate_per_sec: u32,
    #[serde(default = "default_sdk_burst")]
    pub sdk_burst: u32,
    #[serde(default = "default_secret_rate")]
    pub secret_rate_per_sec: u32,
    #[serde(default = "default_secret_burst")]
    pub secret_burst: u32,
    #[serde(flatten)]
    pub router: RouterConfig,
    #[serde(flatten)]
    pub events: EventsConfig,
    #[serde(flatten)]
    pub export: ExportConfig,
    #[serde(flatten)]
    pub hot: HotTierConfig,
}

impl ApiServiceConfig {
    pub fn load() -> Result<Self, Box<figment::Error>> {
        shard_router::config::load()
    }

    /// Defaults around a catalog URL, on an ephemeral port (tests, `hoplink dev`).
    pub fn for_catalog(catalog_url: &str) -> Self {
        Self {
            api_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_workers: Some(2),
            admin_token: None,
            fingerprint_key: None,
            trusted_proxies: Vec::new(),
            country_header: None,
            link_scheme: default_scheme(),
            link_port: None,
            sdk_rate_per_sec: default_sdk_rate(),
            sdk_burst: default_sdk_burst(),
            secret_rate_per_sec: default_secret_rate(),
            secret_burst: default_secret_burst(),
            router: RouterConfig::new(catalog_url),
            events: EventsConfig::default(),
            export: ExportConfig::default(),
            hot: HotTierConfig::default(),
        }
    }

    pub fn fingerprint_key(&self) -> link_core::fingerprint::FingerprintKey {
        match &self.fingerprint_key {
            Some(key) => {
                link_core::fingerprint::FingerprintKey::new(key.expose_secret().as_bytes())
            }
            None => {
                tracing::warn!("HOPLINK_FINGERPRINT_KEY is not set; using the built-in key");
                link_core::fingerprint::FingerprintKey::new(DEFAULT_FINGERPRINT_KEY.as_bytes())
            }
        }
    }

    /// The admin token, when one of a safe length is configured.
    pub fn admin_token(&self) -> Result<Option<SecretString>, link_core::FieldError> {
        match &self.admin_token {
            None => Ok(None),
            Some(token) if token.expose_secret().len() < 32 => Err(link_core::FieldError::new(
                "HOPLINK_ADMIN_TOKEN",
                "must be at least 32 bytes",
            )),
            Some(token) => Ok(Some(token.clone())),
        }
    }
}

fn default_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8081))
}
fn default_scheme() -> String {
    "https".to_owned()
}
fn default_sdk_rate() -> u32 {
    50_000
}
fn default_sdk_burst() -> u32 {
    100_000
}
fn default_secret_rate() -> u32 {
    100
}
fn default_secret_burst() -> u32 {
    200
}
