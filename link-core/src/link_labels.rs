//! [`LinkLabels`]: a link's analytics labels (channel, feature, campaign, stage, tags), held
//! compactly.
//!
//! Four `Option<String>` and a `Vec<String>` take 120 bytes inline plus one allocation per
//! present label and per tag, each at least 32 bytes with the allocator's header: about 300
//! bytes for a channel, a campaign and two tags, on every cached link. Here the labels sit
//! back to back in one string and one index of offsets says where each ends: 32 bytes
//! inline and at most two allocations.

use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::invalid::Invalid;
use crate::link_data::flagged_offset;

/// The labels to build a [`LinkLabels`] from; every field defaults to absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LabelParts<'a> {
    pub channel: Option<&'a str>,
    pub feature: Option<&'a str>,
    pub campaign: Option<&'a str>,
    pub stage: Option<&'a str>,
    pub tags: &'a [String],
}

/// A link's channel, feature, campaign, stage and tags; immutable once built.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LinkLabels {
    /// Channel, feature, campaign, stage, then each tag, with nothing between them.
    text: Box<str>,
    /// Where each piece ends in `text`: the four named labels, then one per tag. The top
    /// bit marks a named label as present. Empty when there are no labels at all.
    ends: Box<[u32]>,
}

const NAMED: usize = 4;
const PRESENT_BIT: u32 = 1 << 31;
const CHANNEL: usize = 0;
const FEATURE: usize = 1;
const CAMPAIGN: usize = 2;
const STAGE: usize = 3;

impl LinkLabels {
    /// Fails only past 2 GiB of text, far beyond what the API accepts.
    pub fn new(parts: LabelParts<'_>) -> Result<Self, Invalid> {
        let named = [parts.channel, parts.feature, parts.campaign, parts.stage];
        if named.iter().all(Option::is_none) && parts.tags.is_empty() {
            return Ok(Self::default());
        }
        let mut text = String::new();
        let mut ends = Vec::with_capacity(NAMED + parts.tags.len());
        for label in named {
            text.push_str(label.unwrap_or_default());
            let present = if label.is_some() { PRESENT_BIT } else { 0 };
            ends.push(offset(text.len())? | present);
        }
        for tag in parts.tags {
            text.push_str(tag);
            ends.push(offset(text.len())?);
        }
        Ok(Self {
            text: text.into_boxed_str(),
            ends: ends.into_boxed_slice(),
        })
    }

    pub fn channel(&self) -> Option<&str> {
        self.named(CHANNEL)
    }

    pub fn feature(&self) -> Option<&str> {
        self.named(FEATURE)
    }

    pub fn campaign(&self) -> Option<&str> {
        self.named(CAMPAIGN)
    }

    pub fn stage(&self) -> Option<&str> {
        self.named(STAGE)
    }

    /// The tags, in the order they were given.
    pub fn tags(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (NAMED.min(self.ends.len())..self.ends.len()).map(|at| self.piece(at))
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags().any(|t| t == tag)
    }

    /// The tags as owned strings, for the API, the database and the hot tier.
    pub fn tags_vec(&self) -> Vec<String> {
        self.tags().map(str::to_owned).collect()
    }

    /// Bytes held on the heap (for cache weighers).
    pub fn heap_bytes(&self) -> usize {
        self.text.len() + std::mem::size_of_val::<[u32]>(&self.ends)
    }

    fn named(&self, at: usize) -> Option<&str> {
        let end = *self.ends.get(at)?;
        (end & PRESENT_BIT != 0).then(|| self.piece(at))
    }

    fn piece(&self, at: usize) -> &str {
        let start = match at.checked_sub(1) {
            Some(previous) => (self.ends[previous] & !PRESENT_BIT) as usize,
            None => 0,
        };
        &self.text[start..(self.ends[at] & !PRESENT_BIT) as usize]
    }
}

fn offset(len: usize) -> Result<u32, Invalid> {
    flagged_offset(len).ok_or_else(|| Invalid::new("link labels are too large"))
}

impl fmt::Debug for LinkLabels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkLabels")
            .field("channel", &self.channel())
            .field("feature", &self.feature())
            .field("campaign", &self.campaign())
            .field("stage", &self.stage())
            .field("tags", &self.tags().collect::<Vec<_>>())
            .finish()
    }
}

/// Serialized as the fields it replaces, so that a flattened `Link` keeps its shape.
impl Serialize for LinkLabels {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("LinkLabels", 5)?;
        s.serialize_field("channel", &self.channel())?;
        s.serialize_field("feature", &self.feature())?;
        s.serialize_field("campaign", &self.campaign())?;
        s.serialize_field("stage", &self.stage())?;
        s.serialize_field("tags", &self.tags().collect::<Vec<_>>())?;
        s.end()
    }
}

impl<'de> Deserialize<'de> for LinkLabels {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Owned {
            channel: Option<String>,
            feature: Option<String>,
            campaign: Option<String>,
            stage: Option<String>,
            #[serde(default)]
            tags: Vec<String>,
        }
        let o = Owned::deserialize(deserializer)?;
        Self::new(LabelParts {
            channel: o.channel.as_deref(),
            feature: o.feature.as_deref(),
            campaign: o.campaign.as_deref(),
            stage: o.stage.as_deref(),
            tags: &o.tags,
        })
        .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| (*t).to_owned()).collect()
    }

    #[test]
    fn every_label_reads_back() {
        let t = tags(&["spring", "", "é✓"]);
        let labels = LinkLabels::new(LabelParts {
            channel: Some("email"),
            feature: None,
            campaign: Some(""),
            stage: Some("new user"),
            tags: &t,
        })
        .unwrap();
        assert_eq!(labels.channel(), Some("email"));
        assert_eq!(labels.feature(), None);
        assert_eq!(labels.campaign(), Some(""), "empty is not absent");
        assert_eq!(labels.stage(), Some("new user"));
        assert_eq!(labels.tags().collect::<Vec<_>>(), ["spring", "", "é✓"]);
        assert_eq!(labels.tags_vec(), t);
        assert!(labels.has_tag("é✓"));
        assert!(!labels.has_tag("spr"));
    }

    #[test]
    fn no_labels_allocate_nothing() {
        let labels = LinkLabels::new(LabelParts::default()).unwrap();
        assert_eq!(labels, LinkLabels::default());
        assert_eq!(labels.heap_bytes(), 0);
        assert_eq!(labels.channel(), None);
        assert_eq!(labels.stage(), None);
        assert_eq!(labels.tags().len(), 0);
    }

    #[test]
    fn tags_alone_or_a_label_alone() {
        let t = tags(&["a", "b"]);
        let only_tags = LinkLabels::new(LabelParts {
            tags: &t,
            ..LabelParts::default()
        })
        .unwrap();
        assert_eq!(only_tags.channel(), None);
        assert_eq!(only_tags.tags_vec(), t);

        let only_stage = LinkLabels::new(LabelParts {
            stage: Some("s"),
            ..LabelParts::default()
        })
        .unwrap();
        assert_eq!(only_stage.stage(), Some("s"));
        assert_eq!(only_stage.campaign(), None);
        assert_eq!(only_stage.tags().len(), 0);
    }

    #[test]
    fn equal_labels_compare_equal_and_debug_names_them() {
        let t = tags(&["x"]);
        let parts = LabelParts {
            channel: Some("c"),
            tags: &t,
            ..LabelParts::default()
        };
        assert_eq!(
            LinkLabels::new(parts).unwrap(),
            LinkLabels::new(parts).unwrap()
        );
        let moved = LabelParts {
            channel: None,
            feature: Some("c"),
            ..parts
        };
        assert_ne!(
            LinkLabels::new(parts).unwrap(),
            LinkLabels::new(moved).unwrap()
        );
        let json = serde_json::to_value(LinkLabels::new(parts).unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"channel": "c", "feature": null, "campaign": null,
                               "stage": null, "tags": ["x"]})
        );
        let back: LinkLabels = serde_json::from_value(json).unwrap();
        assert_eq!(back, LinkLabels::new(parts).unwrap());
        assert_eq!(
            format!("{:?}", LinkLabels::new(parts).unwrap()),
            r#"LinkLabels { channel: Some("c"), feature: None, campaign: None, stage: None, tags: ["x"] }"#
        );
    }
}
