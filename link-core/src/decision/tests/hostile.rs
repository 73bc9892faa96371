//! Property-style checks: whatever the link data and the click's query hold, every URL the
//! decision emits is http(s), `intent://` with an http(s) fallback, or the registered
//! scheme, and carries no raw control characters, spaces, quotes or angle brackets.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

use super::fixtures::*;
use crate::decision::controls::keys;
use crate::decision::{Action, Decision};

/// The scheme the `Full` app registered.
const SCHEME: &str = "acme://";

const HOSTILE: &[&str] = &[
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox",
    "//evil.com",
    "///evil.com",
    "\\\\evil.com",
    "https:evil.com",
    "https://evil.com\r\nSet-Cookie: a=b",
    "https://evil.com/\"><script>alert(1)</script>",
    "https://user:pw@evil.com/",
    "https://acme.app/ok?q=\"<'>",
    "https://acme.app/it's",
    // Punctuation the WHATWG parser keeps raw in a domain (found by fuzzing).
    "http://u\"twit$teo/",
    "https://acme.app'onload=x/",
    "intent://evil#Intent;scheme=https;end",
    "acme://product/1",
    "ACME://product/2?x=\"",
    "evil://x",
    "https://evil.com/\u{2028}",
    "\"><script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "%0d%0aLocation:%20https://evil.com",
    "product/42?a=1&link_click_id=forged#frag",
    "",
    " ",
    "\0",
];

const HOSTILE_QUERIES: &[&str] = &[
    "",
    "utm_source=push&x=1",
    "a=\r\nSet-Cookie:%20x=1",
    "a=%0D%0ALocation:%20https://evil.com",
    "\"><script>alert(1)</script>=1",
    "q=</script>&r='\"",
    "link_click_id=forged&$ios_url=javascript:alert(1)&%24web_only=true",
    "&&&=&==&%zz&%",
    "x=\u{2028}\u{2029}&y=é",
    "id=com.evil&referrer=forged",
];

const URL_KEYS: &[&str] = &[
    keys::IOS_URL,
    keys::IPAD_URL,
    keys::ANDROID_URL,
    keys::DESKTOP_URL,
    keys::FALLBACK_URL,
    keys::AFTER_CLICK_URL,
    keys::OG_URL,
    keys::OG_IMAGE_URL,
    keys::DEEPLINK_PATH,
    keys::IOS_DEEPLINK_PATH,
    keys::ANDROID_DEEPLINK_PATH,
];

fn is_web(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// Characters that must never appear raw in an emitted URL.
fn has_raw_danger(url: &str) -> bool {
    url.chars().any(|c| {
        c.is_control()
            || c.is_whitespace()
            || matches!(c, '"' | '<' | '>' | '\\' | '`' | '\u{2028}' | '\u{2029}')
    })
}

fn check_web(url: &str, what: &str) -> Result<(), String> {
    if !is_web(url) || has_raw_danger(url) {
        return Err(format!("{what} is unsafe: {url:?}"));
    }
    Ok(())
}

fn check_intent(url: &str) -> Result<(), String> {
    let (data, extras) = url
        .split_once("#Intent;")
        .ok_or_else(|| format!("intent without extras: {url:?}"))?;
    if data.contains('#') {
        return Err(format!("intent data holds a '#': {url:?}"));
    }
    let fallback = extras
        .strip_prefix("scheme=acme;package=com.acme.app;S.browser_fallback_url=")
        .and_then(|rest| rest.strip_suffix(";end"))
        .ok_or_else(|| format!("unexpected intent extras: {url:?}"))?;
    if fallback.contains(';') || fallback.contains('#') {
        return Err(format!("fallback breaks out of its extra: {url:?}"));
    }
    let decoded = percent_encoding::percent_decode_str(fallback).decode_utf8_lossy();
    check_web(&decoded, "intent fallback")
}

fn check_app_link(url: &str) -> Result<(), String> {
    if has_raw_danger(url) {
        return Err(format!("raw dangerous character in deep link: {url:?}"));
    }
    if url.starts_with("intent://") {
        check_intent(url)
    } else if url.starts_with(SCHEME) {
        let query = url.split_once('?').map_or("", |(_, q)| q);
        let ids: Vec<_> = url::form_urlencoded::parse(query.as_bytes())
            .filter(|(k, _)| k == "link_click_id")
            .map(|(_, v)| v.into_owned())
            .collect();
        if ids != [CLICK_ID] {
            return Err(format!(
                "deep link must carry exactly our click id: {url:?}"
            ));
        }
        Ok(())
    } else {
        Err(format!("deep link with a foreign scheme: {url:?}"))
    }
}

fn check(decision: &Decision) -> Result<(), String> {
    match &decision.action {
        Action::Redirect { location } => {
            if location.starts_with("intent://") {
                check_app_link(location)
            } else {
                check_web(location, "Location")
            }
        }
        Action::Interstitial(page) => {
            check_app_link(&page.deep_link)?;
            if let Some(after) = &page.after_click {
                check_web(after, "after-click URL")?;
            }
            match &page.fallback {
                Some(f) => check_web(&f.url, "fallback"),
                None => Ok(()),
            }
        }
        Action::Preview(p) => {
            for url in [&p.image_url, &p.url].into_iter().flatten() {
                check_web(url.as_str(), "preview url")?;
            }
            Ok(())
        }
        Action::Gone | Action::NoDestination => Ok(()),
    }
}

fn run(data: Map<String, Value>, queries: &[&str], failures: &mut Vec<String>) {
    let link = link(data, LinkState::Live);
    for &kind in ALL_APPS {
        let app = app(kind);
        for &client in ALL_CLIENTS {
            for installed in [false, true] {
                for &query in queries {
                    let decision = decide_for(&link, &app, client, installed, query);
                    if let Err(why) = check(&decision) {
                        failures.push(format!(
                            "{why}\n  app {kind:?}, client {client:?}, installed {installed}, \
                             query {query:?}, data {:?}",
                            link.data
                        ));
                    }
                }
            }
        }
    }
}

fn assert_none(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} unsafe decisions, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(5)].join("\n")
    );
}

#[test]
fn hostile_values_in_every_key() {
    let mut failures = Vec::new();
    for &value in HOSTILE {
        // One key at a time, so each chain reaches the hostile value.
        for &key in URL_KEYS {
            let mut data = Map::new();
            data.insert(key.to_owned(), json!(value));
            run(data, HOSTILE_QUERIES, &mut failures);
        }
        // Every key at once, with every switch on.
        let mut data: Map<String, Value> = URL_KEYS
            .iter()
            .map(|k| ((*k).to_owned(), json!(value)))
            .collect();
        data.insert(keys::WEB_ONLY.to_owned(), json!(value));
        data.insert(keys::ALWAYS_DEEPLINK.to_owned(), json!(true));
        run(data, HOSTILE_QUERIES, &mut failures);
    }
    assert_none(failures);
}

/// Random strings built from fragments that have broken URL handling elsewhere.
fn random_value(rng: &mut StdRng) -> String {
    const PARTS: &[&str] = &[
        "javascript:",
        "https://",
        "http://",
        "acme://",
        "intent://",
        "evil.com",
        "//",
        "/",
        "\\",
        "?",
        "#",
        "&",
        "=",
        ";",
        "%",
        "%0a",
        "%zz",
        "%3C",
        "\r",
        "\n",
        "\t",
        " ",
        "\"",
        "'",
        "<",
        ">",
        "<script>",
        "</script>",
        "\u{2028}",
        "\u{2029}",
        "é",
        "😀",
        "\0",
        "$",
        "@",
        ":",
        "link_click_id=",
        "Intent;",
        "end",
        "a",
        "1",
    ];
    let len = rng.random_range(0..12);
    (0..len)
        .map(|_| PARTS[rng.random_range(0..PARTS.len())])
        .collect()
}

#[test]
fn random_link_data_and_queries() {
    let mut rng = StdRng::seed_from_u64(0x4F9B_2C11);
    let mut failures = Vec::new();
    for _ in 0..150 {
        let mut data = Map::new();
        for &key in URL_KEYS {
            if rng.random_bool(0.6) {
                data.insert(key.to_owned(), json!(random_value(&mut rng)));
            }
        }
        if rng.random_bool(0.3) {
            data.insert(keys::URI_REDIRECT_MODE.to_owned(), json!(2));
        }
        let queries: Vec<String> = (0..3).map(|_| random_value(&mut rng)).collect();
        let queries: Vec<&str> = queries.iter().map(String::as_str).collect();
        run(data, &queries, &mut failures);
    }
    assert_none(failures);
}

#[test]
fn long_values_keep_urls_bounded() {
    let long_url = format!("https://acme.app/{}", "a".repeat(2000));
    // Under the bound as typed, three times over it once percent-encoded.
    let wide_url = format!("https://acme.app/{}", "é".repeat(1000));
    let long_query = "k=".to_owned() + &"%22".repeat(3000) + "&" + &"x=1&".repeat(500);
    let data: Map<String, Value> = [
        (keys::ANDROID_URL, json!(long_url)),
        (keys::IOS_URL, json!(long_url)),
        (keys::DESKTOP_URL, json!(wide_url)),
        (keys::FALLBACK_URL, json!(long_url)),
        (
            keys::DEEPLINK_PATH,
            json!("p".repeat(400) + &"\"".repeat(100)),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let link = link(data, LinkState::Live);
    for &client in ALL_CLIENTS {
        for installed in [false, true] {
            let d = decide_for(&link, &app(AppKind::Full), client, installed, &long_query);
            let urls: Vec<&str> = match &d.action {
                Action::Redirect { location } => vec![location],
                Action::Interstitial(p) => {
                    let mut v = vec![p.deep_link.as_str()];
                    v.extend(p.fallback.as_ref().map(|f| f.url.as_str()));
                    v
                }
                _ => vec![],
            };
            for url in urls {
                assert!(
                    url.len() <= 4096,
                    "{} bytes for {client:?}: {url:.80}",
                    url.len()
                );
            }
        }
    }
}
