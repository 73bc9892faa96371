//! API keys: generation, the visible prefix used to find a key, and the stored hash.
//!
//! A key is shown once, at creation. The catalog keeps its prefix (to find the row without
//! scanning) and the SHA-256 of the whole key; keys carry 190+ random bits, so a fast hash
//! is enough and a slow password hash would only cost latency on every SDK call.

use std::fmt;

use rand::Rng;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::invalid::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// `key_live_...`: SDK endpoints and link creation; safe to ship inside an app.
    Sdk,
    /// `secret_live_...`: the developer API; never leaves the developer's servers.
    Secret,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sdk => "sdk",
            Self::Secret => "secret",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "sdk" => Ok(Self::Sdk),
            "secret" => Ok(Self::Secret),
            _ => Err(Invalid::new("key kind must be \"sdk\" or \"secret\"")),
        }
    }

    fn marker(self) -> &'static str {
        match self {
            Self::Sdk => "key_live_",
            Self::Secret => "secret_live_",
        }
    }

    fn random_len(self) -> usize {
        match self {
            Self::Sdk => 32,
            Self::Secret => 40,
        }
    }

    /// The kind a presented key claims to be, from its marker.
    pub fn of_presented(key: &str) -> Option<Self> {
        [Self::Sdk, Self::Secret]
            .into_iter()
            .find(|kind| key.starts_with(kind.marker()))
    }
}

/// Random characters after the marker that are part of the stored, searchable prefix.
const PREFIX_RANDOM_CHARS: usize = 8;

/// A freshly generated key: the secret itself (shown once) and what is stored.
pub struct NewKey {
    pub kind: KeyKind,
    pub secret: PlainKey,
    pub prefix: String,
    pub hash: KeyHash,
}

impl NewKey {
    pub fn generate(kind: KeyKind) -> Self {
        let random: String = rand::rng()
            .sample_iter(Alphanumeric)
            .take(kind.random_len())
            .map(char::from)
            .collect();
        let secret = format!("{}{random}", kind.marker());
        let prefix = secret[..kind.marker().len() + PREFIX_RANDOM_CHARS].to_owned();
        let hash = KeyHash::of(&secret);
        Self {
            kind,
            secret: PlainKey(secret),
            prefix,
            hash,
        }
    }
}

/// A key in clear text. Its `Debug` never prints the key.
pub struct PlainKey(String);

impl PlainKey {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PlainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlainKey(<redacted>)")
    }
}

/// The lookup prefix of a presented key, or `None` when it cannot be one of ours.
pub fn prefix_of(presented: &str) -> Option<(KeyKind, &str)> {
    let kind = KeyKind::of_presented(presented)?;
    if presented.len() != kind.marker().len() + kind.random_len()
        || !presented
            .bytes()
            .skip(kind.marker().len())
            .all(|b| b.is_ascii_alphanumeric())
    {
        return None;
    }
    Some((
        kind,
        &presented[..kind.marker().len() + PREFIX_RANDOM_CHARS],
    ))
}

/// SHA-256 of a whole key.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyHash([u8; 32]);

impl KeyHash {
    pub fn of(key: &str) -> Self {
        Self(Sha256::digest(key.as_bytes()).into())
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Constant-time comparison with the hash of a presented key.
    pub fn matches(&self, presented: &str) -> bool {
        use subtle::ConstantTimeEq;
        let other = Self::of(presented);
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyHash(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_verify_and_are_found_by_prefix() {
        for kind in [KeyKind::Sdk, KeyKind::Secret] {
            let key = NewKey::generate(kind);
            let text = key.secret.expose();
            assert!(key.hash.matches(text));
            assert!(!key.hash.matches(&format!("{text}x")));
            assert_eq!(prefix_of(text), Some((kind, key.prefix.as_str())));
            assert!(!format!("{:?}", key.secret).contains(text));
        }
    }

    #[test]
    fn foreign_strings_have_no_prefix() {
        assert_eq!(prefix_of("key_live_short"), None);
        assert_eq!(prefix_of("Bearer xyz"), None);
        assert_eq!(prefix_of(&format!("key_live_{}", "!".repeat(32))), None);
    }
}
