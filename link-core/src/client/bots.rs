//! Bots: link-preview fetchers, crawlers and tools.
//!
//! Many bots wear a full browser User-Agent (iMessage's preview fetcher is mobile Safari
//! plus `facebookexternalhit/1.1 Facebot Twitterbot/1.0`; Googlebot Smartphone is an
//! Android Chrome string), so what a bot says about itself beats what its string says
//! about a browser. Three layers, most certain first:
//! 1. [`named`]: WhatsApp's preview fetcher (told from WhatsApp's own app traffic by its
//!    shape) and the [`NAMED`] table of bots and tools, in priority order: a preview
//!    fetcher that also names a crawler is a preview fetcher.
//! 2. [`generic`]: signs that hold across the long tail of bots nobody can list: a word
//!    ending in `bot`, `crawler`, `spider`, `monitor` and the like ([`GENERIC_WORDS`]), a
//!    `+http` info URL, a contact e-mail address, a web address or a name inside a browser
//!    string. Phone models that end in "bot" ("CUBOT X19") are not bots.
//! 3. [`by_shape`]: strings that name no platform and no browser, non-browser clients on
//!    desktop Linux, and desktop browser strings with a service's name in front.
//!
//! The kind is a best guess for the generic layers (crawler, or tool for scripts); the
//! redirect decision treats every bot alike and serves it the preview page.

use super::os::{Form, Os};
use super::tokens::{Token, TokenSet};
use super::{BotKind, OsFamily};
use std::sync::LazyLock;

use BotKind::{Crawler, LinkPreview, Tool};

/// Named bots in priority order: the first entry found wins.
static NAMED: &[Token<BotKind>] = &[
    // Link-preview fetchers: they render a card for a link someone shared.
    Token::word_start("facebookexternalhit", LinkPreview),
    Token::word("Facebot", LinkPreview),
    Token::word_start("facebookcatalog", LinkPreview),
    Token::word_start("meta-externalfetcher", LinkPreview),
    Token::word_start("Twitterbot", LinkPreview),
    Token::word_start("Slackbot", LinkPreview),
    Token::word_start("Slack-ImgProxy", LinkPreview),
    Token::word_start("LinkedInBot", LinkPreview),
    Token::word_start("TelegramBot", LinkPreview),
    Token::word_start("Discordbot", LinkPreview),
    Token::word_start("SkypeUriPreview", LinkPreview),
    Token::word_start("MicrosoftPreview", LinkPreview),
    Token::word_start("BingPreview", LinkPreview),
    Token::word_start("Embedly", LinkPreview),
    Token::word_start("Iframely", LinkPreview),
    Token::word_start("redditbot", LinkPreview),
    Token::word_start("Pinterestbot", LinkPreview),
    Token::start("Pinterest/0.", LinkPreview),
    Token::word_start("vkShare", LinkPreview),
    Token::start("Viber", LinkPreview),
    Token::word_start("ViberUrlDownloader", LinkPreview),
    Token::any("Snap URL Preview", LinkPreview),
    Token::word_start("Google-PageRenderer", LinkPreview),
    Token::word_start("Mastodon/", LinkPreview),
    Token::word_start("Pleroma", LinkPreview),
    Token::word_start("Misskey", LinkPreview),
    Token::word_start("Akkoma", LinkPreview),
    Token::word("Cardyb", LinkPreview),
    Token::start("Bluesky", LinkPreview),
    Token::word_start("FlipboardProxy", LinkPreview),
    Token::word_start("kakaotalk-scrap", LinkPreview),
    Token::any("LinkExpander", LinkPreview),
    Token::word_start("Zoombot", LinkPreview),
    // iOS Messages: the app's own fetches (the preview tap opens Safari, never these).
    Token::start("MessagesViewService", LinkPreview),
    Token::start("MessagesNotificationExtension", LinkPreview),
    Token::start("Messages Share Extension", LinkPreview),
    Token::start("Messages/", LinkPreview),
    // Search engines, AI crawlers, archivers, SEO crawlers.
    Token::word_start("Googlebot", Crawler),
    Token::word("-Google", Crawler),
    Token::word_start("Google-", Crawler),
    Token::word_start("GoogleOther", Crawler),
    Token::word_start("Google Favicon", Crawler),
    Token::word_start("GoogleProber", Crawler),
    Token::word_start("GoogleAssociationService", Crawler),
    Token::any("GoogleImageProxy", Crawler),
    Token::any("Google Search Console", Crawler),
    Token::any("Google Page Speed", Crawler),
    Token::word_start("GoogleAdSense", Crawler),
    Token::any("Google Web Preview", Crawler),
    Token::word_start("bingbot", Crawler),
    Token::word_start("msnbot", Crawler),
    Token::word_start("adidxbot", Crawler),
    Token::word_start("Applebot", Crawler),
    Token::word_start("YandexBot", Crawler),
    Token::any("yandex.com/bots", Crawler),
    Token::word_start("Baiduspider", Crawler),
    Token::any("baidu Transcoder", Crawler),
    Token::word_start("DuckDuckBot", Crawler),
    Token::word_start("DuckDuckGo-", Crawler),
    Token::word_start("AhrefsBot", Crawler),
    Token::word_start("SemrushBot", Crawler),
    Token::word_start("GPTBot", Crawler),
    Token::word_start("ChatGPT-User", Crawler),
    Token::word_start("OAI-SearchBot", Crawler),
    Token::word_start("ClaudeBot", Crawler),
    Token::word_start("Claude-", Crawler),
    Token::word_start("anthropic-ai", Crawler),
    Token::word_start("PerplexityBot", Crawler),
    Token::word_start("Perplexity-User", Crawler),
    Token::word_start("CCBot", Crawler),
    Token::word_start("Bytespider", Crawler),
    Token::word_start("Amazonbot", Crawler),
    Token::word_start("meta-externalagent", Crawler),
    Token::word_start("Diffbot", Crawler),
    Token::any("Yahoo! Slurp", Crawler),
    Token::word("Slurp", Crawler),
    Token::word_start("Teoma", Crawler),
    Token::word("Yeti", Crawler),
    Token::word_start("SeznamBot", Crawler),
    Token::word_start("360Spider", Crawler),
    Token::word_start("Qwantify", Crawler),
    Token::word_start("ia_archiver", Crawler),
    Token::word_start("archive.org_bot", Crawler),
    Token::word_start("heritrix", Crawler),
    Token::word("Nutch", Crawler),
    Token::word_start("Scrapy", Crawler),
    Token::word_start("YaCy", Crawler),
    Token::word_start("findlink", Crawler),
    Token::word_start("Ezooms", Crawler),
    Token::word_start("Netcraft", Crawler),
    Token::word_start("Nuzzel", Crawler),
    Token::word_start("Feedly", Crawler),
    Token::word_start("Feedfetcher", Crawler),
    Token::word_start("Seobility", Crawler),
    Token::word_start("Siteimprove", Crawler),
    Token::word_start("Cloudflare", Crawler),
    Token::word_start("BrandVerity", Crawler),
    Token::word_start("ThousandEyes", Crawler),
    Token::word_start("NewsNow", Crawler),
    Token::word_start("PrintFriendly", Crawler),
    Token::word_start("OpenVAS", Crawler),
    // Agents fetching for a person: "ChatGPT-User", "Perplexity-User", "Amzn-User".
    Token::any("-User/", Crawler),
    Token::word_start("W3C_Validator", Crawler),
    Token::word_start("W3C-checklink", Crawler),
    // Scripts, HTTP libraries, headless browsers, monitoring and load tools.
    Token::start("curl/", Tool),
    Token::word_start("libcurl", Tool),
    Token::word_start("Wget", Tool),
    Token::word_start("python-requests", Tool),
    Token::word_start("Python-urllib", Tool),
    Token::start("Python/", Tool),
    Token::word_start("python-httpx", Tool),
    Token::word_start("aiohttp", Tool),
    Token::word_start("Go-http-client", Tool),
    Token::any("Go http package", Tool),
    Token::start("okhttp/", Tool),
    Token::start("Java/", Tool),
    Token::word_start("Apache-HttpClient", Tool),
    Token::any("Commons-HttpClient", Tool),
    Token::word_start("libwww-perl", Tool),
    Token::word_start("LWP::", Tool),
    Token::word_start("WWW-Mechanize", Tool),
    Token::start("axios/", Tool),
    Token::word_start("node-fetch", Tool),
    Token::start("undici", Tool),
    Token::start("got ", Tool),
    Token::start("got/", Tool),
    Token::start("Ruby", Tool),
    Token::word_start("http.rb/", Tool),
    Token::word_start("Faraday v", Tool),
    Token::word_start("GuzzleHttp", Tool),
    Token::start("PHP/", Tool),
    Token::start("WordPress/", Tool),
    Token::word_start("HTTPie", Tool),
    Token::word_start("PostmanRuntime", Tool),
    Token::start("insomnia/", Tool),
    Token::start("Dart/", Tool),
    Token::start("reqwest", Tool),
    Token::start("hyper/", Tool),
    Token::start("Deno/", Tool),
    Token::start("Bun/", Tool),
    Token::word_start("RestSharp", Tool),
    Token::word("HTTPClient", Tool),
    Token::start("HTTP-Tiny", Tool),
    Token::word_start("HeadlessChrome", Tool),
    Token::word_start("PhantomJS", Tool),
    Token::word_start("Puppeteer", Tool),
    Token::word_start("Playwright", Tool),
    Token::word_start("Selenium", Tool),
    Token::word_start("Lighthouse", Tool),
    Token::word("PTST", Tool),
    Token::word_start("GTmetrix", Tool),
    Token::word_start("Pingdom", Tool),
    Token::word_start("UptimeRobot", Tool),
    Token::word_start("Uptime-Kuma", Tool),
    Token::word_start("StatusCake", Tool),
    Token::word_start("Site24x7", Tool),
    Token::word_start("Datadog", Tool),
    Token::word_start("NewRelicPinger", Tool),
    Token::word("Catchpoint", Tool),
    Token::start("Prometheus/", Tool),
    Token::start("Blackbox Exporter", Tool),
    Token::word_start("check_http", Tool),
    Token::word_start("Zabbix", Tool),
    Token::start("collectd/", Tool),
    Token::start("ApacheBench/", Tool),
    Token::word_start("Apache-JMeter", Tool),
    Token::word_start("Gatling", Tool),
    Token::start("k6/", Tool),
    Token::word_start("Nmap", Tool),
    Token::word_start("masscan", Tool),
    Token::word_start("zgrab", Tool),
    Token::word_start("Nikto", Tool),
    Token::word_start("sqlmap", Tool),
    Token::word_start("gobuster", Tool),
    Token::word_start("Nuclei", Tool),
    Token::word_start("Arachni", Tool),
    Token::word_start("WhatWeb", Tool),
    Token::word_start("HTTrack", Tool),
    Token::word_start("SiteSucker", Tool),
    Token::exact_word("splash", Tool),
    // Site audits: security headers, performance, SEO and cookie-consent scanners.
    Token::word_start("SecurityHeaders", Tool),
    Token::word_start("Hardenize", Tool),
    Token::word_start("Silktide", Tool),
    Token::word_start("DareBoost", Tool),
    Token::word_start("Assetnote", Tool),
    Token::word_start("MarketGoo", Tool),
    Token::word_start("LinkTiger", Tool),
    Token::word_start("Functionize", Tool),
    Token::word_start("CookieHub", Tool),
];

static NAMED_SET: LazyLock<TokenSet<BotKind>> = LazyLock::new(|| TokenSet::new(NAMED));

/// Words that mark an automated client when they end a word ("AcmeBot/1.0",
/// "ExampleCrawler", "SiteMonitor", "LinkPreview", "my_spider"). The value says whether
/// the word may also end a camel-case part of a longer name ("AdsTxtCrawlerTP"): only the
/// unmistakable ones may, so "AgentWeb" (an Android browser) stays human.
static GENERIC_WORDS: &[Token<bool>] = &[
    Token::any("bot", true),
    Token::any("crawler", true),
    Token::any("crawl", true),
    Token::any("spider", true),
    Token::any("scraper", true),
    Token::any("robot", true),
    Token::any("robots", true),
    Token::any("checker", true),
    Token::any("validator", true),
    Token::any("fetcher", true),
    Token::any("monitor", true),
    Token::any("linkpreview", true),
    Token::any("check", false),
    Token::any("scanner", false),
    Token::any("monitoring", false),
    Token::any("uptime", false),
    Token::any("synthetic", false),
    Token::any("synthetics", false),
    Token::any("analyzer", false),
    Token::any("inspector", false),
    Token::any("indexer", false),
    Token::any("detector", false),
    Token::any("extractor", false),
    Token::any("resolver", false),
    Token::any("archiver", false),
    Token::any("screenshot", false),
    Token::any("agent", false),
    Token::any("lookup", false),
    Token::any("subscriber", false),
    Token::any("subscribers", false),
    Token::any("scan", false),
    Token::any("scanning", false),
    Token::any("inspect", false),
];

static GENERIC_SET: LazyLock<TokenSet<bool>> = LazyLock::new(|| TokenSet::new(GENERIC_WORDS));

/// Whether `ua` comes from a bot, and which kind.
#[cfg(test)]
fn detect(ua: &str) -> Option<BotKind> {
    named(ua).or_else(|| generic(ua))
}

/// Bots that name themselves: WhatsApp's preview fetcher and the [`NAMED`] table.
pub(super) fn named(ua: &str) -> Option<BotKind> {
    if is_whatsapp_preview(ua) {
        return Some(LinkPreview);
    }
    NAMED_SET.first(ua)
}

/// The generic signs of automation. The caller skips these for strings that name an
/// in-app browser, whose apps append free text (carrier names like "Telekom.de").
pub(super) fn generic(ua: &str) -> Option<BotKind> {
    if has_generic_bot_word(ua) || has_info_url(ua) || has_contact_address(ua) {
        return Some(Crawler);
    }
    if ua.contains("KHTML, like Gecko;") {
        // Browsers close "(KHTML, like Gecko)"; crawlers append their name inside it
        // ("(KHTML, like Gecko; compatible; GPTBot/1.2; ...)").
        return Some(Crawler);
    }
    if has_browser_engine(ua)
        && (ua.contains("http://") || ua.contains("https://") || has_domain_name(ua))
    {
        // Browsers never put a web address in their User-Agent; services that borrow a
        // browser's string add their own.
        return Some(Crawler);
    }
    None
}

/// Signs in the shape of the whole string, given what it says about its system.
pub(super) fn by_shape(ua: &str, os: Os) -> Option<BotKind> {
    let browser = has_browser_engine(ua);
    if os.family == OsFamily::Other && os.form == Form::Unknown && !browser {
        // Neither a platform nor a browser: a script, a service or a probe. People's
        // browsers and apps say what they run on.
        return Some(Tool);
    }
    if os.family == OsFamily::Linux && os.form == Form::Desktop && !browser {
        // A non-browser client on desktop Linux is, in practice, a server-side script;
        // Windows and Mac desktop apps (Office, updaters) are people's software.
        return Some(Tool);
    }
    if os.form == Form::Desktop && ua.find("Mozilla/").is_some_and(|at| at > 0) {
        // "tool-name Mozilla/5.0 (Windows NT 10.0; ...)": a service's name in front of a
        // desktop browser string. Only TVs, feature phones and a few apps prefix their
        // strings, and none of them is a desktop.
        return Some(Crawler);
    }
    None
}

/// Top-level domains that services put in their User-Agents ("example.com/bot",
/// "(scope3.com)", "bit.ly/x").
const TLDS: &[&str] = &[
    "com", "net", "org", "io", "ai", "co", "me", "ly", "gy", "fr", "de", "ru", "uk", "info", "app",
    "dev", "fm", "cc", "jp", "eu", "us", "pl", "nl", "se", "cz", "sh",
];

/// Whether the string carries a host name such as "example.com". Reverse-DNS app ids
/// ("com.facebook.katana", "jp.co.yahoo.android") do not count: there the TLD comes first.
fn has_domain_name(ua: &str) -> bool {
    let bytes = ua.as_bytes();
    ua.match_indices('.').any(|(dot, _)| {
        let label_before = bytes[..dot]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
            .count();
        if label_before < 2 {
            return false;
        }
        let tld_len = bytes[dot + 1..]
            .iter()
            .take_while(|b| b.is_ascii_lowercase())
            .count();
        let tld = &ua[dot + 1..dot + 1 + tld_len];
        let after = bytes.get(dot + 1 + tld_len);
        TLDS.contains(&tld)
            && !after.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'_')
    })
}

/// Whether the string carries a browser, a rendering engine or the HTTP stack of a mobile
/// OS, which every browser and most apps do, and scripts and services seldom bother with.
fn has_browser_engine(ua: &str) -> bool {
    ENGINE_SET.first(ua).is_some()
}

static ENGINES: &[Token<()>] = &[
    // Browser products, including text-mode and legacy browsers people still use.
    Token::word_start("Firefox/", ()),
    Token::word_start("Chrome/", ()),
    Token::word_start("Safari/", ()),
    Token::word_start("Lynx/", ()),
    Token::word("Links", ()),
    Token::word_start("ELinks", ()),
    Token::word_start("w3m/", ()),
    Token::word_start("Mosaic", ()),
    Token::word_start("Dillo/", ()),
    Token::word_start("NetSurf", ()),
    Token::word_start("AppleWebKit", ()),
    Token::word_start("Gecko", ()),
    Token::word_start("KHTML", ()),
    Token::word_start("Trident/", ()),
    Token::word_start("Presto/", ()),
    Token::word("MSIE", ()),
    Token::start("Opera/", ()),
    Token::word_start("NetFront", ()),
    Token::word_start("UCBrowser", ()),
    Token::word_start("UCWEB", ()),
    Token::word_start("Dalvik/", ()),
    Token::word_start("CFNetwork/", ()),
    Token::word_start("Darwin/", ()),
    Token::word_start("okhttp/", ()),
    Token::word_start("Cronet", ()),
    Token::word_start("Alamofire", ()),
];

static ENGINE_SET: LazyLock<TokenSet<()>> = LazyLock::new(|| TokenSet::new(ENGINES));

/// WhatsApp fetches previews as `WhatsApp/2.23.20.0 A` (also ` i`, ` N`, `/i`): a version
/// and a bare platform letter. The app's other traffic says `WhatsApp/2.17 Android/6.0
/// Device/...`, and its in-app browser is a full mobile browser string.
fn is_whatsapp_preview(ua: &str) -> bool {
    let Some(rest) = ua.strip_prefix("WhatsApp/") else {
        return false;
    };
    let tail = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    matches!(tail.trim(), "" | "A" | "i" | "N" | "/A" | "/i" | "/N" | "W")
}

fn has_generic_bot_word(ua: &str) -> bool {
    let bytes = ua.as_bytes();
    let mut found = false;
    GENERIC_SET.for_each(ua, |_, start| {
        if found {
            return;
        }
        let Some((len, camel_ok)) = longest_word_at(bytes, start) else {
            return;
        };
        // The word must end here: what follows may be a version, a separator or nothing,
        // but not more letters ("Robotics", "bottle", "checkout" stay human), except a
        // new camel-case part after a lower-case letter where the word allows it.
        let end = start + len;
        let ends_word = match bytes.get(end) {
            Some(next) if next.is_ascii_lowercase() => false,
            Some(next) if next.is_ascii_uppercase() => {
                camel_ok && bytes[end - 1].is_ascii_lowercase()
            }
            _ => true,
        };
        if !ends_word || (len == 3 && !is_bot_name(ua, start)) {
            return;
        }
        found = true;
    });
    found
}

/// Whether the `bot` at `start` ends a bot's name ("Googlebot", "Streamline3Bot",
/// "ContextAd Bot 1.0"). Device names are not bots: phone brands end in "bot" too
/// ("CUBOT X19", "XBot_Senior", "M bot 54"), and Android User-Agents list the device in
/// parenthesised groups ("(Linux; Android 10; CUBOT J9)", Instagram's "Android (28/9;
/// 480dpi; CUBOT; ...)"). So on Android a `bot` inside parentheses counts only in a group
/// that says "compatible", as crawlers' groups do.
fn is_bot_name(ua: &str, start: usize) -> bool {
    let Some(open) = ua[..start]
        .rfind('(')
        .filter(|&open| !ua[open..start].contains(')'))
    else {
        return true;
    };
    let close = ua[start..].find(')').map_or(ua.len(), |end| start + end);
    !contains_ci(ua, "android") || contains_ci(&ua[open..close], "compatible")
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    super::tokens::find_ci(hay, needle).is_some()
}

/// The longest generic word that starts at `start`, with its camel-case flag.
fn longest_word_at(bytes: &[u8], start: usize) -> Option<(usize, bool)> {
    GENERIC_WORDS
        .iter()
        .filter(|t| {
            bytes
                .get(start..start + t.text.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(t.text.as_bytes()))
        })
        .map(|t| (t.text.len(), t.value))
        .max_by_key(|(len, _)| *len)
}

/// "+http://example.com/bot.html" and "(+https://..." are how crawlers say who they are.
fn has_info_url(ua: &str) -> bool {
    ua.contains("+http") || ua.contains("+ http")
}

/// A contact e-mail address ("crawler@example.com", "help(at)example.com"): browsers never
/// carry one.
fn has_contact_address(ua: &str) -> bool {
    if ua.contains("(at)") || ua.contains("[at]") {
        return true;
    }
    ua.match_indices('@').any(|(at, _)| {
        let before = ua[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        let domain: &str = ua[at + 1..]
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
            .next()
            .unwrap_or("");
        let tld = domain.rsplit('.').next().unwrap_or("");
        before
            && domain.contains('.')
            && tld.len() >= 2
            && tld.bytes().all(|b| b.is_ascii_alphabetic())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const IOS_SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) \
        AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";

    #[test]
    fn link_preview_fetchers() {
        let cases = [
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Mozilla/5.0 (compatible; Facebot/1.0)",
            "Twitterbot/1.0",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "Slack-ImgProxy (+https://api.slack.com/robots)",
            "Slackbot 1.0 (+https://api.slack.com/robots)",
            "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
            "TelegramBot (like TwitterBot)",
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
            "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com",
            "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
            "Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)",
            "Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)",
            "Mozilla/5.0 (compatible; vkShare; +http://vk.com/dev/Share)",
            "Viber",
            "Snap URL Preview Service; bot; snapchat; https://developers.snap.com/robots",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/56.0 \
             Safari/537.36 Google-PageRenderer Google (+https://developers.google.com/+/web/snippet/)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; MicrosoftPreview/2.0; \
             +https://aka.ms/MicrosoftPreview) Chrome/100.0.4896.127 Safari/537.36",
            "http.rb/5.1.1 (Mastodon/4.2.8; +https://mastodon.social/)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Bluesky Cardyb/1.1; \
             +mailto:support@bsky.app) Chrome/W.X.Y.Z Safari/537.36",
            "Iframely/1.3.1 (+https://iframely.com/docs/about)",
            "WhatsApp/2.23.20.0 A",
            "WhatsApp/2.2329.7 i",
            "WhatsApp/2.21.12.21 N",
            "WhatsApp/2.12.15/i",
        ];
        for ua in cases {
            assert_eq!(detect(ua), Some(LinkPreview), "{ua}");
        }
    }

    #[test]
    fn imessage_preview_is_safari_plus_facebook_tokens() {
        let ua = format!("{IOS_SAFARI} facebookexternalhit/1.1 Facebot Twitterbot/1.0");
        assert_eq!(detect(&ua), Some(LinkPreview));
        assert_eq!(detect(IOS_SAFARI), None);
    }

    #[test]
    fn whatsapp_app_traffic_is_not_the_preview_fetcher() {
        assert_eq!(
            detect("WhatsApp/2.17.427 Android/7.0 Device/motorola-Moto_C_Plus"),
            None
        );
        assert!(!is_whatsapp_preview(
            "WhatsApp/2.17.427 Android/7.0 Device/x"
        ));
    }

    #[test]
    fn crawlers() {
        let cases = [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, \
             like Gecko) Chrome/124.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; \
             +http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) \
             Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
            "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
            "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
            "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
            "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
            "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)",
            "CCBot/2.0 (https://commoncrawl.org/faq/)",
            "AcmeCrawler/0.9",
            "some_spider",
            "Mozilla/5.0 (compatible; ExampleBot/1.0)",
            "Mozilla/5.0 (compatible; Ezooms/1.0; help@moz.com)",
        ];
        for ua in cases {
            assert_eq!(detect(ua), Some(Crawler), "{ua}");
        }
    }

    #[test]
    fn tools() {
        let cases = [
            "curl/8.4.0",
            "Wget/1.21.4",
            "python-requests/2.31.0",
            "Go-http-client/2.0",
            "okhttp/4.12.0",
            "Java/17.0.2",
            "libwww-perl/6.72",
            "axios/1.6.2",
            "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
            "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
        ];
        for ua in cases {
            assert_eq!(detect(ua), Some(Tool), "{ua}");
        }
    }

    #[test]
    fn people_are_not_bots() {
        let cases = [
            IOS_SAFARI,
            "Mozilla/5.0 (Linux; Android 10; CUBOT J9) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/88.0.4324.152 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 7.0; M bot 54) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/78.0.3904.96 Mobile Safari/537.36",
            "Mozilla/5.0 (X11; Linux i686) AppleWebKit/534.30 (KHTML, like Gecko) \
             Slackware/Chrome/12.0.742.100 Safari/534.30",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/124.0.0.0 Safari/537.36",
            "Pinterest for Android/9.0.4 (K83CA; 9)",
            "NRC Audio/2.0.0 (nl.nrc.audio; build:29; Android 12; Sdk:31) OkHttp/4.9.3",
        ];
        for ua in cases {
            assert_eq!(detect(ua), None, "{ua}");
        }
    }
}
