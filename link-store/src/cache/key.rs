//! Cache keys. Look-ups borrow the request's code ([`LinkKeyRef`]) so a cache hit
//! allocates nothing; only an insert owns a copy.

use std::hash::{Hash, Hasher};

use compact_str::CompactString;
use equivalent::Equivalent;
use link_core::AppId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkKey {
    pub app: AppId,
    /// Inline up to 24 bytes: a cached link's key costs no heap block of its own.
    pub code: CompactString,
}

/// The borrowed form of [`LinkKey`]; hashes identically.
#[derive(Debug, Clone, Copy)]
pub struct LinkKeyRef<'a> {
    pub app: AppId,
    pub code: &'a str,
}

impl Hash for LinkKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.app.hash(state);
        self.code.as_str().hash(state);
    }
}

impl Hash for LinkKeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.app.hash(state);
        self.code.hash(state);
    }
}

impl Equivalent<LinkKey> for LinkKeyRef<'_> {
    fn equivalent(&self, key: &LinkKey) -> bool {
        self.app == key.app && self.code == key.code.as_str()
    }
}

impl LinkKeyRef<'_> {
    pub fn to_owned_key(self) -> LinkKey {
        LinkKey {
            app: self.app,
            code: self.code.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::hash_map::DefaultHasher;

    use super::*;

    fn hash_of(value: &impl Hash) -> u64 {
        let mut h = DefaultHasher::new();
        value.hash(&mut h);
        h.finish()
    }

    #[test]
    fn borrowed_and_owned_keys_hash_alike() {
        let app = AppId::new(7).unwrap();
        let owned = LinkKey {
            app,
            code: "Ab3xK9q".into(),
        };
        let borrowed = LinkKeyRef {
            app,
            code: "Ab3xK9q",
        };
        assert_eq!(hash_of(&owned), hash_of(&borrowed));
        assert!(borrowed.equivalent(&owned));
        assert!(!LinkKeyRef { app, code: "other" }.equivalent(&owned));
    }
}
