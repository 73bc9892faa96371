//! Long links: a link written out in full in its URL's query, with no row until a person
//! first clicks it.
//!
//! # Layout
//! - `params.rs`: the query -> a validated link and its derived code.
//! - `firebase.rs`: Firebase Dynamic Links' long form, as Branch parameters.
//! - `memo.rs`: parsed long links by app, config version and query.
//! - `store.rs`: finding or creating the row from the click path, never queueing.
//! - `existing.rs`: control keys appended to a short link, Branch's long link on an
//!   existing link.

mod existing;
mod firebase;
mod memo;
mod params;
mod store;

use chrono::{DateTime, Utc};
use link_core::{AppId, Invalid, LabelParts, Link, LinkData, LinkLabels};

pub use existing::{AppendedControls, Overridden};
pub use memo::{Parsed, ParsedLongLinks};
pub use params::{LongLink, MAX_QUERY_BYTES, defines_link, parse};
pub use store::{LongLinks, Unsaved};

impl LongLink {
    /// The link as it would be stored, for answering a click that does not get a row (a
    /// bot's, a HEAD, or one met while the row cannot be written).
    pub fn unsaved(&self, app_id: AppId, now: DateTime<Utc>) -> Result<Link, Invalid> {
        let new = &self.new;
        Ok(Link {
            id: 0,
            app_id,
            code: self.code.clone(),
            is_alias: true,
            data: LinkData::from_map(&new.data)?,
            labels: LinkLabels::new(LabelParts {
                channel: new.channel.as_deref(),
                feature: new.feature.as_deref(),
                campaign: new.campaign.as_deref(),
                stage: new.stage.as_deref(),
                tags: &new.tags,
            })?,
            link_type: new.link_type,
            duration_secs: new.duration_secs,
            expires_at: new.expires_at,
            version: 0,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        })
    }
}
