//! What Branch's social-card keys may hold: `$og_type`, `$og_image_width`,
//! `$og_image_height`, `$og_app_id`, `$twitter_card`, `$twitter_site`, `$twitter_player`
//! and its width and height. Link creation refuses other
//! values with these rules; the click path reads stored data through them too and leaves
//! out what does not pass (data stored before a rule existed), never an error.

use crate::link_data::{DataValue, LinkData};
use crate::url::WebUrl;

/// The largest `og:image:width` / `og:image:height` accepted, in pixels.
pub const MAX_IMAGE_SIDE: u32 = 10_000;
/// Open Graph types are short dotted words (`website`, `article`, `video.movie`).
const MAX_OG_TYPE: usize = 40;
/// X (Twitter) handles are 1-15 characters.
const MAX_HANDLE: usize = 15;
/// Facebook app ids are decimal numbers, 15-16 digits today; room to grow.
const MAX_APP_ID: usize = 20;

/// The card layouts X renders from the tags a preview page carries. Its `app` card needs
/// store ids per country that a link has no keys for, so it is not offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwitterCard {
    Summary,
    SummaryLargeImage,
    /// A video in an iframe: needs an https player URL (`$twitter_player` or `$og_video`).
    Player,
}

impl TwitterCard {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "summary" => Some(Self::Summary),
            "summary_large_image" => Some(Self::SummaryLargeImage),
            "player" => Some(Self::Player),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Summary => "summary",
            Self::SummaryLargeImage => "summary_large_image",
            Self::Player => "player",
        }
    }
}

/// An Open Graph type: a lower-case word, optionally dotted (`video.movie`).
pub fn og_type(raw: &str) -> Option<&str> {
    let raw = raw.trim();
    let mut bytes = raw.bytes();
    let starts_with_letter = bytes.next().is_some_and(|b| b.is_ascii_lowercase());
    let rest_ok =
        bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_');
    (starts_with_letter && rest_ok && raw.len() <= MAX_OG_TYPE).then_some(raw)
}

/// An X handle, with or without its `@`; returned without it.
pub fn twitter_handle(raw: &str) -> Option<&str> {
    let raw = raw.trim();
    let handle = raw.strip_prefix('@').unwrap_or(raw);
    let ok = (1..=MAX_HANDLE).contains(&handle.len())
        && handle
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    ok.then_some(handle)
}

/// An image side in pixels, from a JSON integer's text or a string of digits (links built
/// from a query string carry numbers as strings).
pub fn image_side(text: &str) -> Option<u32> {
    let side: u32 = text.trim().parse().ok()?;
    (1..=MAX_IMAGE_SIDE).contains(&side).then_some(side)
}

/// A Facebook app id (`fb:app_id`, which ties shares to the app's Facebook insights):
/// digits only, from a JSON integer's text or a string.
pub fn facebook_app_id(text: &str) -> Option<&str> {
    let text = text.trim();
    ((1..=MAX_APP_ID).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()))
        .then_some(text)
}

/// [`facebook_app_id`] of a link-data key, absent when missing or not one.
pub fn facebook_app_id_of<'d>(data: &'d LinkData, key: &str) -> Option<&'d str> {
    match data.get(key)? {
        DataValue::Json(text) | DataValue::Str(text) => facebook_app_id(text),
    }
}

/// A player URL X will frame: it takes https only.
pub fn player_url(url: WebUrl) -> Option<WebUrl> {
    (url.as_url().scheme() == "https").then_some(url)
}

/// `$custom_meta_tags`: at most this many tags...
pub const MAX_CUSTOM_TAGS: usize = 20;
/// ...with names of at most this many bytes...
const MAX_TAG_NAME: usize = 64;
/// ...and values of at most this many characters.
pub const MAX_TAG_VALUE: usize = 1000;

/// Why `$custom_meta_tags` cannot be used as given.
pub const CUSTOM_TAGS_RULE: &str = "must be an object (or a string of JSON holding one) of at \
    most 20 namespaced tag names such as al:ios:url or twitter:player:stream, each with a \
    string of at most 1000 characters";

/// A namespaced meta tag name (`twitter:player:stream`, `al:ios:url`): lower-case words
/// joined by `:`, at least two. Plain names (`robots`, `referrer`) could change how the
/// page itself is treated, so they are not offered.
pub fn custom_tag_name(name: &str) -> bool {
    let mut parts = 0;
    let words_ok = name.split(':').all(|word| {
        parts += 1;
        let mut bytes = word.bytes();
        bytes
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    });
    words_ok && parts >= 2 && name.len() <= MAX_TAG_NAME
}

/// `$custom_meta_tags` read: a JSON object, or a string holding one (Branch documents the
/// string form). `None` when it breaks any rule of [`CUSTOM_TAGS_RULE`].
pub fn custom_tags(value: &serde_json::Value) -> Option<Vec<(String, String)>> {
    let parsed;
    let map = match value {
        serde_json::Value::Object(map) => map,
        serde_json::Value::String(text) => {
            parsed = serde_json::from_str::<serde_json::Value>(text).ok()?;
            parsed.as_object()?
        }
        _ => return None,
    };
    if map.len() > MAX_CUSTOM_TAGS {
        return None;
    }
    map.iter()
        .map(|(name, value)| match value {
            serde_json::Value::String(text)
                if custom_tag_name(name) && text.chars().count() <= MAX_TAG_VALUE =>
            {
                Some((name.clone(), text.clone()))
            }
            _ => None,
        })
        .collect()
}

/// [`custom_tags`] of a link-data key, empty when missing or unusable.
pub fn custom_tags_of(data: &LinkData, key: &str) -> Vec<(String, String)> {
    data.get(key)
        .and_then(|value| custom_tags(&value.to_value()))
        .unwrap_or_default()
}

/// [`image_side`] of a link-data key, absent when missing or out of range.
pub fn image_side_of(data: &LinkData, key: &str) -> Option<u32> {
    match data.get(key)? {
        DataValue::Json(text) | DataValue::Str(text) => image_side(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facebook_app_ids() {
        assert_eq!(
            facebook_app_id(" 1234567890123456 "),
            Some("1234567890123456")
        );
        for bad in ["", "12a", "-1", "1.5", &"1".repeat(21), "<1>"] {
            assert_eq!(facebook_app_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn og_types() {
        for ok in [
            "website",
            "article",
            "video.movie",
            "music.song",
            "product",
            "a1_b",
        ] {
            assert_eq!(og_type(ok), Some(ok));
        }
        assert_eq!(og_type(" article "), Some("article"));
        for bad in [
            "",
            "Article",
            "1video",
            "video movie",
            "<b>",
            "og:type",
            &"a".repeat(41),
        ] {
            assert_eq!(og_type(bad), None, "{bad}");
        }
    }

    #[test]
    fn handles() {
        assert_eq!(twitter_handle("@acme_app"), Some("acme_app"));
        assert_eq!(twitter_handle("acme"), Some("acme"));
        for bad in ["", "@", "@acme app", "@\"><b>", &"a".repeat(16), "@@acme"] {
            assert_eq!(twitter_handle(bad), None, "{bad}");
        }
    }

    #[test]
    fn custom_tags_take_namespaced_names_and_string_values() {
        use serde_json::json;
        let both = [
            json!({"twitter:player:stream": "https://acme.app/v.m3u8", "al:ios:url": "acme://x"}),
            json!(
                r#"{"twitter:player:stream": "https://acme.app/v.m3u8", "al:ios:url": "acme://x"}"#
            ),
        ];
        for value in both {
            let tags = custom_tags(&value).expect("usable");
            assert_eq!(tags.len(), 2, "{value}");
        }
        let many: serde_json::Map<_, _> =
            (0..21).map(|n| (format!("x:t{n}"), json!("v"))).collect();
        for bad in [
            json!({"robots": "index"}),
            json!({"og:Title": "x"}),
            json!({"og:": "x"}),
            json!({"a\"b:c": "x"}),
            json!({"og:title": 5}),
            json!({"og:title": "x".repeat(1001)}),
            json!("not json"),
            json!("[1]"),
            json!(7),
            serde_json::Value::Object(many),
        ] {
            assert_eq!(custom_tags(&bad), None, "{bad}");
        }
    }

    #[test]
    fn image_sides() {
        assert_eq!(image_side("1200"), Some(1200));
        assert_eq!(image_side(" 630 "), Some(630));
        for bad in ["0", "10001", "1.5", "-3", "true", "wide", ""] {
            assert_eq!(image_side(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cards() {
        assert_eq!(TwitterCard::parse("summary"), Some(TwitterCard::Summary));
        assert_eq!(
            TwitterCard::parse("summary_large_image").map(TwitterCard::as_str),
            Some("summary_large_image")
        );
        assert_eq!(TwitterCard::parse("app"), None);
        assert_eq!(TwitterCard::parse("player"), Some(TwitterCard::Player));
    }
}
