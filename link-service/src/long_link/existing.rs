//! A long link on an existing link: Branch's link-control keys appended to a short link
//! (`/Ab3xK9q?$deeplink_path=item%2F7`) override the link's own for that click (see
//! `link_core::appended_controls` for what may be overridden).
//!
//! A campaign sends the same appended URL to many people, so the link as overridden is
//! kept by link version, config version and query: a repeated click costs one look-up,
//! and a change to the link or the app's sites is seen at once.

use std::sync::Arc;

use foldhash::fast::RandomState;
use link_core::appended_controls::{appended_controls, overlay};
use link_core::{AppConfig, AppId, FieldError, Link};
use moka::sync::Cache;
use url::form_urlencoded;

/// A link with the control keys its URL appended.
#[derive(Debug)]
pub struct Overridden {
    pub link: Link,
    /// The appended control pairs, form-encoded: stored with the click, so the install it
    /// leads to gets the same data.
    pub controls: Box<str>,
}

/// What a query made of a link: `None` when it appends no control key.
pub type Appended = Result<Option<Arc<Overridden>>, FieldError>;

/// Link ids are per shard, so the app is part of the key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    app: AppId,
    link_id: i64,
    link_version: i64,
    config_version: i64,
    query: Box<str>,
}

pub struct AppendedControls {
    /// foldhash, randomly seeded, as the link cache's maps: every hit hashes the query.
    cache: Cache<Key, Appended, RandomState>,
}

/// Roughly what an entry holds besides its query: the link's copy.
const ENTRY_OVERHEAD: u32 = 1024;

impl AppendedControls {
    pub fn new(max_bytes: u64) -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|key: &Key, _: &Appended| {
                    u32::try_from(key.query.len() * 2)
                        .unwrap_or(u32::MAX)
                        .saturating_add(ENTRY_OVERHEAD)
                })
                .build_with_hasher(RandomState::default()),
        }
    }

    /// `link` as the control keys of `query` override it, from the memo when this query
    /// was read before for the same link and config.
    pub fn apply(
        &self,
        link: &Link,
        query: &str,
        config: &AppConfig,
        config_version: i64,
    ) -> Appended {
        let key = Key {
            app: link.app_id,
            link_id: link.id,
            link_version: link.version,
            config_version,
            query: query.into(),
        };
        self.cache.get_with(key, || {
            overridden(link, query, config).map(|o| o.map(Arc::new))
        })
    }
}

fn overridden(
    link: &Link,
    query: &str,
    config: &AppConfig,
) -> Result<Option<Overridden>, FieldError> {
    let controls = appended_controls(form_urlencoded::parse(query.as_bytes()), config)?;
    if controls.is_empty() {
        return Ok(None);
    }
    let data = overlay(&link.data, &controls)?;
    let mut encoded = form_urlencoded::Serializer::new(String::new());
    for (key, value) in &controls {
        if let Some(value) = value.as_str() {
            encoded.append_pair(key, value);
        }
    }
    Ok(Some(Overridden {
        link: Link {
            data,
            ..link.clone()
        },
        controls: encoded.finish().into_boxed_str(),
    }))
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use link_core::{LinkCode, LinkData, LinkLabels, LinkType};
    use serde_json::json;

    use super::*;

    fn link(version: i64) -> Link {
        let data = json!({"$deeplink_path": "home", "$og_title": "Sale"});
        Link {
            id: 7,
            app_id: AppId::new(1).unwrap(),
            code: LinkCode::parse("Ab3xK9q").unwrap(),
            is_alias: false,
            data: LinkData::from_map(data.as_object().unwrap()).unwrap(),
            labels: LinkLabels::default(),
            link_type: LinkType::Standard,
            duration_secs: None,
            expires_at: None,
            version,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            deleted_at: None,
        }
    }

    fn app() -> AppConfig {
        serde_json::from_value(json!({
            "ios": {"uri_scheme": "acme"},
            "fallback_url": "https://acme.app/",
        }))
        .unwrap()
    }

    #[test]
    fn appended_controls_override_the_links_and_are_kept() {
        let memo = AppendedControls::new(1 << 20);
        let query =
            "utm_source=push&$deeplink_path=item%2F7&$fallback_url=https%3A%2F%2Facme.app%2Fsale";
        let first = memo.apply(&link(1), query, &app(), 1).unwrap().unwrap();
        assert_eq!(first.link.data.get_str("$deeplink_path"), Some("item/7"));
        assert_eq!(first.link.data.get_str("$og_title"), Some("Sale"));
        assert_eq!(
            first.link.data.get_str("$fallback_url"),
            Some("https://acme.app/sale")
        );
        assert_eq!(
            &*first.controls,
            "%24deeplink_path=item%2F7&%24fallback_url=https%3A%2F%2Facme.app%2Fsale"
        );
        let again = memo.apply(&link(1), query, &app(), 1).unwrap().unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        // A new version of the link is read again.
        let newer = memo.apply(&link(2), query, &app(), 1).unwrap().unwrap();
        assert!(!Arc::ptr_eq(&first, &newer));
        // Another app's link with the same id (ids are per shard) is its own.
        let elsewhere = Link {
            app_id: AppId::new(2).unwrap(),
            ..link(1)
        };
        let theirs = memo.apply(&elsewhere, query, &app(), 1).unwrap().unwrap();
        assert_eq!(theirs.link.app_id, elsewhere.app_id);
    }

    #[test]
    fn no_control_key_is_no_override_and_a_bad_one_an_error() {
        let memo = AppendedControls::new(1 << 20);
        assert!(memo.apply(&link(1), "a=%24x", &app(), 1).unwrap().is_none());
        let err = memo
            .apply(
                &link(1),
                "$fallback_url=https%3A%2F%2Fevil.example%2F",
                &app(),
                1,
            )
            .unwrap_err();
        assert_eq!(err.field, "data.$fallback_url");
    }
}
