//! The exported records: one JSON object per event, the message payload.
//!
//! Every record has `kind` (`click`, `install`, `open`, `sdk_event`, the subject's kind),
//! `id` (the event's UUID, also the message's `Nats-Msg-Id`), `app_id` and `occurred_at`
//! (RFC 3339, UTC). Events about a link carry `link`: its `id` (the SDK's `~id`), `code`,
//! and its `channel`, `feature` and `campaign` labels as they were when the event was written (`null` when
//! the link was deleted for good, or for organic installs and opens). Identifiers that
//! only serve matching (IP-derived fingerprints, browser ids, device tokens) are never
//! exported.

use chrono::{DateTime, Utc};
use link_core::Country;
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::events::click::browser_str;
use crate::events::session::SessionStart;
use crate::events::{ClickEvent, InstallEvent, OpenEvent, SdkEvent};

/// The link an event is about, read in the transaction that wrote the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ExportedLink {
    /// The link's id, as the SDK sees it (`~id`).
    pub id: i64,
    pub code: String,
    pub channel: Option<String>,
    pub feature: Option<String>,
    pub campaign: Option<String>,
}

fn os_version(version: Option<(u16, u16)>) -> Option<String> {
    version.map(|(major, minor)| format!("{major}.{minor}"))
}

#[derive(Serialize)]
struct ClickRecord<'a> {
    kind: &'static str,
    id: Uuid,
    app_id: i64,
    occurred_at: DateTime<Utc>,
    link: Option<&'a ExportedLink>,
    /// A bot or link-preview fetcher: a view, not a click.
    bot: bool,
    /// Counted in the link's stats (`false` for `$deeplink_no_attribution` links).
    counted: bool,
    platform: &'static str,
    os: &'static str,
    os_version: Option<String>,
    browser: &'static str,
    in_app: Option<&'static str>,
    /// ISO 3166-1 alpha-2, upper case, when a trusted proxy said.
    country: Option<String>,
    /// The pairs the click carried (UTM and the like) and any control keys appended to
    /// the link, as a query string.
    query: Option<&'a str>,
}

pub(crate) fn click(
    event: &ClickEvent,
    link: Option<&ExportedLink>,
) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(&ClickRecord {
        kind: "click",
        id: event.click_id.as_uuid(),
        app_id: event.app_id.get(),
        occurred_at: event.occurred_at,
        link,
        bot: event.is_bot,
        counted: event.counted,
        platform: event.platform.as_str(),
        os: event.os.as_str(),
        os_version: os_version(event.os_version),
        browser: browser_str(event.browser),
        in_app: event.in_app.map(|app| app.as_str()),
        country: event.country.map(Country::to_iso),
        query: event.query.as_deref(),
    })
}

#[derive(Serialize)]
struct SessionRecord<'a> {
    kind: &'static str,
    id: Uuid,
    app_id: i64,
    occurred_at: DateTime<Utc>,
    link: Option<&'a ExportedLink>,
    /// `deterministic`, `probabilistic` or `none` (organic).
    match_type: &'static str,
    click_id: Option<Uuid>,
    platform: &'static str,
    os: &'static str,
    os_version: Option<String>,
    device_model: Option<&'a str>,
    /// ISO 3166-1 alpha-2, upper case, when a trusted proxy said.
    country: Option<String>,
    /// Branch's `randomized_bundle_token`: the app install, for joining its events.
    bundle_token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_id: Option<&'a str>,
}

fn session<'a>(
    kind: &'static str,
    start: &'a SessionStart,
    link: Option<&'a ExportedLink>,
    session_id: Option<&'a str>,
) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(&SessionRecord {
        kind,
        id: start.id,
        app_id: start.app_id.get(),
        occurred_at: start.occurred_at,
        link,
        match_type: start.match_type.as_str(),
        click_id: start.click_id.map(|c| c.as_uuid()),
        platform: start.platform.as_str(),
        os: start.os.as_str(),
        os_version: os_version(start.os_version),
        device_model: start.device_model.as_deref(),
        country: start.country.map(Country::to_iso),
        bundle_token: &start.bundle_token,
        session_id,
    })
}

pub(crate) fn install(
    event: &InstallEvent,
    link: Option<&ExportedLink>,
) -> serde_json::Result<Vec<u8>> {
    session("install", &event.0, link, None)
}

pub(crate) fn open(event: &OpenEvent, link: Option<&ExportedLink>) -> serde_json::Result<Vec<u8>> {
    session("open", &event.start, link, Some(&event.session_id))
}

#[derive(Serialize)]
struct SdkEventRecord<'a> {
    kind: &'static str,
    id: Uuid,
    app_id: i64,
    occurred_at: DateTime<Utc>,
    /// `standard`, `custom` or `close`.
    category: &'static str,
    name: &'a str,
    customer_event_alias: Option<&'a str>,
    platform: &'static str,
    os: Option<&'static str>,
    os_version: Option<String>,
    session_id: Option<&'a str>,
    bundle_token: Option<&'a str>,
    developer_identity: Option<&'a str>,
    user_data: &'a Map<String, Value>,
    event_data: &'a Map<String, Value>,
    custom_data: &'a Map<String, Value>,
    content_items: &'a [Value],
}

pub(crate) fn sdk_event(event: &SdkEvent) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(&SdkEventRecord {
        kind: "sdk_event",
        id: event.id,
        app_id: event.app_id.get(),
        occurred_at: event.occurred_at,
        category: event.category.as_str(),
        name: &event.name,
        customer_event_alias: event.customer_event_alias.as_deref(),
        platform: event.platform.as_str(),
        os: event.os.map(|os| os.as_str()),
        os_version: os_version(event.os_version),
        session_id: event.session_id.as_deref(),
        bundle_token: event.bundle_token.as_deref(),
        developer_identity: event.developer_identity.as_deref(),
        user_data: &event.user_data,
        event_data: &event.event_data,
        custom_data: &event.custom_data,
        content_items: &event.content_items,
    })
}
