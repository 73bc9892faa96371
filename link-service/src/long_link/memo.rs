//! Parsed long links, kept by app, config version and query.
//!
//! A long link in a push notification or a campaign is clicked as often as any short
//! link, and reading one (form decoding, validation against the app, the code's digest)
//! is a large part of its click: with `wrk` on `hoplink dev`, long links were answered at
//! 0.68x a short link's rate without this memo and 0.77x with it (docs/benchmarks.md).
//! The config version is part of the key, so a change to the app's sites or schemes is
//! seen at once.

use std::sync::Arc;

use link_core::{AppConfig, AppId, FieldError};
use moka::sync::Cache;

use super::params::{self, LongLink};

/// What a query read as: the link, or why it is none.
pub type Parsed = Result<Arc<LongLink>, FieldError>;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    app: AppId,
    config_version: i64,
    query: Box<str>,
}

pub struct ParsedLongLinks {
    cache: Cache<Key, Parsed>,
}

/// Roughly what an entry holds besides its query (the link's data is about the query's
/// size again).
const ENTRY_OVERHEAD: u32 = 512;

impl ParsedLongLinks {
    pub fn new(max_bytes: u64) -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|key: &Key, _: &Parsed| {
                    u32::try_from(key.query.len() * 2)
                        .unwrap_or(u32::MAX)
                        .saturating_add(ENTRY_OVERHEAD)
                })
                .build(),
        }
    }

    /// The query read as a long link of the app, from the memo when it was read before
    /// under the same config.
    pub fn parse(&self, query: &str, app_id: AppId, config: &AppConfig, version: i64) -> Parsed {
        let key = Key {
            app: app_id,
            config_version: version,
            query: query.into(),
        };
        self.cache
            .get_with(key, || params::parse(query, app_id, config).map(Arc::new))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_query_is_read_once_per_config_version() {
        let memo = ParsedLongLinks::new(1 << 20);
        let app: AppConfig =
            serde_json::from_value(json!({"fallback_url": "https://acme.app/"})).unwrap();
        let id = AppId::new(1).unwrap();
        let first = memo.parse("coupon=X", id, &app, 1).unwrap();
        let again = memo.parse("coupon=X", id, &app, 1).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        // A new config version reads it again, and its answer may differ.
        let stricter: AppConfig = serde_json::from_value(json!({})).unwrap();
        let query = "$desktop_url=https%3A%2F%2Facme.app%2Fx";
        assert!(memo.parse(query, id, &app, 1).is_ok());
        assert_eq!(
            memo.parse(query, id, &stricter, 2).unwrap_err().field,
            "data.$desktop_url"
        );
    }
}
