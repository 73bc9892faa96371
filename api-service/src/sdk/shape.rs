//! Branch-shaped bodies: the session data an install or open answers (a JSON object sent
//! as a JSON-encoded string, as Branch does), and a link as `GET /v1/url` reads it.
//!
//! Session data is the link's own data (`$`-keys included, those appended to the link
//! winning), the parameters appended to the link (under keys the link does not set),
//! overlaid with Branch's
//! analytics (`~channel`, `~feature`, `~campaign`, `~stage`, `~tags`, `~id`,
//! `~referring_link`) and session keys (`+clicked_branch_link`, `+is_first_session`,
//! `+match_guaranteed`, `+click_timestamp`). Without a match it is exactly
//! `{"+clicked_branch_link": false, "+is_first_session": <bool>}`.

use link_core::{Link, LinkType};
use serde_json::{Map, Value, json};

use super::matching::{MatchedClick, MatchedLink};

/// What an install or open was attributed to, for its session data.
pub struct Referral<'a> {
    pub link: &'a MatchedLink,
    pub click: Option<&'a MatchedClick>,
    /// Deterministic (a click id or the link's own URL).
    pub guaranteed: bool,
    /// The link's short URL.
    pub referring_link: Option<&'a str>,
    /// Link-control keys appended to the link, checked: they win over the link's own.
    pub controls: &'a Map<String, Value>,
    /// Pairs appended to the link (by the URL that opened the app, or its click); the
    /// link's own keys win.
    pub appended: &'a [(String, String)],
}

/// The session data, JSON-encoded.
pub fn session_data(referral: Option<&Referral<'_>>, first_session: bool) -> String {
    let Some(r) = referral else {
        return json!({"+clicked_branch_link": false, "+is_first_session": first_session})
            .to_string();
    };
    let mut data = r.link.data.clone();
    data.extend(r.controls.iter().map(|(k, v)| (k.clone(), v.clone())));
    for (key, value) in r.appended {
        if !data.contains_key(key) {
            data.insert(key.clone(), value.as_str().into());
        }
    }
    analytics(
        &mut data,
        r.link.id,
        [
            ("~channel", r.link.channel.as_deref()),
            ("~feature", r.link.feature.as_deref()),
            ("~campaign", r.link.campaign.as_deref()),
            ("~stage", r.link.stage.as_deref()),
        ],
        r.link.tags.clone(),
    );
    if let Some(url) = r.referring_link {
        data.insert("~referring_link".into(), url.into());
    }
    if r.link.link_type == LinkType::Marketing.to_branch() {
        data.insert("~marketing".into(), true.into());
    }
    data.insert("+clicked_branch_link".into(), true.into());
    data.insert("+is_first_session".into(), first_session.into());
    data.insert("+match_guaranteed".into(), r.guaranteed.into());
    if let Some(click) = r.click {
        data.insert(
            "+click_timestamp".into(),
            click.clicked_at.timestamp().into(),
        );
    }
    Value::Object(data).to_string()
}

/// A link as Branch's "read deep link" answers it: the analytics at the top, the link's
/// data (with `~id`, `url`, `+url` and the `~` analytics) under `data`.
pub fn read_link(link: &Link, url: &str) -> Value {
    let mut data = link.data.to_map();
    analytics(
        &mut data,
        link.id,
        [
            ("~channel", link.labels.channel()),
            ("~feature", link.labels.feature()),
            ("~campaign", link.labels.campaign()),
            ("~stage", link.labels.stage()),
        ],
        link.labels.tags_vec(),
    );
    data.insert("url".into(), url.into());
    data.insert("+url".into(), url.into());
    data.insert(
        "$one_time_use".into(),
        (link.link_type == LinkType::OneTime).into(),
    );
    if link.link_type == LinkType::Marketing {
        data.insert("~marketing".into(), true.into());
    }
    if let Some(duration) = link.duration_secs {
        data.insert("$match_duration".into(), duration.into());
    }
    let mut body = Map::new();
    for (key, value) in [
        ("channel", link.labels.channel()),
        ("feature", link.labels.feature()),
        ("campaign", link.labels.campaign()),
        ("stage", link.labels.stage()),
    ] {
        if let Some(value) = value {
            body.insert(key.into(), value.into());
        }
    }
    body.insert("tags".into(), link.labels.tags_vec().into());
    body.insert(
        "alias".into(),
        if link.is_alias {
            link.code.as_str()
        } else {
            ""
        }
        .into(),
    );
    body.insert("type".into(), link.link_type.to_branch().into());
    if let Some(duration) = link.duration_secs {
        body.insert("duration".into(), duration.into());
    }
    if let Some(expires_at) = link.expires_at {
        body.insert("expires_at".into(), expires_at.to_rfc3339().into());
    }
    body.insert("data".into(), Value::Object(data));
    Value::Object(body)
}

fn analytics(
    data: &mut Map<String, Value>,
    id: i64,
    labels: [(&str, Option<&str>); 4],
    tags: Vec<String>,
) {
    data.insert("~id".into(), id.to_string().into());
    for (key, value) in labels {
        if let Some(value) = value {
            data.insert(key.into(), value.into());
        }
    }
    if !tags.is_empty() {
        data.insert("~tags".into(), tags.into());
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use link_core::ClickId;

    use super::*;

    fn link() -> MatchedLink {
        MatchedLink {
            id: 42,
            code: "abc".into(),
            data: json!({"$deeplink_path": "product/7", "color": "red", "~channel": "forged"})
                .as_object()
                .cloned()
                .unwrap(),
            channel: Some("email".into()),
            feature: None,
            campaign: Some("spring".into()),
            stage: None,
            tags: vec!["a".into()],
            link_type: 0,
        }
    }

    #[test]
    fn no_match_is_two_keys() {
        let data: Value = serde_json::from_str(&session_data(None, true)).unwrap();
        assert_eq!(
            data,
            json!({"+clicked_branch_link": false, "+is_first_session": true})
        );
    }

    #[test]
    fn a_match_carries_link_data_and_analytics() {
        let link = link();
        let click = MatchedClick {
            id: ClickId::generate(),
            clicked_at: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
            browser_id: None,
            claimed: true,
            query: None,
        };
        let controls = json!({"$web_only": "true", "$og_title": "Sale"});
        let controls = controls.as_object().unwrap();
        let referral = Referral {
            link: &link,
            click: Some(&click),
            guaranteed: false,
            referring_link: Some("https://go.acme.test/abc"),
            controls,
            appended: &[
                ("coupon".into(), "SPRING10".into()),
                ("color".into(), "blue".into()),
            ],
        };
        let data: Value = serde_json::from_str(&session_data(Some(&referral), false)).unwrap();
        assert_eq!(data["$deeplink_path"], "product/7");
        assert_eq!(data["$og_title"], "Sale", "appended control keys win");
        assert_eq!(data["$web_only"], "true");
        assert_eq!(data["color"], "red", "the link's own data wins");
        assert_eq!(data["coupon"], "SPRING10");
        assert_eq!(
            data["~channel"], "email",
            "our analytics win over look-alike data keys"
        );
        assert_eq!(data["~campaign"], "spring");
        assert_eq!(data["~tags"], json!(["a"]));
        assert_eq!(data["~id"], "42");
        assert_eq!(data["~referring_link"], "https://go.acme.test/abc");
        assert_eq!(data["+clicked_branch_link"], true);
        assert_eq!(data["+is_first_session"], false);
        assert_eq!(data["+match_guaranteed"], false);
        assert_eq!(data["+click_timestamp"], 1_700_000_000);
        assert!(data.get("~feature").is_none());
    }
}
