//! Any query on `/a/{key}`: a long link parsed from it validates as the API would, and
//! leads only to the app's own sites or its stores, for every client.
#![no_main]
use libfuzzer_sys::fuzz_target;
use link_core::LinkData;
use link_core::link_input::{check_open_link_destinations, validate_data};

const STORES: &[&str] = &["apps.apple.com", "play.google.com"];

fuzz_target!(|bytes: &[u8]| {
    let query = String::from_utf8_lossy(bytes);
    let _ = link_service::long_link::defines_link(&query);
    let app = hoplink_fuzz::app(false);
    let Ok(long) = link_service::long_link::parse(&query, hoplink_fuzz::app_id(), &app) else {
        return;
    };
    validate_data(&long.new.data, &app).expect("parsed data validates");
    check_open_link_destinations(&long.new.data, &app).expect("parsed data stays on own sites");
    assert!(
        !long.carried.bytes().any(|b| b <= b' ' || b == 0x7f),
        "carried query {:?}",
        long.carried
    );
    let data = LinkData::from_map(&long.new.data).expect("bounded link data");
    let link = hoplink_fuzz::link(data, long.code);
    for ua in hoplink_fuzz::USER_AGENTS {
        for installed in [false, true] {
            let decision =
                hoplink_fuzz::decide_checked(&link, &app, ua, installed, &long.carried, None);
            if let Some(host) = hoplink_fuzz::redirect_host(&decision) {
                let own = host == hoplink_fuzz::OWN_HOST
                    || host.ends_with(&format!(".{}", hoplink_fuzz::OWN_HOST));
                assert!(own || STORES.contains(&host), "led to {host}");
            }
        }
    }
});
