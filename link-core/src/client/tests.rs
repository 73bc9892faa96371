//! End-to-end tests of [`classify`]: one representative User-Agent per rule family,
//! checked on every field the redirect decision reads.

use super::*;

const IPHONE_SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 \
    (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
const IPAD_SAFARI: &str = "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 \
    (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1";
const IOS_WEBVIEW: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 \
    (KHTML, like Gecko) Mobile/15E148";
const ANDROID_CHROME: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 \
    (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36";
const ANDROID_WEBVIEW: &str = "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) \
    AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36";

fn info(
    platform: Platform,
    os: OsFamily,
    os_version: Option<(u16, u16)>,
    device: DeviceClass,
    browser: Browser,
) -> ClientInfo {
    ClientInfo {
        platform,
        os,
        os_version,
        device,
        browser,
        in_app: None,
        bot: None,
        vendor: None,
    }
}

#[test]
fn iphone_safari() {
    let expected = info(
        Platform::Ios,
        OsFamily::Ios,
        Some((17, 4)),
        DeviceClass::Mobile,
        Browser::Safari,
    );
    assert_eq!(classify(IPHONE_SAFARI), expected);
}

#[test]
fn ipad_safari() {
    let expected = info(
        Platform::Ios,
        OsFamily::Ios,
        Some((16, 6)),
        DeviceClass::Tablet,
        Browser::Safari,
    );
    assert_eq!(classify(IPAD_SAFARI), expected);
}

#[test]
fn ipados_presenting_as_a_mac() {
    // In-app browsers and WebViews on iPad keep "Mobile/" while claiming to be a Mac.
    let webview = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
                   (KHTML, like Gecko) Mobile/15E148";
    let c = classify(webview);
    assert_eq!(
        (c.platform, c.os, c.device),
        (Platform::Ios, OsFamily::Ios, DeviceClass::Tablet)
    );
    let facebook =
        format!("{webview} [FBAN/FBIOS;FBAV/450.0.0.38.108;FBDV/iPad13,18;FBMD/iPad;FBSN/iPadOS]");
    let c = classify(&facebook);
    assert_eq!(
        (c.platform, c.device, c.in_app),
        (
            Platform::Ios,
            DeviceClass::Tablet,
            Some(InAppBrowser::Facebook)
        )
    );
    // iPadOS's Firefox asks for desktop sites as a Mac but keeps its iOS token.
    let firefox = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
                   (KHTML, like Gecko) FxiOS/124.0 Safari/605.1.15";
    let c = classify(firefox);
    assert_eq!(
        (c.platform, c.os, c.device),
        (Platform::Ios, OsFamily::Ios, DeviceClass::Tablet)
    );
    assert!(!c.maybe_ipad());
    // Safari's own desktop-class string cannot be told from a Mac's.
    let safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
                  (KHTML, like Gecko) Version/17.4 Safari/605.1.15";
    let expected = info(
        Platform::Desktop,
        OsFamily::Macos,
        Some((10, 15)),
        DeviceClass::Desktop,
        Browser::Safari,
    );
    assert_eq!(classify(safari), expected);
    // So it is a maybe: the device-check page asks the touch screen, and the answer
    // "iPad" makes it iPadOS at its Safari's version.
    assert!(expected.maybe_ipad());
    assert_eq!(
        expected.as_ipad(safari),
        info(
            Platform::Ios,
            OsFamily::Ios,
            Some((17, 4)),
            DeviceClass::Tablet,
            Browser::Safari,
        )
    );
    let mac_chrome = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
                      (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
    for not_an_ipad in [mac_chrome, IPAD_SAFARI, IPHONE_SAFARI, webview, &facebook] {
        assert!(!classify(not_an_ipad).maybe_ipad(), "{not_an_ipad}");
    }
    let bot = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
               (KHTML, like Gecko) Version/17.4 Safari/605.1.15 (Applebot/0.1)";
    assert!(!classify(bot).maybe_ipad());
}

#[test]
fn android_browsers() {
    let expected = info(
        Platform::Android,
        OsFamily::Android,
        Some((14, 0)),
        DeviceClass::Mobile,
        Browser::ChromeFamily,
    );
    assert_eq!(classify(ANDROID_CHROME), expected);

    let samsung = "Mozilla/5.0 (Linux; Android 8.1.0; SAMSUNG SM-G960F) AppleWebKit/537.36 \
                   (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36";
    let expected = info(
        Platform::Android,
        OsFamily::Android,
        Some((8, 1)),
        DeviceClass::Mobile,
        Browser::ChromeFamily,
    );
    let expected = ClientInfo {
        vendor: Some(DeviceVendor::Samsung),
        ..expected
    };
    assert_eq!(classify(samsung), expected);

    let tablet = "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) \
                  Chrome/120.0.0.0 Safari/537.36";
    assert_eq!(classify(tablet).device, DeviceClass::Tablet);

    let firefox = "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0";
    let c = classify(firefox);
    assert_eq!(
        (c.platform, c.browser, c.vendor),
        (Platform::Android, Browser::Firefox, None)
    );
    // A maker is an Android fact: a Samsung-made Windows laptop is just a desktop.
    let laptop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; SAMSUNG) Chrome/124.0 Safari/537.36";
    assert_eq!(classify(laptop).vendor, None);
}

#[test]
fn bare_webviews_are_unnamed_in_app_browsers() {
    let c = classify(ANDROID_WEBVIEW);
    assert_eq!(
        (c.platform, c.browser, c.in_app),
        (
            Platform::Android,
            Browser::WebView,
            Some(InAppBrowser::Other)
        )
    );
    let c = classify(IOS_WEBVIEW);
    assert_eq!(
        (c.platform, c.browser, c.in_app),
        (Platform::Ios, Browser::WebView, Some(InAppBrowser::Other))
    );
}

#[test]
fn desktops() {
    let windows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                   Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80";
    let expected = info(
        Platform::Desktop,
        OsFamily::Windows,
        Some((10, 0)),
        DeviceClass::Desktop,
        Browser::ChromeFamily,
    );
    assert_eq!(classify(windows), expected);

    let linux = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";
    let expected = info(
        Platform::Desktop,
        OsFamily::Linux,
        None,
        DeviceClass::Desktop,
        Browser::Firefox,
    );
    assert_eq!(classify(linux), expected);

    let chromebook = "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) \
                      Chrome/120.0.0.0 Safari/537.36";
    let c = classify(chromebook);
    assert_eq!(
        (c.platform, c.os, c.device),
        (Platform::Desktop, OsFamily::ChromeOs, DeviceClass::Desktop)
    );
}

#[test]
fn impostors_and_appliances() {
    let windows_phone = "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) \
                         AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.15063";
    let c = classify(windows_phone);
    assert_eq!((c.platform, c.os), (Platform::Other, OsFamily::Other));

    let fire_tv = "Mozilla/5.0 (Linux; Android 9; AFTKA Build/PS7624.3337N; wv) AppleWebKit/537.36 \
                   (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.179 Mobile Safari/537.36";
    let c = classify(fire_tv);
    assert_eq!(
        (c.platform, c.os, c.device),
        (Platform::Other, OsFamily::Android, DeviceClass::Other)
    );

    let apple_tv = "AppleCoreMedia/1.0.0.18J383 (Apple TV; U; CPU OS 14_0 like Mac OS X; en_us)";
    let c = classify(apple_tv);
    assert_eq!(
        (c.platform, c.os, c.os_version),
        (Platform::Other, OsFamily::Ios, Some((14, 0)))
    );
}

/// Windows Phone and BlackBerry OS have no app of ours; they are `Other`, with the system
/// named for `$windows_phone_url` and `$blackberry_url`. BlackBerry's Android phones are
/// Android's.
#[test]
fn legacy_phones_name_their_system() {
    for (ua, want) in [
        (
            "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 \
             (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.15063",
            DeviceVendor::Microsoft,
        ),
        (
            "Mozilla/5.0 (Mobile; Windows Phone 8.1; Android 4.0; ARM; Trident/7.0; Touch; rv:11.0; \
             IEMobile/11.0; NOKIA; Lumia 635) like iPhone OS 7_0_3 Mac OS X AppleWebKit/537 \
             (KHTML, like Gecko) Mobile Safari/537",
            DeviceVendor::Microsoft,
        ),
        (
            "Mozilla/4.0 (compatible; MSIE 7.0; Windows Phone OS 7.0; Trident/3.1; IEMobile/7.0; LG; GW910)",
            DeviceVendor::Microsoft,
        ),
        (
            "Mozilla/5.0 (BB10; Touch) AppleWebKit/537.10+ (KHTML, like Gecko) Version/10.0.9.2372 \
             Mobile Safari/537.10+",
            DeviceVendor::BlackBerry,
        ),
        (
            "Mozilla/5.0 (BlackBerry; U; BlackBerry 9900; en) AppleWebKit/534.11+ (KHTML, like Gecko) \
             Version/7.1.0.346 Mobile Safari/534.11+",
            DeviceVendor::BlackBerry,
        ),
        (
            "BlackBerry9700/5.0.0.862 Profile/MIDP-2.1 Configuration/CLDC-1.1 VendorID/331",
            DeviceVendor::BlackBerry,
        ),
        (
            "Mozilla/5.0 (PlayBook; U; RIM Tablet OS 2.1.0; en-US) AppleWebKit/536.2+ (KHTML, like Gecko) \
             Version/7.2.1.0 Safari/536.2+",
            DeviceVendor::BlackBerry,
        ),
    ] {
        let c = classify(ua);
        assert_eq!(
            (c.platform, c.vendor),
            (Platform::Other, Some(want)),
            "{ua}"
        );
        assert!(!c.is_bot(), "{ua}");
    }

    let keyone = "Mozilla/5.0 (Linux; Android 7.1.1; BBB100-1 Build/NMF26F) AppleWebKit/537.36 \
                  (KHTML, like Gecko) Chrome/58.0.3029.83 Mobile Safari/537.36";
    let c = classify(keyone);
    assert_eq!((c.platform, c.vendor), (Platform::Android, None));
    let desktop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                   Chrome/124.0.0.0 Safari/537.36";
    assert_eq!(classify(desktop).vendor, None);
}

/// Each app's token appended to the system WebView of both platforms.
#[test]
fn in_app_browsers_on_ios_and_android() {
    use InAppBrowser as App;
    let cases: &[(App, &str, &str)] = &[
        (
            App::Facebook,
            "[FBAN/FBIOS;FBAV/449.0.0.41.111;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.3.1;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBCR/Telekom.de]",
            "[FB_IAB/FB4A;FBAV/450.0.0.42.109;]",
        ),
        (
            App::Messenger,
            "[FBAN/MessengerForiOS;FBAV/450.0.0.38.108;FBDV/iPhone15,2;FBSN/iOS]",
            "[FB_IAB/Orca-Android;FBAV/450.0.0.42.109;]",
        ),
        (
            App::Instagram,
            "Instagram 321.0.2.19.104 (iPhone14,5; iOS 17_3_1; en_US; en; scale=3.00; 1170x2532; 565181720)",
            "Instagram 321.0.0.39.106 Android (34/14; 420dpi; 1080x2400; Google/google; Pixel 7; panther; en_US; 565181726)",
        ),
        (
            App::Threads,
            "Barcelona 379.0.0.26.99 (iPhone18,5; iOS 26_3_1; en_GB; en-GB; scale=3.00; 1170x2532)",
            "Barcelona 355.0.0.39.109 Android (34/14; 420dpi; 1080x2205; Google/google; Pixel 8)",
        ),
        (
            App::TikTok,
            "BytedanceWebview/d8a21c6 musical_ly_33.2.1 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/US",
            "trill_330403 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/musical_ly app_version/33.4.3 ByteLocale/en Region/US",
        ),
        (
            App::WeChat,
            "MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN",
            "XWEB/1160065 MMWEBSDK/20231202 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/WIFI",
        ),
        (
            App::LinkedIn,
            "[LinkedInApp]/9.29.6424",
            "[LinkedInApp]/4.1.915",
        ),
        (App::Twitter, "Twitter for iPhone/10.34", "TwitterAndroid"),
        (App::Line, "Safari Line/14.3.0", "Line/14.3.1/IAB"),
        (
            App::Snapchat,
            "Snapchat/12.72.0.39 (like Safari/8617.2.4.10.8, panda)",
            "Snapchat/12.73.0.36 (Pixel 7; Android 14; gzip)",
        ),
        (App::Pinterest, "[Pinterest/iOS]", "[Pinterest/Android]"),
        (App::Gmail, "GmailApp/6.0.240211", "GmailAndroid/2024.03.10"),
        (
            App::GoogleApp,
            "GSA/309.0.616685607 Safari/604.1",
            "GSA/15.12.19.29.arm64",
        ),
        (
            App::Telegram,
            "Telegram-iOS/10.9",
            "Telegram-Android/10.9.1",
        ),
        (App::KakaoTalk, "KAKAOTALK 10.6.5", "KAKAOTALK 2409760"),
        (
            App::Reddit,
            "Reddit/Version 2024.10.0/Build 1476019/iOS Version 17.4",
            "Reddit/Version 2024.10.0/Build 1476019/Android 14",
        ),
        (App::WhatsApp, "WhatsApp/24.6.77", "[WA4A/2.25.32.75;]"),
    ];
    for (app, ios_suffix, android_suffix) in cases {
        for (base, platform, suffix) in [
            (IOS_WEBVIEW, Platform::Ios, ios_suffix),
            (ANDROID_WEBVIEW, Platform::Android, android_suffix),
        ] {
            let ua = format!("{base} {suffix}");
            let c = classify(&ua);
            assert_eq!(c.in_app, Some(*app), "{ua}");
            assert_eq!(
                (c.platform, c.browser, c.bot),
                (platform, Browser::WebView, None),
                "{ua}"
            );
        }
    }
}

#[test]
fn link_preview_fetchers() {
    let imessage = format!("{IPHONE_SAFARI} facebookexternalhit/1.1 Facebot Twitterbot/1.0");
    let cases = [
        imessage.as_str(),
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0 (compatible; Facebot/1.0)",
        "Twitterbot/1.0",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Slack-ImgProxy (+https://api.slack.com/robots)",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "WhatsApp/2.23.20.0 A",
        "WhatsApp/2.2329.7 i",
        "WhatsApp/2.21.12.21 N",
        "TelegramBot (like TwitterBot)",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com",
        "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
        "Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)",
        "Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)",
        "Mozilla/5.0 (compatible; vkShare; +http://vk.com/dev/Share)",
        "Viber",
        "Snap URL Preview Service; bot; snapchat; https://developers.snap.com/robots",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/56.0.2924.87 \
         Safari/537.36 Google-PageRenderer Google (+https://developers.google.com/+/web/snippet/)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; MicrosoftPreview/2.0; \
         +https://aka.ms/MicrosoftPreview) Chrome/100.0.4896.127 Safari/537.36",
        "http.rb/5.1.1 (Mastodon/4.2.8; +https://mastodon.social/)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Bluesky Cardyb/1.1; \
         +mailto:support@bsky.app) Chrome/W.X.Y.Z Safari/537.36",
        "Iframely/1.3.1 (+https://iframely.com/docs/about)",
    ];
    for ua in cases {
        let c = classify(ua);
        assert_eq!(
            (c.bot, c.device, c.in_app),
            (Some(BotKind::LinkPreview), DeviceClass::Bot, None),
            "{ua}"
        );
    }
    // Bots keep the platform their string implies.
    assert_eq!(classify(&imessage).platform, Platform::Ios);
}

#[test]
fn whatsapp_app_traffic_is_not_its_preview_fetcher() {
    let c = classify("WhatsApp/2.17.427 Android/7.0 Device/motorola-Moto_C_Plus");
    assert_eq!(
        (c.bot, c.in_app, c.platform),
        (None, Some(InAppBrowser::WhatsApp), Platform::Android)
    );
}

#[test]
fn crawlers_and_tools() {
    let googlebot_smartphone = "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 \
        (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36 (compatible; Googlebot/2.1; \
        +http://www.google.com/bot.html)";
    let c = classify(googlebot_smartphone);
    assert_eq!(
        (c.bot, c.device, c.platform),
        (Some(BotKind::Crawler), DeviceClass::Bot, Platform::Android)
    );

    for ua in [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) \
         Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
        "Mozilla/5.0 (compatible; AcmeCrawler/0.9)",
    ] {
        assert_eq!(classify(ua).bot, Some(BotKind::Crawler), "{ua}");
    }
    for ua in [
        "curl/8.4.0",
        "python-requests/2.31.0",
        "Go-http-client/2.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
        "some-internal-script",
    ] {
        let c = classify(ua);
        assert_eq!(
            (c.bot, c.device),
            (Some(BotKind::Tool), DeviceClass::Bot),
            "{ua}"
        );
    }
}

#[test]
fn empty_is_unknown() {
    assert_eq!(classify(""), ClientInfo::UNKNOWN);
    assert_eq!(classify(" \t "), ClientInfo::UNKNOWN);
}

#[test]
fn huge_headers_are_cheap_and_safe() {
    let garbage: String = (0..16 * 1024)
        .map(|i| char::from(b' ' + (i % 94) as u8))
        .collect();
    let started = std::time::Instant::now();
    let _ = classify(&garbage);
    // Generous even for an unoptimised build: the point is "not quadratic".
    assert!(
        started.elapsed() < std::time::Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );

    // Only the first MAX_SCAN_BYTES are read: a real string in front still counts.
    let padded = format!("{IPHONE_SAFARI} {}", "x".repeat(16 * 1024));
    assert_eq!(classify(&padded).platform, Platform::Ios);
}

#[test]
fn non_ascii_input_never_panics() {
    let samples = [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) 日本語のブラウザ Safari/604.1",
        "Подкасты/1520.39 CFNetwork/1206 Darwin/20.1.0",
        "\u{feff}\u{200b}Mozilla/5.0 (Linux; Android 14) 🙂 Chrome/124 Mobile Safari/537.36",
        "\u{0}\u{1}\u{7f}\u{80}\u{ffff}",
        "é",
    ];
    for ua in samples {
        let _ = classify(ua);
    }
    assert_eq!(classify(samples[1]).os, OsFamily::Ios);

    // Pseudo-random strings of ASCII and multi-byte characters, cut at every length.
    let alphabet: Vec<char> = "aZ09 ;()/._-é日🙂\u{0}Mozilla AndroidiPhone bot"
        .chars()
        .collect();
    let mut state: u32 = 0x9e37_79b9;
    for _ in 0..200 {
        let len = (state % 300) as usize;
        let s: String = (0..len)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                alphabet[(state >> 8) as usize % alphabet.len()]
            })
            .collect();
        let _ = classify(&s);
    }
}
