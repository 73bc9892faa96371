//! Router configuration, read from `HOPLINK_*` environment variables over an optional TOML
//! file (see [`load`]).
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `HOPLINK_CONFIG` | `hoplink.toml` if present | optional TOML file with the same keys, lower-case, without the prefix |
//! | `HOPLINK_CATALOG_URL` | `postgres://127.0.0.1:5432/hoplink_catalog` | the catalog database |
//! | `HOPLINK_CATALOG_MAX_CONNECTIONS` | `4` | catalog pool size (map loads, admin writes, keys) |
//! | `HOPLINK_SHARD_MAX_CONNECTIONS` | `16` | pool size per shard |
//! | `HOPLINK_SHARD_ACQUIRE_TIMEOUT_MS` | `2000` | wait for a shard connection before failing |
//! | `HOPLINK_SHARD_STATEMENT_TIMEOUT_MS` | `5000` | server-side `statement_timeout` on shard connections |
//! | `HOPLINK_SHARD_BACKGROUND_CONNECTIONS` | `4` | pool size per shard for background work (event batchers, listeners) |
//! | `HOPLINK_SHARD_CONNECT_TIMEOUT_MS` | `2000` | TCP + handshake timeout for a new shard connection |
//! | `HOPLINK_MAP_POLL_SECS` | `30` | map reload interval, a backstop for missed notifications |

use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::SecretString;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Reads `T` from the optional TOML file named by `HOPLINK_CONFIG` (default `hoplink.toml`,
/// skipped when absent) overlaid with `HOPLINK_*` environment variables.
pub fn load<T: DeserializeOwned>() -> Result<T, Box<figment::Error>> {
    let file = std::env::var("HOPLINK_CONFIG").unwrap_or_else(|_| "hoplink.toml".to_owned());
    Figment::new()
        .merge(Toml::file(file))
        .merge(Env::prefixed("HOPLINK_").ignore(&["config"]))
        .extract()
        .map_err(Box::new)
}

#[derive(Debug, Clone, Deserialize)]
pub struct RouterConfig {
    #[serde(default = "default_catalog_url")]
    pub catalog_url: SecretString,
    #[serde(default = "default_catalog_max_connections")]
    pub catalog_max_connections: u32,
    #[serde(flatten)]
    pub shard_pool: PoolSettings,
    #[serde(default = "default_map_poll_secs")]
    pub map_poll_secs: u64,
}

impl RouterConfig {
    pub fn new(catalog_url: impl Into<String>) -> Self {
        Self {
            catalog_url: SecretString::from(catalog_url.into()),
            catalog_max_connections: default_catalog_max_connections(),
            shard_pool: PoolSettings::default(),
            map_poll_secs: default_map_poll_secs(),
        }
    }

    pub fn map_poll_interval(&self) -> Duration {
        Duration::from_secs(self.map_poll_secs.max(1))
    }
}

/// Limits of each shard's connection pool.
#[derive(Debug, Clone, Deserialize)]
pub struct PoolSettings {
    #[serde(default = "default_shard_max_connections")]
    pub shard_max_connections: u32,
    #[serde(default = "default_acquire_timeout_ms")]
    pub shard_acquire_timeout_ms: u64,
    #[serde(default = "default_statement_timeout_ms")]
    pub shard_statement_timeout_ms: u64,
    #[serde(default = "default_connect_timeout_ms")]
    pub shard_connect_timeout_ms: u64,
    #[serde(default = "default_background_connections")]
    pub shard_background_connections: u32,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            shard_max_connections: default_shard_max_connections(),
            shard_acquire_timeout_ms: default_acquire_timeout_ms(),
            shard_statement_timeout_ms: default_statement_timeout_ms(),
            shard_connect_timeout_ms: default_connect_timeout_ms(),
            shard_background_connections: default_background_connections(),
        }
    }
}

fn default_catalog_url() -> SecretString {
    SecretString::from("postgres://127.0.0.1:5432/hoplink_catalog")
}
fn default_catalog_max_connections() -> u32 {
    4
}
fn default_shard_max_connections() -> u32 {
    16
}
fn default_acquire_timeout_ms() -> u64 {
    2000
}
fn default_statement_timeout_ms() -> u64 {
    5000
}
fn default_connect_timeout_ms() -> u64 {
    2000
}
fn default_background_connections() -> u32 {
    4
}
fn default_map_poll_secs() -> u64 {
    30
}
