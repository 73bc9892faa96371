//! The pages' scripts in a real browser: headless Chromium, driven over the DevTools
//! protocol, loads the interstitial and the device check from the link service under
//! their own Content-Security-Policy, and the test watches where the page goes. Skipped,
//! loudly, when no Chromium is installed (`HOPLINK_TEST_CHROMIUM` names one).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chromiumoxide::Page;
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::IntoEventKind;
use chromiumoxide::cdp::browser_protocol::emulation::SetTouchEmulationEnabledParams;
use chromiumoxide::cdp::browser_protocol::network::{EventRequestWillBeSent, ResourceType};
use chromiumoxide::cdp::browser_protocol::page::EventFrameRequestedNavigation;
use futures_util::StreamExt;
use serde_json::json;
use tokio::task::JoinHandle;

use crate::helpers::*;

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("HOPLINK_TEST_CHROMIUM") {
        return Some(path.into());
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

struct Chromium {
    browser: Browser,
    handler: JoinHandle<()>,
    _profile: tempfile::TempDir,
}

impl Chromium {
    /// A browser that finds `HOST` at the link service and no other host at all.
    async fn launch(t: &TestApp) -> Option<Self> {
        let Some(executable) = chromium() else {
            eprintln!(
                "SKIPPED: no Chromium (apt-get install chromium, or set HOPLINK_TEST_CHROMIUM)"
            );
            return None;
        };
        let port = t.base.rsplit(':').next().unwrap();
        let profile = tempfile::tempdir().unwrap();
        let config = BrowserConfig::builder()
            .chrome_executable(executable)
            .new_headless_mode()
            .no_sandbox()
            .user_data_dir(profile.path())
            .disable_https_first()
            .arg((
                "host-resolver-rules",
                format!("MAP {HOST} 127.0.0.1:{port}, MAP * ~NOTFOUND").as_str(),
            ))
            .args([
                "disable-gpu",
                "disable-quic",
                "disable-background-networking",
                "disable-component-update",
                "disable-sync",
            ])
            .build()
            .unwrap();
        let (browser, mut handler) = Browser::launch(config).await.unwrap();
        let handler = tokio::spawn(async move { while handler.next().await.is_some() {} });
        Some(Self {
            browser,
            handler,
            _profile: profile,
        })
    }

    /// A tab as a device with this User-Agent (touch screen or not), recording every
    /// navigation its pages ask for.
    async fn tab(&self, user_agent: &str, touch: bool) -> Tab {
        let page = self.browser.new_page("about:blank").await.unwrap();
        page.set_user_agent(user_agent).await.unwrap();
        if touch {
            page.execute(
                SetTouchEmulationEnabledParams::builder()
                    .enabled(true)
                    .max_touch_points(5)
                    .build()
                    .unwrap(),
            )
            .await
            .unwrap();
        }
        let (navigations, watcher) =
            record::<EventFrameRequestedNavigation>(&page, |e| Some(e.url.clone())).await;
        let (documents, requests) = record::<EventRequestWillBeSent>(&page, |e| {
            (e.r#type == Some(ResourceType::Document)).then(|| e.request.url.clone())
        })
        .await;
        Tab {
            page,
            navigations,
            documents,
            _watchers: [watcher, requests],
        }
    }
}

/// What `pick` takes from each `E` event of `page`, as the events arrive.
async fn record<E>(
    page: &Page,
    pick: fn(&E) -> Option<String>,
) -> (Arc<Mutex<Vec<String>>>, JoinHandle<()>)
where
    E: IntoEventKind + Unpin + Send + Sync + 'static,
{
    let picked = Arc::new(Mutex::new(Vec::new()));
    let mut events = page.event_listener::<E>().await.unwrap();
    let into = picked.clone();
    let task = tokio::spawn(async move {
        while let Some(event) = events.next().await {
            if let Some(value) = pick(&event) {
                into.lock().unwrap().push(value);
            }
        }
    });
    (picked, task)
}

impl Drop for Chromium {
    fn drop(&mut self) {
        self.handler.abort();
    }
}

struct Tab {
    page: Page,
    navigations: Arc<Mutex<Vec<String>>>,
    /// The pages it loaded, redirects included.
    documents: Arc<Mutex<Vec<String>>>,
    _watchers: [JoinHandle<()>; 2],
}

impl Tab {
    /// Goes to `path` on `HOST` the way a tap on a link would, without waiting for the
    /// page: the script may navigate again at once.
    async fn visit(&self, path: &str) {
        self.page
            .evaluate(format!("location.href = 'http://{HOST}{path}'"))
            .await
            .unwrap();
    }

    /// Every navigation the tab's pages asked for, the visit included.
    fn navigations(&self) -> Vec<String> {
        self.navigations.lock().unwrap().clone()
    }

    /// Waits up to 10 s for `n` navigations.
    async fn navigated(&self, n: usize) -> Vec<String> {
        wait_until(Duration::from_secs(10), || async {
            self.navigations().len() >= n
        })
        .await;
        let seen = self.navigations();
        assert!(seen.len() >= n, "{n} navigations expected: {seen:?}");
        seen
    }

    /// Waits up to 10 s for `n` pages loaded (or tried), and returns them all.
    async fn loaded(&self, n: usize) -> Vec<String> {
        wait_until(Duration::from_secs(10), || async {
            self.documents.lock().unwrap().len() >= n
        })
        .await;
        // Anything the page would do next (a second answer, say) has time to show.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let loaded = self.documents.lock().unwrap().clone();
        assert!(loaded.len() >= n, "{n} pages expected: {loaded:?}");
        loaded
    }

    async fn eval(&self, script: &str) -> serde_json::Value {
        self.page
            .evaluate(script)
            .await
            .unwrap()
            .into_value()
            .unwrap()
    }
}

/// What the iPhone is sent to: its scheme, and the link's page when the app is missing.
fn ios_link(timeout_ms: u32) -> serde_json::Value {
    json!({
        "$deeplink_path": "p/1",
        "$ios_uri_redirect_mode": 2,
        "$ios_url": "https://shop.example/ios",
        "$ios_redirect_timeout": timeout_ms,
        "$after_click_url": "https://shop.example/after",
    })
}

#[tokio::test]
async fn the_interstitial_opens_the_app_and_falls_back_only_while_the_page_stays_in_view() {
    let t = TestApp::spawn().await;
    t.create_link(t.app_id, "soon", ios_link(3_000), &[]).await;
    t.create_link(t.app_id, "later", ios_link(5_000), &[]).await;
    let Some(chromium) = Chromium::launch(&t).await else {
        return;
    };

    // No app comes up: the scheme is tried at once, the link's page follows at the
    // timeout and not before. The script ran, so the page's CSP let it.
    let tab = chromium.tab(IPHONE, true).await;
    tab.visit("/soon?utm_source=push").await;
    let seen = tab.navigated(2).await;
    assert!(
        seen[1].starts_with("acme://p/1?utm_source=push&link_click_id="),
        "{seen:?}"
    );
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(
        tab.navigations().len(),
        2,
        "too early: {:?}",
        tab.navigations()
    );
    let seen = tab.navigated(3).await;
    assert_eq!(
        seen[2], "https://shop.example/ios?utm_source=push",
        "{seen:?}"
    );

    // The app comes up (another page takes the screen): no fallback, however long it
    // stays; back in the browser, the after-click page.
    let tab = chromium.tab(IPHONE, true).await;
    tab.visit("/later?utm_source=push").await;
    let seen = tab.navigated(2).await;
    assert!(seen[1].starts_with("acme://p/1?"), "{seen:?}");
    let app = chromium.browser.new_page("about:blank").await.unwrap();
    assert_eq!(tab.eval("document.visibilityState").await, "hidden");
    tokio::time::sleep(Duration::from_millis(6_000)).await;
    assert_eq!(
        tab.navigations().len(),
        2,
        "fell back: {:?}",
        tab.navigations()
    );
    tab.page.bring_to_front().await.unwrap();
    let seen = tab.navigated(3).await;
    assert!(
        seen[2].starts_with("https://shop.example/after"),
        "{seen:?}"
    );
    app.close().await.unwrap();
}

#[tokio::test]
async fn firefox_on_android_tries_the_scheme_then_the_play_store_naming_the_same_click() {
    let t = TestApp::spawn().await;
    t.create_link(
        t.app_id,
        "promo",
        json!({"$deeplink_path": "p/1", "$android_uri_redirect_mode": 2, "$android_redirect_timeout": 1000}),
        &[],
    )
    .await;
    let Some(chromium) = Chromium::launch(&t).await else {
        return;
    };
    let tab = chromium.tab(ANDROID_FIREFOX, true).await;
    tab.visit("/promo?utm_source=push").await;
    let seen = tab.navigated(3).await;
    let click_id = seen[1]
        .strip_prefix("acme://p/1?utm_source=push&link_click_id=")
        .unwrap_or_else(|| panic!("the scheme first: {seen:?}"));
    assert!(
        click_id.len() == 32 && click_id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{seen:?}"
    );
    // The install referrer carries the click, so the install is matched to it exactly.
    let store = url::Url::parse(&seen[2]).unwrap();
    assert_eq!(
        store.as_str().split('?').next(),
        Some("https://play.google.com/store/apps/details"),
        "{seen:?}"
    );
    let query: std::collections::HashMap<_, _> = store.query_pairs().collect();
    assert_eq!(query["id"], "com.acme.app");
    assert!(
        query["referrer"].contains(click_id),
        "referrer {} should name click {click_id}",
        query["referrer"]
    );
}

#[tokio::test]
async fn in_an_in_app_browser_only_the_button_opens_the_app() {
    let t = TestApp::spawn().await;
    t.create_link(t.app_id, "promo", json!({"$deeplink_path": "p/1"}), &[])
        .await;
    let Some(chromium) = Chromium::launch(&t).await else {
        return;
    };
    let tab = chromium.tab(IPHONE_INSTAGRAM, true).await;
    tab.visit("/promo").await;
    wait_until(Duration::from_secs(10), || async {
        tab.page.find_element("#open").await.is_ok()
    })
    .await;
    // The style is the one the CSP allows by its hash: it applied.
    assert_eq!(
        tab.eval("getComputedStyle(document.getElementById('open')).backgroundColor")
            .await,
        "rgb(23, 105, 255)"
    );
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    assert_eq!(
        tab.navigations().len(),
        1,
        "moved by itself: {:?}",
        tab.navigations()
    );

    let target = tab.eval("document.getElementById('open').href").await;
    tab.page
        .find_element("#open")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let seen = tab.navigated(2).await;
    assert_eq!(seen[1], target.as_str().unwrap(), "{seen:?}");
}

#[tokio::test]
async fn safari_on_an_ipad_is_told_from_a_mac_by_its_touch_screen() {
    const MAC_SAFARI: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
                              (KHTML, like Gecko) Version/17.4 Safari/605.1.15";
    let t = TestApp::spawn().await;
    t.create_link(t.app_id, "promo", json!({"$deeplink_path": "p/1"}), &[])
        .await;
    let cases = [
        (
            true,
            "ipad",
            "https://apps.apple.com/app/id1234567890?utm_source=push",
        ),
        (false, "mac", "https://acme.test/desktop?utm_source=push"),
    ];
    for (touch, device, destination) in cases {
        // A browser each: the answer is kept in a cookie, so one browser is asked once.
        let Some(chromium) = Chromium::launch(&t).await else {
            return;
        };
        let tab = chromium.tab(MAC_SAFARI, touch).await;
        tab.visit("/promo?utm_source=push").await;
        let loaded = tab.loaded(3).await;
        assert_eq!(
            loaded[1..],
            [
                format!("http://{HOST}/promo?utm_source=push&hl_device={device}"),
                destination.to_owned()
            ],
            "{loaded:?}"
        );
    }
}
