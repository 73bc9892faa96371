//! Link service configuration, from `HOPLINK_*` variables over an optional TOML file.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `HOPLINK_LINK_ADDR` | `127.0.0.1:8080` | address the click path listens on |
//! | `HOPLINK_LINK_WORKERS` | CPU cores | HTTP worker threads |
//! | `HOPLINK_COOKIE_SECRET` | (required) | at least 32 bytes; signs the browser-id cookie. `hoplink dev` sets a dev value |
//! | `HOPLINK_FINGERPRINT_KEY` | built-in (warns) | keys click fingerprints; must equal the API service's |
//! | `HOPLINK_TRUSTED_PROXIES` | none | comma-separated CIDRs whose `X-Forwarded-For`/`-Proto` are believed |
//! | `HOPLINK_COUNTRY_HEADER` | none | a header a trusted proxy sets to the client's ISO country code (`CF-IPCountry`, `CloudFront-Viewer-Country`); lets `$fallback_url_xx`, `$ios_url_xx` and `$android_url_xx` apply and clicks be counted by country |
//! | `HOPLINK_UA_MEMO_CAPACITY` | `20000` | User-Agents whose classification is memoised |
//! | `HOPLINK_LONG_LINK_ROWS_PER_SEC` | `20` | long links an app may have stored per second by this process (burst 10x); past that, clicks on new ones are answered without being recorded |
//!
//! plus the router's variables ([`shard_router::config`]), the cache's
//! ([`link_store::cache::CacheConfig`]), click recording's
//! ([`link_store::events::EventsConfig`]), the event stream export's
//! ([`link_store::export::ExportConfig`], off unless `HOPLINK_EXPORT_NATS_URL` is set) and
//! the Aerospike hot tier's
//! ([`link_store::hot::config::HotTierConfig`], off unless `HOPLINK_AEROSPIKE_HOSTS` is set).

use std::net::SocketAddr;

use actix_web::http::header::HeaderName;
use ipnet::IpNet;
use link_store::cache::CacheConfig;
use link_store::events::EventsConfig;
use link_store::export::ExportConfig;
use link_store::hot::config::HotTierConfig;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use shard_router::RouterConfig;

/// Used when `HOPLINK_FINGERPRINT_KEY` is unset: fingerprints still work, but anyone who
/// knows this value can test IP guesses against stored fingerprints.
pub const DEFAULT_FINGERPRINT_KEY: &str = "hoplink-default-fingerprint-key-change-me";

#[derive(Debug, Clone, Deserialize)]
pub struct LinkServiceConfig {
    #[serde(default = "default_addr")]
    pub link_addr: SocketAddr,
    #[serde(default)]
    pub link_workers: Option<usize>,
    pub cookie_secret: Option<SecretString>,
    pub fingerprint_key: Option<SecretString>,
    #[serde(default, deserialize_with = "service_kit::forwarded::cidr_list")]
    pub trusted_proxies: Vec<IpNet>,
    #[serde(
        default,
        deserialize_with = "service_kit::forwarded::optional_header_name"
    )]
    pub country_header: Option<HeaderName>,
    #[serde(default = "default_memo")]
    pub ua_memo_capacity: usize,
    #[serde(default = "default_long_link_rows")]
    pub long_link_rows_per_sec: u32,
    #[serde(flatten)]
    pub router: RouterConfig,
    #[serde(flatten)]
    pub cache: CacheConfig,
    #[serde(flatten)]
    pub events: EventsConfig,
    #[serde(flatten)]
    pub export: ExportConfig,
    #[serde(flatten)]
    pub hot: HotTierConfig,
}

impl LinkServiceConfig {
    pub fn load() -> Result<Self, Box<figment::Error>> {
        shard_router::config::load()
    }

    /// Defaults around a catalog URL, on an ephemeral port with a throwaway cookie secret
    /// (tests, `hoplink dev`).
    pub fn for_catalog(catalog_url: &str) -> Self {
        Self {
            link_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            link_workers: Some(2),
            cookie_secret: Some(SecretString::from(
                "hoplink-dev-cookie-secret-not-for-production-use".to_owned(),
            )),
            fingerprint_key: None,
            trusted_proxies: Vec::new(),
            country_header: None,
            ua_memo_capacity: default_memo(),
            long_link_rows_per_sec: default_long_link_rows(),
            router: RouterConfig::new(catalog_url),
            cache: CacheConfig::default(),
            events: EventsConfig::default(),
            export: ExportConfig::default(),
            hot: HotTierConfig::default(),
        }
    }

    /// The cookie-signing secret, checked for length.
    pub fn cookie_key(&self) -> Result<cookie::Key, link_core::FieldError> {
        let secret = self.cookie_secret.as_ref().ok_or_else(|| {
            link_core::FieldError::new("HOPLINK_COOKIE_SECRET", "must be set (at least 32 bytes)")
        })?;
        let bytes = secret.expose_secret().as_bytes();
        if bytes.len() < 32 {
            return Err(link_core::FieldError::new(
                "HOPLINK_COOKIE_SECRET",
                "must be at least 32 bytes",
            ));
        }
        Ok(cookie::Key::derive_from(bytes))
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
}

fn default_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn default_memo() -> usize {
    20_000
}

/// Long links are made by whoever writes a URL, so their rows are rationed per app: a
/// script clicking endless new long links cannot fill a shard at insert speed.
fn default_long_link_rows() -> u32 {
    20
}
