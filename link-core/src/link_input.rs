//! Validation of what a link is created or updated with, at the API edge: link data,
//! tags, analytics attributes, lifetime. Past this point the store and the click path
//! trust these values (the click path still re-checks URLs, as defence in depth).

use serde_json::{Map, Value};

use crate::app::{AppConfig, UriScheme};
use crate::decision::controls::{MAX_REDIRECT_TIMEOUT_MS, keys};
use crate::decision::social;
use crate::invalid::FieldError;
use crate::url::WebUrl;

/// Serialized link data, in bytes.
pub const MAX_DATA_BYTES: usize = 16 * 1024;
pub const MAX_TAGS: usize = 32;
pub const MAX_TAG_CHARS: usize = 128;
/// `channel`, `feature`, `campaign`, `stage`.
pub const MAX_ATTRIBUTE_CHARS: usize = 128;
/// Longest attribution window a link may ask for (90 days), in seconds.
pub const MAX_DURATION_SECS: u32 = 7_776_000;

/// The keys whose URL a person (or a preview bot) is sent to.
const DESTINATION_KEYS: [&str; 15] = [
    keys::FALLBACK_URL,
    keys::AFTER_CLICK_URL,
    keys::DESKTOP_URL,
    keys::IOS_URL,
    keys::IPAD_URL,
    keys::ANDROID_URL,
    keys::SAMSUNG_URL,
    keys::HUAWEI_URL,
    keys::FIRE_URL,
    keys::WINDOWS_PHONE_URL,
    keys::BLACKBERRY_URL,
    keys::IOS_WECHAT_URL,
    keys::ANDROID_WECHAT_URL,
    // Not a redirect, but crawlers follow it to describe the link.
    keys::OG_URL,
    keys::OG_REDIRECT,
];
/// The other keys that hold a URL: media the preview shows.
const MEDIA_URL_KEYS: [&str; 4] = [
    keys::OG_IMAGE_URL,
    keys::TWITTER_IMAGE_URL,
    keys::OG_VIDEO,
    keys::TWITTER_PLAYER,
];
const PATH_KEYS: [&str; 3] = [
    keys::DEEPLINK_PATH,
    keys::IOS_DEEPLINK_PATH,
    keys::ANDROID_DEEPLINK_PATH,
];
const FLAG_KEYS: [&str; 4] = [
    keys::ALWAYS_DEEPLINK,
    keys::WEB_ONLY,
    keys::MOBILE_WEB_ONLY,
    keys::DEEPLINK_NO_ATTRIBUTION,
];
const MODE_KEYS: [&str; 3] = [
    keys::URI_REDIRECT_MODE,
    keys::IOS_URI_REDIRECT_MODE,
    keys::ANDROID_URI_REDIRECT_MODE,
];

/// Link data's size as stored and sent (what [`MAX_DATA_BYTES`] bounds).
pub fn serialized_len(data: &Map<String, Value>) -> usize {
    serde_json::to_vec(data).map_or(usize::MAX, |v| v.len())
}

/// Checks link data against the limits and the app's registered schemes.
pub fn validate_data(data: &Map<String, Value>, app: &AppConfig) -> Result<(), FieldError> {
    if serialized_len(data) > MAX_DATA_BYTES {
        return Err(FieldError::new(
            "data",
            "must be at most 16 KB when serialized",
        ));
    }
    crate::jsonb::check_map(data).map_err(|reason| FieldError::new("data", reason))?;
    let country_keys = data
        .keys()
        .map(String::as_str)
        .filter(|key| is_country_url(key));
    let url_keys = DESTINATION_KEYS.into_iter().chain(MEDIA_URL_KEYS);
    for key in url_keys.chain(country_keys) {
        if let Some(value) = data.get(key) {
            let field = format!("data.{key}");
            let Value::String(raw) = value else {
                return Err(FieldError::new(field, "must be a URL string"));
            };
            WebUrl::parse(raw.trim()).map_err(|e| e.at(field))?;
        }
    }
    for key in PATH_KEYS {
        if let Some(value) = data.get(key) {
            let field = format!("data.{key}");
            let Value::String(path) = value else {
                return Err(FieldError::new(field, "must be a string"));
            };
            check_deeplink_path(path, app).map_err(|reason| FieldError::new(field, reason))?;
        }
    }
    for key in FLAG_KEYS {
        if let Some(value) = data.get(key) {
            let ok = matches!(value, Value::Bool(_))
                || matches!(value, Value::String(s) if matches!(s.trim(), "true" | "false" | "1" | "0"));
            if !ok {
                return Err(FieldError::new(
                    format!("data.{key}"),
                    "must be true or false",
                ));
            }
        }
    }
    for key in MODE_KEYS {
        if data
            .get(key)
            .is_some_and(|mode| !matches!(whole_number(mode), Some(0..=2)))
        {
            return Err(FieldError::new(format!("data.{key}"), "must be 0, 1 or 2"));
        }
    }
    for key in [keys::IOS_REDIRECT_TIMEOUT, keys::ANDROID_REDIRECT_TIMEOUT] {
        let max = u64::from(MAX_REDIRECT_TIMEOUT_MS);
        if data
            .get(key)
            .is_some_and(|ms| whole_number(ms).is_none_or(|ms| ms > max))
        {
            return Err(FieldError::new(
                format!("data.{key}"),
                format!("must be a whole number of milliseconds from 0 to {max}"),
            ));
        }
    }
    for (key, max) in [
        (keys::OG_TITLE, 300),
        (keys::OG_DESCRIPTION, 1000),
        (keys::TWITTER_TITLE, 300),
        (keys::TWITTER_DESCRIPTION, 1000),
    ] {
        if let Some(value) = data.get(key) {
            let field = format!("data.{key}");
            let Value::String(text) = value else {
                return Err(FieldError::new(field, "must be a string"));
            };
            check_text(text, max).map_err(|reason| FieldError::new(field, reason))?;
        }
    }
    match_duration(data)?;
    check_social_keys(data)
}

/// `$fallback_url_de`, `$ios_url_de`, `$android_url_de`: a per-country prefix and a
/// lower-case two-letter country code.
fn is_country_url(key: &str) -> bool {
    keys::COUNTRY_PREFIXES.iter().any(|prefix| {
        key.strip_prefix(prefix)
            .is_some_and(|code| code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase()))
    })
}

/// A non-negative integer given as a JSON number or as a string (query-built links).
fn whole_number(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// For links anyone can make (long links, and links made with the app's SDK key, which
/// ships inside the app): every destination in the data must be one of the app's own
/// sites ([`AppConfig::allows_long_link_to`]). Run after [`validate_data`].
pub fn check_open_link_destinations(
    data: &Map<String, Value>,
    app: &AppConfig,
) -> Result<(), FieldError> {
    let country_keys = data
        .keys()
        .map(String::as_str)
        .filter(|key| is_country_url(key));
    for key in DESTINATION_KEYS.into_iter().chain(country_keys) {
        if let Some(Value::String(raw)) = data.get(key) {
            let allowed = WebUrl::parse(raw.trim()).is_ok_and(|url| app.allows_long_link_to(&url));
            if !allowed {
                return Err(FieldError::new(
                    format!("data.{key}"),
                    "a long link or a link made with the SDK key may only lead to the app's \
                     own sites: the hosts of its fallback and desktop URLs, and its \
                     long_link_hosts (each with its subdomains)",
                ));
            }
        }
    }
    Ok(())
}

/// `$match_duration` in link data (seconds, a number or a numeric string): Branch's way of
/// setting a link's attribution window from its data. It becomes the link's `duration`
/// when the link is written without one.
pub fn match_duration(data: &Map<String, Value>) -> Result<Option<u32>, FieldError> {
    let Some(value) = data.get(keys::MATCH_DURATION) else {
        return Ok(None);
    };
    let field = || format!("data.{}", keys::MATCH_DURATION);
    let secs = match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| FieldError::new(field(), "must be a whole number of seconds"))?;
    validate_duration(secs)
        .map(Some)
        .map_err(|e| FieldError::new(field(), e.reason))
}

/// A key, whether a string value passes, and what to say when it does not.
type TextRule = (&'static str, fn(&str) -> bool, &'static str);

/// The social-card keys whose values the preview page could not use as given.
fn check_social_keys(data: &Map<String, Value>) -> Result<(), FieldError> {
    let text_rules: [TextRule; 3] = [
        (
            keys::OG_TYPE,
            |v| social::og_type(v).is_some(),
            "must be a lower-case Open Graph type such as website, article or video.movie",
        ),
        (
            keys::TWITTER_CARD,
            |v| social::TwitterCard::parse(v).is_some(),
            "must be summary, summary_large_image or player",
        ),
        (
            keys::TWITTER_SITE,
            |v| social::twitter_handle(v).is_some(),
            "must be an X (Twitter) handle such as @acme: letters, digits and _, at most 15",
        ),
    ];
    for (key, valid, reason) in text_rules {
        if let Some(value) = data.get(key)
            && !matches!(value, Value::String(v) if valid(v))
        {
            return Err(FieldError::new(format!("data.{key}"), reason));
        }
    }
    if let Some(value) = data.get(keys::OG_APP_ID) {
        let id = match value {
            Value::Number(n) => social::facebook_app_id(&n.to_string()).is_some(),
            Value::String(s) => social::facebook_app_id(s).is_some(),
            _ => false,
        };
        if !id {
            return Err(FieldError::new(
                format!("data.{}", keys::OG_APP_ID),
                "must be a Facebook app id: digits only",
            ));
        }
    }
    let player_url = |key| match data.get(key) {
        Some(Value::String(raw)) => WebUrl::parse(raw.trim()).ok().and_then(social::player_url),
        _ => None,
    };
    if data.contains_key(keys::TWITTER_PLAYER) && player_url(keys::TWITTER_PLAYER).is_none() {
        return Err(FieldError::new(
            format!("data.{}", keys::TWITTER_PLAYER),
            "must be an https URL: X frames players over https only",
        ));
    }
    let player_card = matches!(data.get(keys::TWITTER_CARD),
        Some(Value::String(card)) if social::TwitterCard::parse(card) == Some(social::TwitterCard::Player));
    let player_source = [keys::TWITTER_PLAYER, keys::OG_VIDEO]
        .into_iter()
        .any(|key| player_url(key).is_some());
    if player_card && !player_source {
        return Err(FieldError::new(
            format!("data.{}", keys::TWITTER_CARD),
            "a player card needs an https $twitter_player or $og_video",
        ));
    }
    if let Some(value) = data.get(keys::CUSTOM_META_TAGS)
        && social::custom_tags(value).is_none()
    {
        return Err(FieldError::new(
            format!("data.{}", keys::CUSTOM_META_TAGS),
            social::CUSTOM_TAGS_RULE,
        ));
    }
    for key in [
        keys::OG_IMAGE_WIDTH,
        keys::OG_IMAGE_HEIGHT,
        keys::TWITTER_PLAYER_WIDTH,
        keys::TWITTER_PLAYER_HEIGHT,
    ] {
        if let Some(value) = data.get(key) {
            let side = match value {
                Value::Number(n) => social::image_side(&n.to_string()),
                Value::String(s) => social::image_side(s),
                _ => None,
            };
            if side.is_none() {
                return Err(FieldError::new(
                    format!("data.{key}"),
                    format!(
                        "must be a whole number of pixels from 1 to {}",
                        social::MAX_IMAGE_SIDE
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A deep-link path is app-relative (`product/42`); a full `scheme://...` URL is allowed
/// only with one of the app's own registered schemes.
fn check_deeplink_path(path: &str, app: &AppConfig) -> Result<(), &'static str> {
    if path.chars().count() > 512 {
        return Err("must be at most 512 characters");
    }
    if path.chars().any(char::is_control) {
        return Err("must not contain control characters");
    }
    if let Some((scheme, _)) = path.split_once("://") {
        let registered = [&app.ios.uri_scheme, &app.android.uri_scheme];
        let allowed = UriScheme::parse(scheme)
            .is_ok_and(|s| registered.iter().any(|r| r.as_ref() == Some(&s)));
        if !allowed {
            return Err("a scheme deep link must use one of the app's registered URI schemes");
        }
    } else if path
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("javascript:")
    {
        return Err("must be a path or a deep link with the app's scheme");
    }
    Ok(())
}

/// Tags: at most [`MAX_TAGS`], each 1 to [`MAX_TAG_CHARS`] characters without control
/// characters; duplicates are removed, order kept.
pub fn normalize_tags(tags: Vec<String>) -> Result<Vec<String>, FieldError> {
    if tags.len() > MAX_TAGS {
        return Err(FieldError::new("tags", "at most 32 tags"));
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = tag.trim().to_owned();
        if tag.is_empty() {
            return Err(FieldError::new("tags", "tags must not be empty"));
        }
        check_text(&tag, MAX_TAG_CHARS).map_err(|reason| FieldError::new("tags", reason))?;
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    Ok(out)
}

/// `channel`, `feature`, `campaign`, `stage`: optional, bounded, blank means absent.
pub fn normalize_attribute(
    name: &'static str,
    value: Option<String>,
) -> Result<Option<String>, FieldError> {
    let Some(value) = value else { return Ok(None) };
    let value = value.trim().to_owned();
    if value.is_empty() {
        return Ok(None);
    }
    check_text(&value, MAX_ATTRIBUTE_CHARS).map_err(|reason| FieldError::new(name, reason))?;
    Ok(Some(value))
}

pub fn validate_duration(secs: i64) -> Result<u32, FieldError> {
    u32::try_from(secs)
        .ok()
        .filter(|s| (1..=MAX_DURATION_SECS).contains(s))
        .ok_or_else(|| FieldError::new("duration", "must be between 1 and 7776000 seconds"))
}

fn check_text(text: &str, max_chars: usize) -> Result<(), &'static str> {
    if text.chars().count() > max_chars {
        return Err("is too long");
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("must not contain control characters");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn app() -> AppConfig {
        AppConfig {
            ios: crate::app::IosConfig {
                uri_scheme: UriScheme::parse("acme").ok(),
                ..Default::default()
            },
            ..AppConfig::default()
        }
    }

    fn data(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn accepts_ordinary_link_data() {
        let d = data(json!({
            "$ios_url": "https://acme.test/ios", "$deeplink_path": "product/42",
            "$always_deeplink": true, "$uri_redirect_mode": 2, "$og_title": "Hi",
            "$og_type": "product", "$og_image_width": 1200, "$og_image_height": "630",
            "$twitter_card": "summary", "$twitter_site": "@acme_app",
            "$mobile_web_only": false, "$ios_uri_redirect_mode": "2",
            "$fallback_url_de": "https://acme.de/", "$fallback_url_long": 5,
            "$ios_url_de": "https://acme.de/ios", "$android_url_jp": "https://acme.jp/a",
            "$og_video": "https://cdn.acme.test/v.mp4", "$og_redirect": "https://acme.test/p/1",
            "$custom_meta_tags": "{\"twitter:player:stream\": \"https://acme.test/v.m3u8\"}",
            "$twitter_player_width": "480", "$twitter_player_height": 270,
            "$android_uri_redirect_mode": 0, "$ios_redirect_timeout": 750,
            "$android_redirect_timeout": "1500",
            "$twitter_title": "Hi there", "$twitter_image_url": "https://cdn.acme.test/x.png",
            "product_id": 42, "nested": {"a": [1, 2]},
            "big": [u64::MAX, i64::MIN, 1e300, -1e300, 5e-324]
        }));
        assert!(validate_data(&d, &app()).is_ok());
        assert!(
            validate_data(&data(json!({"$deeplink_path": "acme://product/1"})), &app()).is_ok()
        );
        for player in [
            json!({"$twitter_card": "player", "$twitter_player": "https://acme.test/embed/1"}),
            json!({"$twitter_card": "player", "$og_video": "https://cdn.acme.test/v.mp4"}),
        ] {
            assert!(
                validate_data(&data(player.clone()), &app()).is_ok(),
                "{player}"
            );
        }
    }

    #[test]
    fn rejects_unsafe_or_oversized_data() {
        let cases = [
            (json!({"$ios_url": "javascript:alert(1)"}), "data.$ios_url"),
            (
                json!({"$fallback_url": "data:text/html,x"}),
                "data.$fallback_url",
            ),
            (
                json!({"$desktop_url": "https://u:p@acme.test/"}),
                "data.$desktop_url",
            ),
            (json!({"$og_url": 5}), "data.$og_url"),
            (json!({"$deeplink_path": "evil://x"}), "data.$deeplink_path"),
            (
                json!({"$deeplink_path": "https://evil.test"}),
                "data.$deeplink_path",
            ),
            (
                json!({"$deeplink_path": "JavaScript:alert(1)"}),
                "data.$deeplink_path",
            ),
            (json!({"$web_only": "maybe"}), "data.$web_only"),
            (json!({"$uri_redirect_mode": 7}), "data.$uri_redirect_mode"),
            (
                json!({"$ios_uri_redirect_mode": "forceful"}),
                "data.$ios_uri_redirect_mode",
            ),
            (
                json!({"$android_uri_redirect_mode": 3}),
                "data.$android_uri_redirect_mode",
            ),
            (json!({"$mobile_web_only": "yes"}), "data.$mobile_web_only"),
            (
                json!({"$ios_redirect_timeout": 10_001}),
                "data.$ios_redirect_timeout",
            ),
            (
                json!({"$android_redirect_timeout": "1.5s"}),
                "data.$android_redirect_timeout",
            ),
            (json!({"$match_duration": "soon"}), "data.$match_duration"),
            (
                json!({"$match_duration": 7_776_001}),
                "data.$match_duration",
            ),
            (json!({"$match_duration": true}), "data.$match_duration"),
            (json!({"$og_app_id": "app-1"}), "data.$og_app_id"),
            (json!({"$og_app_id": 1.5}), "data.$og_app_id"),
            (json!({"$og_title": "x".repeat(301)}), "data.$og_title"),
            (
                json!({"$twitter_title": "x".repeat(301)}),
                "data.$twitter_title",
            ),
            (
                json!({"$twitter_description": 5}),
                "data.$twitter_description",
            ),
            (
                json!({"$twitter_image_url": "javascript:alert(1)"}),
                "data.$twitter_image_url",
            ),
            (json!({"$twitter_card": "app"}), "data.$twitter_card"),
            (json!({"$twitter_card": "player"}), "data.$twitter_card"),
            (
                json!({"$twitter_card": "player", "$og_video": "http://cdn.acme.test/v.mp4"}),
                "data.$twitter_card",
            ),
            (
                json!({"$twitter_player": "http://acme.test/embed/1"}),
                "data.$twitter_player",
            ),
            (
                json!({"$twitter_player_width": 0}),
                "data.$twitter_player_width",
            ),
            (json!({"$og_video": "javascript:x"}), "data.$og_video"),
            (
                json!({"$custom_meta_tags": {"robots": "index"}}),
                "data.$custom_meta_tags",
            ),
            (
                json!({"$custom_meta_tags": "{not json"}),
                "data.$custom_meta_tags",
            ),
            (
                json!({"$fallback_url_de": "javascript:x"}),
                "data.$fallback_url_de",
            ),
            (json!({"$fallback_url_br": 5}), "data.$fallback_url_br"),
            (json!({"$ios_url_de": "data:,x"}), "data.$ios_url_de"),
            (
                json!({"$android_url_br": ["https://acme.br/"]}),
                "data.$android_url_br",
            ),
            (
                json!({"$og_redirect": "ftp://acme.test/"}),
                "data.$og_redirect",
            ),
            (
                json!({"$ios_wechat_url": "weixin://x"}),
                "data.$ios_wechat_url",
            ),
            (
                json!({"$android_wechat_url": 1}),
                "data.$android_wechat_url",
            ),
            (
                json!({"$windows_phone_url": "javascript:alert(1)"}),
                "data.$windows_phone_url",
            ),
            (
                json!({"$blackberry_url": "//evil.test/"}),
                "data.$blackberry_url",
            ),
            (
                json!({"$twitter_site": "@not a handle"}),
                "data.$twitter_site",
            ),
            (json!({"$og_type": "Web Site"}), "data.$og_type"),
            (json!({"$og_image_width": 0}), "data.$og_image_width"),
            (json!({"$og_image_height": "tall"}), "data.$og_image_height"),
            (json!({"$og_image_height": 1.5}), "data.$og_image_height"),
            (json!({"blob": "x".repeat(17 * 1024)}), "data"),
            (json!({"n": [{"x": 1.7976931348623157e308}]}), "data"),
            (json!({"k": {"v": "a\u{0}"}}), "data"),
        ];
        for (value, field) in cases {
            let err = validate_data(&data(value.clone()), &app()).expect_err(&value.to_string());
            assert_eq!(err.field, field, "{value}");
        }
    }

    #[test]
    fn match_duration_is_read_as_seconds() {
        assert_eq!(match_duration(&data(json!({}))), Ok(None));
        assert_eq!(
            match_duration(&data(json!({"$match_duration": 600}))),
            Ok(Some(600))
        );
        assert_eq!(
            match_duration(&data(json!({"$match_duration": " 86400 "}))),
            Ok(Some(86_400))
        );
    }

    #[test]
    fn tags_and_attributes() {
        assert_eq!(
            normalize_tags(vec!["a".into(), " a ".into(), "b".into()]).unwrap(),
            ["a", "b"]
        );
        assert!(normalize_tags(vec!["".into()]).is_err());
        assert!(normalize_tags((0..33).map(|i| i.to_string()).collect()).is_err());
        assert!(normalize_tags(vec!["x".repeat(129)]).is_err());
        assert_eq!(
            normalize_attribute("channel", Some("  ".into())).unwrap(),
            None
        );
        assert!(normalize_attribute("channel", Some("a\u{0}".into())).is_err());
        assert_eq!(validate_duration(7200).unwrap(), 7200);
        assert!(validate_duration(0).is_err());
        assert!(validate_duration(10_000_000).is_err());
    }
}
