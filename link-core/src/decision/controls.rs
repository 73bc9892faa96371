//! Reading Branch link-control keys (`$ios_url`, `$web_only`, ...) out of a link's data.
//!
//! Link data is free-form JSON written by developers (or by anyone holding a key), so every
//! value is treated as untrusted: URLs are re-validated with [`WebUrl::parse`] on every read
//! and an invalid value behaves exactly as if the key were absent. Nothing here allocates
//! except that validation, and it only runs for the keys a decision actually consults.

use crate::country::Country;
use crate::link_data::{DataValue, LinkData};
use crate::url::WebUrl;

/// Link-data URLs this thread has validated, so a hot link's `$desktop_url` is parsed
/// once per worker thread rather than on every click (a full URL parse costs more than the
/// rest of the decision). Purely a memo of [`WebUrl::parse`]: same input, same answer.
mod memo {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use crate::url::WebUrl;

    /// Entries per thread before the memo starts over; far above the links a thread sees
    /// hot at once, small in memory (a few hundred KB).
    const CAPACITY: usize = 2048;
    /// Longer strings are parsed every time rather than kept.
    const MAX_KEY: usize = 512;

    thread_local! {
        static PARSED: RefCell<HashMap<Box<str>, Option<WebUrl>>> = RefCell::new(HashMap::new());
    }

    pub fn parse(raw: &str) -> Option<WebUrl> {
        if raw.len() > MAX_KEY {
            return WebUrl::parse(raw).ok();
        }
        PARSED.with(|cell| {
            let mut map = cell.borrow_mut();
            if let Some(hit) = map.get(raw) {
                return hit.clone();
            }
            let parsed = WebUrl::parse(raw).ok();
            if map.len() >= CAPACITY {
                map.clear();
            }
            map.insert(raw.into(), parsed.clone());
            parsed
        })
    }
}

fn parsed_url(raw: &str) -> Option<WebUrl> {
    memo::parse(raw)
}

/// The link-control keys the decision understands.
pub mod keys {
    pub const FALLBACK_URL: &str = "$fallback_url";
    /// `$fallback_url_de`: the fallback for clicks from one country (lower-case ISO code).
    pub const COUNTRY_FALLBACK_PREFIX: &str = "$fallback_url_";
    /// `$ios_url_de`: `$ios_url` for clicks from one country.
    pub const COUNTRY_IOS_PREFIX: &str = "$ios_url_";
    /// `$android_url_de`: `$android_url` for clicks from one country.
    pub const COUNTRY_ANDROID_PREFIX: &str = "$android_url_";
    /// Every per-country destination key is one of these and a lower-case country code.
    pub const COUNTRY_PREFIXES: [&str; 3] = [
        COUNTRY_FALLBACK_PREFIX,
        COUNTRY_IOS_PREFIX,
        COUNTRY_ANDROID_PREFIX,
    ];
    pub const DESKTOP_URL: &str = "$desktop_url";
    pub const IOS_URL: &str = "$ios_url";
    pub const IPAD_URL: &str = "$ipad_url";
    pub const ANDROID_URL: &str = "$android_url";
    pub const SAMSUNG_URL: &str = "$samsung_url";
    pub const HUAWEI_URL: &str = "$huawei_url";
    pub const FIRE_URL: &str = "$fire_url";
    pub const WINDOWS_PHONE_URL: &str = "$windows_phone_url";
    pub const BLACKBERRY_URL: &str = "$blackberry_url";
    pub const IOS_WECHAT_URL: &str = "$ios_wechat_url";
    pub const ANDROID_WECHAT_URL: &str = "$android_wechat_url";
    pub const DEEPLINK_PATH: &str = "$deeplink_path";
    pub const IOS_DEEPLINK_PATH: &str = "$ios_deeplink_path";
    pub const ANDROID_DEEPLINK_PATH: &str = "$android_deeplink_path";
    pub const ALWAYS_DEEPLINK: &str = "$always_deeplink";
    pub const WEB_ONLY: &str = "$web_only";
    /// The link opens the app with its data but is never credited: its clicks are not
    /// counted, and the installs and opens it leads to count as organic (Branch's key for
    /// links that serve the user, such as a sign-in link, and must not take attribution
    /// from the campaign that brought the user).
    pub const DEEPLINK_NO_ATTRIBUTION: &str = "$deeplink_no_attribution";
    /// `$web_only` on phones and tablets only; desktops always get the web here anyway.
    pub const MOBILE_WEB_ONLY: &str = "$mobile_web_only";
    pub const URI_REDIRECT_MODE: &str = "$uri_redirect_mode";
    /// Per-OS `$uri_redirect_mode`, which wins over the general one on that OS.
    pub const IOS_URI_REDIRECT_MODE: &str = "$ios_uri_redirect_mode";
    pub const ANDROID_URI_REDIRECT_MODE: &str = "$android_uri_redirect_mode";
    /// Where the open-in-app page sends the person who comes back to the browser after the
    /// app opened (a "thanks" or next-step page); the page is left as it is without one.
    pub const AFTER_CLICK_URL: &str = "$after_click_url";
    /// How long the interstitial waits for the app before its fallback, in milliseconds.
    pub const IOS_REDIRECT_TIMEOUT: &str = "$ios_redirect_timeout";
    pub const ANDROID_REDIRECT_TIMEOUT: &str = "$android_redirect_timeout";
    /// The link's attribution window in seconds, as Branch reads it from link data; read
    /// into the link's `duration` when the link is written, not by the decision.
    pub const MATCH_DURATION: &str = "$match_duration";
    pub const OG_TITLE: &str = "$og_title";
    pub const OG_DESCRIPTION: &str = "$og_description";
    pub const OG_IMAGE_URL: &str = "$og_image_url";
    pub const OG_URL: &str = "$og_url";
    pub const OG_TYPE: &str = "$og_type";
    pub const OG_IMAGE_WIDTH: &str = "$og_image_width";
    pub const OG_IMAGE_HEIGHT: &str = "$og_image_height";
    pub const TWITTER_CARD: &str = "$twitter_card";
    pub const TWITTER_TITLE: &str = "$twitter_title";
    pub const TWITTER_DESCRIPTION: &str = "$twitter_description";
    pub const TWITTER_IMAGE_URL: &str = "$twitter_image_url";
    pub const TWITTER_SITE: &str = "$twitter_site";
    pub const OG_APP_ID: &str = "$og_app_id";
    pub const OG_VIDEO: &str = "$og_video";
    /// Where link-preview bots are sent to read the tags instead of getting our page.
    pub const OG_REDIRECT: &str = "$og_redirect";
    /// The X player card's iframe URL (https); `$og_video` without one.
    pub const TWITTER_PLAYER: &str = "$twitter_player";
    pub const TWITTER_PLAYER_WIDTH: &str = "$twitter_player_width";
    pub const TWITTER_PLAYER_HEIGHT: &str = "$twitter_player_height";
    /// More meta tags for the preview: `{"twitter:player:stream": "https://…"}`.
    pub const CUSTOM_META_TAGS: &str = "$custom_meta_tags";
}

/// [`Controls::flag`] over link data still in JSON form (the API's view of a link):
/// `true`, `1`, `"true"` (any case) or `"1"`.
pub fn json_flag(data: &serde_json::Map<String, serde_json::Value>, key: &str) -> bool {
    use serde_json::Value;
    match data.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_u64() == Some(1),
        Some(Value::String(s)) => {
            let s = s.trim();
            s.eq_ignore_ascii_case("true") || s == "1"
        }
        _ => false,
    }
}

/// The longest wait for the app a link may ask of the interstitial: beyond this, people
/// leave a blank page before the fallback comes.
pub const MAX_REDIRECT_TIMEOUT_MS: u32 = 10_000;

/// Branch's `$uri_redirect_mode`: when a URI scheme may be tried without a Universal Link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RedirectMode {
    /// 0: only when the app is known to be installed, so no "invalid address" alert shows.
    #[default]
    Conservative,
    /// 1: the same as conservative here; both use the browser's known-installed flag.
    Intelligent,
    /// 2: always try the scheme, accepting the alert when the app is missing.
    Forceful,
}

/// A read-only view of a link's data that answers control-key questions.
#[derive(Clone, Copy)]
pub struct Controls<'a> {
    data: &'a LinkData,
}

impl<'a> Controls<'a> {
    pub fn new(data: &'a LinkData) -> Self {
        Self { data }
    }

    /// A non-blank string value; anything else (number, object, "") counts as absent.
    pub fn text(&self, key: &str) -> Option<&'a str> {
        match self.data.get(key) {
            Some(DataValue::Str(s)) if !s.trim().is_empty() => Some(s),
            _ => None,
        }
    }

    /// A destination URL, validated now: link data may hold `javascript:` or worse.
    pub fn url(&self, key: &str) -> Option<WebUrl> {
        self.text(key).and_then(|raw| parsed_url(raw.trim()))
    }

    /// `<prefix><country>` (`$fallback_url_de`, `$ios_url_de`) for a click from that
    /// country; `prefix` is one of [`keys::COUNTRY_PREFIXES`].
    pub fn country_url(&self, prefix: &str, country: Country) -> Option<WebUrl> {
        // Built on the stack: this runs on clicks.
        const MAX_PREFIX: usize = 16;
        let mut key = [0u8; MAX_PREFIX + 2];
        let len = prefix.len();
        key.get_mut(..len)?.copy_from_slice(prefix.as_bytes());
        key.get_mut(len..len + 2)?.copy_from_slice(&country.bytes());
        std::str::from_utf8(&key[..len + 2])
            .ok()
            .and_then(|key| self.url(key))
    }

    /// Branch flags arrive as JSON booleans or as strings from query-built links.
    pub fn flag(&self, key: &str) -> bool {
        match self.data.get(key) {
            Some(DataValue::Str(s)) => {
                let s = s.trim();
                s.eq_ignore_ascii_case("true") || s == "1"
            }
            // JSON text of a boolean or a number: `true`, or the integer 1.
            Some(DataValue::Json(text)) => text == "true" || text == "1",
            None => false,
        }
    }

    /// A whole number, given as JSON or as a string from a query-built link.
    fn integer(&self, key: &str) -> Option<u64> {
        match self.data.get(key)? {
            // JSON text of a number (an integer parses; `1.0`, `true` or `[1]` do not).
            DataValue::Json(text) => text.parse().ok(),
            DataValue::Str(s) => s.trim().parse().ok(),
        }
    }

    fn mode(&self, key: &str) -> Option<RedirectMode> {
        match self.integer(key)? {
            0 => Some(RedirectMode::Conservative),
            1 => Some(RedirectMode::Intelligent),
            2 => Some(RedirectMode::Forceful),
            _ => None,
        }
    }

    /// The OS's own mode key (`$ios_uri_redirect_mode`), then `$uri_redirect_mode`; a
    /// value other than 0, 1 or 2 counts as absent.
    pub fn redirect_mode(&self, os_key: &str) -> RedirectMode {
        self.mode(os_key)
            .or_else(|| self.mode(keys::URI_REDIRECT_MODE))
            .unwrap_or_default()
    }

    /// Whether the link asks for the URI scheme to be tried on this OS even when the app
    /// is not known to be installed (`$always_deeplink` or forceful redirect mode).
    pub fn forces_scheme(&self, os_mode_key: &str) -> bool {
        self.flag(keys::ALWAYS_DEEPLINK)
            || self.redirect_mode(os_mode_key) == RedirectMode::Forceful
    }

    /// `$deeplink_no_attribution`: the link's clicks, installs and opens are not counted
    /// for it.
    pub fn no_attribution(&self) -> bool {
        self.flag(keys::DEEPLINK_NO_ATTRIBUTION)
    }

    /// `$web_only` or `$mobile_web_only`: phones and tablets go to the web, not the app.
    pub fn mobile_web_only(&self) -> bool {
        self.flag(keys::WEB_ONLY) || self.flag(keys::MOBILE_WEB_ONLY)
    }

    /// `$ios_redirect_timeout` / `$android_redirect_timeout`, when a whole number of
    /// milliseconds up to [`MAX_REDIRECT_TIMEOUT_MS`].
    pub fn redirect_timeout_ms(&self, key: &str) -> Option<u32> {
        self.integer(key)
            .filter(|ms| *ms <= u64::from(MAX_REDIRECT_TIMEOUT_MS))
            .and_then(|ms| u32::try_from(ms).ok())
    }

    /// The deep link path for a platform: the platform-specific key beats `$deeplink_path`.
    pub fn deeplink_path(&self, platform_key: &str) -> Option<&'a str> {
        self.text(platform_key)
            .or_else(|| self.text(keys::DEEPLINK_PATH))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn data(v: Value) -> LinkData {
        match v {
            Value::Object(m) => LinkData::from_map(&m).unwrap(),
            _ => unreachable!("test data must be an object"),
        }
    }

    #[test]
    fn flags_accept_bool_string_and_one() {
        let raw = json!({"a": true, "b": "true", "c": "TRUE", "d": "1", "e": 1,
            "f": false, "g": "false", "h": "yes", "i": 2, "j": null, "k": 1.0, "l": " 1 "});
        let d = data(raw.clone());
        let c = Controls::new(&d);
        let map = raw.as_object().unwrap();
        for k in ["a", "b", "c", "d", "e", "l"] {
            assert!(c.flag(k), "{k}");
            assert!(json_flag(map, k), "the JSON reading agrees: {k}");
        }
        for k in ["f", "g", "h", "i", "j", "k", "missing"] {
            assert!(!c.flag(k), "{k}");
            assert!(!json_flag(map, k), "the JSON reading agrees: {k}");
        }
    }

    #[test]
    fn redirect_mode_from_number_or_string() {
        for (v, want) in [
            (json!(0), RedirectMode::Conservative),
            (json!(1), RedirectMode::Intelligent),
            (json!("2"), RedirectMode::Forceful),
            (json!(2), RedirectMode::Forceful),
            (json!(7), RedirectMode::Conservative),
            (json!("x"), RedirectMode::Conservative),
            (json!(-1), RedirectMode::Conservative),
        ] {
            let d = data(json!({ keys::URI_REDIRECT_MODE: v }));
            let c = Controls::new(&d);
            assert_eq!(c.redirect_mode(keys::IOS_URI_REDIRECT_MODE), want, "{v}");
        }
    }

    #[test]
    fn the_os_redirect_mode_wins_on_its_os() {
        let d = data(
            json!({ keys::URI_REDIRECT_MODE: 2, keys::IOS_URI_REDIRECT_MODE: "0",
            keys::ANDROID_URI_REDIRECT_MODE: 9 }),
        );
        let c = Controls::new(&d);
        assert_eq!(
            c.redirect_mode(keys::IOS_URI_REDIRECT_MODE),
            RedirectMode::Conservative
        );
        // An invalid OS value falls back to the general one.
        assert_eq!(
            c.redirect_mode(keys::ANDROID_URI_REDIRECT_MODE),
            RedirectMode::Forceful
        );
        assert!(!c.forces_scheme(keys::IOS_URI_REDIRECT_MODE));
        assert!(c.forces_scheme(keys::ANDROID_URI_REDIRECT_MODE));
    }

    #[test]
    fn redirect_timeouts_are_bounded_whole_milliseconds() {
        for (v, want) in [
            (json!(750), Some(750)),
            (json!("1500"), Some(1500)),
            (json!(0), Some(0)),
            (json!(10_000), Some(10_000)),
            (json!(10_001), None),
            (json!(-5), None),
            (json!(1.5), None),
            (json!("soon"), None),
        ] {
            let d = data(json!({ keys::IOS_REDIRECT_TIMEOUT: v }));
            let c = Controls::new(&d);
            assert_eq!(
                c.redirect_timeout_ms(keys::IOS_REDIRECT_TIMEOUT),
                want,
                "{v}"
            );
            assert_eq!(c.redirect_timeout_ms(keys::ANDROID_REDIRECT_TIMEOUT), None);
        }
    }

    #[test]
    fn invalid_urls_are_absent() {
        let d = data(json!({
            keys::IOS_URL: "javascript:alert(1)",
            keys::ANDROID_URL: " https://acme.app/a ",
            keys::DESKTOP_URL: 42,
            keys::FALLBACK_URL: "",
        }));
        let c = Controls::new(&d);
        assert!(c.url(keys::IOS_URL).is_none());
        assert_eq!(
            c.url(keys::ANDROID_URL).map(String::from).as_deref(),
            Some("https://acme.app/a")
        );
        assert!(c.url(keys::DESKTOP_URL).is_none());
        assert!(c.url(keys::FALLBACK_URL).is_none());
    }

    #[test]
    fn platform_deeplink_path_wins() {
        let d = data(json!({ keys::DEEPLINK_PATH: "a", keys::IOS_DEEPLINK_PATH: "b" }));
        let c = Controls::new(&d);
        assert_eq!(c.deeplink_path(keys::IOS_DEEPLINK_PATH), Some("b"));
        assert_eq!(c.deeplink_path(keys::ANDROID_DEEPLINK_PATH), Some("a"));
    }
}
