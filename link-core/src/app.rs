//! An app's platform configuration: what the association files, store fallbacks and
//! previews are built from.

use serde::{Deserialize, Serialize};

use crate::host::Host;
use crate::invalid::{FieldError, Invalid};
use crate::url::WebUrl;

/// Everything the click path needs to know about an app besides its links.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppConfig {
    #[serde(default)]
    pub ios: IosConfig,
    #[serde(default)]
    pub android: AndroidConfig,
    /// Where to send a person when nothing more specific applies.
    pub fallback_url: Option<WebUrl>,
    /// Desktop default, before `fallback_url`.
    pub desktop_url: Option<WebUrl>,
    #[serde(default)]
    pub expired_link_behavior: ExpiredLinkBehavior,
    #[serde(default)]
    pub preview: PreviewDefaults,
    /// How long after a click an install or open may still be matched to it, in seconds.
    #[serde(default = "default_attribution_window")]
    pub attribution_window_secs: u32,
    /// Hosts, besides those of `fallback_url` and `desktop_url`, that long links and links
    /// made with the SDK key may send people to, each with its subdomains. Anyone can
    /// write those (the SDK key ships inside the app), so without this bound the app's
    /// link domain would redirect to any site a phisher names.
    #[serde(default)]
    pub long_link_hosts: Vec<Host>,
}

pub const DEFAULT_ATTRIBUTION_WINDOW_SECS: u32 = 7200;

/// Bounds of `attribution_window_secs`: a minute to 90 days.
pub const ATTRIBUTION_WINDOW_RANGE: std::ops::RangeInclusive<u32> = 60..=7_776_000;

/// At most this many `long_link_hosts`.
pub const MAX_LONG_LINK_HOSTS: usize = 50;

impl AppConfig {
    /// Whether a long link may send people to `url`: its host is one of the app's own
    /// (those of `fallback_url` and `desktop_url`, and `long_link_hosts`) or a subdomain of
    /// one.
    pub fn allows_long_link_to(&self, url: &WebUrl) -> bool {
        let Some(host) = url.as_url().host_str() else {
            return false;
        };
        [&self.fallback_url, &self.desktop_url]
            .into_iter()
            .flatten()
            .filter_map(|own| own.as_url().host_str())
            .chain(self.long_link_hosts.iter().map(Host::as_str))
            .any(|allowed| {
                host == allowed
                    || host
                        .strip_suffix(allowed)
                        .is_some_and(|sub| sub.ends_with('.'))
            })
    }

    /// Checks what the field types cannot: text lengths and the attribution window.
    pub fn validate(&self) -> Result<(), FieldError> {
        self.preview.validate()?;
        if !ATTRIBUTION_WINDOW_RANGE.contains(&self.attribution_window_secs) {
            return Err(FieldError::new(
                "attribution_window_secs",
                "must be between 60 and 7776000 seconds (90 days)",
            ));
        }
        if self.long_link_hosts.len() > MAX_LONG_LINK_HOSTS {
            return Err(FieldError::new("long_link_hosts", "at most 50 hosts"));
        }
        Ok(())
    }
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            ios: IosConfig::default(),
            android: AndroidConfig::default(),
            fallback_url: None,
            desktop_url: None,
            expired_link_behavior: ExpiredLinkBehavior::default(),
            preview: PreviewDefaults::default(),
            attribution_window_secs: DEFAULT_ATTRIBUTION_WINDOW_SECS,
            long_link_hosts: Vec::new(),
        }
    }
}

fn default_attribution_window() -> u32 {
    DEFAULT_ATTRIBUTION_WINDOW_SECS
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IosConfig {
    pub bundle_id: Option<BundleId>,
    pub team_id: Option<TeamId>,
    pub app_store_id: Option<AppStoreId>,
    pub uri_scheme: Option<UriScheme>,
}

impl IosConfig {
    /// Whether the association file names the app, so its domains open it as Universal
    /// Links.
    pub fn has_universal_links(&self) -> bool {
        self.team_id.is_some() && self.bundle_id.is_some()
    }

    /// `TEAMID.bundle.id`, the app identifier Apple's association file names.
    pub fn app_identifier(&self) -> Option<String> {
        match (&self.team_id, &self.bundle_id) {
            (Some(team), Some(bundle)) => Some(format!("{}.{}", team.0, bundle.0)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AndroidConfig {
    pub package: Option<AndroidPackage>,
    #[serde(default)]
    pub sha256_cert_fingerprints: Vec<CertFingerprint>,
    pub uri_scheme: Option<UriScheme>,
}

/// What an expired or deleted link answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiredLinkBehavior {
    /// A 410 page.
    #[default]
    Gone,
    /// A redirect to the app's fallback URL (410 when it has none).
    Fallback,
}

impl ExpiredLinkBehavior {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gone => "gone",
            Self::Fallback => "fallback",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "gone" => Ok(Self::Gone),
            "fallback" => Ok(Self::Fallback),
            _ => Err(Invalid::new("must be \"gone\" or \"fallback\"")),
        }
    }
}

/// Open Graph defaults for links that set none of their own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewDefaults {
    pub title: Option<String>,
    pub description: Option<String>,
    pub image_url: Option<WebUrl>,
}

impl PreviewDefaults {
    pub const MAX_TITLE: usize = 300;
    pub const MAX_DESCRIPTION: usize = 1000;

    pub fn validate(&self) -> Result<(), FieldError> {
        check_text(self.title.as_deref(), Self::MAX_TITLE, "preview.title")?;
        check_text(
            self.description.as_deref(),
            Self::MAX_DESCRIPTION,
            "preview.description",
        )
    }
}

fn check_text(value: Option<&str>, max: usize, field: &'static str) -> Result<(), FieldError> {
    match value {
        Some(v) if v.chars().count() > max => Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        )),
        Some(v) if v.chars().any(|c| c.is_control() && c != '\n') => Err(FieldError::new(
            field,
            "must not contain control characters",
        )),
        _ => Ok(()),
    }
}

macro_rules! string_newtype {
    ($(#[$meta:meta])* $name:ident, $check:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                let raw = raw.trim();
                let check: fn(&str) -> Result<String, Invalid> = $check;
                check(raw).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = Invalid;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_newtype!(
    /// Reverse-DNS iOS bundle identifier, e.g. `com.acme.app`.
    BundleId,
    |raw| {
        let ok = !raw.is_empty()
            && raw.len() <= 155
            && raw.contains('.')
            && raw.split('.').all(|part| {
                !part.is_empty()
                    && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        if ok {
            Ok(raw.to_owned())
        } else {
            Err(Invalid::new("must be a reverse-DNS bundle id such as com.acme.app"))
        }
    }
);

string_newtype!(
    /// Apple Developer team id: ten upper-case letters or digits.
    TeamId,
    |raw| {
        let upper = raw.to_ascii_uppercase();
        if upper.len() == 10 && upper.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
            Ok(upper)
        } else {
            Err(Invalid::new("must be a 10-character Apple team id"))
        }
    }
);

string_newtype!(
    /// Numeric App Store id (the `id123456789` of an App Store URL, without `id`).
    AppStoreId,
    |raw| {
        let digits = raw.strip_prefix("id").unwrap_or(raw);
        if !digits.is_empty() && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(digits.to_owned())
        } else {
            Err(Invalid::new("must be a numeric App Store id"))
        }
    }
);

string_newtype!(
    /// Android application id, e.g. `com.acme.app`.
    AndroidPackage,
    |raw| {
        let ok = raw.len() <= 255
            && raw.split('.').count() >= 2
            && raw.split('.').all(|part| {
                part.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
                    && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            });
        if ok {
            Ok(raw.to_owned())
        } else {
            Err(Invalid::new("must be an Android package name such as com.acme.app"))
        }
    }
);

string_newtype!(
    /// SHA-256 signing-certificate fingerprint, normalised to upper-case `AA:BB:...` (32 bytes).
    CertFingerprint,
    |raw| {
        let hex: String = raw.chars().filter(|c| *c != ':').collect();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Invalid::new(
                "must be a SHA-256 fingerprint: 32 hex bytes, optionally separated by ':'",
            ));
        }
        let upper = hex.to_ascii_uppercase();
        let pairs: Vec<&str> = (0..32).map(|i| &upper[i * 2..i * 2 + 2]).collect();
        Ok(pairs.join(":"))
    }
);

string_newtype!(
    /// A custom URI scheme an app registered (`acme` in `acme://product/42`).
    ///
    /// Web, script and file schemes can never be registered, so emitting `{scheme}://...`
    /// for a registered scheme cannot become an open redirect or script injection.
    UriScheme,
    |raw| {
        let scheme = raw.strip_suffix("://").unwrap_or(raw).to_ascii_lowercase();
        let well_formed = scheme.len() <= 64
            && scheme.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.'));
        if !well_formed {
            return Err(Invalid::new("must be a URI scheme such as acme"));
        }
        const FORBIDDEN: &[&str] = &[
            "http", "https", "javascript", "vbscript", "data", "file", "blob", "about",
            "intent", "ftp", "ws", "wss", "mailto", "tel", "sms", "content", "chrome",
        ];
        if FORBIDDEN.contains(&scheme.as_str()) {
            return Err(Invalid::new("this scheme cannot be registered as an app scheme"));
        }
        Ok(scheme)
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_links_may_lead_to_the_apps_own_sites_only() {
        let app = AppConfig {
            fallback_url: WebUrl::parse("https://www.acme.app/").ok(),
            desktop_url: WebUrl::parse("https://acme.app/download").ok(),
            long_link_hosts: vec![Host::parse("Partner.Example").unwrap()],
            ..AppConfig::default()
        };
        let allows = |url: &str| app.allows_long_link_to(&WebUrl::parse(url).unwrap());
        for ok in [
            "https://acme.app/x",
            "https://shop.acme.app/x?y=1",
            "https://www.acme.app/",
            "http://partner.example/",
            "https://a.b.partner.example/",
            "https://ACME.APP/x",
        ] {
            assert!(allows(ok), "{ok}");
        }
        for refused in [
            "https://evil.test/",
            "https://evilacme.app/",
            "https://acme.app.evil.test/",
            "https://notpartner.example/",
            "https://example/",
        ] {
            assert!(!allows(refused), "{refused}");
        }
        // An app with no sites of its own allows none.
        assert!(
            !AppConfig::default().allows_long_link_to(&WebUrl::parse("https://acme.app/").unwrap())
        );
    }

    #[test]
    fn fingerprints_are_normalised() {
        let raw = "14:6d:e9:83:c5:73:06:50:d8:ee:b9:95:2f:34:fc:64:16:a0:83:42:e6:1d:be:a8:8a:04:96:b2:3f:cf:44:e5";
        let fp = CertFingerprint::parse(raw).map(String::from);
        assert_eq!(
            fp.as_deref(),
            Ok(
                "14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:CF:44:E5"
            )
        );
        assert!(CertFingerprint::parse("14:6d").is_err());
        assert!(CertFingerprint::parse(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn schemes_exclude_web_and_script() {
        assert_eq!(
            UriScheme::parse("Acme").map(String::from).as_deref(),
            Ok("acme")
        );
        assert_eq!(
            UriScheme::parse("acme://").map(String::from).as_deref(),
            Ok("acme")
        );
        for bad in [
            "http",
            "javascript",
            "JavaScript",
            "data",
            "1abc",
            "a b",
            "",
            "intent",
        ] {
            assert!(UriScheme::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ids() {
        assert!(BundleId::parse("com.acme.app").is_ok());
        assert!(BundleId::parse("acme").is_err());
        assert_eq!(
            TeamId::parse("abcde12345").map(String::from).as_deref(),
            Ok("ABCDE12345")
        );
        assert!(TeamId::parse("ABC").is_err());
        assert_eq!(
            AppStoreId::parse("id123456").map(String::from).as_deref(),
            Ok("123456")
        );
        assert!(AppStoreId::parse("12a").is_err());
        assert!(AndroidPackage::parse("com.acme.app").is_ok());
        assert!(AndroidPackage::parse("com.1acme").is_err());
        assert!(AndroidPackage::parse("acme").is_err());
    }

    #[test]
    fn app_identifier_needs_team_and_bundle() {
        let mut ios = IosConfig {
            bundle_id: BundleId::parse("com.acme.app").ok(),
            ..IosConfig::default()
        };
        assert_eq!(ios.app_identifier(), None);
        ios.team_id = TeamId::parse("ABCDE12345").ok();
        assert_eq!(
            ios.app_identifier().as_deref(),
            Some("ABCDE12345.com.acme.app")
        );
    }
}
