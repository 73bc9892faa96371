//! Click fingerprints and installed-browser marks leave the hot tier with their TTL.

use std::time::Duration;

use chrono::Utc;
use link_core::ClickId;
use link_store::hot::{ClickCandidate, HotTierConfig};

use crate::helpers::{TestStore, eventually};
use crate::hot_support::{aerospike_hosts, fresh_app_ids, hot_config, hot_tier};

#[tokio::test]
async fn fingerprints_expire_with_their_attribution_window() {
    let Some(hosts) = aerospike_hosts("fingerprints_expire_with_their_attribution_window") else {
        return;
    };
    let t = TestStore::with_shards(1).await;
    fresh_app_ids(&t).await;
    let app = t.create_app("ttl", "s1").await;
    let tier = hot_tier(&t, &hot_config(&hosts)).await;
    let (short, long) = ([3u8; 32], [4u8; 32]);
    let click = || ClickCandidate {
        click_id: ClickId::generate(),
        link_id: 1,
        occurred_at: Utc::now(),
        os_version: None,
        device_model: Some("Pixel 9".into()),
        browser_id: None,
    };
    tier.clicks
        .record(app, &short, &click(), Duration::from_secs(1));
    tier.clicks
        .record(app, &long, &click(), Duration::from_secs(600));
    let window = Duration::from_secs(3600);
    let recorded = eventually(Duration::from_secs(5), || async {
        tier.clicks
            .candidates(app, &short, window)
            .await
            .unwrap()
            .len()
            == 1
    })
    .await;
    assert!(recorded);
    assert_eq!(
        tier.clicks.candidates(app, &long, window).await.unwrap()[0]
            .device_model
            .as_deref(),
        Some("Pixel 9")
    );

    // The window given at query time is wide; only the record's TTL can remove it.
    let expired = eventually(Duration::from_secs(10), || async {
        tier.clicks
            .candidates(app, &short, window)
            .await
            .unwrap()
            .is_empty()
    })
    .await;
    assert!(expired, "the fingerprint outlived its TTL");
    assert_eq!(
        tier.clicks
            .candidates(app, &long, window)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn installed_browsers_are_forgotten_after_their_ttl() {
    let Some(hosts) = aerospike_hosts("installed_browsers_are_forgotten_after_their_ttl") else {
        return;
    };
    let t = TestStore::with_shards(1).await;
    fresh_app_ids(&t).await;
    let app = t.create_app("browsers", "s1").await;
    let config = HotTierConfig {
        aerospike_browser_ttl_secs: 1,
        ..hot_config(&hosts)
    };
    let tier = hot_tier(&t, &config).await;
    let browser = uuid::Uuid::new_v4();
    tier.browsers.mark_installed(app, browser).await.unwrap();
    assert!(tier.browsers.is_installed(app, browser).await);
    let forgotten = eventually(Duration::from_secs(10), || async {
        !tier.browsers.is_installed(app, browser).await
    })
    .await;
    assert!(forgotten);
}
