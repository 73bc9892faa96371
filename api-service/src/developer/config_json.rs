//! An app's platform configuration as JSON: its representation, strict parsing into
//! [`AppConfig`] with link-core's newtypes, and JSON merge patches (RFC 7396) over it.
//!
//! Parsing is strict where link parameters are lenient: configuration is written rarely
//! and by hand, so an unknown key is a typo to report (naming it), not something to skip.

use link_core::app::MAX_LONG_LINK_HOSTS;
use link_core::app::{AndroidPackage, AppStoreId, BundleId, CertFingerprint, TeamId, UriScheme};
use link_core::{
    AndroidConfig, AppConfig, ExpiredLinkBehavior, FieldError, Host, Invalid, IosConfig,
    PreviewDefaults, WebUrl,
};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// At most this many Android signing certificates.
pub const MAX_FINGERPRINTS: usize = 20;

/// An app's platform configuration.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppConfigResource {
    pub ios: IosConfigResource,
    pub android: AndroidConfigResource,
    /// Where a person goes when nothing more specific applies.
    pub fallback_url: Option<String>,
    /// Desktop default, before `fallback_url`.
    pub desktop_url: Option<String>,
    /// What an expired or deleted link answers: a 410 page, or a redirect to
    /// `fallback_url`.
    pub expired_link_behavior: ExpiredBehavior,
    pub preview: PreviewResource,
    /// How long after a click an install or open may be matched to it (60 to 7776000).
    pub attribution_window_secs: u32,
    /// Hosts, besides those of `fallback_url` and `desktop_url`, that links anyone can
    /// make may send people to, each with its subdomains; at most 50. Those are long links
    /// (`https://<domain>/?$desktop_url=…`) and links made with the SDK key (`/v1/url`);
    /// one that leads to any other site is answered 400.
    pub long_link_hosts: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IosConfigResource {
    /// e.g. `com.acme.app`.
    pub bundle_id: Option<String>,
    /// Apple team id, 10 characters.
    pub team_id: Option<String>,
    /// Numeric App Store id.
    pub app_store_id: Option<String>,
    /// e.g. `acme` for `acme://...`; web and script schemes are refused.
    pub uri_scheme: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AndroidConfigResource {
    /// e.g. `com.acme.app`.
    pub package: Option<String>,
    /// SHA-256 signing-certificate fingerprints (`AB:CD:...`), for `assetlinks.json`.
    pub sha256_cert_fingerprints: Vec<String>,
    pub uri_scheme: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewResource {
    /// Default Open Graph title (at most 300 characters).
    pub title: Option<String>,
    /// Default Open Graph description (at most 1000 characters).
    pub description: Option<String>,
    pub image_url: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExpiredBehavior {
    Gone,
    Fallback,
}

impl From<&AppConfig> for AppConfigResource {
    fn from(c: &AppConfig) -> Self {
        let s = |v: Option<&str>| v.map(str::to_owned);
        Self {
            ios: IosConfigResource {
                bundle_id: s(c.ios.bundle_id.as_ref().map(BundleId::as_str)),
                team_id: s(c.ios.team_id.as_ref().map(TeamId::as_str)),
                app_store_id: s(c.ios.app_store_id.as_ref().map(AppStoreId::as_str)),
                uri_scheme: s(c.ios.uri_scheme.as_ref().map(UriScheme::as_str)),
            },
            android: AndroidConfigResource {
                package: s(c.android.package.as_ref().map(AndroidPackage::as_str)),
                sha256_cert_fingerprints: c
                    .android
                    .sha256_cert_fingerprints
                    .iter()
                    .map(|f| f.as_str().to_owned())
                    .collect(),
                uri_scheme: s(c.android.uri_scheme.as_ref().map(UriScheme::as_str)),
            },
            fallback_url: s(c.fallback_url.as_ref().map(WebUrl::as_str)),
            desktop_url: s(c.desktop_url.as_ref().map(WebUrl::as_str)),
            expired_link_behavior: match c.expired_link_behavior {
                ExpiredLinkBehavior::Gone => ExpiredBehavior::Gone,
                ExpiredLinkBehavior::Fallback => ExpiredBehavior::Fallback,
            },
            preview: PreviewResource {
                title: c.preview.title.clone(),
                description: c.preview.description.clone(),
                image_url: s(c.preview.image_url.as_ref().map(WebUrl::as_str)),
            },
            attribution_window_secs: c.attribution_window_secs,
            long_link_hosts: c
                .long_link_hosts
                .iter()
                .map(|h| h.as_str().to_owned())
                .collect(),
        }
    }
}

/// The configuration as a JSON object (the shape of [`AppConfigResource`]).
pub fn to_json(config: &AppConfig) -> Value {
    serde_json::to_value(AppConfigResource::from(config)).unwrap_or(Value::Null)
}

/// Applies an RFC 7396 merge patch: objects merge key by key, `null` removes a key, any
/// other value replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// Parses a whole configuration object; absent keys take their defaults. Errors name the
/// field under `prefix` (e.g. `config.ios.team_id`).
pub fn parse(value: &Value, prefix: &str) -> Result<AppConfig, FieldError> {
    let root = Obj::new(value, prefix)?;
    root.only(&[
        "ios",
        "android",
        "fallback_url",
        "desktop_url",
        "expired_link_behavior",
        "preview",
        "attribution_window_secs",
        "long_link_hosts",
    ])?;
    let defaults = AppConfig::default();
    let ios = root.object("ios")?;
    let android = root.object("android")?;
    let preview = root.object("preview")?;
    let config = AppConfig {
        ios: match ios {
            None => IosConfig::default(),
            Some(ios) => {
                ios.only(&["bundle_id", "team_id", "app_store_id", "uri_scheme"])?;
                IosConfig {
                    bundle_id: ios.parsed("bundle_id", BundleId::parse)?,
                    team_id: ios.parsed("team_id", TeamId::parse)?,
                    app_store_id: ios.parsed("app_store_id", AppStoreId::parse)?,
                    uri_scheme: ios.parsed("uri_scheme", UriScheme::parse)?,
                }
            }
        },
        android: match android {
            None => AndroidConfig::default(),
            Some(android) => {
                android.only(&["package", "sha256_cert_fingerprints", "uri_scheme"])?;
                AndroidConfig {
                    package: android.parsed("package", AndroidPackage::parse)?,
                    sha256_cert_fingerprints: android.list(
                        "sha256_cert_fingerprints",
                        MAX_FINGERPRINTS,
                        "fingerprints",
                        CertFingerprint::parse,
                    )?,
                    uri_scheme: android.parsed("uri_scheme", UriScheme::parse)?,
                }
            }
        },
        fallback_url: root.parsed("fallback_url", WebUrl::parse)?,
        desktop_url: root.parsed("desktop_url", WebUrl::parse)?,
        expired_link_behavior: root
            .parsed("expired_link_behavior", ExpiredLinkBehavior::parse)?
            .unwrap_or(defaults.expired_link_behavior),
        preview: match preview {
            None => PreviewDefaults::default(),
            Some(preview) => {
                preview.only(&["title", "description", "image_url"])?;
                PreviewDefaults {
                    title: preview.text("title")?,
                    description: preview.text("description")?,
                    image_url: preview.parsed("image_url", WebUrl::parse)?,
                }
            }
        },
        attribution_window_secs: root
            .integer("attribution_window_secs")?
            .unwrap_or(defaults.attribution_window_secs),
        long_link_hosts: root.list("long_link_hosts", MAX_LONG_LINK_HOSTS, "hosts", Host::parse)?,
    };
    config
        .validate()
        .map_err(|e| FieldError::new(join(prefix, &e.field), e.reason))?;
    Ok(config)
}

fn join(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

/// A JSON object being read, and where it sits in the request.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Obj<'a> {
    fn new(value: &'a Value, path: &str) -> Result<Self, FieldError> {
        match value {
            Value::Object(map) => Ok(Self {
                map,
                path: path.to_owned(),
            }),
            _ => Err(FieldError::new(path.to_owned(), "must be an object")),
        }
    }

    fn field(&self, key: &str) -> String {
        join(&self.path, key)
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn only(&self, known: &[&str]) -> Result<(), FieldError> {
        match self.map.keys().find(|k| !known.contains(&k.as_str())) {
            Some(unknown) => Err(FieldError::new(self.field(unknown), "unknown field")),
            None => Ok(()),
        }
    }

    fn object(&self, key: &str) -> Result<Option<Obj<'a>>, FieldError> {
        self.get(key)
            .map(|v| Obj::new(v, &self.field(key)))
            .transpose()
    }

    fn text(&self, key: &str) -> Result<Option<String>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(FieldError::new(self.field(key), "must be a string")),
        }
    }

    fn parsed<T>(
        &self,
        key: &str,
        parse: impl Fn(&str) -> Result<T, Invalid>,
    ) -> Result<Option<T>, FieldError> {
        self.text(key)?
            .map(|raw| parse(raw.trim()).map_err(|e| e.at(self.field(key))))
            .transpose()
    }

    fn integer(&self, key: &str) -> Result<Option<u32>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| FieldError::new(self.field(key), "must be a positive integer")),
            Some(_) => Err(FieldError::new(self.field(key), "must be an integer")),
        }
    }

    /// An array of strings, each parsed; duplicates dropped, at most `max` of them.
    fn list<T: PartialEq>(
        &self,
        key: &str,
        max: usize,
        what: &str,
        parse: fn(&str) -> Result<T, Invalid>,
    ) -> Result<Vec<T>, FieldError> {
        let field = self.field(key);
        let items = match self.get(key) {
            None => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(FieldError::new(field, "must be an array of strings")),
        };
        if items.len() > max {
            return Err(FieldError::new(field, format!("at most {max} {what}")));
        }
        let mut out: Vec<T> = Vec::with_capacity(items.len());
        for item in items {
            let Value::String(raw) = item else {
                return Err(FieldError::new(field, "must be an array of strings"));
            };
            let parsed = parse(raw).map_err(|e| e.at(field.clone()))?;
            if !out.contains(&parsed) {
                out.push(parsed);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn round_trips_through_json() {
        let config = parse(
            &json!({
                "ios": {"bundle_id": "com.acme.app", "team_id": "abcde12345", "uri_scheme": "acme"},
                "android": {"package": "com.acme.app", "sha256_cert_fingerprints": ["ab".repeat(32)]},
                "fallback_url": "https://acme.test/",
                "expired_link_behavior": "fallback",
                "preview": {"title": "Acme"},
                "attribution_window_secs": 3600
            }),
            "config",
        )
        .unwrap();
        assert_eq!(config.ios.team_id.as_ref().unwrap().as_str(), "ABCDE12345");
        assert_eq!(parse(&to_json(&config), "config").unwrap(), config);
    }

    #[test]
    fn names_the_offending_field() {
        let cases = [
            (json!([]), "config"),
            (json!({"ios": {"team_id": "x"}}), "config.ios.team_id"),
            (json!({"ios": {"bundle": "com.a.b"}}), "config.ios.bundle"),
            (
                json!({"android": {"sha256_cert_fingerprints": ["zz"]}}),
                "config.android.sha256_cert_fingerprints",
            ),
            (
                json!({"android": {"uri_scheme": "javascript"}}),
                "config.android.uri_scheme",
            ),
            (
                json!({"fallback_url": "javascript:alert(1)"}),
                "config.fallback_url",
            ),
            (
                json!({"expired_link_behavior": "explode"}),
                "config.expired_link_behavior",
            ),
            (
                json!({"preview": {"title": "x".repeat(301)}}),
                "config.preview.title",
            ),
            (
                json!({"attribution_window_secs": 5}),
                "config.attribution_window_secs",
            ),
            (
                json!({"attribution_window_secs": "60"}),
                "config.attribution_window_secs",
            ),
            (json!({"colour": "red"}), "config.colour"),
        ];
        for (value, field) in cases {
            let err = parse(&value, "config").expect_err(&value.to_string());
            assert_eq!(err.field, field, "{value}");
        }
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut target = json!({"a": {"b": 1, "c": 2}, "d": [1], "e": 1});
        merge_patch(
            &mut target,
            &json!({"a": {"b": null, "x": 3}, "d": [2, 3], "e": null}),
        );
        assert_eq!(target, json!({"a": {"c": 2, "x": 3}, "d": [2, 3]}));
    }
}
