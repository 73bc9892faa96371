//! Browser family, as far as redirects care: does it honour Android `intent://` URLs
//! (Chrome and the Chromium browsers that keep Chrome's intent handling), is it Safari,
//! Firefox, an embedded WebView, or something else.
//!
//! Browsers stack each other's tokens ("Chrome/... Safari/..." is Chrome; "Edg/...
//! Chrome/..." is Edge), so the table is in priority order: the most specific brand first,
//! then the engines they borrow from.

use super::Browser;
use super::tokens::{Token, TokenSet};
use std::sync::LazyLock;

/// What a token says about the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Brand {
    /// A Chromium browser with Chrome's intent handling.
    Chromium,
    /// A browser that is neither of the families we route differently.
    Other,
    Firefox,
    /// A WebKit browser on iOS other than Safari (Chrome, Edge, Firefox for iOS are
    /// covered by their own tokens above this one).
    Safari,
}

/// Browser tokens in priority order: the first entry found wins.
static BRANDS: &[Token<Brand>] = &[
    // Chromium and WebKit browsers that do not behave like Chrome or Safari.
    Token::word_start("UCBrowser", Brand::Other),
    Token::word_start("UCWEB", Brand::Other),
    Token::word_start("MiuiBrowser", Brand::Other),
    Token::word_start("HuaweiBrowser", Brand::Other),
    Token::word_start("HeyTapBrowser", Brand::Other),
    Token::word_start("Puffin", Brand::Other),
    Token::word_start("Opera Mini", Brand::Other),
    Token::word_start("OPiOS", Brand::Other),
    Token::word_start("Presto", Brand::Other),
    Token::word_start("Silk/", Brand::Other),
    Token::word_start("QQBrowser", Brand::Other),
    Token::word_start("MQQBrowser", Brand::Other),
    Token::word_start("Edge/", Brand::Other),
    // Chromium browsers.
    Token::word_start("EdgA/", Brand::Chromium),
    Token::word_start("EdgiOS/", Brand::Chromium),
    Token::word_start("Edg/", Brand::Chromium),
    Token::word_start("SamsungBrowser/", Brand::Chromium),
    Token::word_start("OPR/", Brand::Chromium),
    Token::word_start("OPT/", Brand::Chromium),
    Token::word_start("Brave", Brand::Chromium),
    Token::word_start("Vivaldi/", Brand::Chromium),
    Token::word_start("YaBrowser/", Brand::Chromium),
    Token::word_start("CriOS/", Brand::Chromium),
    Token::word_start("CrMo/", Brand::Chromium),
    Token::word_start("Chromium/", Brand::Chromium),
    Token::word_start("Chrome/", Brand::Chromium),
    // Gecko.
    Token::word_start("FxiOS/", Brand::Firefox),
    Token::word_start("Firefox/", Brand::Firefox),
    Token::word_start("Focus/", Brand::Firefox),
    // Safari last: everyone else carries its token too.
    Token::word_start("Safari/", Brand::Safari),
];

static BRAND_SET: LazyLock<TokenSet<Brand>> = LazyLock::new(|| TokenSet::new(BRANDS));

/// The browser family. `webview` is true when the caller found an in-app or system
/// WebView, which wins over any brand the string borrows.
pub(super) fn detect(ua: &str, webview: bool) -> Browser {
    if webview {
        return Browser::WebView;
    }
    match BRAND_SET.first(ua) {
        Some(Brand::Chromium) => Browser::ChromeFamily,
        Some(Brand::Firefox) => Browser::Firefox,
        // Only Apple's Safari has both "Version/" and "Safari/" without a Chrome token;
        // Android's pre-Chrome stock browser says "Version/4.0 ... Safari/534.30".
        Some(Brand::Safari) if ua.contains("Version/") && !ua.contains("Android") => {
            Browser::Safari
        }
        Some(Brand::Safari | Brand::Other) | None => Browser::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(ua: &str) -> Browser {
        detect(ua, false)
    }

    #[test]
    fn chromium_family() {
        let cases = [
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 EdgA/120.0.0.0",
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 OPR/79.0.0.0",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
        ];
        for ua in cases {
            assert_eq!(family(ua), Browser::ChromeFamily, "{ua}");
        }
    }

    #[test]
    fn safari_firefox_other() {
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
        assert_eq!(family(safari), Browser::Safari);
        let firefox = "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0";
        assert_eq!(family(firefox), Browser::Firefox);
        let stock = "Mozilla/5.0 (Linux; U; Android 4.2.2; fr-fr; CUBOT C11 Build/JDQ39) AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30";
        assert_eq!(family(stock), Browser::Other);
        let uc = "Mozilla/5.0 (Linux; U; Android 10; en-US; RMX2020) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/78.0.3904.108 UCBrowser/13.4.0.1306 Mobile Safari/537.36";
        assert_eq!(family(uc), Browser::Other);
        assert_eq!(detect(safari, true), Browser::WebView);
    }
}
