//! The device an SDK request comes from, as far as attribution cares: OS family (part of
//! the click fingerprint), OS version and model (compared loosely with the click's), the
//! platform analytics count it under, and the install's tokens.
//!
//! SDKs describe themselves in their own words: iOS sends `os: "iOS"` and `os_version:
//! "17.4"`, Android `os: "Android"` with the API level in `os_version` (`34`) and the
//! release in `os_version_android` (`"14"`); the Web SDK sends no OS at all, so the
//! User-Agent decides, classified exactly as the link service classifies clicks.

use link_core::client::{ClassifierMemo, OsFamily, Platform};

/// What the request says about its device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub os: OsFamily,
    pub platform: Platform,
    pub os_version: Option<(u16, u16)>,
    pub model: Option<String>,
}

/// Longest device model kept (longer ones are cut, they are descriptive only).
const MAX_MODEL_CHARS: usize = 128;

impl Device {
    /// From the SDK's `os`, `os_version`, `os_version_android` and `model` fields, falling
    /// back to the User-Agent for an OS the fields do not name.
    pub fn describe(
        os: Option<&str>,
        os_version: Option<&str>,
        os_version_android: Option<&str>,
        model: Option<&str>,
        user_agent: Option<&str>,
        memo: &ClassifierMemo,
    ) -> Self {
        let client = user_agent.map(|ua| memo.classify(ua));
        let os = os
            .and_then(os_family)
            .or_else(|| client.map(|c| c.os))
            .unwrap_or(OsFamily::Other);
        let os_version = match os {
            OsFamily::Android => os_version_android
                .and_then(parse_version)
                .or_else(|| os_version.and_then(android_version)),
            _ => os_version.and_then(parse_version),
        }
        .or_else(|| client.filter(|c| c.os == os).and_then(|c| c.os_version));
        Self {
            os,
            platform: platform_of(os),
            os_version,
            model: model
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(|m| m.chars().take(MAX_MODEL_CHARS).collect()),
        }
    }

    /// The click OS major versions this device's clicks may carry. Browsers freeze or
    /// lag their reported version (Chrome on Android says 10 since the reduced
    /// User-Agent; Safari on iOS 26 says 18), so those values are accepted beside the
    /// real one. `None`: the SDK sent no version, compare nothing.
    pub fn click_majors(&self) -> Option<Vec<String>> {
        let (major, _) = self.os_version?;
        let mut majors = vec![major.to_string()];
        match self.os {
            OsFamily::Android if major != 10 => majors.push("10".to_owned()),
            OsFamily::Ios if major >= 26 => majors.push("18".to_owned()),
            _ => {}
        }
        Some(majors)
    }
}

/// The OS family of an SDK's `os` value.
pub fn os_family(raw: &str) -> Option<OsFamily> {
    let os = raw.trim().to_ascii_lowercase();
    let os = os.as_str();
    Some(match os {
        "ios" | "iphone os" | "ipados" | "iphone" | "ipad" | "tvos" | "visionos" => OsFamily::Ios,
        "android" | "fire os" | "fireos" => OsFamily::Android,
        "mac os" | "macos" | "mac os x" | "osx" | "os x" => OsFamily::Macos,
        "windows" | "windows phone" => OsFamily::Windows,
        "linux" | "ubuntu" => OsFamily::Linux,
        "chrome os" | "chromeos" | "cros" => OsFamily::ChromeOs,
        _ => return None,
    })
}

pub fn platform_of(os: OsFamily) -> Platform {
    match os {
        OsFamily::Ios => Platform::Ios,
        OsFamily::Android => Platform::Android,
        OsFamily::Macos | OsFamily::Windows | OsFamily::Linux | OsFamily::ChromeOs => {
            Platform::Desktop
        }
        OsFamily::Other => Platform::Other,
    }
}

/// `"17.4.1"` -> (17, 4); `"14"` -> (14, 0).
pub fn parse_version(raw: &str) -> Option<(u16, u16)> {
    let mut parts = raw.trim().split(['.', '_']);
    let major = parts.next()?.trim().parse::<u16>().ok()?;
    let minor = parts
        .next()
        .and_then(|m| m.trim().parse::<u16>().ok())
        .unwrap_or(0);
    (major > 0).then_some((major, minor))
}

/// Android's `os_version` is the API level; a release number (`"14"`, `"8.1"`) is taken
/// as it is.
fn android_version(raw: &str) -> Option<(u16, u16)> {
    let (value, minor) = parse_version(raw)?;
    if value < 21 || minor != 0 {
        return Some((value, minor));
    }
    Some(match value {
        21 => (5, 0),
        22 => (5, 1),
        23 => (6, 0),
        24 => (7, 0),
        25 => (7, 1),
        26 => (8, 0),
        27 => (8, 1),
        28 => (9, 0),
        29 => (10, 0),
        30 => (11, 0),
        31 | 32 => (12, 0),
        level => (level - 20, 0),
    })
}

/// A token an SDK presented, or `None` when it sent none. Android writes `bnc_no_value`
/// for "none"; an absurd value counts as none too.
pub fn presented_token(raw: Option<&str>) -> Option<String> {
    let token = raw?.trim();
    let usable = !token.is_empty()
        && token.len() <= 128
        && token != "bnc_no_value"
        && token != "null"
        && token.bytes().all(|b| b.is_ascii_graphic());
    usable.then(|| token.to_owned())
}

/// A new install, device or session token in Branch's format: a 19-digit decimal string
/// (the Web SDK checks `^[0-9]{15,20}$`), from 62 random bits.
pub fn new_token() -> String {
    let random = uuid::Uuid::new_v4().as_u128() as u64;
    ((random & ((1 << 62) - 1)) | (1 << 62)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const IPHONE_UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";

    fn memo() -> ClassifierMemo {
        ClassifierMemo::new(16)
    }

    #[test]
    fn ios_and_android_describe_themselves_differently() {
        let ios = Device::describe(
            Some("iOS"),
            Some("17.4.1"),
            None,
            Some("iPhone15,2"),
            None,
            &memo(),
        );
        assert_eq!(
            (ios.os, ios.platform, ios.os_version),
            (OsFamily::Ios, Platform::Ios, Some((17, 4)))
        );
        let android = Device::describe(Some("Android"), Some("34"), None, None, None, &memo());
        assert_eq!(android.os_version, Some((14, 0)));
        let android =
            Device::describe(Some("Android"), Some("34"), Some("14"), None, None, &memo());
        assert_eq!(android.os_version, Some((14, 0)));
        assert_eq!(
            android.click_majors(),
            Some(vec!["14".to_owned(), "10".to_owned()])
        );
    }

    #[test]
    fn the_user_agent_names_the_os_the_fields_do_not() {
        let web = Device::describe(None, None, None, None, Some(IPHONE_UA), &memo());
        assert_eq!((web.os, web.os_version), (OsFamily::Ios, Some((17, 4))));
        let unknown = Device::describe(Some("PalmOS"), None, None, None, None, &memo());
        assert_eq!(
            (unknown.os, unknown.platform),
            (OsFamily::Other, Platform::Other)
        );
    }

    #[test]
    fn frozen_browser_versions_are_accepted() {
        let ios26 = Device::describe(Some("iOS"), Some("26.1"), None, None, None, &memo());
        assert_eq!(
            ios26.click_majors(),
            Some(vec!["26".to_owned(), "18".to_owned()])
        );
        let bare = Device::describe(Some("iOS"), None, None, None, None, &memo());
        assert_eq!(bare.click_majors(), None);
    }

    #[test]
    fn tokens() {
        for _ in 0..100 {
            let t = new_token();
            assert_eq!(t.len(), 19, "{t}");
            assert!(t.bytes().all(|b| b.is_ascii_digit()));
        }
        assert_ne!(new_token(), new_token());
        assert_eq!(presented_token(Some("bnc_no_value")), None);
        assert_eq!(presented_token(Some("  ")), None);
        assert_eq!(presented_token(Some("a b")), None);
        assert_eq!(presented_token(Some(" 123 ")).as_deref(), Some("123"));
    }
}
