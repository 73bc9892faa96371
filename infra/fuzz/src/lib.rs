//! What the fuzz targets share: an app, a link around fuzzed data, User-Agents of each
//! kind, and the invariants every decision must keep whatever the link data or query.

use chrono::Utc;
use link_core::app::{AndroidPackage, AppStoreId, BundleId, TeamId, UriScheme};
use link_core::decision::{Action, Click, Decision, decide};
use link_core::{
    AppConfig, AppId, ClickId, Country, Link, LinkCode, LinkData, LinkLabels, LinkType, WebUrl,
};
use link_service::pages::{MAX_PAGE_BYTES, render_interstitial, render_preview};

/// One of each kind the decision tells apart.
pub const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 327.0.0.25.89",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/460.0.0.0;]",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
];

/// The link on the app's alternate domain: the only place an iOS button may cross to.
const ALTERNATE_URL: &str = "https://go-alternate.acme.app/Ab3xK9q";

/// The app's own site: where its fallback and desktop URLs lead.
pub const OWN_HOST: &str = "acme.app";

/// An app with everything configured, or (`bare`) with nothing.
pub fn app(bare: bool) -> AppConfig {
    let mut app = AppConfig::default();
    if bare {
        return app;
    }
    app.ios.bundle_id = BundleId::parse("com.acme.app").ok();
    app.ios.team_id = TeamId::parse("ABCDE12345").ok();
    app.ios.app_store_id = AppStoreId::parse("123456789").ok();
    app.ios.uri_scheme = UriScheme::parse("acme").ok();
    app.android.package = AndroidPackage::parse("com.acme.app").ok();
    app.android.uri_scheme = UriScheme::parse("acme").ok();
    app.fallback_url = WebUrl::parse("https://acme.app/f").ok();
    app.desktop_url = WebUrl::parse("https://acme.app/d").ok();
    app
}

pub fn link(data: LinkData, code: LinkCode) -> Link {
    let now = Utc::now();
    Link {
        id: 1,
        app_id: app_id(),
        code,
        is_alias: false,
        data,
        labels: LinkLabels::default(),
        link_type: LinkType::Standard,
        duration_secs: None,
        expires_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    }
}

pub fn app_id() -> AppId {
    AppId::new(1).expect("a valid app id")
}

/// The decision for one click, checked.
pub fn decide_checked(
    link: &Link,
    app: &AppConfig,
    user_agent: &str,
    installed: bool,
    query: &str,
    country: Option<Country>,
) -> Decision {
    let decision = decide(&Click {
        link,
        app,
        client: link_core::client::classify(user_agent),
        app_installed: installed,
        query,
        country,
        click_id: ClickId::generate(),
        short_url: "https://go.acme.app/Ab3xK9q",
        alternate_url: Some(ALTERNATE_URL),
        now: Utc::now(),
    });
    check(&decision);
    decision
}

/// Bytes that must never reach a `Location` raw: header breaks (controls, space), and
/// what would end a quoted attribute or start markup wherever the URL is shown (`"`, `<`,
/// `>`). The WHATWG parser leaves `\` and backtick raw in a query or fragment, where
/// neither is read as a path or breaks a quoted attribute, so they are not counted.
fn unsafe_location(location: &str) -> bool {
    location
        .bytes()
        .any(|b| b <= b' ' || b == 0x7f || matches!(b, b'"' | b'<' | b'>'))
}

/// The longest `Location` a click may get: a web destination (at most
/// [`WebUrl::MAX_LEN`] once encoded) and the carried query (at most 1 KB), or an intent
/// whose encoded fallback the decision keeps to 2 KB. nginx in front of a service takes
/// 4-8 KB of response headers by default.
const MAX_LOCATION: usize = 4096;

/// Panics (a fuzz finding) when the decision breaks an invariant of the click path.
pub fn check(decision: &Decision) {
    match &decision.action {
        Action::Redirect { location } => {
            assert!(!unsafe_location(location), "unsafe Location {location:?}");
            assert!(
                ["https://", "http://", "intent://"]
                    .iter()
                    .any(|scheme| location.starts_with(scheme)),
                "Location {location:?}"
            );
            assert!(
                location.len() <= MAX_LOCATION,
                "a Location of {} bytes",
                location.len()
            );
        }
        Action::Interstitial(page) => {
            if let Some(universal) = &page.universal_link {
                assert!(
                    universal.starts_with(ALTERNATE_URL) && !unsafe_location(universal),
                    "Universal Link {universal:?}"
                );
            }
            let size = render_interstitial(page).body.len();
            assert!(size <= MAX_PAGE_BYTES, "interstitial of {size} bytes");
        }
        Action::Preview(preview) => {
            let size = render_preview(preview).body.len();
            assert!(size <= MAX_PAGE_BYTES, "preview of {size} bytes");
        }
        Action::Gone | Action::NoDestination => {}
    }
}

/// The host a web redirect leads to (`None` for intents and pages).
pub fn redirect_host(decision: &Decision) -> Option<&str> {
    let Action::Redirect { location } = &decision.action else {
        return None;
    };
    let rest = location
        .strip_prefix("https://")
        .or_else(|| location.strip_prefix("http://"))?;
    rest.split(['/', '?', '#', ':']).next()
}
