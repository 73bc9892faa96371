//! Apps, links and clients the decision tests share.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Map, Value};

use crate::app::{
    AndroidConfig, AndroidPackage, AppConfig, AppStoreId, ExpiredLinkBehavior, IosConfig,
    PreviewDefaults, UriScheme,
};
use crate::client::{
    BotKind, Browser, ClientInfo, DeviceClass, DeviceVendor, InAppBrowser, OsFamily, Platform,
};
use crate::code::LinkCode;
use crate::country::Country;
use crate::decision::{Click, Decision, decide};
use crate::ids::{AppId, ClickId};
use crate::link::{Link, LinkType};
use crate::link_data::LinkData;
use crate::link_labels::LinkLabels;
use crate::url::WebUrl;

pub const CLICK_ID: &str = "0190a0b0c0d0e0f00112233445566778";
pub const SHORT_URL: &str = "https://go.acme.app/Ab3xK9q";
/// The link on the app's alternate domain, for clicks that came in on its primary one.
pub const ALTERNATE_URL: &str = "https://alt.acme.app/Ab3xK9q";

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .expect("valid time")
}

fn web(raw: &str) -> Option<WebUrl> {
    Some(WebUrl::parse(raw).expect("valid url"))
}

/// The app configurations the table varies over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppKind {
    /// Stores, schemes, desktop and fallback URLs, preview defaults.
    Full,
    /// Store ids and packages, but no URI schemes.
    NoScheme,
    /// Only a fallback URL.
    FallbackOnly,
    /// `Full`, answering expired links with the fallback instead of 410.
    FallbackOnExpiry,
    /// `AppConfig::default()`: nothing configured.
    Empty,
}

pub fn app(kind: AppKind) -> AppConfig {
    let full = AppConfig {
        ios: IosConfig {
            app_store_id: AppStoreId::parse("123456789").ok(),
            uri_scheme: UriScheme::parse("acme").ok(),
            ..IosConfig::default()
        },
        android: AndroidConfig {
            package: AndroidPackage::parse("com.acme.app").ok(),
            uri_scheme: UriScheme::parse("acme").ok(),
            ..AndroidConfig::default()
        },
        fallback_url: web("https://acme.app/fallback"),
        desktop_url: web("https://acme.app/desktop"),
        preview: PreviewDefaults {
            title: Some("Acme".into()),
            description: Some("The Acme app".into()),
            image_url: web("https://acme.app/og.png"),
        },
        ..AppConfig::default()
    };
    match kind {
        AppKind::Full => full,
        AppKind::NoScheme => {
            let mut app = full;
            app.ios.uri_scheme = None;
            app.android.uri_scheme = None;
            app
        }
        AppKind::FallbackOnly => AppConfig {
            fallback_url: web("https://acme.app/fallback"),
            ..AppConfig::default()
        },
        AppKind::FallbackOnExpiry => AppConfig {
            expired_link_behavior: ExpiredLinkBehavior::Fallback,
            ..full
        },
        AppKind::Empty => AppConfig::default(),
    }
}

/// Whether and how a link is past its use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Live,
    /// `expires_at` is in the future.
    ExpiresLater,
    Expired,
    Deleted,
}

pub fn link(data: Map<String, Value>, state: LinkState) -> Link {
    let t0 = now() - Duration::days(30);
    Link {
        id: 1,
        app_id: AppId::new(1).expect("valid app id"),
        code: LinkCode::parse("Ab3xK9q").expect("valid code"),
        is_alias: false,
        data: LinkData::from_map(&data).expect("small link data"),
        labels: LinkLabels::default(),
        link_type: LinkType::Standard,
        duration_secs: None,
        expires_at: match state {
            LinkState::ExpiresLater => Some(now() + Duration::hours(1)),
            LinkState::Expired => Some(now() - Duration::seconds(1)),
            LinkState::Live | LinkState::Deleted => None,
        },
        version: 1,
        created_at: t0,
        updated_at: t0,
        deleted_at: (state == LinkState::Deleted).then_some(t0),
    }
}

pub fn data(json: &str) -> Map<String, Value> {
    match serde_json::from_str(json) {
        Ok(Value::Object(map)) => map,
        other => panic!("test link data must be a JSON object: {json} -> {other:?}"),
    }
}

pub fn decide_for(
    link: &Link,
    app: &AppConfig,
    client: ClientInfo,
    installed: bool,
    query: &str,
) -> Decision {
    decide_from(link, app, client, installed, query, None)
}

/// [`decide_for`] a click from `country`.
pub fn decide_from(
    link: &Link,
    app: &AppConfig,
    client: ClientInfo,
    installed: bool,
    query: &str,
    country: Option<Country>,
) -> Decision {
    decide(&click(link, app, client, installed, query, country))
}

/// [`decide_for`] a click on a domain of an app that also has an alternate one.
pub fn decide_beside_alternate(
    link: &Link,
    app: &AppConfig,
    client: ClientInfo,
    installed: bool,
    query: &str,
) -> Decision {
    decide(&Click {
        alternate_url: Some(ALTERNATE_URL),
        ..click(link, app, client, installed, query, None)
    })
}

fn click<'a>(
    link: &'a Link,
    app: &'a AppConfig,
    client: ClientInfo,
    installed: bool,
    query: &'a str,
    country: Option<Country>,
) -> Click<'a> {
    Click {
        link,
        app,
        client,
        app_installed: installed,
        query,
        country,
        click_id: ClickId::parse(CLICK_ID).expect("valid click id"),
        short_url: SHORT_URL,
        alternate_url: None,
        now: now(),
    }
}

const fn client(
    platform: Platform,
    os: OsFamily,
    device: DeviceClass,
    browser: Browser,
    in_app: Option<InAppBrowser>,
    bot: Option<BotKind>,
) -> ClientInfo {
    ClientInfo {
        platform,
        os,
        os_version: None,
        device,
        browser,
        in_app,
        bot,
        vendor: None,
    }
}

use Browser as B;
use DeviceClass as D;
use OsFamily as O;
use Platform as P;

pub const IPHONE: ClientInfo = client(P::Ios, O::Ios, D::Mobile, B::Safari, None, None);
pub const IPAD: ClientInfo = client(P::Ios, O::Ios, D::Tablet, B::Safari, None, None);
pub const IPHONE_FACEBOOK: ClientInfo = client(
    P::Ios,
    O::Ios,
    D::Mobile,
    B::WebView,
    Some(InAppBrowser::Facebook),
    None,
);
pub const IPHONE_WHATSAPP: ClientInfo = client(
    P::Ios,
    O::Ios,
    D::Mobile,
    B::Safari,
    Some(InAppBrowser::WhatsApp),
    None,
);
pub const IPHONE_WECHAT: ClientInfo = client(
    P::Ios,
    O::Ios,
    D::Mobile,
    B::WebView,
    Some(InAppBrowser::WeChat),
    None,
);
pub const ANDROID_WECHAT: ClientInfo = client(
    P::Android,
    O::Android,
    D::Mobile,
    B::WebView,
    Some(InAppBrowser::WeChat),
    None,
);
pub const ANDROID_HUAWEI: ClientInfo = ClientInfo {
    vendor: Some(DeviceVendor::Huawei),
    ..client(
        P::Android,
        O::Android,
        D::Mobile,
        B::ChromeFamily,
        None,
        None,
    )
};
pub const ANDROID_SAMSUNG_FIREFOX: ClientInfo = ClientInfo {
    vendor: Some(DeviceVendor::Samsung),
    ..ANDROID_FIREFOX
};
pub const IPHONE_WEBVIEW: ClientInfo = client(P::Ios, O::Ios, D::Mobile, B::WebView, None, None);
pub const ANDROID_CHROME: ClientInfo = client(
    P::Android,
    O::Android,
    D::Mobile,
    B::ChromeFamily,
    None,
    None,
);
pub const ANDROID_FIREFOX: ClientInfo =
    client(P::Android, O::Android, D::Mobile, B::Firefox, None, None);
pub const ANDROID_INSTAGRAM: ClientInfo = client(
    P::Android,
    O::Android,
    D::Mobile,
    B::WebView,
    Some(InAppBrowser::Instagram),
    None,
);
pub const DESKTOP: ClientInfo = client(
    P::Desktop,
    O::Macos,
    D::Desktop,
    B::ChromeFamily,
    None,
    None,
);
pub const OTHER: ClientInfo = ClientInfo::UNKNOWN;
pub const WINDOWS_PHONE: ClientInfo = ClientInfo {
    vendor: Some(DeviceVendor::Microsoft),
    ..client(P::Other, O::Other, D::Mobile, B::Other, None, None)
};
pub const BLACKBERRY: ClientInfo = ClientInfo {
    vendor: Some(DeviceVendor::BlackBerry),
    ..client(P::Other, O::Other, D::Mobile, B::Other, None, None)
};
pub const SLACKBOT: ClientInfo = client(
    P::Other,
    O::Other,
    D::Bot,
    B::Other,
    None,
    Some(BotKind::LinkPreview),
);
pub const GOOGLEBOT: ClientInfo = client(
    P::Other,
    O::Other,
    D::Bot,
    B::Other,
    None,
    Some(BotKind::Crawler),
);
pub const CURL: ClientInfo = client(
    P::Other,
    O::Other,
    D::Bot,
    B::Other,
    None,
    Some(BotKind::Tool),
);
pub const IOS_TOOL: ClientInfo = client(
    P::Ios,
    O::Ios,
    D::Mobile,
    B::Other,
    None,
    Some(BotKind::Tool),
);

/// Every client above, for property tests.
pub const ALL_CLIENTS: &[ClientInfo] = &[
    IPHONE,
    IPAD,
    IPHONE_FACEBOOK,
    IPHONE_WHATSAPP,
    IPHONE_WEBVIEW,
    IPHONE_WECHAT,
    ANDROID_WECHAT,
    ANDROID_HUAWEI,
    ANDROID_SAMSUNG_FIREFOX,
    ANDROID_CHROME,
    ANDROID_FIREFOX,
    ANDROID_INSTAGRAM,
    DESKTOP,
    OTHER,
    SLACKBOT,
    GOOGLEBOT,
    CURL,
    IOS_TOOL,
];

pub const ALL_APPS: &[AppKind] = &[
    AppKind::Full,
    AppKind::NoScheme,
    AppKind::FallbackOnly,
    AppKind::FallbackOnExpiry,
    AppKind::Empty,
];
