//! The decision table: one row per (app config, client, installed, link data, query, link
//! state) with the expected action, route and Location.
//!
//! Expected URLs use placeholders: `{ID}` is `link_click_id=<click id>`, `{APPSTORE}` and
//! `{PLAY}` are the store URLs of the `Full` app.

use super::fixtures::{AppKind as A, LinkState, *};
use crate::client::ClientInfo;
use crate::decision::social::TwitterCard;
use crate::decision::{Action, CountAs, DestinationKind as K, Route as R, TwitterPreview};

#[derive(Debug, Clone, Copy)]
enum Loc {
    Exact(&'static str),
    Prefix(&'static str),
}
use Loc::{Exact, Prefix};

#[derive(Debug, Clone, Copy)]
enum Want {
    Redirect(Loc),
    Interstitial {
        auto: bool,
        deep: Loc,
        fallback: Option<(Loc, K)>,
    },
    Preview,
    Gone,
    NoDestination,
}

#[derive(Debug, Clone, Copy)]
struct Case {
    name: &'static str,
    app: A,
    client: ClientInfo,
    installed: bool,
    data: &'static str,
    query: &'static str,
    state: LinkState,
    want: Want,
    route: R,
}

fn case(name: &'static str, app: A, client: ClientInfo) -> Case {
    Case {
        name,
        app,
        client,
        installed: false,
        data: "{}",
        query: "",
        state: LinkState::Live,
        want: Want::Gone,
        route: R::Expired,
    }
}

impl Case {
    fn installed(mut self) -> Self {
        self.installed = true;
        self
    }
    fn data(mut self, data: &'static str) -> Self {
        self.data = data;
        self
    }
    fn query(mut self, query: &'static str) -> Self {
        self.query = query;
        self
    }
    fn state(mut self, state: LinkState) -> Self {
        self.state = state;
        self
    }
    fn redirect(mut self, route: R, loc: Loc) -> Self {
        self.want = Want::Redirect(loc);
        self.route = route;
        self
    }
    fn open_app(mut self, deep: Loc, fallback: Option<(Loc, K)>) -> Self {
        self.want = Want::Interstitial {
            auto: true,
            deep,
            fallback,
        };
        self.route = R::OpenApp;
        self
    }
    fn prompt(mut self, deep: Loc, fallback: Option<(Loc, K)>) -> Self {
        self.want = Want::Interstitial {
            auto: false,
            deep,
            fallback,
        };
        self.route = R::InAppPrompt;
        self
    }
    fn preview(mut self) -> Self {
        self.want = Want::Preview;
        self.route = R::Preview;
        self
    }
    fn gone(mut self) -> Self {
        self.want = Want::Gone;
        self.route = R::Expired;
        self
    }
    fn nothing(mut self) -> Self {
        self.want = Want::NoDestination;
        self.route = R::NoDestination;
        self
    }
}

const OVERRIDES: &str = r#"{
    "$ios_url": "https://acme.app/ios",
    "$ipad_url": "https://acme.app/ipad",
    "$android_url": "https://acme.app/android",
    "$desktop_url": "https://acme.app/d",
    "$fallback_url": "https://acme.app/f",
    "$deeplink_path": "product/42"
}"#;
const WEB_ONLY: &str = r#"{"$web_only": true}"#;
const WEB_ONLY_OVERRIDES: &str = r#"{"$web_only": "true", "$ios_url": "https://acme.app/ios",
    "$android_url": "https://acme.app/android"}"#;
const ALWAYS: &str = r#"{"$always_deeplink": "true"}"#;
const FORCEFUL: &str = r#"{"$uri_redirect_mode": 2}"#;
const MAKERS: &str = r#"{"$huawei_url": "https://appgallery.huawei.com/app/C100",
    "$samsung_url": "https://galaxystore.samsung.com/detail/com.acme.app",
    "$fire_url": "https://www.amazon.com/dp/B0ACME"}"#;
const LEGACY_PHONES: &str = r#"{"$windows_phone_url": "https://acme.app/wp",
    "$blackberry_url": "https://acme.app/bb"}"#;
const WECHAT: &str = r#"{"$ios_wechat_url": "https://sj.qq.com/acme",
    "$android_wechat_url": "https://sj.qq.com/acme-android"}"#;
const MOBILE_WEB_ONLY: &str = r#"{"$mobile_web_only": "1"}"#;
/// Forceful everywhere but iOS, which stays conservative.
const OS_MODES: &str = r#"{"$uri_redirect_mode": 2, "$ios_uri_redirect_mode": 0}"#;
const ANDROID_FORCEFUL: &str = r#"{"$android_uri_redirect_mode": "2"}"#;
const INTELLIGENT: &str = r#"{"$uri_redirect_mode": "1"}"#;
const ONLY_FALLBACK: &str = r#"{"$fallback_url": "https://acme.app/f"}"#;
const BAD_URLS: &str = r#"{"$ios_url": "javascript:alert(1)", "$android_url": "data:text/html,x",
    "$desktop_url": "//evil.com", "$fallback_url": "https://u:p@evil.com/"}"#;

fn expand(s: &str) -> String {
    s.replace("{ID}", &format!("link_click_id={CLICK_ID}"))
        .replace("{APPSTORE}", "https://apps.apple.com/app/id123456789")
        .replace(
            "{PLAY}",
            &format!(
                "https://play.google.com/store/apps/details?id=com.acme.app\
                 &referrer=link_click_id%3D{CLICK_ID}"
            ),
        )
}

fn matches(loc: Loc, got: &str) -> bool {
    match loc {
        Exact(want) => got == expand(want),
        Prefix(want) => got.starts_with(&expand(want)),
    }
}

fn cases() -> Vec<Case> {
    let play_fb = Some((Exact("{PLAY}"), K::PlayStore));
    let store_fb = Some((Exact("{APPSTORE}"), K::AppStore));
    vec![
        // iOS Safari
        case("ios: app store", A::Full, IPHONE).redirect(R::AppStore, Exact("{APPSTORE}")),
        case("ios: installed opens app", A::Full, IPHONE)
            .installed()
            .open_app(Exact("acme://open?{ID}"), store_fb),
        case("ios: installed with overrides", A::Full, IPHONE)
            .installed()
            .data(OVERRIDES)
            .open_app(
                Exact("acme://product/42?{ID}"),
                Some((Exact("https://acme.app/ios"), K::Web)),
            ),
        case("ios: $ios_url beats store", A::Full, IPHONE)
            .data(OVERRIDES)
            .redirect(R::Web, Exact("https://acme.app/ios")),
        case("ios: $always_deeplink", A::Full, IPHONE)
            .data(ALWAYS)
            .open_app(Exact("acme://open?{ID}"), store_fb),
        case("ios: forceful mode", A::Full, IPHONE)
            .data(FORCEFUL)
            .open_app(Exact("acme://open?{ID}"), store_fb),
        case("ios: intelligent mode, unknown", A::Full, IPHONE)
            .data(INTELLIGENT)
            .redirect(R::AppStore, Exact("{APPSTORE}")),
        case("ios: web only", A::Full, IPHONE)
            .installed()
            .data(WEB_ONLY)
            .redirect(R::Web, Exact("https://acme.app/fallback")),
        case("ios: web only with $ios_url", A::Full, IPHONE)
            .installed()
            .data(WEB_ONLY_OVERRIDES)
            .redirect(R::Web, Exact("https://acme.app/ios")),
        case("ios: mobile web only", A::Full, IPHONE)
            .installed()
            .data(MOBILE_WEB_ONLY)
            .redirect(R::Web, Exact("https://acme.app/fallback")),
        case("ios: its own redirect mode beats the general one", A::Full, IPHONE)
            .data(OS_MODES)
            .redirect(R::AppStore, Exact("{APPSTORE}")),
        case("ios: android's redirect mode does not apply", A::Full, IPHONE)
            .data(ANDROID_FORCEFUL)
            .redirect(R::AppStore, Exact("{APPSTORE}")),
        case("ios: no scheme, installed", A::NoScheme, IPHONE)
            .installed()
            .redirect(R::AppStore, Exact("{APPSTORE}")),
        case("ios: nothing configured", A::Empty, IPHONE)
            .installed()
            .nothing(),
        case("ios: empty app, link urls", A::Empty, IPHONE)
            .data(OVERRIDES)
            .redirect(R::Web, Exact("https://acme.app/ios")),
        case("ios: empty app, $fallback_url", A::Empty, IPHONE)
            .data(ONLY_FALLBACK)
            .redirect(R::Web, Exact("https://acme.app/f")),
        case("ios: app fallback only", A::FallbackOnly, IPHONE)
            .redirect(R::Web, Exact("https://acme.app/fallback")),
        case("ios: invalid link urls ignored", A::Full, IPHONE)
            .data(BAD_URLS)
            .redirect(R::AppStore, Exact("{APPSTORE}")),
        case("ios: invalid link urls, empty app", A::Empty, IPHONE)
            .data(BAD_URLS)
            .nothing(),
        case("ios: query carried to store", A::Full, IPHONE)
            .query("utm_source=push&x=1")
            .redirect(R::AppStore, Exact("{APPSTORE}?utm_source=push&x=1")),
        case("ios: query carried to deep link", A::Full, IPHONE)
            .installed()
            .query("utm_source=push")
            .open_app(
                Exact("acme://open?utm_source=push&{ID}"),
                Some((Exact("{APPSTORE}?utm_source=push"), K::AppStore)),
            ),
        case("ios: tool follows platform", A::Full, IOS_TOOL)
            .redirect(R::AppStore, Exact("{APPSTORE}")),
        // iPad
        case("ipad: $ipad_url", A::Full, IPAD)
            .data(OVERRIDES)
            .redirect(R::Web, Exact("https://acme.app/ipad")),
        case("ipad: falls to $ios_url", A::Full, IPAD)
            .data(r#"{"$ios_url": "https://acme.app/ios"}"#)
            .redirect(R::Web, Exact("https://acme.app/ios")),
        case("iphone ignores $ipad_url", A::Full, IPHONE)
            .data(r#"{"$ipad_url": "https://acme.app/ipad"}"#)
            .redirect(R::AppStore, Exact("{APPSTORE}")),
        // iOS in-app browsers
        case("ios facebook: prompt", A::Full, IPHONE_FACEBOOK)
            .prompt(Exact("acme://open?{ID}"), store_fb),
        case("ios facebook: prompt, installed", A::Full, IPHONE_FACEBOOK)
            .installed()
            .data(OVERRIDES)
            .prompt(
                Exact("acme://product/42?{ID}"),
                Some((Exact("https://acme.app/ios"), K::Web)),
            ),
        case("ios facebook: no scheme", A::NoScheme, IPHONE_FACEBOOK)
            .redirect(R::AppStore, Exact("{APPSTORE}")),
        case("ios facebook: web only", A::Full, IPHONE_FACEBOOK)
            .data(WEB_ONLY)
            .redirect(R::Web, Exact("https://acme.app/fallback")),
        case("ios facebook: empty app", A::Empty, IPHONE_FACEBOOK).nothing(),
        case("ios whatsapp: like safari", A::Full, IPHONE_WHATSAPP)
            .redirect(R::AppStore, Exact("{APPSTORE}")),
        case("ios whatsapp: installed", A::Full, IPHONE_WHATSAPP)
            .installed()
            .open_app(Exact("acme://open?{ID}"), store_fb),
        case("ios wechat: prompt", A::Full, IPHONE_WECHAT)
            .prompt(Exact("acme://open?{ID}"), store_fb),
        case("ios wechat: its own page wins", A::Full, IPHONE_WECHAT)
            .installed()
            .data(WECHAT)
            .query("utm_source=wechat")
            .redirect(
                R::Web,
                Exact("https://sj.qq.com/acme?utm_source=wechat"),
            ),
        case("iphone safari ignores $ios_wechat_url", A::Full, IPHONE)
            .data(WECHAT)
            .redirect(R::AppStore, Exact("{APPSTORE}")),
        case("android wechat: its own page wins", A::Full, ANDROID_WECHAT)
            .data(WECHAT)
            .redirect(R::Web, Exact("https://sj.qq.com/acme-android")),
        case("android wechat: prompt without one", A::Full, ANDROID_WECHAT).prompt(
            Prefix("intent://open?{ID}#Intent;scheme=acme;package=com.acme.app;"),
            play_fb,
        ),
        case("android firefox ignores $android_wechat_url", A::Full, ANDROID_FIREFOX)
            .data(WECHAT)
            .redirect(R::PlayStore, Exact("{PLAY}")),
        case("huawei chrome: AppGallery in the intent", A::Full, ANDROID_HUAWEI)
            .data(MAKERS)
            .redirect(
                R::Intent,
                Exact(
                    "intent://open?{ID}#Intent;scheme=acme;package=com.acme.app;\
                     S.browser_fallback_url=https%3A%2F%2Fappgallery.huawei.com%2Fapp%2FC100;end",
                ),
            ),
        case("huawei: no app package, AppGallery", A::FallbackOnly, ANDROID_HUAWEI)
            .data(MAKERS)
            .redirect(R::Web, Exact("https://appgallery.huawei.com/app/C100")),
        case("samsung firefox: Galaxy Store", A::Full, ANDROID_SAMSUNG_FIREFOX)
            .data(MAKERS)
            .redirect(
                R::Web,
                Exact("https://galaxystore.samsung.com/detail/com.acme.app"),
            ),
        case("samsung without $samsung_url: $android_url", A::Full, ANDROID_SAMSUNG_FIREFOX)
            .data(r#"{"$huawei_url": "https://appgallery.huawei.com/app/C100",
                "$android_url": "https://acme.app/android"}"#)
            .redirect(R::Web, Exact("https://acme.app/android")),
        case("other makers ignore the makers' keys", A::Full, ANDROID_FIREFOX)
            .data(MAKERS)
            .redirect(R::PlayStore, Exact("{PLAY}")),
        case("ios webview: prompt", A::Full, IPHONE_WEBVIEW)
            .prompt(Exact("acme://open?{ID}"), store_fb),
        // Android Chrome
        case("android chrome: intent", A::Full, ANDROID_CHROME).redirect(
            R::Intent,
            Exact(
                "intent://open?{ID}#Intent;scheme=acme;package=com.acme.app;\
                 S.browser_fallback_url=https%3A%2F%2Fplay.google.com%2Fstore%2Fapps%2Fdetails\
                 %3Fid%3Dcom.acme.app%26referrer%3Dlink_click_id%253D0190a0b0c0d0e0f00112233445566778;end",
            ),
        ),
        case("android chrome: intent with overrides", A::Full, ANDROID_CHROME)
            .data(OVERRIDES)
            .redirect(
                R::Intent,
                Exact(
                    "intent://product/42?{ID}#Intent;scheme=acme;package=com.acme.app;\
                     S.browser_fallback_url=https%3A%2F%2Facme.app%2Fandroid;end",
                ),
            ),
        case("android chrome: query in intent", A::Full, ANDROID_CHROME)
            .query("utm_source=push")
            .redirect(
                R::Intent,
                Prefix(
                    "intent://open?utm_source=push&{ID}#Intent;scheme=acme;package=com.acme.app;\
                     S.browser_fallback_url=https%3A%2F%2Fplay.google.com%2F",
                ),
            ),
        case("android chrome: installed is still intent", A::Full, ANDROID_CHROME)
            .installed()
            .redirect(R::Intent, Prefix("intent://open?{ID}#Intent;")),
        case("android chrome: no scheme", A::NoScheme, ANDROID_CHROME)
            .redirect(R::PlayStore, Exact("{PLAY}")),
        case("android chrome: no scheme, $android_url", A::NoScheme, ANDROID_CHROME)
            .data(OVERRIDES)
            .redirect(R::Web, Exact("https://acme.app/android")),
        case("android chrome: query to play", A::NoScheme, ANDROID_CHROME)
            .query("utm_source=a&id=com.evil&referrer=forged")
            .redirect(R::PlayStore, Exact("{PLAY}&utm_source=a")),
        case("android: web only", A::Full, ANDROID_CHROME)
            .data(WEB_ONLY)
            .redirect(R::Web, Exact("https://acme.app/fallback")),
        case("android: web only with $android_url", A::Full, ANDROID_CHROME)
            .data(WEB_ONLY_OVERRIDES)
            .redirect(R::Web, Exact("https://acme.app/android")),
        case("android: mobile web only", A::Full, ANDROID_CHROME)
            .data(MOBILE_WEB_ONLY)
            .redirect(R::Web, Exact("https://acme.app/fallback")),
        case("desktop: mobile web only changes nothing", A::Full, DESKTOP)
            .data(MOBILE_WEB_ONLY)
            .redirect(R::Web, Exact("https://acme.app/desktop")),
        case("android: nothing configured", A::Empty, ANDROID_CHROME).nothing(),
        case("android: no package, link urls", A::Empty, ANDROID_CHROME)
            .data(OVERRIDES)
            .redirect(R::Web, Exact("https://acme.app/android")),
        case("android: no package, $fallback_url", A::Empty, ANDROID_CHROME)
            .data(ONLY_FALLBACK)
            .redirect(R::Web, Exact("https://acme.app/f")),
        case("android: no package, app fallback", A::FallbackOnly, ANDROID_CHROME)
            .redirect(R::Web, Exact("https://acme.app/fallback")),
        case("android: invalid link urls ignored", A::Full, ANDROID_CHROME)
            .data(BAD_URLS)
            .redirect(R::Intent, Prefix("intent://open?{ID}#Intent;scheme=acme;")),
        // Android other browsers
        case("android firefox: play store", A::Full, ANDROID_FIREFOX)
            .redirect(R::PlayStore, Exact("{PLAY}")),
        case("android firefox: $android_url", A::Full, ANDROID_FIREFOX)
            .data(OVERRIDES)
            .redirect(R::Web, Exact("https://acme.app/android")),
        case("android firefox: installed opens app", A::Full, ANDROID_FIREFOX)
            .installed()
            .open_app(Exact("acme://open?{ID}"), play_fb),
        case("android firefox: forceful", A::Full, ANDROID_FIREFOX)
            .data(FORCEFUL)
            .open_app(Exact("acme://open?{ID}"), play_fb),
        case("android firefox: general forceful mode", A::Full, ANDROID_FIREFOX)
            .data(OS_MODES)
            .open_app(Exact("acme://open?{ID}"), play_fb),
        case("android firefox: its own forceful mode", A::Full, ANDROID_FIREFOX)
            .data(ANDROID_FORCEFUL)
            .open_app(Exact("acme://open?{ID}"), play_fb),
        // Android in-app browsers
        case("android instagram: prompt with intent", A::Full, ANDROID_INSTAGRAM).prompt(
            Prefix("intent://open?{ID}#Intent;scheme=acme;package=com.acme.app;"),
            play_fb,
        ),
        case("android instagram: no scheme", A::NoScheme, ANDROID_INSTAGRAM)
            .redirect(R::PlayStore, Exact("{PLAY}")),
        case("android instagram: overrides", A::Full, ANDROID_INSTAGRAM)
            .data(OVERRIDES)
            .prompt(
                Exact(
                    "intent://product/42?{ID}#Intent;scheme=acme;package=com.acme.app;\
                     S.browser_fallback_url=https%3A%2F%2Facme.app%2Fandroid;end",
                ),
                Some((Exact("https://acme.app/android"), K::Web)),
            ),
        // Desktop and other
        case("desktop: app desktop url", A::Full, DESKTOP)
            .redirect(R::Web, Exact("https://acme.app/desktop")),
        case("desktop: $desktop_url", A::Full, DESKTOP)
            .data(OVERRIDES)
            .redirect(R::Web, Exact("https://acme.app/d")),
        case("desktop: installed changes nothing", A::Full, DESKTOP)
            .installed()
            .redirect(R::Web, Exact("https://acme.app/desktop")),
        case("desktop: $fallback_url beats app fallback", A::FallbackOnly, DESKTOP)
            .data(ONLY_FALLBACK)
            .redirect(R::Web, Exact("https://acme.app/f")),
        case("desktop: app fallback", A::FallbackOnly, DESKTOP)
            .redirect(R::Web, Exact("https://acme.app/fallback")),
        case("desktop: nothing", A::Empty, DESKTOP).nothing(),
        case("desktop: invalid link urls ignored", A::Empty, DESKTOP)
            .data(BAD_URLS)
            .nothing(),
        case("desktop: query merged, destination wins", A::Full, DESKTOP)
            .data(r#"{"$desktop_url": "https://acme.app/d?utm_source=dev#top"}"#)
            .query("utm_source=x&b=2")
            .redirect(R::Web, Exact("https://acme.app/d?utm_source=dev&b=2#top")),
        case("other: desktop chain", A::Full, OTHER)
            .redirect(R::Web, Exact("https://acme.app/desktop")),
        case("other: legacy phone keys are not its", A::Full, OTHER)
            .data(LEGACY_PHONES)
            .redirect(R::Web, Exact("https://acme.app/desktop")),
        case("windows phone: $windows_phone_url", A::Full, WINDOWS_PHONE)
            .data(LEGACY_PHONES)
            .query("utm_source=x")
            .redirect(R::Web, Exact("https://acme.app/wp?utm_source=x")),
        case("windows phone: without it, the desktop chain", A::Full, WINDOWS_PHONE)
            .data(r#"{"$blackberry_url": "https://acme.app/bb"}"#)
            .redirect(R::Web, Exact("https://acme.app/desktop")),
        case("blackberry: $blackberry_url", A::FallbackOnly, BLACKBERRY)
            .data(LEGACY_PHONES)
            .redirect(R::Web, Exact("https://acme.app/bb")),
        case("blackberry: a bad $blackberry_url is ignored", A::FallbackOnly, BLACKBERRY)
            .data(r#"{"$blackberry_url": "javascript:alert(1)"}"#)
            .redirect(R::Web, Exact("https://acme.app/fallback")),
        case("desktop: legacy phone keys are not its", A::Full, DESKTOP)
            .data(LEGACY_PHONES)
            .redirect(R::Web, Exact("https://acme.app/desktop")),
        case("android: legacy phone keys are not its", A::Full, ANDROID_FIREFOX)
            .data(LEGACY_PHONES)
            .redirect(R::PlayStore, Exact("{PLAY}")),
        case("curl: redirect like desktop", A::Full, CURL)
            .redirect(R::Web, Exact("https://acme.app/desktop")),
        // Bots
        case("slackbot: preview", A::Full, SLACKBOT).preview(),
        case("googlebot: preview", A::Full, GOOGLEBOT).preview(),
        case("slackbot: preview, empty app", A::Empty, SLACKBOT).preview(),
        // Expiry
        case("expired: gone", A::Full, IPHONE)
            .state(LinkState::Expired)
            .gone(),
        case("deleted: gone", A::Full, DESKTOP)
            .state(LinkState::Deleted)
            .gone(),
        case("expired: bot sees gone", A::Full, SLACKBOT)
            .state(LinkState::Expired)
            .gone(),
        case("expired: app fallback", A::FallbackOnExpiry, ANDROID_CHROME)
            .state(LinkState::Expired)
            .query("utm_source=x")
            .redirect(R::Expired, Exact("https://acme.app/fallback?utm_source=x")),
        case("expired: fallback wanted, none set", A::Empty, DESKTOP)
            .state(LinkState::Deleted)
            .gone(),
        case("expires later: live", A::Full, DESKTOP)
            .state(LinkState::ExpiresLater)
            .redirect(R::Web, Exact("https://acme.app/desktop")),
    ]
}

#[test]
fn decision_table() {
    let mut failures = Vec::new();
    let cases = cases();
    for c in &cases {
        let link = link(data(c.data), c.state);
        let app = app(c.app);
        let got = decide_for(&link, &app, c.client, c.installed, c.query);
        let want_count = if c.client.bot.is_some() {
            CountAs::BotView
        } else {
            CountAs::Click
        };
        let ok = got.route == c.route
            && got.count_as == want_count
            && got.platform == c.client.platform
            && match (c.want, &got.action) {
                (Want::Redirect(loc), Action::Redirect { location }) => matches(loc, location),
                (
                    Want::Interstitial {
                        auto,
                        deep,
                        fallback,
                    },
                    Action::Interstitial(page),
                ) => {
                    page.auto_open == auto
                        && matches(deep, &page.deep_link)
                        && match (fallback, &page.fallback) {
                            (None, None) => true,
                            (Some((loc, kind)), Some(f)) => f.kind == kind && matches(loc, &f.url),
                            _ => false,
                        }
                }
                (Want::Preview, Action::Preview(_))
                | (Want::Gone, Action::Gone)
                | (Want::NoDestination, Action::NoDestination) => true,
                _ => false,
            };
        if !ok {
            failures.push(format!(
                "{}:\n  want {:?} via {:?}\n  got  {:?}",
                c.name, c.want, c.route, got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn preview_fields() {
    let app_full = app(A::Full);
    let link_plain = link(data("{}"), LinkState::Live);
    let got = decide_for(&link_plain, &app_full, SLACKBOT, false, "");
    let Action::Preview(p) = got.action else {
        panic!("expected a preview, got {got:?}");
    };
    assert_eq!(p.title.as_deref(), Some("Acme"));
    assert_eq!(p.description.as_deref(), Some("The Acme app"));
    assert_eq!(
        p.image_url.map(String::from).as_deref(),
        Some("https://acme.app/og.png")
    );
    assert_eq!(p.url.map(String::from).as_deref(), Some(SHORT_URL));

    let own = link(
        data(
            r#"{"$og_title": "Shoes", "$og_description": "Red ones",
                "$og_image_url": "https://cdn.acme.app/s.png", "$og_url": "https://acme.app/shoes"}"#,
        ),
        LinkState::Live,
    );
    let Action::Preview(p) = decide_for(&own, &app(A::Empty), GOOGLEBOT, false, "").action else {
        panic!("expected a preview");
    };
    assert_eq!(p.title.as_deref(), Some("Shoes"));
    assert_eq!(p.description.as_deref(), Some("Red ones"));
    assert_eq!(
        p.image_url.map(String::from).as_deref(),
        Some("https://cdn.acme.app/s.png")
    );
    assert_eq!(
        p.url.map(String::from).as_deref(),
        Some("https://acme.app/shoes")
    );

    let hostile = link(
        data(
            r#"{"$og_image_url": "javascript:alert(1)", "$og_url": "data:text/html,x",
                "$og_title": 42}"#,
        ),
        LinkState::Live,
    );
    let Action::Preview(p) = decide_for(&hostile, &app(A::Empty), SLACKBOT, false, "").action
    else {
        panic!("expected a preview");
    };
    assert_eq!(p.title, None);
    assert_eq!(p.image_url, None);
    assert_eq!(p.url.map(String::from).as_deref(), Some(SHORT_URL));
}

#[test]
fn preview_social_keys() {
    let own = link(
        data(
            r#"{"$og_title": "Shoes", "$og_type": "product", "$og_image_width": 1200,
                "$og_image_height": "630", "$twitter_card": "summary",
                "$twitter_title": "Shoes!", "$twitter_description": "Red",
                "$twitter_image_url": "https://cdn.acme.app/sq.png", "$twitter_site": "@acme",
                "$og_app_id": 1234567890123456}"#,
        ),
        LinkState::Live,
    );
    let Action::Preview(p) = decide_for(&own, &app(A::Full), SLACKBOT, false, "").action else {
        panic!("expected a preview");
    };
    assert_eq!(p.kind.as_deref(), Some("product"));
    assert_eq!((p.image_width, p.image_height), (Some(1200), Some(630)));
    assert_eq!(p.facebook_app_id.as_deref(), Some("1234567890123456"));
    let t = p.twitter;
    assert_eq!(t.card, Some(TwitterCard::Summary));
    assert_eq!(t.title.as_deref(), Some("Shoes!"));
    assert_eq!(t.description.as_deref(), Some("Red"));
    assert_eq!(
        t.image_url.map(String::from).as_deref(),
        Some("https://cdn.acme.app/sq.png")
    );
    assert_eq!(t.site.as_deref(), Some("acme"));

    // Stored before these keys were checked: each bad value is left out, not an error.
    let odd = link(
        data(
            r#"{"$og_type": "<b>", "$og_image_width": 0, "$og_image_height": 1.5,
                "$twitter_card": "app", "$twitter_image_url": "javascript:x",
                "$twitter_site": "not a handle", "$twitter_title": 7, "$og_app_id": "x1"}"#,
        ),
        LinkState::Live,
    );
    let Action::Preview(p) = decide_for(&odd, &app(A::Empty), SLACKBOT, false, "").action else {
        panic!("expected a preview");
    };
    assert_eq!((p.kind, p.image_width, p.image_height), (None, None, None));
    assert_eq!(p.facebook_app_id, None);
    assert_eq!(p.twitter, TwitterPreview::default());
}

/// Where a click from `country` with `?utm_source=x` is redirected, if it is.
fn located(
    l: &crate::Link,
    kind: A,
    client: ClientInfo,
    country: Option<crate::country::Country>,
) -> Option<String> {
    decide_from(l, &app(kind), client, false, "utm_source=x", country)
        .action
        .location()
        .map(str::to_owned)
}

#[test]
fn a_countrys_own_fallback_comes_before_the_links_fallback() {
    let l = link(
        data(
            r#"{"$fallback_url": "https://acme.app/f", "$fallback_url_de": "https://acme.de/",
                "$fallback_url_br": "javascript:x", "$desktop_url": "https://acme.app/d"}"#,
        ),
        LinkState::Live,
    );
    let de = crate::country::Country::parse("DE");
    let br = crate::country::Country::parse("br");
    let fr = crate::country::Country::parse("fr");
    let at = |app_kind, client, country| located(&l, app_kind, client, country);
    let de_page = Some("https://acme.de/?utm_source=x".to_owned());
    let fallback = Some("https://acme.app/f?utm_source=x".to_owned());
    // Where the chain reaches the fallbacks: the country's own first.
    assert_eq!(at(A::Empty, IPHONE, de), de_page);
    assert_eq!(at(A::Empty, ANDROID_FIREFOX, de), de_page);
    assert_eq!(at(A::Empty, IPHONE, fr), fallback);
    assert_eq!(at(A::Empty, IPHONE, None), fallback);
    // An unusable country URL is skipped like any other.
    assert_eq!(at(A::Empty, IPHONE, br), fallback);
    // Platform destinations still win: the store, the desktop URL.
    assert!(at(A::Full, IPHONE, de).is_some_and(|l| l.starts_with("https://apps.apple.com/")));
    assert_eq!(
        at(A::Empty, DESKTOP, de),
        Some("https://acme.app/d?utm_source=x".to_owned())
    );
}

#[test]
fn a_countrys_own_ios_and_android_pages_come_before_the_platforms() {
    let l = link(
        data(
            r#"{"$ios_url": "https://acme.app/ios", "$ios_url_de": "https://acme.de/ios",
                "$android_url": "https://acme.app/android", "$android_url_de": "https://acme.de/android",
                "$android_url_br": "javascript:x", "$ipad_url": "https://acme.app/ipad",
                "$huawei_url": "https://appgallery.huawei.com/app/C100",
                "$fallback_url_fr": "https://acme.fr/"}"#,
        ),
        LinkState::Live,
    );
    let de = crate::country::Country::parse("de");
    let br = crate::country::Country::parse("BR");
    let fr = crate::country::Country::parse("FR");
    let at = |app_kind, client, country| located(&l, app_kind, client, country);
    let page = |url: &str| Some(format!("{url}?utm_source=x"));
    // In place of the platform's page and its store, with or without the app's config.
    for kind in [A::Empty, A::Full] {
        assert_eq!(at(kind, IPHONE, de), page("https://acme.de/ios"));
        assert_eq!(
            at(kind, ANDROID_FIREFOX, de),
            page("https://acme.de/android")
        );
        assert_eq!(at(kind, IPHONE, None), page("https://acme.app/ios"));
        // Another country's, or an unusable one, is skipped.
        assert_eq!(
            at(kind, ANDROID_FIREFOX, br),
            page("https://acme.app/android")
        );
        assert_eq!(at(kind, IPHONE, fr), page("https://acme.app/ios"));
    }
    // The iPad's own page and a maker's store stay first: they are about the device.
    assert_eq!(at(A::Full, IPAD, de), page("https://acme.app/ipad"));
    assert!(
        at(A::Empty, ANDROID_HUAWEI, de)
            .is_some_and(|l| l.starts_with("https://appgallery.huawei.com/app/C100"))
    );
    // Other platforms do not read them.
    assert_eq!(at(A::Empty, DESKTOP, de), None);

    // Where the app opens, the country's page is the interstitial's way out.
    let Action::Interstitial(i) = decide_from(&l, &app(A::Full), IPHONE, true, "", de).action
    else {
        panic!("expected an interstitial");
    };
    assert_eq!(
        i.fallback.map(|f| f.url).as_deref(),
        Some("https://acme.de/ios")
    );
}

#[test]
fn the_after_click_url_rides_on_every_open_in_app_page() {
    let after = |json: &str, client, installed| {
        let l = link(data(json), LinkState::Live);
        match decide_for(&l, &app(A::Full), client, installed, "utm_source=x").action {
            Action::Interstitial(page) => Ok(page.after_click),
            other => Err(format!("{other:?}")),
        }
    };
    let thanks = r#"{"$after_click_url": "https://acme.app/thanks?from=link"}"#;
    let want = Ok(Some(
        "https://acme.app/thanks?from=link&utm_source=x".to_owned(),
    ));
    // The page that opens the app, and the one whose button does.
    assert_eq!(after(thanks, IPHONE, true), want);
    assert_eq!(after(thanks, IPHONE_FACEBOOK, false), want);
    assert_eq!(after(thanks, ANDROID_INSTAGRAM, false), want);
    assert_eq!(after(thanks, ANDROID_FIREFOX, true), want);
    // No page, nothing to come back to: Chrome's intent and the store redirect.
    assert!(after(thanks, ANDROID_CHROME, false).is_err());
    assert!(after(thanks, IPHONE, false).is_err());
    // Absent or unusable: the page stays as it is.
    assert_eq!(after("{}", IPHONE, true), Ok(None));
    assert_eq!(
        after(
            r#"{"$after_click_url": "javascript:alert(1)"}"#,
            IPHONE,
            true
        ),
        Ok(None)
    );
}

#[test]
fn the_button_opens_the_link_on_the_alternate_domain_where_universal_links_work() {
    use crate::app::{BundleId, TeamId};
    let mut with_ul = app(A::Full);
    with_ul.ios.bundle_id = BundleId::parse("com.acme.app").ok();
    with_ul.ios.team_id = TeamId::parse("ABCDE12345").ok();
    let live = link(data("{}"), LinkState::Live);
    let forced = link(data(r#"{"$ios_uri_redirect_mode": 2}"#), LinkState::Live);
    let page = |l: &_, app: &_, client, installed| match decide_beside_alternate(
        l,
        app,
        client,
        installed,
        "utm_source=push&link_click_id=forged",
    )
    .action
    {
        Action::Interstitial(page) => Ok(page),
        other => Err(other.kind()),
    };
    let want = format!("{ALTERNATE_URL}?utm_source=push&link_click_id={CLICK_ID}");

    // Safari with the app known installed, or a link that insists on the app: the page
    // still tries the scheme by itself; the button crosses to the alternate domain.
    for (l, installed) in [(&live, true), (&forced, false)] {
        let got = page(l, &with_ul, IPHONE, installed).expect("an interstitial");
        assert_eq!(got.universal_link.as_deref(), Some(want.as_str()));
        assert!(got.auto_open);
        assert!(
            got.deep_link
                .starts_with("acme://open?utm_source=push&link_click_id=")
        );
    }
    // Without the team and bundle ids no association file names the app: no Universal Link.
    assert_eq!(
        page(&live, &app(A::Full), IPHONE, true).map(|p| p.universal_link),
        Ok(None)
    );
    // In-app browsers that block app opening hold Universal Links back as well: the button
    // keeps the scheme. Android has intents and is left as it was.
    for client in [
        IPHONE_FACEBOOK,
        IPHONE_WEBVIEW,
        ANDROID_INSTAGRAM,
        ANDROID_FIREFOX,
    ] {
        assert_eq!(
            page(&live, &with_ul, client, true).map(|p| p.universal_link),
            Ok(None),
            "{client:?}"
        );
    }
    // Nothing changes where no page is served: Safari without the app goes to the store.
    assert_eq!(page(&live, &with_ul, IPHONE, false).err(), Some("redirect"));
    // A click on the alternate domain itself (no alternate URL) keeps the scheme button.
    let Action::Interstitial(own) = decide_for(&live, &with_ul, IPHONE, true, "").action else {
        panic!("expected an interstitial");
    };
    assert_eq!(own.universal_link, None);
}

#[test]
fn previews_carry_facebook_app_links_without_a_click_id() {
    let l = link(
        data(r#"{"$deeplink_path": "product/42", "$android_deeplink_path": "p/42"}"#),
        LinkState::Live,
    );
    let Action::Preview(p) = decide_for(&l, &app(A::Full), SLACKBOT, false, "utm_source=fb").action
    else {
        panic!("expected a preview");
    };
    let a = p.app_links;
    assert_eq!(
        a.ios_url.as_deref(),
        Some("acme://product/42?utm_source=fb")
    );
    assert_eq!(a.ios_app_store_id.as_deref(), Some("123456789"));
    assert_eq!(a.android_url.as_deref(), Some("acme://p/42?utm_source=fb"));
    assert_eq!(a.android_package.as_deref(), Some("com.acme.app"));

    // Web-only links and apps without app config have none.
    for (kind, json) in [(A::Full, r#"{"$web_only": true}"#), (A::Empty, "{}")] {
        let l = link(data(json), LinkState::Live);
        let Action::Preview(p) = decide_for(&l, &app(kind), SLACKBOT, false, "").action else {
            panic!("expected a preview");
        };
        assert_eq!(p.app_links, crate::decision::AppLinks::default(), "{json}");
    }
}

#[test]
fn preview_video_player_and_redirect() {
    let video = link(
        data(
            r#"{"$og_video": "https://cdn.acme.app/v.mp4", "$twitter_card": "player",
                "$twitter_player_width": 480, "$twitter_player_height": "270"}"#,
        ),
        LinkState::Live,
    );
    let Action::Preview(p) = decide_for(&video, &app(A::Full), SLACKBOT, false, "").action else {
        panic!("expected a preview");
    };
    let href = |u: Option<crate::url::WebUrl>| u.map(String::from);
    assert_eq!(
        href(p.video_url).as_deref(),
        Some("https://cdn.acme.app/v.mp4")
    );
    // The player falls back to the video.
    let t = p.twitter;
    assert_eq!(t.card, Some(TwitterCard::Player));
    assert_eq!(
        href(t.player_url).as_deref(),
        Some("https://cdn.acme.app/v.mp4")
    );
    assert_eq!((t.player_width, t.player_height), (Some(480), Some(270)));

    // A player card with no https player to frame is the default card, without sizes.
    let no_player = link(
        data(
            r#"{"$og_video": "http://cdn.acme.app/v.mp4", "$twitter_card": "player",
                "$twitter_player_width": 480}"#,
        ),
        LinkState::Live,
    );
    let Action::Preview(p) = decide_for(&no_player, &app(A::Full), SLACKBOT, false, "").action
    else {
        panic!("expected a preview");
    };
    assert_eq!(
        href(p.video_url).as_deref(),
        Some("http://cdn.acme.app/v.mp4")
    );
    assert_eq!(p.twitter, TwitterPreview::default());

    // `$og_redirect` sends preview bots away, without the click's query; people are not.
    let redirect = link(
        data(r#"{"$og_redirect": "https://acme.app/tags/7", "$og_title": "Seven"}"#),
        LinkState::Live,
    );
    for bot in [SLACKBOT, GOOGLEBOT] {
        let got = decide_for(&redirect, &app(A::Full), bot, false, "utm_source=x");
        assert_eq!(got.route, R::Preview);
        assert_eq!(got.count_as, CountAs::BotView);
        assert_eq!(got.action.location(), Some("https://acme.app/tags/7"));
    }
    let got = decide_for(&redirect, &app(A::Full), DESKTOP, false, "");
    assert_eq!(got.action.location(), Some("https://acme.app/desktop"));
    // An unusable one is ignored.
    let bad = link(data(r#"{"$og_redirect": "javascript:x"}"#), LinkState::Live);
    let got = decide_for(&bad, &app(A::Full), SLACKBOT, false, "");
    assert_eq!(got.action.kind(), "preview");
}

#[test]
fn preview_text_is_cut_by_characters() {
    let long = format!(
        r#"{{"$og_title": "{}", "$og_description": "{}"}}"#,
        "é".repeat(500),
        "ü".repeat(3000)
    );
    let l = link(data(&long), LinkState::Live);
    let Action::Preview(p) = decide_for(&l, &app(A::Empty), SLACKBOT, false, "").action else {
        panic!("expected a preview");
    };
    assert_eq!(p.title.map(|t| t.chars().count()), Some(300));
    assert_eq!(p.description.map(|d| d.chars().count()), Some(1000));
}

#[test]
fn interstitial_title_comes_from_link_or_app() {
    let l = link(data(r#"{"$og_title": "Shoes"}"#), LinkState::Live);
    let Action::Interstitial(page) = decide_for(&l, &app(A::Full), IPHONE, true, "").action else {
        panic!("expected an interstitial");
    };
    assert_eq!(page.title.as_deref(), Some("Shoes"));
    assert_eq!(page.fallback_after_ms, crate::decision::FALLBACK_AFTER_MS);
}

#[test]
fn the_wait_for_the_app_is_the_links_own_for_that_os() {
    let l = link(
        data(r#"{"$ios_redirect_timeout": 750, "$android_redirect_timeout": "3000"}"#),
        LinkState::Live,
    );
    for (client, want) in [
        (IPHONE, 750),
        (ANDROID_FIREFOX, 3000),
        (ANDROID_INSTAGRAM, 3000),
    ] {
        let Action::Interstitial(page) = decide_for(&l, &app(A::Full), client, true, "").action
        else {
            panic!("expected an interstitial");
        };
        assert_eq!(page.fallback_after_ms, want);
    }
    // Out of range: the default wait.
    let l = link(data(r#"{"$ios_redirect_timeout": 60000}"#), LinkState::Live);
    let Action::Interstitial(page) = decide_for(&l, &app(A::Full), IPHONE, true, "").action else {
        panic!("expected an interstitial");
    };
    assert_eq!(page.fallback_after_ms, crate::decision::FALLBACK_AFTER_MS);
}

#[test]
fn overlong_android_url_leaves_the_intent_with_the_play_store() {
    let long = format!("https://acme.app/{}", "a/".repeat(1000));
    let l = link(
        data(&format!(r#"{{"$android_url": "{long}"}}"#)),
        LinkState::Live,
    );
    let got = decide_for(&l, &app(A::Full), ANDROID_CHROME, false, "");
    let location = got.action.location().unwrap_or_default();
    assert!(
        location.starts_with(&expand(
            "intent://open?{ID}#Intent;scheme=acme;package=com.acme.app;\
             S.browser_fallback_url=https%3A%2F%2Fplay.google.com%2F"
        )),
        "{location:.200}"
    );
    // Browsers without intent support still get the link's own URL.
    let got = decide_for(&l, &app(A::Full), ANDROID_FIREFOX, false, "");
    assert_eq!(got.action.location(), Some(long.as_str()));
}
