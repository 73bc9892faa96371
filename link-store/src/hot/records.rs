//! What the hot tier stores: set names, keys, bins and the versioned snapshot encoding.
//!
//! Keys are blobs: the app id (8 bytes, big-endian) then the rest of the key (link code,
//! fingerprint or browser id), so one app's records never collide with another's. The
//! user key is not stored (`send_key` is off): only its 20-byte digest is.
//!
//! | set | key | bins |
//! |---|---|---|
//! | `links` | app, code | `id`, `v` (version), `del` (1 = tombstone), `b` (snapshot) |
//! | `configs` | app | `v` (version), `b` (snapshot) |
//! | `clicks` | app, fingerprint | `c`: map click id -> `[occurred_us, link_id, os_version, model, browser_id]` |
//! | `browsers` | app, browser id | `i` (1) |
//!
//! A snapshot is one format byte followed by JSON with short field names. A reader that
//! does not know the format byte treats the record as missing (Postgres answers and the
//! repair rewrites it), so the format can change without a flag day.

use chrono::{DateTime, Utc};
use link_core::{AppConfig, AppId, LabelParts, Link, LinkCode, LinkData, LinkLabels, LinkType};
use serde::{Deserialize, Serialize};
use shard_router::app_config::StoredConfig;

pub(crate) const BIN_ID: &str = "id";
pub(crate) const BIN_VERSION: &str = "v";
pub(crate) const BIN_DELETED: &str = "del";
pub(crate) const BIN_BODY: &str = "b";
pub(crate) const BIN_CLICKS: &str = "c";
pub(crate) const BIN_INSTALLED: &str = "i";

/// The format byte of snapshots written by this version.
const FORMAT_JSON_V1: u8 = 1;

/// The set names, with the deployment's prefix.
#[derive(Debug, Clone)]
pub(crate) struct Sets {
    pub links: String,
    pub configs: String,
    pub clicks: String,
    pub browsers: String,
}

impl Sets {
    pub fn new(prefix: &str) -> Self {
        Self {
            links: format!("{prefix}links"),
            configs: format!("{prefix}configs"),
            clicks: format!("{prefix}clicks"),
            browsers: format!("{prefix}browsers"),
        }
    }
}

/// The user key of a record of `app`: the app id, then `rest`.
pub(crate) fn key_bytes(app: AppId, rest: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(8 + rest.len());
    key.extend_from_slice(&app.get().to_be_bytes());
    key.extend_from_slice(rest);
    key
}

/// A link as the hot tier stores it. Short names keep records small; the app id and code
/// are in the key.
#[derive(Debug, Serialize, Deserialize)]
struct LinkSnapshotV1 {
    i: i64,
    c: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    a: bool,
    #[serde(default, skip_serializing_if = "LinkData::is_empty")]
    d: LinkData,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fe: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ca: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    st: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    t: Vec<String>,
    /// Branch link type (0, 1, 2).
    #[serde(default, skip_serializing_if = "is_zero")]
    ty: i16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    du: Option<u32>,
    /// Timestamps in microseconds since the Unix epoch (Postgres' precision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ex: Option<i64>,
    v: i64,
    cr: i64,
    up: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    de: Option<i64>,
}

fn is_zero(value: &i16) -> bool {
    *value == 0
}

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

fn from_micros(us: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros(us)
}

pub(crate) fn encode_link(link: &Link) -> Vec<u8> {
    let snapshot = LinkSnapshotV1 {
        i: link.id,
        c: link.code.as_str().to_owned(),
        a: link.is_alias,
        d: link.data.clone(),
        ch: link.labels.channel().map(str::to_owned),
        fe: link.labels.feature().map(str::to_owned),
        ca: link.labels.campaign().map(str::to_owned),
        st: link.labels.stage().map(str::to_owned),
        t: link.labels.tags_vec(),
        ty: link.link_type.to_branch(),
        du: link.duration_secs,
        ex: link.expires_at.map(micros),
        v: link.version,
        cr: micros(link.created_at),
        up: micros(link.updated_at),
        de: link.deleted_at.map(micros),
    };
    with_format(&snapshot)
}

/// The link in `bytes`, or `None` when the format is unknown or the content does not parse
/// (the caller then asks Postgres).
pub(crate) fn decode_link(app: AppId, bytes: &[u8]) -> Option<Link> {
    let s: LinkSnapshotV1 = parse_format(bytes)?;
    let time = |us: Option<i64>| match us {
        None => Some(None),
        Some(us) => from_micros(us).map(Some),
    };
    Some(Link {
        id: s.i,
        app_id: app,
        code: LinkCode::parse(&s.c).ok()?,
        is_alias: s.a,
        data: s.d,
        labels: LinkLabels::new(LabelParts {
            channel: s.ch.as_deref(),
            feature: s.fe.as_deref(),
            campaign: s.ca.as_deref(),
            stage: s.st.as_deref(),
            tags: &s.t,
        })
        .ok()?,
        link_type: LinkType::from_branch(i64::from(s.ty)).ok()?,
        duration_secs: s.du,
        expires_at: time(s.ex)?,
        version: s.v,
        created_at: from_micros(s.cr)?,
        updated_at: from_micros(s.up)?,
        deleted_at: time(s.de)?,
    })
}

pub(crate) fn encode_config(config: &AppConfig) -> Vec<u8> {
    with_format(config)
}

pub(crate) fn decode_config(version: i64, bytes: &[u8]) -> Option<StoredConfig> {
    let config: AppConfig = parse_format(bytes)?;
    Some(StoredConfig { config, version })
}

fn with_format(value: &impl Serialize) -> Vec<u8> {
    let mut bytes = vec![FORMAT_JSON_V1];
    // Serialising plain structs of strings, numbers and JSON values cannot fail.
    if serde_json::to_writer(&mut bytes, value).is_err() {
        bytes.truncate(1);
    }
    bytes
}

fn parse_format<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Option<T> {
    match bytes.split_first() {
        Some((&FORMAT_JSON_V1, json)) => serde_json::from_slice(json).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample_link() -> Link {
        let mut data = serde_json::Map::new();
        data.insert("$ios_url".into(), "https://acme.test/ios".into());
        data.insert(
            "nested".into(),
            serde_json::json!({"a": [1, 2, {"b": null}]}),
        );
        Link {
            id: 42,
            app_id: AppId::new(7).unwrap(),
            code: LinkCode::parse("Ab3xK9q").unwrap(),
            is_alias: true,
            data: LinkData::from_map(&data).unwrap(),
            labels: LinkLabels::new(LabelParts {
                channel: Some("email"),
                campaign: Some("spring"),
                tags: &["a".into(), "b".into()],
                ..LabelParts::default()
            })
            .unwrap(),
            link_type: LinkType::Marketing,
            duration_secs: Some(3600),
            expires_at: from_micros(1_900_000_000_123_456),
            version: 3,
            created_at: from_micros(1_700_000_000_000_001).unwrap(),
            updated_at: from_micros(1_700_000_100_000_000).unwrap(),
            deleted_at: None,
        }
    }

    #[test]
    fn links_round_trip() {
        let link = sample_link();
        let bytes = encode_link(&link);
        assert_eq!(bytes[0], FORMAT_JSON_V1);
        assert_eq!(decode_link(link.app_id, &bytes), Some(link.clone()));

        let mut deleted = link;
        deleted.deleted_at = from_micros(1_800_000_000_000_000);
        deleted.data = LinkData::new();
        deleted.labels = LinkLabels::new(LabelParts {
            channel: Some("email"),
            ..LabelParts::default()
        })
        .unwrap();
        let bytes = encode_link(&deleted);
        assert_eq!(decode_link(deleted.app_id, &bytes), Some(deleted));
    }

    #[test]
    fn a_minimal_link_is_small() {
        let mut link = sample_link();
        link.data = LinkData::new();
        link.labels = LinkLabels::default();
        let bytes = encode_link(&link);
        assert!(bytes.len() < 140, "{} bytes", bytes.len());
    }

    #[test]
    fn unknown_formats_and_garbage_read_as_missing() {
        let app = AppId::new(1).unwrap();
        let mut bytes = encode_link(&sample_link());
        bytes[0] = 9;
        assert_eq!(decode_link(app, &bytes), None);
        assert_eq!(decode_link(app, &[]), None);
        assert_eq!(decode_link(app, &[FORMAT_JSON_V1, b'{']), None);
        assert_eq!(decode_config(1, &[2, b'{', b'}']), None);
    }

    #[test]
    fn configs_round_trip() {
        let config = AppConfig {
            attribution_window_secs: 600,
            ..AppConfig::default()
        };
        let stored = decode_config(5, &encode_config(&config)).unwrap();
        assert_eq!(stored, StoredConfig { config, version: 5 });
    }

    #[test]
    fn keys_lead_with_the_app() {
        let app = AppId::new(0x0102).unwrap();
        assert_eq!(key_bytes(app, b"xy"), [0, 0, 0, 0, 0, 0, 1, 2, b'x', b'y']);
    }
}
