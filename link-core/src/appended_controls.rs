//! Branch's link-control keys appended to an existing link's URL
//! (`https://go.acme.app/Ab3xK9q?$deeplink_path=item%2F7&$fallback_url=…`), which Branch
//! documents as a long link on an existing link: for that click, they override the
//! link's own values, and the app gets them in its session data.
//!
//! Anyone can append them, so they are held to the rules of long links: destinations only
//! to the app's own sites, deep link paths only through its schemes, the data's limits.
//! Keys that change how a click is counted or matched (`$match_duration`,
//! `$deeplink_no_attribution`) stay the link's, so a clicker cannot leave the stats or
//! stretch an attribution window.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::app::AppConfig;
use crate::decision::controls::keys;
use crate::invalid::FieldError;
use crate::link_data::LinkData;
use crate::link_input::{self, MAX_DATA_BYTES};

/// At most this many control keys may be appended to one link.
pub const MAX_APPENDED_CONTROLS: usize = 24;
/// Bytes of appended control keys and values (decoded), enough for a few URLs.
pub const MAX_APPENDED_CONTROLS_BYTES: usize = 4096;

/// Keys a URL never overrides.
const KEPT: [&str; 2] = [keys::MATCH_DURATION, keys::DEEPLINK_NO_ATTRIBUTION];

/// Whether a raw query may hold a `$` key. A byte scan, so a click with a plain query
/// (`?utm_source=push`) never decodes it for this.
pub fn may_hold_controls(query: &str) -> bool {
    query.contains('$') || query.contains("%24")
}

/// The `$` pairs of a decoded query (first value of each key), checked as a long link's
/// data would be; empty when there are none. A key the link must keep is left out.
pub fn appended_controls<'q>(
    pairs: impl IntoIterator<Item = (Cow<'q, str>, Cow<'q, str>)>,
    app: &AppConfig,
) -> Result<Map<String, Value>, FieldError> {
    let mut controls = Map::new();
    let mut size = 0;
    for (key, value) in pairs {
        if !key.starts_with('$') || KEPT.contains(&&*key) || controls.contains_key(&*key) {
            continue;
        }
        size += key.len() + value.len();
        if controls.len() == MAX_APPENDED_CONTROLS || size > MAX_APPENDED_CONTROLS_BYTES {
            return Err(FieldError::new(
                "query",
                "may append at most 24 link-control ($) keys and 4 KB of them to a link",
            ));
        }
        controls.insert(key.into_owned(), Value::String(value.into_owned()));
    }
    if !controls.is_empty() {
        link_input::validate_data(&controls, app)?;
        link_input::check_open_link_destinations(&controls, app)?;
    }
    Ok(controls)
}

/// The link's data with `controls` in place of its own values for the same keys.
pub fn overlay(data: &LinkData, controls: &Map<String, Value>) -> Result<LinkData, FieldError> {
    let mut map = data.to_map();
    map.extend(controls.iter().map(|(k, v)| (k.clone(), v.clone())));
    if link_input::serialized_len(&map) > MAX_DATA_BYTES {
        return Err(FieldError::new(
            "query",
            "with the link's own data, must be at most 16 KB when serialized",
        ));
    }
    LinkData::from_map(&map).map_err(|e| e.at("query"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use url::form_urlencoded;

    use super::*;

    fn app() -> AppConfig {
        serde_json::from_value(json!({
            "ios": {"uri_scheme": "acme"},
            "fallback_url": "https://acme.app/",
            "long_link_hosts": ["partner.example"],
        }))
        .unwrap()
    }

    fn controls(query: &str) -> Result<Map<String, Value>, FieldError> {
        appended_controls(form_urlencoded::parse(query.as_bytes()), &app())
    }

    #[test]
    fn only_dollar_keys_are_taken_first_value_wins() {
        let got = controls(
            "utm_source=push&%24deeplink_path=item%2F7&$deeplink_path=other&coupon=X\
             &$fallback_url=https%3A%2F%2Fshop.acme.app%2Fsale",
        )
        .unwrap();
        assert_eq!(
            Value::Object(got),
            json!({"$deeplink_path": "item/7", "$fallback_url": "https://shop.acme.app/sale"})
        );
        assert!(controls("utm_source=push&coupon=X").unwrap().is_empty());
        assert!(controls("").unwrap().is_empty());
    }

    #[test]
    fn counting_and_matching_keys_stay_the_links() {
        let got = controls("$match_duration=7776000&$deeplink_no_attribution=true&$web_only=1");
        assert_eq!(Value::Object(got.unwrap()), json!({"$web_only": "1"}));
    }

    #[test]
    fn destinations_are_bound_to_the_apps_sites() {
        let err = controls("$fallback_url=https%3A%2F%2Fevil.example%2F").unwrap_err();
        assert_eq!(err.field, "data.$fallback_url");
        assert!(controls("$ios_url=https%3A%2F%2Fwww.partner.example%2Fx").is_ok());
        let err = controls("$desktop_url=javascript%3Aalert(1)").unwrap_err();
        assert_eq!(err.field, "data.$desktop_url");
        let err = controls("$fallback_url_de=https%3A%2F%2Fevil.example%2F").unwrap_err();
        assert_eq!(err.field, "data.$fallback_url_de");
    }

    #[test]
    fn values_are_checked_like_link_data() {
        assert_eq!(
            controls("$uri_redirect_mode=7").unwrap_err().field,
            "data.$uri_redirect_mode"
        );
        assert_eq!(
            controls("$always_deeplink=maybe").unwrap_err().field,
            "data.$always_deeplink"
        );
        assert_eq!(
            controls(&format!("$og_title={}", "x".repeat(301)))
                .unwrap_err()
                .field,
            "data.$og_title"
        );
    }

    #[test]
    fn bounded() {
        let many: Vec<String> = (0..25).map(|i| format!("$k{i}=v")).collect();
        assert_eq!(controls(&many.join("&")).unwrap_err().field, "query");
        assert!(controls(&many[..24].join("&")).is_ok());
        let long = format!("$og_description={}", "x".repeat(4100));
        assert_eq!(controls(&long).unwrap_err().field, "query");
    }

    #[test]
    fn overlay_replaces_and_adds() {
        let data = LinkData::from_map(
            json!({"$deeplink_path": "a", "$og_title": "T", "id": 1})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        let over = controls("$deeplink_path=b&$web_only=true").unwrap();
        let got = overlay(&data, &over).unwrap();
        assert_eq!(
            Value::Object(got.to_map()),
            json!({"$deeplink_path": "b", "$og_title": "T", "id": 1, "$web_only": "true"})
        );
        let big = LinkData::from_map(
            json!({"blob": "x".repeat(MAX_DATA_BYTES - 40)})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(overlay(&big, &over).unwrap_err().field, "query");
    }

    #[test]
    fn the_scan_finds_escaped_keys() {
        assert!(may_hold_controls("$web_only=1"));
        assert!(may_hold_controls("a=1&%24web_only=1"));
        assert!(!may_hold_controls("utm_source=push&coupon=X"));
    }
}
