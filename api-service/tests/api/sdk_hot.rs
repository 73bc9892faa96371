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
    assert_eq!(t.click(HOST, "hot", IPHONE).await.status(), 302);

    // The fingerprint write is asynchronous; the install sees it within moments.
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
    assert_eq!(data["+clicked_branch_link"], true, "{data}");
    assert_eq!(data["product"], "42");

    // It came from Aerospike: the API service read the clicks set.
    let metrics = t
        .client
        .get(format!("{}/metrics", t.api))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let reads: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("hoplink_hot_requests_total{") && l.contains(r#"set="clicks""#))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(reads > 0.0, "no hot-tier click look-ups:\n{metrics}");
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

    let metrics = t
        .client
        .get(format!("{}/metrics", t.link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let written: f64 = metrics
        .lines()
        .filter(|l| {
            l.starts_with("hoplink_hot_requests_total{")
                && l.contains(r#"set="links""#)
                && l.contains(r#"outcome="written""#)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(
        written > 0.0,
        "the long link's row was not written through:\n{metrics}"
    );

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
    assert_eq!(data["+clicked_branch_link"], true, "{data}");
    assert_eq!(data["~channel"], "push");
    assert_eq!(data["$deeplink_path"], "item/9");
    assert_eq!(data["item"], "9");
}
