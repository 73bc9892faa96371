//! Reading a long link's query into the link it names.
//!
//! Branch SDKs build `https://go.acme.app/a/key_live_…?channel=sms&feature=share&tags=a&
//! type=0&duration=7200&source=ios&data=<base64 JSON>` when they cannot reach the API, and
//! people write `https://go.acme.app/?$deeplink_path=item/7&$fallback_url=…&coupon=X` by
//! hand. Both carry the whole link in the query:
//! - `data`: a JSON object, base64-encoded (standard or URL-safe alphabet, padded or not;
//!   a `+` that arrived as a space and Android's line breaks are tolerated), or plain JSON;
//! - `channel`, `feature`, `campaign`, `stage` and `tags` (repeated), also with Branch's
//!   `~` prefix; `type` and `duration`;
//! - any other key is link data (`$`-keys included), and wins over the same key in `data`.
//!
//! Not part of the link: what SDKs add for themselves (`source`, `alias`, …, and Branch's
//! read-only `~`/`+` keys), and tracking parameters (`utm_*`, ad click ids such as
//! `fbclid`). Those are carried to the destination like any click's query; were they part
//! of the link, every Facebook click (each with its own `fbclid`) would make a new one.
//!
//! A Firebase Dynamic Links long link (`?link=…&apn=…`) is first read as the Branch
//! parameters that mean the same (see `firebase.rs`).
//!
//! The link's code is derived from its canonical parameters and the app, so every click on
//! the same long link, in any parameter order, finds the same link row.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use link_core::decision::DEVICE_HINT;
use link_core::{AppConfig, AppId, FieldError, LinkCode, LinkData, LinkType, link_input};
use link_store::links::NewLink;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use url::form_urlencoded;

use super::firebase;

/// Longest query read as a long link: the 16 KB of link data, base64-encoded, with room
/// for the rest.
pub const MAX_QUERY_BYTES: usize = 24 * 1024;

const LABELS: [&str; 4] = ["channel", "feature", "campaign", "stage"];

/// Keys SDKs add to long links about themselves rather than the link.
const SDK_KEYS: [&str; 5] = ["alias", "source", "branch_key", "sdk", "has_app"];

/// Ad platforms' click ids, unique per click.
const CLICK_IDS: [&str; 13] = [
    "fbclid",
    "gclid",
    "gbraid",
    "wbraid",
    "dclid",
    "msclkid",
    "ttclid",
    "twclid",
    "li_fat_id",
    "igshid",
    "yclid",
    "mc_eid",
    "_gl",
];

/// A long link, parsed and validated against its app.
#[derive(Debug, Clone)]
pub struct LongLink {
    /// The link to find or create; its alias is the derived code.
    pub new: NewLink,
    pub code: LinkCode,
    /// The query's tracking pairs, form-encoded: what the click carries to the destination.
    pub carried: String,
}

/// What a query key is to a long link.
enum Key<'a> {
    Data,
    Label(usize),
    Tags,
    Type,
    Duration,
    /// An SDK's own key, a reserved Branch key, `link_click_id` or the device check's hint.
    Ignored,
    Tracking,
    Custom(&'a str),
}

fn classify(key: &str) -> Key<'_> {
    if key.is_empty() || key == "link_click_id" || key == DEVICE_HINT || key.starts_with('+') {
        return Key::Ignored;
    }
    if key.starts_with("utm_") || CLICK_IDS.contains(&key) {
        return Key::Tracking;
    }
    let (reserved, bare) = match key.strip_prefix('~') {
        Some(bare) => (true, bare),
        None => (false, key),
    };
    if let Some(at) = LABELS.iter().position(|l| *l == bare) {
        return Key::Label(at);
    }
    match bare {
        "tags" => Key::Tags,
        _ if reserved => Key::Ignored,
        "data" => Key::Data,
        "type" => Key::Type,
        "duration" => Key::Duration,
        _ if SDK_KEYS.contains(&bare) => Key::Ignored,
        _ => Key::Custom(key),
    }
}

/// Whether a query on the bare domain names a link, rather than being a visit to the
/// site that carries only tracking or SDK parameters.
pub fn defines_link(query: &str) -> bool {
    form_urlencoded::parse(query.as_bytes())
        .any(|(key, _)| !matches!(classify(&key), Key::Ignored | Key::Tracking))
}

/// Reads a long link's query. Errors name the offending field as the API would.
pub fn parse(query: &str, app_id: AppId, app: &AppConfig) -> Result<LongLink, FieldError> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(FieldError::new("query", "must be at most 24 KB"));
    }
    let mut data = Map::new();
    let mut overrides = Map::new();
    let mut labels: [Option<String>; 4] = Default::default();
    let mut tags = Vec::new();
    let mut link_type = LinkType::Standard;
    let mut duration_secs = None;
    let mut carried = form_urlencoded::Serializer::new(String::new());
    let mut pairs: Vec<_> = form_urlencoded::parse(query.as_bytes()).collect();
    if firebase::is_firebase(&pairs) {
        pairs = firebase::translate(pairs);
    }
    for (key, value) in pairs {
        match classify(&key) {
            Key::Data => data = decode_data(&value)?,
            Key::Label(at) => labels[at] = Some(value.into_owned()),
            Key::Tags => tags.push(value.into_owned()),
            Key::Type => link_type = integer("type", &value).and_then(link_type_of)?,
            Key::Duration => {
                duration_secs = match value.trim() {
                    "" => None,
                    raw => Some(link_input::validate_duration(integer("duration", raw)?)?),
                }
            }
            Key::Ignored => {}
            Key::Tracking => {
                carried.append_pair(&key, &value);
            }
            Key::Custom(name) => {
                overrides.insert(name.to_owned(), Value::String(value.into_owned()));
            }
        }
    }
    data.extend(overrides);
    link_input::validate_data(&data, app)?;
    link_input::check_open_link_destinations(&data, app)?;
    if duration_secs.is_none() {
        duration_secs = link_input::match_duration(&data)?;
    }
    let [channel, feature, campaign, stage] = labels;
    let new = NewLink {
        alias: None,
        data,
        channel: link_input::normalize_attribute("channel", channel)?,
        feature: link_input::normalize_attribute("feature", feature)?,
        campaign: link_input::normalize_attribute("campaign", campaign)?,
        stage: link_input::normalize_attribute("stage", stage)?,
        tags: link_input::normalize_tags(tags)?,
        link_type,
        duration_secs,
        expires_at: None,
    };
    let code = derive_code(app_id, &new)?;
    Ok(LongLink {
        new: NewLink {
            alias: Some(code.clone()),
            ..new
        },
        code,
        carried: carried.finish(),
    })
}

fn integer(field: &'static str, raw: &str) -> Result<i64, FieldError> {
    raw.trim()
        .parse()
        .map_err(|_| FieldError::new(field, "must be an integer"))
}

fn link_type_of(raw: i64) -> Result<LinkType, FieldError> {
    LinkType::from_branch(raw).map_err(|e| e.at("type"))
}

/// `data`: a JSON object, base64-encoded in any of the ways SDKs and people write it, or
/// as plain JSON.
fn decode_data(raw: &str) -> Result<Map<String, Value>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(Map::new());
    }
    let json: Cow<'_, [u8]> = if raw.starts_with('{') {
        Cow::Borrowed(raw.as_bytes())
    } else {
        let normalized: String = raw
            .chars()
            .filter_map(|c| match c {
                // A `+` the SDK did not escape is a space once form-decoded.
                ' ' | '-' => Some('+'),
                '_' => Some('/'),
                '=' | '\r' | '\n' | '\t' => None,
                c => Some(c),
            })
            .collect();
        let bytes = STANDARD_NO_PAD
            .decode(normalized)
            .map_err(|_| FieldError::new("data", "must be base64-encoded JSON"))?;
        Cow::Owned(bytes)
    };
    match serde_json::from_slice::<Value>(&json) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(FieldError::new("data", "must hold a JSON object")),
    }
}

/// The code a long link's row is stored under: a digest of the app and the link's
/// canonical form (data in key order, labels, tags, type, duration).
fn derive_code(app_id: AppId, new: &NewLink) -> Result<LinkCode, FieldError> {
    let data = LinkData::from_map(&new.data).map_err(|e| e.at("data"))?;
    let canonical = serde_json::to_vec(&(
        app_id.get(),
        &data,
        [&new.channel, &new.feature, &new.campaign, &new.stage],
        &new.tags,
        new.link_type.to_branch(),
        new.duration_secs,
    ))
    .map_err(|_| FieldError::new("data", "could not be encoded"))?;
    let digest = Sha256::digest(&canonical);
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    Ok(LinkCode::derived(&first))
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use serde_json::json;

    use super::*;

    fn app() -> AppConfig {
        serde_json::from_value(json!({
            "ios": {"uri_scheme": "acme"},
            "fallback_url": "https://acme.app/",
            "long_link_hosts": ["partner.example"],
        }))
        .unwrap()
    }

    fn id() -> AppId {
        AppId::new(7).unwrap()
    }

    fn parsed(query: &str) -> LongLink {
        parse(query, id(), &app()).unwrap_or_else(|e| panic!("{query}: {e:?}"))
    }

    #[test]
    fn reads_what_branch_sdks_write() {
        let data = STANDARD.encode(r#"{"$deeplink_path":"item/7","+secret":1,"article":"jan"}"#);
        let long = parsed(&format!(
            "tags=a&tags=b&channel=sms&feature=share&campaign=spring&stage=new&type=1&\
             duration=7200&source=android&data={}",
            url::form_urlencoded::byte_serialize(data.as_bytes()).collect::<String>()
        ));
        let new = &long.new;
        assert_eq!(new.data.get("$deeplink_path"), Some(&json!("item/7")));
        assert_eq!(new.data.get("article"), Some(&json!("jan")));
        assert_eq!(new.channel.as_deref(), Some("sms"));
        assert_eq!(new.feature.as_deref(), Some("share"));
        assert_eq!(new.campaign.as_deref(), Some("spring"));
        assert_eq!(new.stage.as_deref(), Some("new"));
        assert_eq!(new.tags, ["a", "b"]);
        assert_eq!(new.link_type, LinkType::OneTime);
        assert_eq!(new.duration_secs, Some(7200));
        assert_eq!(new.alias.as_ref(), Some(&long.code));
        assert!(!new.data.contains_key("source"));
        // Branch's data key for the window, when `duration` is not given.
        assert_eq!(parsed("$match_duration=600").new.duration_secs, Some(600));
        let both = parsed("$match_duration=600&duration=60");
        assert_eq!(both.new.duration_secs, Some(60));
    }

    #[test]
    fn base64_data_survives_the_ways_it_is_mangled() {
        let json = r#"{"k":"??>>~~ value with + and / in it"}"#;
        let standard = STANDARD.encode(json);
        assert!(standard.contains('+') || standard.contains('/'));
        let codes: Vec<LinkCode> = [
            // `+` unescaped (a space once decoded), `/` and `=` raw.
            format!("data={standard}"),
            format!(
                "data={}",
                url::form_urlencoded::byte_serialize(standard.as_bytes()).collect::<String>()
            ),
            format!("data={}", URL_SAFE_NO_PAD.encode(json)),
            // Android's Base64.DEFAULT breaks lines.
            format!("data={}%0A{}%0A", &standard[..20], &standard[20..]),
            format!(
                "data={}",
                url::form_urlencoded::byte_serialize(json.as_bytes()).collect::<String>()
            ),
        ]
        .iter()
        .map(|q| parsed(q).code)
        .collect();
        assert!(codes.windows(2).all(|w| w[0] == w[1]), "{codes:?}");
    }

    #[test]
    fn the_same_link_in_any_order_has_one_code_and_a_different_one_another() {
        let a = parsed("channel=sms&$deeplink_path=item%2F7&coupon=X");
        let b = parsed("coupon=X&$deeplink_path=item%2F7&channel=sms&utm_source=push");
        let c = parsed("coupon=Y&$deeplink_path=item%2F7&channel=sms");
        assert_eq!(a.code, b.code);
        assert_ne!(a.code, c.code);
        let other_app = parse(
            "channel=sms&$deeplink_path=item%2F7&coupon=X",
            AppId::new(8).unwrap(),
            &app(),
        )
        .unwrap();
        assert_ne!(a.code, other_app.code);
    }

    #[test]
    fn tracking_parameters_are_carried_not_stored() {
        let long =
            parsed("$fallback_url=https%3A%2F%2Facme.app%2Fp&utm_source=push&fbclid=abc&x=1");
        assert_eq!(long.carried, "utm_source=push&fbclid=abc");
        assert!(!long.new.data.contains_key("utm_source"));
        assert!(!long.new.data.contains_key("fbclid"));
        assert_eq!(long.new.data.get("x"), Some(&json!("1")));
        assert_eq!(
            long.code,
            parsed("x=1&$fallback_url=https://acme.app/p&gclid=zz").code
        );
    }

    #[test]
    fn query_keys_win_over_data_and_reserved_keys_are_dropped() {
        let data = STANDARD.encode(r#"{"k":"from data","j":"kept"}"#);
        let long = parsed(&format!(
            "k=from+query&~id=5&~referring_link=x&%2Bclicked_branch_link=true&link_click_id=9&data={}",
            url::form_urlencoded::byte_serialize(data.as_bytes()).collect::<String>()
        ));
        let keys: Vec<&str> = long.new.data.keys().map(String::as_str).collect();
        assert_eq!(keys, ["j", "k"]);
        assert_eq!(long.new.data.get("k"), Some(&json!("from query")));
        let labelled = parsed("~channel=email&~tags=t");
        assert_eq!(labelled.new.channel.as_deref(), Some("email"));
        assert_eq!(labelled.new.tags, ["t"]);
    }

    #[test]
    fn bad_parameters_name_their_field() {
        let cases = [
            ("data=%%%", "data"),
            ("data=WzFd", "data"), // [1]: not an object
            ("type=3", "type"),
            ("type=one", "type"),
            ("duration=0", "duration"),
            ("$fallback_url=javascript:alert(1)", "data.$fallback_url"),
            ("$deeplink_path=evil%3A%2F%2Fx", "data.$deeplink_path"),
            ("$always_deeplink=maybe", "data.$always_deeplink"),
            ("$match_duration=soon", "data.$match_duration"),
            // Another site than the app's own: an open redirect on the app's domain.
            (
                "$desktop_url=https%3A%2F%2Fevil.test%2F",
                "data.$desktop_url",
            ),
            (
                "$ios_url=https%3A%2F%2Facme.app.evil.test%2F",
                "data.$ios_url",
            ),
            ("$og_url=https%3A%2F%2Fevil.test%2F", "data.$og_url"),
            (
                "$og_redirect=https%3A%2F%2Fevil.test%2F",
                "data.$og_redirect",
            ),
            (
                "$fallback_url_de=https%3A%2F%2Fevil.test%2F",
                "data.$fallback_url_de",
            ),
            ("$ios_url_de=https%3A%2F%2Fevil.test%2F", "data.$ios_url_de"),
            (
                "$android_url_fr=https%3A%2F%2Fevil.test%2F",
                "data.$android_url_fr",
            ),
            ("link=https%3A%2F%2Fevil.test%2Fx", "data.$desktop_url"),
            (
                "link=https%3A%2F%2Facme.app%2F&afl=https%3A%2F%2Fevil.test%2F",
                "data.$android_url",
            ),
            ("$match_duration=0", "data.$match_duration"),
            ("channel=a%00b", "channel"),
        ];
        for (query, field) in cases {
            let err = parse(query, id(), &app()).expect_err(query);
            assert_eq!(err.field, field, "{query}");
        }
        let huge = format!("x={}", "a".repeat(MAX_QUERY_BYTES));
        assert_eq!(parse(&huge, id(), &app()).unwrap_err().field, "query");
    }

    #[test]
    fn the_apps_own_sites_and_partners_are_allowed() {
        for query in [
            "$desktop_url=https%3A%2F%2Fshop.acme.app%2Fx",
            "$android_url=https%3A%2F%2Fpartner.example%2Fx",
            "$og_image_url=https%3A%2F%2Fcdn.elsewhere.test%2Fi.png",
        ] {
            parsed(query);
        }
    }

    #[test]
    fn a_bare_domain_query_names_a_link_only_with_link_keys() {
        for visit in ["", "utm_source=x&fbclid=y", "source=ios", "=x&&", "~id=1"] {
            assert!(!defines_link(visit), "{visit}");
        }
        for link in [
            "$fallback_url=x",
            "coupon=1",
            "channel=sms",
            "data=e30",
            "tags=a",
        ] {
            assert!(defines_link(link), "{link}");
        }
    }
}
