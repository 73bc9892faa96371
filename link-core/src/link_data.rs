//! [`LinkData`]: a link's data (Branch's `$`-keys and the app's own), held compactly.
//!
//! Every cached link carries its data, so its footprint sets how many links a cache of a
//! given size holds. A `serde_json::Map` spends a B-tree node with room for eleven entries
//! plus one allocation per key and per string value: about 900 bytes for three short
//! entries. Here keys and values sit back to back in one string and an index of offsets
//! says where each ends: two allocations, whatever the number of entries. String values are
//! kept unescaped (the click path reads them as `&str`); any other value is kept as its JSON
//! text and parsed only when asked for (the API, the hot tier).

use std::cmp::Ordering;
use std::fmt;

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Error as _, Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::invalid::Invalid;

/// A link's data: an immutable JSON object with string keys, ordered by key.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LinkData {
    /// Key 0, value 0, key 1, value 1, ... with nothing between them.
    text: Box<str>,
    /// One per entry, in key order: where its key and its value end in `text`.
    entries: Box<[Entry]>,
    /// The union of the entries' [`key_bit`]s: a look-up of a key whose bit is clear
    /// answers "absent" without a search. The click path asks for many control keys a
    /// link does not set.
    key_bits: u64,
}

/// One of 64 bits for a key, from its length and three of its bytes: a few instructions,
/// and Branch's `$` keys spread over the bits (they differ in length, second and last
/// byte).
fn key_bit(key: &str) -> u64 {
    let bytes = key.as_bytes();
    let byte = |at: Option<&u8>| u32::from(at.copied().unwrap_or(0));
    let mix = (bytes.len() as u32).wrapping_mul(0x9E37)
        ^ byte(bytes.get(1)).wrapping_mul(0x85EB)
        ^ byte(bytes.last()).wrapping_mul(0xC2B3)
        ^ byte(bytes.get(bytes.len() / 2));
    1 << (mix.wrapping_mul(0x2545_F491) >> 26)
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Entry {
    key_end: u32,
    /// The top bit is set when the value is JSON text rather than a string.
    value_end: u32,
}

const JSON_BIT: u32 = 1 << 31;

/// One value of [`LinkData`], borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataValue<'a> {
    /// A JSON string, unescaped.
    Str(&'a str),
    /// Any other JSON value (number, boolean, null, array, object), as compact JSON text.
    Json(&'a str),
}

impl DataValue<'_> {
    /// The value as a `serde_json::Value`.
    pub fn to_value(self) -> Value {
        match self {
            Self::Str(s) => Value::String(s.to_owned()),
            // The text was written by serde_json from a Value, so it parses back; Null is
            // only a safeguard.
            Self::Json(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        }
    }
}

impl LinkData {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value under `key` (a binary search: entries are in key order).
    pub fn get(&self, key: &str) -> Option<DataValue<'_>> {
        if self.key_bits & key_bit(key) == 0 {
            return None;
        }
        let (mut low, mut high) = (0, self.entries.len());
        while low < high {
            let mid = low + (high - low) / 2;
            match self.key_at(mid).cmp(key) {
                Ordering::Less => low = mid + 1,
                Ordering::Greater => high = mid,
                Ordering::Equal => return Some(self.value_at(mid)),
            }
        }
        None
    }

    /// The string under `key`; `None` when absent or not a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            DataValue::Str(s) => Some(s),
            DataValue::Json(_) => None,
        }
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, DataValue<'_>)> + '_ {
        (0..self.entries.len()).map(|at| (self.key_at(at), self.value_at(at)))
    }

    /// The data as a JSON object, for the API and anything that edits it.
    pub fn to_map(&self) -> Map<String, Value> {
        self.iter()
            .map(|(key, value)| (key.to_owned(), value.to_value()))
            .collect()
    }

    /// Bytes held on the heap (for cache weighers).
    pub fn heap_bytes(&self) -> usize {
        self.text.len() + std::mem::size_of_val::<[Entry]>(&self.entries)
    }

    /// Builds the compact form. Fails only past 2 GiB of text, which no stored link
    /// reaches (Postgres caps a `jsonb` value at 255 MB).
    pub fn from_map(map: &Map<String, Value>) -> Result<Self, Invalid> {
        let mut sorted: Vec<(&String, &Value)> = map.iter().collect();
        // A Map is already in key order unless serde_json's `preserve_order` is on.
        sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut text = String::new();
        let mut entries = Vec::with_capacity(sorted.len());
        let mut key_bits = 0;
        for (key, value) in sorted {
            key_bits |= key_bit(key);
            text.push_str(key);
            let key_end = offset(text.len())?;
            let json = match value {
                Value::String(s) => {
                    text.push_str(s);
                    false
                }
                other => {
                    text.push_str(&other.to_string());
                    true
                }
            };
            let value_end = offset(text.len())? | if json { JSON_BIT } else { 0 };
            entries.push(Entry { key_end, value_end });
        }
        Ok(Self {
            text: text.into_boxed_str(),
            entries: entries.into_boxed_slice(),
            key_bits,
        })
    }

    fn start_of(&self, at: usize) -> usize {
        match at.checked_sub(1) {
            Some(previous) => (self.entries[previous].value_end & !JSON_BIT) as usize,
            None => 0,
        }
    }

    fn key_at(&self, at: usize) -> &str {
        &self.text[self.start_of(at)..self.entries[at].key_end as usize]
    }

    fn value_at(&self, at: usize) -> DataValue<'_> {
        let entry = self.entries[at];
        let end = (entry.value_end & !JSON_BIT) as usize;
        let text = &self.text[entry.key_end as usize..end];
        if entry.value_end & JSON_BIT != 0 {
            DataValue::Json(text)
        } else {
            DataValue::Str(text)
        }
    }
}

fn offset(len: usize) -> Result<u32, Invalid> {
    flagged_offset(len).ok_or_else(|| Invalid::new("link data is too large"))
}

/// `len` as an offset that leaves the top bit free for a flag (here and in
/// [`crate::link_labels`]); `None` from 2 GiB on.
pub(crate) fn flagged_offset(len: usize) -> Option<u32> {
    u32::try_from(len).ok().filter(|n| n & (1 << 31) == 0)
}

impl TryFrom<Map<String, Value>> for LinkData {
    type Error = Invalid;

    fn try_from(map: Map<String, Value>) -> Result<Self, Invalid> {
        Self::from_map(&map)
    }
}

impl TryFrom<&Map<String, Value>> for LinkData {
    type Error = Invalid;

    fn try_from(map: &Map<String, Value>) -> Result<Self, Invalid> {
        Self::from_map(map)
    }
}

impl fmt::Debug for LinkData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for LinkData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (key, value) in self.iter() {
            match value {
                DataValue::Str(s) => map.serialize_entry(key, s)?,
                DataValue::Json(text) => {
                    let value: Value = serde_json::from_str(text).map_err(S::Error::custom)?;
                    map.serialize_entry(key, &value)?;
                }
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for LinkData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(deserializer)?;
        Self::from_map(&map).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn data(value: Value) -> LinkData {
        match value {
            Value::Object(map) => LinkData::from_map(&map).unwrap(),
            _ => unreachable!("test data must be an object"),
        }
    }

    #[test]
    fn the_key_filter_never_hides_a_key() {
        use crate::decision::controls::keys;
        let present = [
            keys::FALLBACK_URL,
            keys::IOS_URL,
            keys::DEEPLINK_PATH,
            keys::OG_TITLE,
            "product_id",
            "",
            "x",
            "é",
        ];
        let absent = [
            keys::DESKTOP_URL,
            keys::ANDROID_URL,
            keys::WEB_ONLY,
            keys::MOBILE_WEB_ONLY,
            keys::ALWAYS_DEEPLINK,
            keys::URI_REDIRECT_MODE,
            keys::IOS_URI_REDIRECT_MODE,
            keys::ANDROID_URI_REDIRECT_MODE,
            keys::IOS_REDIRECT_TIMEOUT,
            keys::CUSTOM_META_TAGS,
            "product_ids",
            "y",
        ];
        let map: Map<String, Value> = present
            .iter()
            .enumerate()
            .map(|(n, key)| ((*key).to_owned(), json!(n)))
            .collect();
        let d = LinkData::from_map(&map).unwrap();
        for (n, key) in present.iter().enumerate() {
            assert_eq!(d.get(key), Some(DataValue::Json(&n.to_string())), "{key}");
        }
        for key in absent {
            assert_eq!(d.get(key), None, "{key}");
        }
        // The control keys the click path asks for spread over the bits: few share one.
        let bits: std::collections::HashSet<u64> = present
            .iter()
            .chain(&absent)
            .filter(|k| k.starts_with('$'))
            .map(|k| key_bit(k))
            .collect();
        assert!(bits.len() >= 11, "{} distinct bits", bits.len());
        assert_eq!(LinkData::default().get(keys::IOS_URL), None);
    }

    #[test]
    fn strings_and_other_values_read_back() {
        let d = data(json!({
            "$ios_url": "https://acme.app/ios?a=1&b=\"q\"",
            "$always_deeplink": true,
            "$uri_redirect_mode": 2,
            "nested": {"k": [1, "two", null]},
            "": "empty key",
            "é": "ünïcode ✓",
        }));
        assert_eq!(d.len(), 6);
        assert_eq!(
            d.get("$ios_url"),
            Some(DataValue::Str("https://acme.app/ios?a=1&b=\"q\""))
        );
        assert_eq!(d.get("$always_deeplink"), Some(DataValue::Json("true")));
        assert_eq!(d.get("$uri_redirect_mode"), Some(DataValue::Json("2")));
        assert_eq!(d.get_str("$uri_redirect_mode"), None);
        assert_eq!(d.get_str(""), Some("empty key"));
        assert_eq!(d.get_str("é"), Some("ünïcode ✓"));
        assert_eq!(
            d.get("nested").map(DataValue::to_value),
            Some(json!({"k": [1, "two", null]}))
        );
        assert_eq!(d.get("$missing"), None);
        assert_eq!(d.get("$ios_ur"), None);
        assert_eq!(d.get("$ios_url_"), None);
        assert!(d.contains_key("$always_deeplink"));
    }

    #[test]
    fn every_key_is_found_whatever_the_count() {
        for n in 0..40 {
            let map: Map<String, Value> = (0..n)
                .map(|i| (format!("k{i:03}"), json!(format!("v{i}"))))
                .collect();
            let d = LinkData::from_map(&map).unwrap();
            assert_eq!(d.len(), n);
            for i in 0..n {
                let value = format!("v{i}");
                assert_eq!(d.get_str(&format!("k{i:03}")), Some(value.as_str()));
            }
            assert_eq!(d.get("k"), None);
            assert_eq!(d.get("zzz"), None);
        }
    }

    #[test]
    fn the_map_round_trips_through_json_and_to_map() {
        let original = json!({
            "b": 1.5, "a": "x", "c": [true, {"d": -3}], "e": null, "f": false, "g": "",
            "big": 18446744073709551615u64
        });
        let d = data(original.clone());
        assert_eq!(Value::Object(d.to_map()), original);
        assert_eq!(serde_json::to_value(&d).unwrap(), original);
        let back: LinkData = serde_json::from_value(original.clone()).unwrap();
        assert_eq!(back, d);
        assert_eq!(
            d.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            ["a", "b", "big", "c", "e", "f", "g"]
        );
    }

    #[test]
    fn empty_data_is_empty() {
        let d = LinkData::new();
        assert!(d.is_empty());
        assert_eq!(d.get(""), None);
        assert_eq!(serde_json::to_string(&d).unwrap(), "{}");
        assert_eq!(d, data(json!({})));
    }

    #[test]
    fn only_an_object_deserializes() {
        assert!(serde_json::from_str::<LinkData>("[1]").is_err());
        assert!(serde_json::from_str::<LinkData>("\"x\"").is_err());
    }

    #[test]
    fn debug_shows_the_entries() {
        let d = data(json!({"a": "x", "n": 1}));
        assert_eq!(format!("{d:?}"), r#"{"a": Str("x"), "n": Json("1")}"#);
    }
}
