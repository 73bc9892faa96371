//! What every click-path handler shares, built once at start-up.

use actix_web::http::header::HeaderName;
use link_core::client::ClassifierMemo;
use link_core::fingerprint::FingerprintKey;
use link_store::cache::LinkCache;
use link_store::events::ClickRecorder;
use link_store::hot::ClickIndex;
use shard_router::ShardRouter;

use crate::click::browser_id::BrowserIds;
use crate::click::installed::InstalledApps;
use crate::click::metrics::ClickMetrics;
use crate::long_link::{AppendedControls, LongLinks, ParsedLongLinks};
use service_kit::forwarded::Forwarded;

pub struct ClickState {
    pub router: ShardRouter,
    pub cache: LinkCache,
    pub memo: ClassifierMemo,
    pub browser_ids: BrowserIds,
    pub forwarded: Forwarded,
    /// `HOPLINK_COUNTRY_HEADER`, read from trusted proxies only.
    pub country_header: Option<HeaderName>,
    pub fingerprint_key: FingerprintKey,
    pub recorder: ClickRecorder,
    /// Click fingerprints for attribution (Aerospike when on; the clicks table otherwise).
    pub clicks: std::sync::Arc<dyn ClickIndex>,
    pub installed: InstalledApps,
    pub metrics: ClickMetrics,
    pub long_links: LongLinks,
    pub parsed_long_links: ParsedLongLinks,
    /// Short links as the control keys appended to their URL override them.
    pub appended_controls: AppendedControls,
}
