//! API service configuration, from `HOPLINK_*` variables over an optional TOML file.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `HOPLINK_API_ADDR` | `127.0.0.1:8081` | address the SDK and developer API listen on |
//! | `HOPLINK_API_WORKERS` | CPU cores | HTTP worker threads |
//!
//! plus the router's variables (`HOPLINK_CATALOG_URL`, shard pool limits): see
//! [`shard_router::config`].

use std::net::SocketAddr;

use serde::Deserialize;
use shard_router::RouterConfig;

#[derive(Debug, Clone, Deserialize)]
pub struct ApiServiceConfig {
    #[serde(default = "default_addr")]
    pub api_addr: SocketAddr,
    #[serde(default)]
    pub api_workers: Option<usize>,
    #[serde(flatten)]
    pub router: RouterConfig,
}

impl ApiServiceConfig {
    pub fn load() -> Result<Self, Box<figment::Error>> {
        shard_router::config::load()
    }

    /// Defaults around a catalog URL, listening on an ephemeral port (tests, `hoplink dev`).
    pub fn for_catalog(catalog_url: &str) -> Self {
        Self {
            api_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_workers: Some(2),
            router: RouterConfig::new(catalog_url),
        }
    }
}

fn default_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8081))
}
