//! Which in-app browsers stop a link from opening the app by itself.
//!
//! Lives here rather than on [`InAppBrowser`] because it is a redirect policy, not a fact
//! about the User-Agent; the match is exhaustive so a new in-app browser forces a choice.

use crate::client::InAppBrowser;

/// Whether this in-app browser blocks both Universal Links and automatic navigation to a
/// custom URI scheme, so the only way into the app is a button the person taps.
///
/// The ones that hand links to Safari or `SFSafariViewController` (WhatsApp, Telegram,
/// Reddit) let a scheme redirect through and are treated like the system browser.
/// An unnamed WebView is assumed to block: a bare WKWebView follows neither.
pub fn blocks_app_open(browser: InAppBrowser) -> bool {
    match browser {
        InAppBrowser::Facebook
        | InAppBrowser::Messenger
        | InAppBrowser::Instagram
        | InAppBrowser::Threads
        | InAppBrowser::LinkedIn
        | InAppBrowser::Twitter
        | InAppBrowser::TikTok
        | InAppBrowser::WeChat
        | InAppBrowser::Line
        | InAppBrowser::Snapchat
        | InAppBrowser::Pinterest
        | InAppBrowser::Gmail
        | InAppBrowser::GoogleApp
        | InAppBrowser::KakaoTalk
        | InAppBrowser::Other => true,
        InAppBrowser::Telegram | InAppBrowser::Reddit | InAppBrowser::WhatsApp => false,
    }
}
