//! The Aerospike hot tier: links, app configs, click fingerprints and installed-browser
//! marks in a low-latency store in front of the shards, used when `HOPLINK_AEROSPIKE_HOSTS`
//! is set. Without it (the embedded default) the same interfaces are served by Postgres
//! and the in-process cache, so services never care which backend is on.
//!
//! Postgres stays the source of truth: the hot tier holds copies that are written through
//! by the API and repaired by link services, always with a version check, and everything
//! it answers can be answered by Postgres when it cannot. A slow or dead Aerospike is
//! bypassed (few-millisecond budgets, no retries, a circuit breaker) and never turns into
//! a request error.
//!
//! # Using it
//! [`HotTier::start`] picks the backends from [`HotTierConfig`]:
//!
//! | | hot tier configured | not configured |
//! |---|---|---|
//! | [`HotTier::origin`] (for `LinkCache`) | [`HotOrigin`] | [`crate::origin::PostgresOrigin`] |
//! | [`HotTier::write_through`] | writes Aerospike | no-op |
//! | [`HotTier::clicks`] | [`HotClickIndex`] | [`PostgresClickIndex`] |
//! | [`HotTier::browsers`] | [`HotBrowserState`] | [`PostgresBrowserState`] |
//!
//! # Configuration
//! [`HotTierConfig`], flattened into a service's config:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `HOPLINK_AEROSPIKE_HOSTS` | unset (off) | seed nodes, `host:port,host:port` (port defaults to 3000) |
//! | `HOPLINK_AEROSPIKE_NAMESPACE` | `hoplink` | namespace of every set |
//! | `HOPLINK_AEROSPIKE_SET_PREFIX` | empty | prefix of the set names `links`, `configs`, `clicks`, `browsers` |
//! | `HOPLINK_AEROSPIKE_READ_TIMEOUT_MS` | `5` | budget of one read (click path, matching), no retries |
//! | `HOPLINK_AEROSPIKE_WRITE_TIMEOUT_MS` | `10` | budget of one write (write-through, repair, fingerprint), no retries |
//! | `HOPLINK_AEROSPIKE_CONNECT_TIMEOUT_MS` | `1000` | per connection step while (re)connecting in the background |
//! | `HOPLINK_AEROSPIKE_BREAKER_FAILURES` | `5` | consecutive failures (errors or timeouts) that open the breaker |
//! | `HOPLINK_AEROSPIKE_BREAKER_COOLDOWN_MS` | `1000` | time the open breaker sends everything to Postgres before a probe |
//! | `HOPLINK_AEROSPIKE_LINK_TTL_SECS` | `86400` | TTL of link and config copies, renewed by each write; bounds the life of a copy that missed an update (0: never expire) |
//! | `HOPLINK_AEROSPIKE_BROWSER_TTL_SECS` | `7776000` (90 days) | how long a browser stays known as having the app |
//! | `HOPLINK_AEROSPIKE_MAX_BACKGROUND_WRITES` | `1024` | fingerprint writes, repairs and retries in flight; beyond it they are dropped and counted |
//! | `HOPLINK_BROWSER_LOOKUP_TIMEOUT_MS` | `50` | budget of the Postgres `is_installed` look-up (no hot tier, or it is down) |
//!
//! # Metrics
//! `hoplink_hot_requests_total` (`set`, `op` = read|write, `outcome` = hit, miss, written,
//! stale, timeout, error, skipped_open, skipped_disconnected),
//! `hoplink_hot_request_duration_seconds` (`op`), `hoplink_hot_fallbacks_total` (`what`:
//! answers Postgres gave because the hot tier could not), `hoplink_hot_breaker_state`
//! (0 closed, 1 open, 2 half-open), `hoplink_hot_breaker_transitions_total` (`to`),
//! `hoplink_hot_connected`, `hoplink_hot_worker_clients` (actix workers' own clients),
//! `hoplink_hot_background_dropped_total` (`reason` = busy, gave_up).
//!
//! Nothing here logs IP addresses, fingerprints, browser ids or link data.
//!
//! # Layout
//! - [`config`]: the settings, [`HotTierConfig`].
//! - [`client`]: the client wrapper, [`HotClient`]: background connection, budgets,
//!   breaker, metrics.
//! - `local.rs`: each actix worker's own client, so reads stay on the thread that awaits
//!   them.
//! - `breaker.rs`: the breaker (consecutive failures, half-open probe).
//! - `records.rs`: set names, keys, bins and the versioned snapshot encoding.
//! - `links.rs`: versioned reads and writes of the `links` and `configs` sets.
//! - [`origin`]: the cache's origin, [`HotOrigin`], and the API's writes, [`WriteThrough`].
//! - [`clicks`]: fingerprint look-ups, [`ClickIndex`] and its two implementations.
//! - [`browsers`]: installed browsers, [`BrowserState`] and its two implementations.
//! - `metrics.rs`: the metric families.

mod breaker;
pub mod browsers;
pub mod clicks;
pub mod client;
pub mod config;
mod links;
mod local;
mod metrics;
pub mod origin;
mod records;

use std::sync::Arc;

use prometheus::Registry;
use shard_router::ShardRouter;

pub use breaker::BreakerState;
pub use browsers::{BrowserState, HotBrowserState, PostgresBrowserState};
pub use clicks::{ClickCandidate, ClickIndex, HotClickIndex, MAX_CANDIDATES, PostgresClickIndex};
pub use client::{HotClient, HotTierError};
pub use config::{ConfigError, HotTierConfig};
pub use links::WriteOutcome;
pub use origin::{HotOrigin, WriteThrough};

use crate::origin::{Origin, PostgresOrigin};

/// The backends a service uses, picked once at startup. Cheap to clone.
#[derive(Clone)]
pub struct HotTier {
    /// What the `LinkCache` loads from.
    pub origin: Arc<dyn Origin>,
    /// The hot origin itself when the hot tier is on, for change notifications
    /// ([`HotOrigin::link_changed`]).
    pub hot_origin: Option<HotOrigin>,
    pub write_through: WriteThrough,
    pub clicks: Arc<dyn ClickIndex>,
    pub browsers: Arc<dyn BrowserState>,
    /// The client when the hot tier is on (health, shutdown).
    pub client: Option<HotClient>,
}

impl HotTier {
    /// Picks the backends: the Aerospike ones (each falling back to Postgres) when
    /// `HOPLINK_AEROSPIKE_HOSTS` is set, else the Postgres ones. Never waits for Aerospike
    /// and never fails because it is down (it connects in the background); fails only on a
    /// config that can never work or metrics that cannot be registered. Must be called
    /// inside a Tokio runtime.
    pub fn start(
        config: &HotTierConfig,
        router: ShardRouter,
        registry: &Registry,
    ) -> Result<Self, HotTierError> {
        Ok(match HotClient::start(config, registry)? {
            Some(client) => {
                let origin = HotOrigin::new(client.clone());
                Self {
                    origin: Arc::new(origin.clone()),
                    hot_origin: Some(origin),
                    write_through: WriteThrough::new(Some(client.clone())),
                    clicks: Arc::new(HotClickIndex::new(client.clone(), router.clone())),
                    browsers: Arc::new(HotBrowserState::new(client.clone(), router, config)),
                    client: Some(client),
                }
            }
            None => Self::embedded(router, config),
        })
    }

    /// The Postgres-only backends (no hot tier).
    pub fn embedded(router: ShardRouter, config: &HotTierConfig) -> Self {
        Self {
            origin: Arc::new(PostgresOrigin),
            hot_origin: None,
            write_through: WriteThrough::disabled(),
            clicks: Arc::new(PostgresClickIndex::new(router.clone())),
            browsers: Arc::new(PostgresBrowserState::new(router, config)),
            client: None,
        }
    }

    pub fn is_hot(&self) -> bool {
        self.client.is_some()
    }
}

impl std::fmt::Debug for HotTier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HotTier")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}
