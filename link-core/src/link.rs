//! The link model: what a short code points at and carries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::code::LinkCode;
use crate::ids::AppId;
use crate::invalid::Invalid;
use crate::link_data::LinkData;
use crate::link_labels::LinkLabels;

/// Branch's link `type`: how often a link may be used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkType {
    /// Unlimited clicks (Branch type 0).
    #[default]
    Standard,
    /// Resolves for the first click only (Branch type 1).
    OneTime,
    /// A marketing link created from the dashboard or API (Branch type 2).
    Marketing,
}

impl LinkType {
    pub fn from_branch(raw: i64) -> Result<Self, Invalid> {
        match raw {
            0 => Ok(Self::Standard),
            1 => Ok(Self::OneTime),
            2 => Ok(Self::Marketing),
            _ => Err(Invalid::new("type must be 0, 1 or 2")),
        }
    }

    pub fn to_branch(self) -> i16 {
        match self {
            Self::Standard => 0,
            Self::OneTime => 1,
            Self::Marketing => 2,
        }
    }
}

/// A link as stored on its app's shard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub id: i64,
    pub app_id: AppId,
    pub code: LinkCode,
    /// Whether `code` was chosen by the creator (an alias) rather than generated.
    pub is_alias: bool,
    /// Branch link data: `$`-prefixed control keys plus the app's own keys.
    pub data: LinkData,
    /// Channel, feature, campaign, stage and tags: the analytics labels.
    #[serde(flatten)]
    pub labels: LinkLabels,
    pub link_type: LinkType,
    /// Attribution window for this link's clicks, seconds (app default when `None`).
    pub duration_secs: Option<u32>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Bumped on every change; lets caches and the hot tier refuse older copies.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Link {
    /// Whether a click at `now` should be refused (expired or deleted).
    pub fn is_gone_at(&self, now: DateTime<Utc>) -> bool {
        self.deleted_at.is_some() || self.expires_at.is_some_and(|at| at <= now)
    }

    /// A string value of the link data (`$ios_url`, `$og_title`, ...).
    pub fn data_str(&self, key: &str) -> Option<&str> {
        self.data.get_str(key)
    }
}
