//! One contract per interface the hot tier implements, run against both backends: Postgres
//! alone (the embedded default) and Aerospike in front of Postgres. A service must not be
//! able to tell them apart.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use link_core::client::{OsFamily, Platform};
use link_core::{AppConfig, AppId};
use link_store::events::ClickEvent;
use link_store::hot::{
    BrowserState, ClickIndex, HotTier, HotTierConfig, MAX_CANDIDATES, WriteOutcome,
};
use shard_router::app_config;

use crate::helpers::{TestStore, click, config, eventually};
use crate::hot_support::{
    aerospike_hosts, delete_link, fresh_app_ids, fresh_cache, hot_config, hot_tier, new_link,
    resolve, update_link,
};

/// The two backends of a fresh store.
enum Backend {
    Postgres,
    Aerospike(String),
}

async fn setup(backend: &Backend) -> (TestStore, HotTier, AppId) {
    let t = TestStore::with_shards(1).await;
    fresh_app_ids(&t).await;
    let app = t.create_app("contract", "s1").await;
    let tier = match backend {
        Backend::Postgres => {
            let tier =
                HotTier::start(&HotTierConfig::default(), t.router.clone(), &t.registry).unwrap();
            assert!(!tier.is_hot());
            tier
        }
        Backend::Aerospike(hosts) => hot_tier(&t, &hot_config(hosts)).await,
    };
    (t, tier, app)
}

// ---- ClickIndex ------------------------------------------------------------------------

/// What the click path does with a click: the pipeline writes it to the shard, and the
/// index remembers its fingerprint.
fn human_click(app: AppId, link: i64, fingerprint: [u8; 32], age: Duration) -> ClickEvent {
    let mut event = click(
        app,
        link,
        Utc::now() - chrono::Duration::from_std(age).unwrap(),
    );
    event.platform = Platform::Ios;
    event.os = OsFamily::Ios;
    event.os_version = Some((17, 4));
    event.fingerprint = Some(fingerprint);
    event.browser_id = Some(uuid::Uuid::new_v4());
    event
}

async fn click_index_contract(backend: Backend) {
    let (t, tier, app) = setup(&backend).await;
    let other_app = t.create_app("other", "s1").await;
    let link = t.create_link(app).await;
    let (recorder, _batcher) = t.start(&config(20));
    let index: &Arc<dyn ClickIndex> = &tier.clicks;
    let day = Duration::from_secs(86_400);
    let (mine, theirs) = ([1u8; 32], [2u8; 32]);

    assert!(index.candidates(app, &mine, day).await.unwrap().is_empty());

    // Twelve clicks, a minute apart, the newest a minute old; plus noise that must not
    // show: a bot, another fingerprint, the same fingerprint in another app.
    let mut recorded = Vec::new();
    for minutes in (1..=12).rev() {
        let event = human_click(app, link, mine, Duration::from_secs(60 * minutes));
        recorded.push(event.click_id);
        recorder.record(event.clone());
        index.record_event(&event, day);
    }
    let mut bot = human_click(app, link, mine, Duration::from_secs(1));
    bot.is_bot = true;
    let stranger = human_click(app, link, theirs, Duration::from_secs(1));
    let elsewhere = human_click(other_app, link, mine, Duration::from_secs(1));
    for event in [bot, stranger, elsewhere] {
        recorder.record(event.clone());
        index.record_event(&event, day);
    }
    recorder.flush().await.unwrap();

    let expected: Vec<_> = recorded
        .iter()
        .rev()
        .take(MAX_CANDIDATES)
        .copied()
        .collect();
    let complete = eventually(Duration::from_secs(5), || async {
        index.candidates(app, &mine, day).await.unwrap().len() == MAX_CANDIDATES
    })
    .await;
    assert!(complete, "the recorded clicks never all showed");
    let found = index.candidates(app, &mine, day).await.unwrap();
    let ids: Vec<_> = found.iter().map(|c| c.click_id).collect();
    assert_eq!(ids, expected, "the newest ten, newest first");
    assert!(
        found
            .windows(2)
            .all(|w| w[0].occurred_at > w[1].occurred_at)
    );
    assert!(
        found
            .iter()
            .all(|c| c.link_id == link && c.os_version == Some((17, 4)))
    );

    // The window cuts what is older.
    let recent = index
        .candidates(app, &mine, Duration::from_secs(5 * 60 + 30))
        .await
        .unwrap();
    assert_eq!(recent.len(), 5);
    assert_eq!(index.candidates(app, &theirs, day).await.unwrap().len(), 1);

    // A claimed click is claimed once and is no candidate any more.
    let newest = expected[0];
    assert!(index.mark_matched(app, &mine, newest).await.unwrap());
    assert!(!index.mark_matched(app, &mine, newest).await.unwrap());
    let gone = eventually(Duration::from_secs(5), || async {
        let now = index.candidates(app, &mine, day).await.unwrap();
        !now.iter().any(|c| c.click_id == newest)
    })
    .await;
    assert!(gone, "a claimed click is still offered");
}

#[tokio::test]
async fn click_index_contract_postgres() {
    click_index_contract(Backend::Postgres).await;
}

#[tokio::test]
async fn click_index_contract_aerospike() {
    let Some(hosts) = aerospike_hosts("click_index_contract_aerospike") else {
        return;
    };
    click_index_contract(Backend::Aerospike(hosts)).await;
}

// ---- BrowserState ----------------------------------------------------------------------

async fn browser_state_contract(backend: Backend) {
    let (t, tier, app) = setup(&backend).await;
    let other_app = t.create_app("other", "s1").await;
    let browsers: &Arc<dyn BrowserState> = &tier.browsers;
    let (browser, stranger) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());

    assert!(!browsers.is_installed(app, browser).await);
    browsers.mark_installed(app, browser).await.unwrap();
    assert!(browsers.is_installed(app, browser).await);
    assert!(!browsers.is_installed(app, stranger).await);
    assert!(!browsers.is_installed(other_app, browser).await);
    // Marking again only refreshes it.
    browsers.mark_installed(app, browser).await.unwrap();
    assert!(browsers.is_installed(app, browser).await);

    // Either way the shard keeps the durable record.
    let rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM browser_apps WHERE app_id = $1 AND browser_id = $2 \
         AND last_seen_at >= first_seen_at",
    )
    .bind(app.get())
    .bind(browser)
    .fetch_one(t.shard(1))
    .await
    .unwrap();
    assert_eq!(rows, 1);

    // An app the router does not know is not an error on the click path.
    assert!(!browsers.is_installed(AppId::new(1).unwrap(), browser).await);
}

#[tokio::test]
async fn browser_state_contract_postgres() {
    browser_state_contract(Backend::Postgres).await;
}

#[tokio::test]
async fn browser_state_contract_aerospike() {
    let Some(hosts) = aerospike_hosts("browser_state_contract_aerospike") else {
        return;
    };
    browser_state_contract(Backend::Aerospike(hosts)).await;
}

// ---- Origin and write-through ----------------------------------------------------------

async fn origin_contract(backend: Backend) {
    let (t, tier, app) = setup(&backend).await;
    let hot = tier.is_hot();
    let write = |outcome: WriteOutcome| {
        let expected = if hot {
            WriteOutcome::Written
        } else {
            WriteOutcome::Disabled
        };
        assert_eq!(outcome, expected);
    };

    let link = new_link(&t, app, "launch").await;
    write(tier.write_through.put_link(&link).await);
    let cache = fresh_cache(tier.origin.clone());
    assert_eq!(
        resolve(&t, &cache, app, "launch").await.unwrap().as_deref(),
        Some(&link)
    );
    assert_eq!(resolve(&t, &cache, app, "nope").await.unwrap(), None);

    // Each change is seen by a link service that starts after it.
    let updated = update_link(&t, 1, &link, "https://acme.test/v2").await;
    write(tier.write_through.put_link(&updated).await);
    let cache = fresh_cache(tier.origin.clone());
    let seen = resolve(&t, &cache, app, "launch").await.unwrap().unwrap();
    assert_eq!(
        (seen.version, seen.data_str("$desktop_url")),
        (2, Some("https://acme.test/v2"))
    );

    let deleted = delete_link(&t, 1, &updated).await;
    write(tier.write_through.delete_link(&deleted).await);
    let cache = fresh_cache(tier.origin.clone());
    let seen = resolve(&t, &cache, app, "launch").await.unwrap().unwrap();
    assert!(seen.deleted_at.is_some());
    assert_eq!(seen.version, deleted.version);

    // Configs the same way.
    let pool = t.shard(1);
    let config = AppConfig {
        attribution_window_secs: 900,
        ..AppConfig::default()
    };
    let version = app_config::update(pool, app, &config)
        .await
        .unwrap()
        .unwrap();
    let stored = app_config::load(pool, app).await.unwrap().unwrap();
    assert_eq!(stored.version, version);
    write(tier.write_through.put_config(app, &stored).await);
    let cache = fresh_cache(tier.origin.clone());
    let route = t.router.app(app).unwrap();
    let seen = cache
        .config(&route.route, &route.shard)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(*seen, stored);
}

#[tokio::test]
async fn origin_contract_postgres() {
    origin_contract(Backend::Postgres).await;
}

#[tokio::test]
async fn origin_contract_aerospike() {
    let Some(hosts) = aerospike_hosts("origin_contract_aerospike") else {
        return;
    };
    origin_contract(Backend::Aerospike(hosts)).await;
}
