//! [`HotTierConfig`]: where the Aerospike hot tier is and how patient to be with it.
//!
//! Field names carry the `aerospike_` prefix (and `browser_`) so a service can
//! `#[serde(flatten)]` this struct into its own config and read it from `HOPLINK_*`
//! variables (see the table in [`crate::hot`]).

use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct HotTierConfig {
    /// Seed nodes, `host:port` separated by commas. `None` (or empty) turns the hot tier off.
    pub aerospike_hosts: Option<String>,
    pub aerospike_namespace: String,
    /// Prepended to every set name (`links`, `configs`, `clicks`, `browsers`), so several
    /// deployments (or test runs) can share a namespace.
    pub aerospike_set_prefix: String,
    /// Total budget of one read (click path), no retries.
    pub aerospike_read_timeout_ms: u64,
    /// Total budget of one write (write-through, repairs, click fingerprints), no retries.
    pub aerospike_write_timeout_ms: u64,
    /// How long connecting to the seeds may take before the attempt is abandoned (and
    /// retried in the background).
    pub aerospike_connect_timeout_ms: u64,
    /// Consecutive failed operations (errors or timeouts) that open the breaker.
    pub aerospike_breaker_failures: u32,
    /// How long the open breaker sends everything to Postgres before one probe is tried.
    pub aerospike_breaker_cooldown_ms: u64,
    /// TTL of link and config records, refreshed by every write; bounds how long a copy
    /// that missed an update can live. 0 keeps them forever.
    pub aerospike_link_ttl_secs: u32,
    /// How long a browser stays known as having the app installed.
    pub aerospike_browser_ttl_secs: u32,
    /// Background writes (click fingerprints, repairs, retries) in flight at once; beyond
    /// it new ones are dropped and counted.
    pub aerospike_max_background_writes: usize,
    /// Budget of the Postgres look-up behind `BrowserState::is_installed` (click path).
    pub browser_lookup_timeout_ms: u64,
}

impl Default for HotTierConfig {
    fn default() -> Self {
        Self {
            aerospike_hosts: None,
            aerospike_namespace: "hoplink".to_owned(),
            aerospike_set_prefix: String::new(),
            aerospike_read_timeout_ms: 5,
            aerospike_write_timeout_ms: 10,
            aerospike_connect_timeout_ms: 1_000,
            aerospike_breaker_failures: 5,
            aerospike_breaker_cooldown_ms: 1_000,
            aerospike_link_ttl_secs: 86_400,
            aerospike_browser_ttl_secs: 7_776_000,
            aerospike_max_background_writes: 1_024,
            browser_lookup_timeout_ms: 50,
        }
    }
}

/// A setting that can never work; startup fails on it rather than running without the hot
/// tier silently.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("HOPLINK_{field}: {reason}")]
pub struct ConfigError {
    pub field: &'static str,
    pub reason: String,
}

impl HotTierConfig {
    /// A config with the hot tier on, at `hosts`, defaults otherwise.
    pub fn with_hosts(hosts: impl Into<String>) -> Self {
        Self {
            aerospike_hosts: Some(hosts.into()),
            ..Self::default()
        }
    }

    /// Whether the hot tier is configured at all.
    pub fn enabled(&self) -> bool {
        self.aerospike_hosts
            .as_deref()
            .is_some_and(|h| !h.trim().is_empty())
    }

    /// The seed list in the client's `host:port,host:port` form, checked.
    pub(crate) fn seeds(&self) -> Result<String, ConfigError> {
        let raw = self.aerospike_hosts.as_deref().unwrap_or_default();
        let mut seeds = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (host, port) = part.rsplit_once(':').unwrap_or((part, "3000"));
            let valid_port = port.parse::<u16>().is_ok_and(|p| p > 0);
            if host.is_empty() || !valid_port || host.contains(char::is_whitespace) {
                return Err(ConfigError {
                    field: "AEROSPIKE_HOSTS",
                    reason: format!("{part:?} is not host:port"),
                });
            }
            seeds.push(format!("{host}:{port}"));
        }
        if seeds.is_empty() {
            return Err(ConfigError {
                field: "AEROSPIKE_HOSTS",
                reason: "no host given".to_owned(),
            });
        }
        if self.aerospike_namespace.trim().is_empty() {
            return Err(ConfigError {
                field: "AEROSPIKE_NAMESPACE",
                reason: "must not be empty".to_owned(),
            });
        }
        // Aerospike set names are at most 63 bytes; ours add up to 8.
        if self.aerospike_set_prefix.len() > 55 {
            return Err(ConfigError {
                field: "AEROSPIKE_SET_PREFIX",
                reason: "must be at most 55 bytes".to_owned(),
            });
        }
        Ok(seeds.join(","))
    }

    pub(crate) fn read_timeout(&self) -> Duration {
        Duration::from_millis(self.aerospike_read_timeout_ms.max(1))
    }

    pub(crate) fn write_timeout(&self) -> Duration {
        Duration::from_millis(self.aerospike_write_timeout_ms.max(1))
    }

    pub(crate) fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.aerospike_connect_timeout_ms.max(1))
    }

    pub(crate) fn cool_down(&self) -> Duration {
        Duration::from_millis(self.aerospike_breaker_cooldown_ms.max(1))
    }

    pub(crate) fn browser_lookup_timeout(&self) -> Duration {
        Duration::from_millis(self.browser_lookup_timeout_ms.max(1))
    }

    pub(crate) fn browser_ttl(&self) -> Duration {
        Duration::from_secs(u64::from(self.aerospike_browser_ttl_secs.max(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_by_default_and_missing_keys_take_the_defaults() {
        let parsed: HotTierConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(parsed, HotTierConfig::default());
        assert!(!parsed.enabled());
        let blank = HotTierConfig::with_hosts("  ");
        assert!(!blank.enabled());
    }

    #[test]
    fn seeds_are_checked_and_default_to_port_3000() {
        let config = HotTierConfig::with_hosts("127.0.0.1:3000, 10.0.0.2:3100,as-3");
        assert_eq!(
            config.seeds().unwrap(),
            "127.0.0.1:3000,10.0.0.2:3100,as-3:3000"
        );
        for bad in ["host:port", "host:0", ":3000", "a b:3000"] {
            assert!(HotTierConfig::with_hosts(bad).seeds().is_err(), "{bad}");
        }
    }
}
