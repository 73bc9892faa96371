//! Any query on an existing short link: the control keys it appends are checked as the
//! click path checks them, and the link they override leads only to the app's own sites
//! or its stores, for every client.
#![no_main]
use libfuzzer_sys::fuzz_target;
use link_core::appended_controls::{appended_controls, may_hold_controls, overlay};
use link_core::{LinkCode, LinkData};
use serde_json::json;

const STORES: &[&str] = &["apps.apple.com", "play.google.com"];

fuzz_target!(|bytes: &[u8]| {
    let query = String::from_utf8_lossy(bytes);
    let app = hoplink_fuzz::app(false);
    let pairs = url::form_urlencoded::parse(query.as_bytes());
    let Ok(controls) = appended_controls(pairs, &app) else {
        return;
    };
    assert!(
        controls.is_empty() || may_hold_controls(&query),
        "the scan missed {query:?}"
    );
    let own = json!({"$desktop_url": "https://acme.app/d", "$deeplink_path": "item/1"});
    let own = LinkData::from_map(own.as_object().expect("an object")).expect("link data");
    let Ok(data) = overlay(&own, &controls) else {
        return;
    };
    let link = hoplink_fuzz::link(data, LinkCode::parse("Ab3xK9q").expect("a valid code"));
    for ua in hoplink_fuzz::USER_AGENTS {
        for installed in [false, true] {
            let decision = hoplink_fuzz::decide_checked(&link, &app, ua, installed, &query, None);
            if let Some(host) = hoplink_fuzz::redirect_host(&decision) {
                let own = host == hoplink_fuzz::OWN_HOST
                    || host.ends_with(&format!(".{}", hoplink_fuzz::OWN_HOST));
                assert!(own || STORES.contains(&host), "led to {host}");
            }
        }
    }
});
