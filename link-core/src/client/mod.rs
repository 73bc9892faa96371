//! Client classification: what kind of device, browser and app sent a click.
//!
//! [`ClientInfo`] is the one input the redirect decision takes about the client. It is
//! computed from the User-Agent (woothee for the broad strokes, our own rules for in-app
//! browsers, link-preview bots and iPadOS) and is cheap to copy, so the link service can
//! memoise it per User-Agent string.

use serde::Serialize;

/// The platform family that decides where a click goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Ios,
    Android,
    Desktop,
    /// Anything we cannot place (feature phones, TVs, consoles, unknown strings).
    Other,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ios => "ios",
            Self::Android => "android",
            Self::Desktop => "desktop",
            Self::Other => "other",
        }
    }
}

/// Operating system family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OsFamily {
    Ios,
    Android,
    Windows,
    Macos,
    Linux,
    ChromeOs,
    Other,
}

impl OsFamily {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ios => "ios",
            Self::Android => "android",
            Self::Windows => "windows",
            Self::Macos => "macos",
            Self::Linux => "linux",
            Self::ChromeOs => "chromeos",
            Self::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceClass {
    Mobile,
    Tablet,
    Desktop,
    Bot,
    Other,
}

/// The browser engine family, as far as redirects care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Browser {
    Safari,
    /// Chrome and Chromium derivatives that honour `intent://` (Edge, Samsung Internet,
    /// Opera, Brave, Vivaldi, ...).
    ChromeFamily,
    Firefox,
    /// An embedded WebView (Android `wv`, iOS WKWebView without Safari's token).
    WebView,
    Other,
}

/// Apps whose embedded browsers block Universal Links / App Links or scheme redirects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InAppBrowser {
    Facebook,
    Messenger,
    Instagram,
    Threads,
    LinkedIn,
    Twitter,
    TikTok,
    WeChat,
    Line,
    Snapchat,
    Pinterest,
    Gmail,
    GoogleApp,
    Telegram,
    KakaoTalk,
    Reddit,
    WhatsApp,
    /// A WebView whose host app we cannot name.
    Other,
}

impl InAppBrowser {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Facebook => "facebook",
            Self::Messenger => "messenger",
            Self::Instagram => "instagram",
            Self::Threads => "threads",
            Self::LinkedIn => "linkedin",
            Self::Twitter => "twitter",
            Self::TikTok => "tiktok",
            Self::WeChat => "wechat",
            Self::Line => "line",
            Self::Snapchat => "snapchat",
            Self::Pinterest => "pinterest",
            Self::Gmail => "gmail",
            Self::GoogleApp => "gsa",
            Self::Telegram => "telegram",
            Self::KakaoTalk => "kakaotalk",
            Self::Reddit => "reddit",
            Self::WhatsApp => "whatsapp",
            Self::Other => "other",
        }
    }
}

/// Why a client is not a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BotKind {
    /// Fetches a link to render a preview card (facebookexternalhit, Twitterbot, Slackbot,
    /// WhatsApp, iMessage, Discordbot, TelegramBot, LinkedInBot, ...): gets the preview page.
    LinkPreview,
    /// Search-engine and other crawlers (Googlebot, bingbot, Applebot, ...).
    Crawler,
    /// Monitoring, scripts and HTTP libraries (curl, python-requests, uptime checkers).
    Tool,
}

/// Everything the decision needs to know about a client. `Copy`, no heap: memoised per
/// User-Agent and handed out by value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct ClientInfo {
    pub platform: Platform,
    pub os: OsFamily,
    /// OS major and minor version when the User-Agent carries it (`17.4` -> (17, 4)).
    pub os_version: Option<(u16, u16)>,
    pub device: DeviceClass,
    pub browser: Browser,
    pub in_app: Option<InAppBrowser>,
    pub bot: Option<BotKind>,
}

impl ClientInfo {
    /// What an empty or absent User-Agent is treated as.
    pub const UNKNOWN: Self = Self {
        platform: Platform::Other,
        os: OsFamily::Other,
        os_version: None,
        device: DeviceClass::Other,
        browser: Browser::Other,
        in_app: None,
        bot: None,
    };

    pub fn is_bot(&self) -> bool {
        self.bot.is_some()
    }

    pub fn is_tablet(&self) -> bool {
        self.device == DeviceClass::Tablet
    }
}
