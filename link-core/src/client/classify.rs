//! [`classify`]: a User-Agent string in, a [`ClientInfo`] out.
//!
//! How the rules combine:
//! 1. Operating system and form factor from our own markers ([`super::os`]), which know the
//!    impostors (Windows Phone, iPadOS as a Mac, Chromebooks running Android apps); woothee
//!    fills in the long tail we have no marker for (feature phones, consoles, carriers)
//!    and contributes its crawler and HTTP-library lists for those strings.
//! 2. Bots ([`super::bots`]): a bot that names itself always wins, because many wear a full
//!    browser string. The generic signs of automation are not applied to strings that name
//!    an in-app browser ([`super::in_app`]): apps append free text to their WebView's string.
//! 3. In-app browser and browser family ([`super::browser`]) for everyone else.
//! 4. Platform, the one thing the redirect decision branches on, derived from the above.
//!
//! Pure, and allocation-free except inside woothee's fallback. Safe on any input: only the
//! first [`MAX_SCAN_BYTES`] bytes are read, so a 16 KB header costs no more than a 2 KB one.

use super::{BotKind, ClientInfo, DeviceClass, OsFamily, Platform};
use super::{bots, browser, in_app, os, vendor};
use os::{Form, Os};

/// Bytes of a User-Agent that are looked at. Real User-Agents stay well under 1 KB (the
/// longest are Facebook's in-app strings, around 500 bytes); anything past this is
/// padding or an attack, and only costs the sender a less precise answer.
pub const MAX_SCAN_BYTES: usize = 2048;

/// Classifies a User-Agent. An empty or `-` User-Agent is [`ClientInfo::UNKNOWN`].
pub fn classify(user_agent: &str) -> ClientInfo {
    let ua = truncate(user_agent.trim(), MAX_SCAN_BYTES);
    if ua.is_empty() || ua == "-" {
        return ClientInfo::UNKNOWN;
    }

    let (os, woothee_bot) = match os::detect(ua) {
        Some(os) => (os, None),
        None => woothee_fallback(ua),
    };
    // An app that names itself in its WebView is a person reading in that app, whatever
    // else its string carries (carrier names, build ids); only a bot that names itself
    // overrides that.
    let app = in_app::named_app(ua);
    let bot = bots::named(ua).or_else(|| {
        if app.is_some() {
            return None;
        }
        bots::generic(ua)
            .or(woothee_bot)
            .or_else(|| bots::by_shape(ua, os))
    });

    let in_app = if bot.is_some() {
        None
    } else {
        app.or_else(|| in_app::is_generic_webview(ua).then_some(super::InAppBrowser::Other))
    };

    ClientInfo {
        platform: platform(os),
        os: os.family,
        os_version: os.version,
        device: if bot.is_some() {
            DeviceClass::Bot
        } else {
            device(os.form)
        },
        browser: browser::detect(ua, in_app.is_some()),
        in_app,
        bot,
        vendor: match (os.family, bot) {
            (OsFamily::Android, None) => vendor::detect(ua),
            (OsFamily::Other, None) => os::legacy_phone(ua),
            _ => None,
        },
    }
}

/// Where the redirect decision sends this client. Phones and tablets get their store;
/// TVs, watches and consoles running iOS or Android do not.
fn platform(os: Os) -> Platform {
    match (os.family, os.form) {
        (_, Form::Appliance) => Platform::Other,
        (OsFamily::Ios, _) => Platform::Ios,
        (OsFamily::Android, _) => Platform::Android,
        (
            OsFamily::Windows | OsFamily::Macos | OsFamily::Linux | OsFamily::ChromeOs,
            Form::Desktop,
        ) => Platform::Desktop,
        _ => Platform::Other,
    }
}

fn device(form: Form) -> DeviceClass {
    match form {
        Form::Phone => DeviceClass::Mobile,
        Form::Tablet => DeviceClass::Tablet,
        Form::Desktop => DeviceClass::Desktop,
        Form::Appliance | Form::Unknown => DeviceClass::Other,
    }
}

/// Woothee's verdict for strings none of our OS markers recognise: the system, and
/// whether its crawler and HTTP-library lists know the string.
fn woothee_fallback(ua: &str) -> (Os, Option<BotKind>) {
    let parsed = woothee::parser::Parser::new().parse(ua);
    let (name, category, os_name) = match &parsed {
        Some(r) => (r.name, r.category, r.os),
        None => ("", "", ""),
    };
    let bot = match (category, name) {
        ("crawler", _) => Some(BotKind::Crawler),
        (_, "HTTP Library") => Some(BotKind::Tool),
        _ => None,
    };
    let family = match os_name {
        "iPhone" | "iPad" | "iPod" | "iOS" => OsFamily::Ios,
        "Android" => OsFamily::Android,
        "Mac OSX" | "Mac OS Classic" => OsFamily::Macos,
        "Linux" => OsFamily::Linux,
        "ChromeOS" => OsFamily::ChromeOs,
        windows
            if windows.starts_with("Windows")
                && windows != "Windows Phone OS"
                && windows != "Windows CE" =>
        {
            OsFamily::Windows
        }
        _ => OsFamily::Other,
    };
    let form = match (os_name, category) {
        ("iPad", _) => Form::Tablet,
        (_, "smartphone" | "mobilephone") => Form::Phone,
        (_, "pc") => Form::Desktop,
        (_, "appliance") => Form::Appliance,
        _ => Form::Unknown,
    };
    (
        Os {
            family,
            version: None,
            form,
        },
        bot,
    )
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("héllo", 3), "hé");
        assert_eq!(truncate("abc", 10), "abc");
    }

    #[test]
    fn empty_and_dash_are_unknown() {
        assert_eq!(classify(""), ClientInfo::UNKNOWN);
        assert_eq!(classify("   "), ClientInfo::UNKNOWN);
        assert_eq!(classify("-"), ClientInfo::UNKNOWN);
    }
}
