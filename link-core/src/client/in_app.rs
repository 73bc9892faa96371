//! In-app browsers: the WebViews that social and messaging apps open links in.
//!
//! They matter because most of them block Universal Links, App Links and custom-scheme
//! redirects, so the decision sends them to an interstitial with an "open in app" button.
//! Apps name themselves with a token appended to the system WebView's User-Agent; the
//! table below lists those tokens, most specific first (Messenger and Instagram before
//! Facebook, whose tokens they may share). A WebView that names no app we know is still a
//! WebView: Android's `; wv)` and an iOS `Mobile/` build without `Safari/` give it away.
//!
//! App names are matched in their own spelling ("Instagram", "TikTok"), so the same word
//! in a host name or an e-mail address ("@tiktok.com") does not count.

use super::InAppBrowser;
use super::tokens::{Token, TokenSet};
use std::sync::LazyLock;

use InAppBrowser as App;

/// App tokens in priority order: the first entry found wins.
static APPS: &[Token<InAppBrowser>] = &[
    // Meta's apps share the FBAN/FBAV vocabulary; the app is in FBAN or FB_IAB.
    Token::any("FBAN/Messenger", App::Messenger),
    Token::any("FB_IAB/MESSENGER", App::Messenger),
    Token::any("FB_IAB/Orca", App::Messenger),
    Token::any("FBAN/Orca", App::Messenger),
    Token::word_start("Orca-Android", App::Messenger),
    Token::exact_word("Barcelona", App::Threads),
    Token::exact_word("Instagram", App::Instagram),
    Token::any("FBAN/", App::Facebook),
    Token::any("FBAV/", App::Facebook),
    Token::any("FB_IAB/", App::Facebook),
    Token::word("FB4A", App::Facebook),
    Token::word("FBIOS", App::Facebook),
    Token::word("MetaIAB", App::Facebook),
    Token::word_start("LinkedInApp", App::LinkedIn),
    Token::word_start("TwitterAndroid", App::Twitter),
    Token::any("Twitter for iPhone", App::Twitter),
    Token::any("Twitter for iPad", App::Twitter),
    Token::any("Twitter for Android", App::Twitter),
    Token::word_start("BytedanceWebview", App::TikTok),
    Token::word_start("musical_ly", App::TikTok),
    Token::word_start("trill_", App::TikTok),
    Token::word_start("ByteLocale", App::TikTok),
    Token::exact_word("TikTok", App::TikTok),
    Token::word_start("MicroMessenger", App::WeChat),
    Token::word_start("WindowsWechat", App::WeChat),
    Token::word("Weixin", App::WeChat),
    Token::exact_word_start("Line/", App::Line),
    Token::exact_word("Snapchat", App::Snapchat),
    Token::exact_word("Pinterest", App::Pinterest),
    Token::exact_word_start("Gmail", App::Gmail),
    Token::word_start("GSA/", App::GoogleApp),
    Token::word_start("GoogleApp/", App::GoogleApp),
    // The Google app's own HTTP stack names its bundle: iOS, Android, Google Go.
    Token::any("com.google.GoogleMobile", App::GoogleApp),
    Token::any("com.google.android.googlequicksearchbox", App::GoogleApp),
    Token::any("com.google.android.apps.searchlite", App::GoogleApp),
    Token::exact_word("Telegram", App::Telegram),
    Token::word("KAKAOTALK", App::KakaoTalk),
    Token::exact_word_start("Reddit/", App::Reddit),
    Token::word_start("WhatsApp", App::WhatsApp),
    Token::word_start("WA4A/", App::WhatsApp),
];

static APP_SET: LazyLock<TokenSet<InAppBrowser>> = LazyLock::new(|| TokenSet::new(APPS));

/// The app named in the User-Agent, if any.
pub(super) fn named_app(ua: &str) -> Option<InAppBrowser> {
    APP_SET.first(ua)
}

/// A system WebView whose host app does not name itself.
///
/// - Android: Chrome's WebView adds `wv` to the platform part (`...; wv)`).
/// - iOS: WKWebView keeps the `Mobile/15E148` build token but, unlike Safari and every
///   browser built on it, sends no `Safari/` token.
pub(super) fn is_generic_webview(ua: &str) -> bool {
    if ua.contains("; wv)") {
        return true;
    }
    let apple_mobile = ua.contains("iPhone") || ua.contains("iPad") || ua.contains("iPod");
    apple_mobile && ua.contains(" Mobile/") && !ua.contains("Safari/")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANDROID_WV: &str = "Mozilla/5.0 (Linux; Android 13; SM-A236M Build/TP1A.220624.014; wv) \
        AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/115.0.5790.138 Mobile Safari/537.36";
    const IOS_WV: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) \
        AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";

    fn app(suffix: &str, base: &str) -> Option<InAppBrowser> {
        named_app(&format!("{base} {suffix}"))
    }

    #[test]
    fn meta_apps_are_told_apart() {
        assert_eq!(
            app("[FB_IAB/FB4A;FBAV/357.0.0.23.115;]", ANDROID_WV),
            Some(App::Facebook)
        );
        assert_eq!(
            app("[FBAN/FBIOS;FBAV/91.0.0.41.73;FBDV/iPhone8,1]", IOS_WV),
            Some(App::Facebook)
        );
        assert_eq!(
            app("[FB_IAB/Orca-Android;FBAV/167.0.0.28.94;]", ANDROID_WV),
            Some(App::Messenger)
        );
        assert_eq!(
            app("[FBAN/MessengerForiOS;FBAV/122.0.0.40.69]", IOS_WV),
            Some(App::Messenger)
        );
        assert_eq!(
            app(
                "Instagram 301.0.0.33.110 Android (33/13; 450dpi)",
                ANDROID_WV
            ),
            Some(App::Instagram)
        );
        assert_eq!(
            app("Instagram 142.0.0.22.109 (iPhone12,5; iOS 14_1)", IOS_WV),
            Some(App::Instagram)
        );
        assert_eq!(
            app("Barcelona 355.0.0.39.109 Android (34/14)", ANDROID_WV),
            Some(App::Threads)
        );
    }

    #[test]
    fn other_apps_on_both_platforms() {
        let cases = [
            ("[LinkedInApp]/2.200.63", App::LinkedIn),
            ("TwitterAndroid", App::Twitter),
            ("Twitter for iPhone/10.34", App::Twitter),
            (
                "BytedanceWebview/d8a21c6 musical_ly_33.2.1 JsSdk/2.0",
                App::TikTok,
            ),
            ("trill_2022109040 JsSdk/1.0 NetType/MOBILE", App::TikTok),
            (
                "MicroMessenger/8.0.15.2001(0x28000F41) NetType/WIFI",
                App::WeChat,
            ),
            ("Line/12.10.1/IAB", App::Line),
            ("Safari Line/8.4.1", App::Line),
            (
                "Snapchat/12.72.0.39 (like Safari/8617.2.4.10.8, panda)",
                App::Snapchat,
            ),
            ("[Pinterest/Android]", App::Pinterest),
            ("[Pinterest/iOS]", App::Pinterest),
            ("GmailApp/6.0", App::Gmail),
            ("GSA/11.18.11.21.arm64", App::GoogleApp),
            (
                "GSA/300.0.598214613 Mobile/15E148 Safari/604.1",
                App::GoogleApp,
            ),
            ("Telegram-Android/10.0", App::Telegram),
            ("KAKAOTALK 8.6.3", App::KakaoTalk),
            (
                "Reddit/Version 2022.28.0/Build 533235/Android 12",
                App::Reddit,
            ),
            ("[WA4A/2.25.32.75;]", App::WhatsApp),
        ];
        for (suffix, expected) in cases {
            for base in [ANDROID_WV, IOS_WV] {
                assert_eq!(app(suffix, base), Some(expected), "{suffix}");
            }
        }
        assert_eq!(
            named_app("Mozilla/5.0 (Linux; Android 10) Chrome/96 Safari/537.36Snapchat11.59.0.35"),
            Some(App::Snapchat)
        );
    }

    #[test]
    fn plain_browsers_name_no_app() {
        let chrome = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
                      Chrome/124.0.0.0 Mobile Safari/537.36";
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 \
                      (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
        let linux =
            "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0 Online/1";
        for ua in [chrome, safari, linux] {
            assert_eq!(named_app(ua), None, "{ua}");
            assert!(!is_generic_webview(ua), "{ua}");
        }
    }

    #[test]
    fn generic_webviews() {
        assert!(is_generic_webview(ANDROID_WV));
        assert!(is_generic_webview(IOS_WV));
    }
}
