//! Logging setup, done once per process.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `HOPLINK_LOG` (or `RUST_LOG`) | `info` | `tracing` filter, e.g. `info,link_service=debug` |
//! | `HOPLINK_LOG_FORMAT` | `text` | `json` for one JSON object per line (production) |
//!
//! Logs must never carry IPs, cookies, keys or device ids: callers log ids of apps,
//! links and shards only.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Calling it again (tests, `hoplink dev`) is harmless.
pub fn init() {
    let filter = std::env::var("HOPLINK_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_owned());
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("HOPLINK_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}
