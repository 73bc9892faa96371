//! Identifiers shared by every crate.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::invalid::Invalid;

/// The tenant: one app owns its keys, domains, links and events, all on one shard.
///
/// Assigned by the catalog (a bigint identity); positive by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppId(i64);

impl AppId {
    pub fn new(raw: i64) -> Result<Self, Invalid> {
        if raw > 0 {
            Ok(Self(raw))
        } else {
            Err(Invalid::new("app id must be a positive integer"))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl FromStr for AppId {
    type Err = Invalid;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let raw = s
            .trim()
            .parse::<i64>()
            .map_err(|_| Invalid::new("app id must be a positive integer"))?;
        Self::new(raw)
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The operator-chosen name of a Postgres shard, e.g. `shard-1`.
///
/// Lower-case letters, digits, `-` and `_`, starting with a letter or digit, at most 63
/// characters, so it is safe in logs, metrics labels and URLs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ShardId(String);

impl ShardId {
    pub const MAX_LEN: usize = 63;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let bytes = raw.as_bytes();
        if bytes.is_empty() {
            return Err(Invalid::new("shard name must not be empty"));
        }
        if bytes.len() > Self::MAX_LEN {
            return Err(Invalid::new("shard name must be at most 63 characters"));
        }
        if !bytes[0].is_ascii_lowercase() && !bytes[0].is_ascii_digit() {
            return Err(Invalid::new(
                "shard name must start with a lower-case letter or a digit",
            ));
        }
        let ok = bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'_');
        if !ok {
            return Err(Invalid::new(
                "shard name may only contain a-z, 0-9, '-' and '_'",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ShardId {
    type Error = Invalid;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ShardId> for String {
    fn from(value: ShardId) -> Self {
        value.0
    }
}

impl fmt::Display for ShardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One click on a link. Time-ordered (UUIDv7) so click tables stay append-mostly, and
/// unguessable enough to travel in a Play install referrer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClickId(uuid::Uuid);

impl ClickId {
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7())
    }

    pub fn from_uuid(id: uuid::Uuid) -> Self {
        Self(id)
    }

    pub fn as_uuid(&self) -> uuid::Uuid {
        self.0
    }

    /// Parses the simple (32 hex digits) or hyphenated form.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        uuid::Uuid::try_parse(raw.trim())
            .map(Self)
            .map_err(|_| Invalid::new("click id must be a UUID"))
    }
}

impl fmt::Display for ClickId {
    /// The compact form used in URLs and referrers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.simple())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_id_must_be_positive() {
        assert!(AppId::new(0).is_err());
        assert!(AppId::new(-3).is_err());
        assert_eq!("42".parse::<AppId>().map(AppId::get), Ok(42));
        assert!("4x".parse::<AppId>().is_err());
    }

    #[test]
    fn shard_ids() {
        for ok in ["shard-1", "s", "eu_west_2", "0a"] {
            assert!(ShardId::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Shard", "-a", "a b", "a/b", &"a".repeat(64)] {
            assert!(ShardId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn click_id_round_trips_in_compact_form() {
        let id = ClickId::generate();
        let text = id.to_string();
        assert_eq!(text.len(), 32);
        assert_eq!(ClickId::parse(&text), Ok(id));
    }
}
