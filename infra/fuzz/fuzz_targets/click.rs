//! Link data as the API would store it (any JSON under the control keys), any query and
//! country, any client: the decision keeps its invariants (`hoplink_fuzz::check`).
//!
//! Input: a flags byte (app configured, app installed, own User-Agent), a User-Agent
//! pick, then `\x01`-separated fields: query, country, User-Agent, and link-data entries
//! whose first character picks the key and whose rest is the value (JSON when it parses
//! as something other than a string).
#![no_main]
use libfuzzer_sys::fuzz_target;
use link_core::{Country, LinkCode, LinkData};
use serde_json::{Map, Value};

const KEYS: &[&str] = &[
    "$fallback_url",
    "$desktop_url",
    "$ios_url",
    "$ipad_url",
    "$android_url",
    "$samsung_url",
    "$huawei_url",
    "$fire_url",
    "$windows_phone_url",
    "$blackberry_url",
    "$ios_wechat_url",
    "$android_wechat_url",
    "$deeplink_path",
    "$ios_deeplink_path",
    "$android_deeplink_path",
    "$always_deeplink",
    "$web_only",
    "$mobile_web_only",
    "$uri_redirect_mode",
    "$ios_uri_redirect_mode",
    "$android_uri_redirect_mode",
    "$ios_redirect_timeout",
    "$android_redirect_timeout",
    "$after_click_url",
    "$og_title",
    "$og_description",
    "$og_image_url",
    "$og_url",
    "$og_type",
    "$og_image_width",
    "$og_image_height",
    "$twitter_card",
    "$twitter_title",
    "$twitter_description",
    "$twitter_image_url",
    "$twitter_site",
    "$og_app_id",
    "$og_video",
    "$og_redirect",
    "$twitter_player",
    "$twitter_player_width",
    "$twitter_player_height",
    "$custom_meta_tags",
    "$fallback_url_de",
    "$ios_url_de",
    "$android_url_de",
    "$deeplink_no_attribution",
];

fuzz_target!(|bytes: &[u8]| {
    let [flags, pick, rest @ ..] = bytes else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let mut fields = text.split('\u{1}');
    let query = fields.next().unwrap_or_default();
    let country = fields.next().and_then(Country::parse);
    let own_ua = fields.next().unwrap_or_default();
    let mut data = Map::new();
    for field in fields {
        let mut chars = field.chars();
        let Some(pick) = chars.next() else { continue };
        let raw = chars.as_str();
        let value = match serde_json::from_str::<Value>(raw) {
            Ok(value) if !value.is_string() => value,
            _ => Value::String(raw.to_owned()),
        };
        data.insert(KEYS[pick as usize % KEYS.len()].to_owned(), value);
    }
    let Ok(data) = LinkData::from_map(&data) else {
        return;
    };
    let ua = if flags & 4 != 0 {
        own_ua
    } else {
        hoplink_fuzz::USER_AGENTS[*pick as usize % hoplink_fuzz::USER_AGENTS.len()]
    };
    let link = hoplink_fuzz::link(data, LinkCode::parse("Ab3xK9q").expect("a valid code"));
    let app = hoplink_fuzz::app(flags & 1 == 0);
    hoplink_fuzz::decide_checked(&link, &app, ua, flags & 2 != 0, query, country);
});
