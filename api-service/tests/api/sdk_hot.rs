//! Attribution through the Aerospike hot tier: the link service records the click's
//! fingerprint there, the API service finds it there and claims it on the shard.

use std::io::Write;
use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

fn aerospike() -> Option<String> {
    let hosts = std::env::var("HOPLINK_TEST_AEROSPIKE_HOSTS")
        .ok()
        .filter(|h| !h.is_empty());
    if hosts.is_none() {
        // Straight to stderr: libtest hides printed output of passing tests.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: no Aerospike server (set HOPLINK_TEST_AEROSPIKE_HOSTS) [sdk_hot]"
        );
    }
    hosts
}

/// The first install's session data once it is attributed to a click, or the last answer
/// after 5 s: fingerprint writes to the hot tier are asynchronous.
async fn attributed_install(t: &TestApp) -> serde_json::Value {
    let mut data = serde_json::Value::Null;
    for _ in 0..50 {
        let (status, body) = t
            .post(
                "/v1/install",
                &json!({"branch_key": t.acme.sdk_key, "os": "iOS", "os_version": "17.4"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        data = serde_json::from_str(body["data"].as_str().unwrap()).unwrap();
        if data["+clicked_branch_link"] == true {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    data
}

/// `hoplink_hot_requests_total` of one set and outcome (any, when empty) on the service at
/// `base`, waiting
/// up to 5 s for it to be non-zero (some hot-tier writes are made in the background).
async fn hot_requests(t: &TestApp, base: &str, set: &str, outcome: &str) -> f64 {
    let set = format!(r#"set="{set}""#);
    let outcome = match outcome {
        "" => String::new(),
        outcome => format!(r#"outcome="{outcome}""#),
    };
    let mut total = 0.0;
    for _ in 0..50 {
        let metrics = metrics_text(&t.client, base).await;
        total = metrics
            .lines()
            .filter(|l| l.starts_with("hoplink_hot_requests_total{"))
            .filter(|l| l.contains(&set) && l.contains(&outcome))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        if total > 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    total
}

#[tokio::test]
async fn an_install_is_matched_through_the_hot_tier() {
    let Some(hosts) = aerospike() else { return };
    let t = TestApp::spawn_with(Options {
        hot_tier: Some(hosts),
        ..Options::default()
    })
    .await;
    let (status, body) = t
        .post(
            "/v1/url",
            &json!({"branch_key": t.acme.sdk_key, "alias": "hot", "data": {"product": "42"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // Pairs and a control key appended to the link reach the install through this path
    // too (the claimed click's row carries them).
    let clicked = t
        .click(HOST, "hot?coupon=X&%24deeplink_path=item%2F42", IPHONE)
        .await;
    assert_eq!(clicked.status(), 302);

    let data = attributed_install(&t).await;
    assert_eq!(data["+clicked_branch_link"], true, "{data}");
    assert_eq!(data["product"], "42");
    assert_eq!(data["coupon"], "X", "{data}");
    assert_eq!(data["$deeplink_path"], "item/42", "{data}");

    // It came from Aerospike: the API service read the clicks set.
    let reads = hot_requests(&t, &t.api, "clicks", "").await;
    assert!(reads > 0.0, "no hot-tier click look-ups");
    // A second install cannot take the same click.
    let (_, body) = t
        .post(
            "/v1/install",
            &json!({"branch_key": t.acme.sdk_key, "os": "iOS", "os_version": "17.4"}),
        )
        .await;
    let again: serde_json::Value = serde_json::from_str(body["data"].as_str().unwrap()).unwrap();
    assert_eq!(again["+clicked_branch_link"], false, "{again}");
}

/// A long link's row, made on its first click, reaches Aerospike like an API link: the
/// link service writes it through, and the install is matched from the hot clicks set.
#[tokio::test]
async fn a_long_links_row_is_written_through_and_its_install_matched() {
    let Some(hosts) = aerospike() else { return };
    let t = TestApp::spawn_with(Options {
        hot_tier: Some(hosts),
        ..Options::default()
    })
    .await;
    let long = format!(
        "a/{}?channel=push&%24deeplink_path=item%2F9&item=9",
        t.acme.sdk_key
    );
    let response = t.click(HOST, &long, IPHONE).await;
    assert!(response.status().is_redirection(), "{}", response.status());

    let written = hot_requests(&t, &t.link, "links", "written").await;
    assert!(written > 0.0, "the long link's row was not written through");

    let data = attributed_install(&t).await;
    assert_eq!(data["+clicked_branch_link"], true, "{data}");
    assert_eq!(data["~channel"], "push");
    assert_eq!(data["$deeplink_path"], "item/9");
    assert_eq!(data["item"], "9");
}
