//! Link service configuration, from `HOPLINK_*` variables over an optional TOML file.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `HOPLINK_LINK_ADDR` | `127.0.0.1:8080` | address the click path listens on |
//! | `HOPLINK_LINK_WORKERS` | CPU cores | HTTP worker threads |
//!
//! plus the router's variables (`HOPLINK_CATALOG_URL`, shard pool limits): see
//! [`shard_router::config`].

use std::net::SocketAddr;

use serde::Deserialize;
use shard_router::RouterConfig;

#[derive(Debug, Clone, Deserialize)]
pub struct LinkServiceConfig {
    #[serde(default = "default_addr")]
    pub link_addr: SocketAddr,
    #[serde(default)]
    pub link_workers: Option<usize>,
    #[serde(flatten)]
    pub router: RouterConfig,
}

impl LinkServiceConfig {
    pub fn load() -> Result<Self, Box<figment::Error>> {
        shard_router::config::load()
    }

    /// Defaults around a catalog URL, listening on an ephemeral port (tests, `hoplink dev`).
    pub fn for_catalog(catalog_url: &str) -> Self {
        Self {
            link_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            link_workers: Some(2),
            router: RouterConfig::new(catalog_url),
        }
    }
}

fn default_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
