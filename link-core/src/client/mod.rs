//! Client classification: what kind of device, browser and app sent a click.
//!
//! [`ClientInfo`] is the one input the redirect decision takes about the client. It is
//! computed from the User-Agent by data-driven token rules (operating systems and their
//! impostors, in-app browsers, link-preview bots, crawlers and tools, iPadOS), with woothee
//! as the fallback for the long tail of strings no rule knows. It is `Copy` and heap-free,
//! so the link service memoises it per User-Agent string ([`ClassifierMemo`]).
//!
//! # Layout
//! - [`classify()`]: the entry point, and the order the rules run in (`classify.rs`).
//! - `bots.rs`: link-preview fetchers, crawlers and tools.
//! - `os.rs`: operating system, version and form factor, including the impostors.
//! - `in_app.rs`: in-app browsers of social and messaging apps, and bare WebViews.
//! - `browser.rs`: browser family (Chrome family, Safari, Firefox, WebView, other).
//! - `tokens.rs`: the one-pass token tables the rules above are written in.
//! - [`memo`]: [`memo::ClassifierMemo`], the bounded per-User-Agent memo for the hot path.
//!
//! Classification never fails or panics, whatever the bytes; it reads at most
//! [`MAX_SCAN_BYTES`] of a User-Agent, and a memo hit does not allocate.
//! `tests/corpus_accuracy.rs` measures it against labelled corpora beside the workspace.

mod bots;
mod browser;
mod classify;
mod in_app;
pub mod memo;
mod os;
mod tokens;
mod vendor;

#[cfg(test)]
mod tests;

pub use classify::{MAX_SCAN_BYTES, classify};
pub use memo::ClassifierMemo;

use serde::{Deserialize, Serialize};

/// The platform family that decides where a click goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceClass {
    Mobile,
    Tablet,
    Desktop,
    Bot,
    Other,
}

/// The browser engine family, as far as redirects care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// Device makers with an app store of their own: Android's (Samsung, Huawei, Amazon), and
/// the phone systems Branch's links still name (Windows Phone, as Microsoft's, and
/// BlackBerry OS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceVendor {
    Samsung,
    Huawei,
    Amazon,
    Microsoft,
    BlackBerry,
}

/// Apps whose embedded browsers block Universal Links / App Links or scheme redirects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClientInfo {
    pub platform: Platform,
    pub os: OsFamily,
    /// OS major and minor version when the User-Agent carries it (`17.4` -> (17, 4)).
    pub os_version: Option<(u16, u16)>,
    pub device: DeviceClass,
    pub browser: Browser,
    pub in_app: Option<InAppBrowser>,
    pub bot: Option<BotKind>,
    /// The maker of an Android device with its own app store, when the string names it.
    pub vendor: Option<DeviceVendor>,
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
        vendor: None,
    };

    pub fn is_bot(&self) -> bool {
        self.bot.is_some()
    }

    pub fn is_tablet(&self) -> bool {
        self.device == DeviceClass::Tablet
    }

    /// Safari claiming to run on a Mac: a Mac, or an iPad (since iPadOS 13 Safari sends
    /// the Mac's User-Agent by default). Only the page, by its touch points, can tell.
    pub fn maybe_ipad(&self) -> bool {
        self.os == OsFamily::Macos
            && self.browser == Browser::Safari
            && self.in_app.is_none()
            && self.bot.is_none()
    }

    /// The same client known to be an iPad: iPadOS at the version of its Safari (Safari's
    /// `Version/` follows iPadOS's since iPadOS 13; the Mac OS version in the string is
    /// frozen at 10.15.7).
    pub fn as_ipad(self, user_agent: &str) -> Self {
        Self {
            platform: Platform::Ios,
            os: OsFamily::Ios,
            os_version: tokens::version_after(user_agent, "Version/"),
            device: DeviceClass::Tablet,
            ..self
        }
    }
}
