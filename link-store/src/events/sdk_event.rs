//! [`SdkEvent`]: what an app SDK reports besides installs and opens: Branch v2 events
//! (`/v2/event/standard`, `/v2/event/custom`) and session ends (`/v1/close`), written as
//! raw `sdk_events` rows (migration 0003).
//!
//! The JSON parts arrive already checked by the API (sizes, no NUL characters, which
//! Postgres refuses in `jsonb` and `text`), so a batch never fails on one event's data.

use chrono::{DateTime, Utc};
use link_core::AppId;
use link_core::client::{OsFamily, Platform};
use serde_json::{Map, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use super::kind::ShardEvent;
use crate::export::record::ExportedLink;

/// Which endpoint an event came from (`sdk_events.category`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SdkEventCategory {
    Standard,
    Custom,
    Close,
}

impl SdkEventCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Custom => "custom",
            Self::Close => "close",
        }
    }
}

#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SdkEvent {
    pub id: Uuid,
    pub app_id: AppId,
    pub occurred_at: DateTime<Utc>,
    pub category: SdkEventCategory,
    pub name: String,
    pub customer_event_alias: Option<String>,
    pub platform: Platform,
    pub os: Option<OsFamily>,
    pub os_version: Option<(u16, u16)>,
    pub session_id: Option<String>,
    pub device_token: Option<String>,
    pub bundle_token: Option<String>,
    pub developer_identity: Option<String>,
    /// Descriptive device keys only (the API drops identifiers).
    pub user_data: Map<String, Value>,
    pub event_data: Map<String, Value>,
    pub custom_data: Map<String, Value>,
    pub content_items: Vec<Value>,
}

// By hand: tokens and the developer's user identity never reach a log line.
impl std::fmt::Debug for SdkEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SdkEvent")
            .field("id", &self.id)
            .field("app_id", &self.app_id)
            .field("occurred_at", &self.occurred_at)
            .field("category", &self.category)
            .field("name", &self.name)
            .field("platform", &self.platform)
            .field("os", &self.os)
            .field("os_version", &self.os_version)
            .finish_non_exhaustive()
    }
}

const INSERT_EVENTS: &str = "\
INSERT INTO sdk_events (id, app_id, occurred_at, category, name, customer_event_alias,
                        platform, os, os_version, session_id, device_token, bundle_token,
                        developer_identity, user_data, event_data, custom_data, content_items)
SELECT id, app_id, occurred_at, category, name, alias, platform, os, os_version, session_id,
       device_token, bundle_token, developer_identity,
       user_data::jsonb, event_data::jsonb, custom_data::jsonb, content_items::jsonb
FROM UNNEST($1::uuid[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[], $6::text[],
            $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
            $13::text[], $14::text[], $15::text[], $16::text[], $17::text[])
     AS e (id, app_id, occurred_at, category, name, alias, platform, os, os_version,
           session_id, device_token, bundle_token, developer_identity,
           user_data, event_data, custom_data, content_items)
ON CONFLICT (id) DO NOTHING";

impl ShardEvent for SdkEvent {
    const KIND: &'static str = "sdk_event";

    fn event_id(&self) -> Uuid {
        self.id
    }

    fn export_record(&self, _link: Option<&ExportedLink>) -> serde_json::Result<Vec<u8>> {
        crate::export::record::sdk_event(self)
    }

    fn app_id(&self) -> AppId {
        self.app_id
    }

    async fn write_batch(
        conn: &mut PgConnection,
        events: &[&Self],
        _replay: bool,
    ) -> Result<(), sqlx::Error> {
        let c = Columns::from_events(events);
        sqlx::query(INSERT_EVENTS)
            .bind(c.id)
            .bind(c.app_id)
            .bind(c.occurred_at)
            .bind(c.category)
            .bind(c.name)
            .bind(c.alias)
            .bind(c.platform)
            .bind(c.os)
            .bind(c.os_version)
            .bind(c.session_id)
            .bind(c.device_token)
            .bind(c.bundle_token)
            .bind(c.developer_identity)
            .bind(c.user_data)
            .bind(c.event_data)
            .bind(c.custom_data)
            .bind(c.content_items)
            .execute(conn)
            .await?;
        Ok(())
    }
}

/// A batch turned inside out: one array per column, JSON as text (cast in SQL).
struct Columns<'a> {
    id: Vec<Uuid>,
    app_id: Vec<i64>,
    occurred_at: Vec<DateTime<Utc>>,
    category: Vec<&'static str>,
    name: Vec<&'a str>,
    alias: Vec<Option<&'a str>>,
    platform: Vec<&'static str>,
    os: Vec<Option<&'static str>>,
    os_version: Vec<Option<String>>,
    session_id: Vec<Option<&'a str>>,
    device_token: Vec<Option<&'a str>>,
    bundle_token: Vec<Option<&'a str>>,
    developer_identity: Vec<Option<&'a str>>,
    user_data: Vec<String>,
    event_data: Vec<String>,
    custom_data: Vec<String>,
    content_items: Vec<String>,
}

impl<'a> Columns<'a> {
    fn from_events(events: &[&'a SdkEvent]) -> Self {
        let json = |v: &Map<String, Value>| Value::Object(v.clone()).to_string();
        Self {
            id: events.iter().map(|e| e.id).collect(),
            app_id: events.iter().map(|e| e.app_id.get()).collect(),
            occurred_at: events.iter().map(|e| e.occurred_at).collect(),
            category: events.iter().map(|e| e.category.as_str()).collect(),
            name: events.iter().map(|e| e.name.as_str()).collect(),
            alias: events
                .iter()
                .map(|e| e.customer_event_alias.as_deref())
                .collect(),
            platform: events.iter().map(|e| e.platform.as_str()).collect(),
            os: events.iter().map(|e| e.os.map(OsFamily::as_str)).collect(),
            os_version: events
                .iter()
                .map(|e| {
                    e.os_version
                        .map(|(major, minor)| format!("{major}.{minor}"))
                })
                .collect(),
            session_id: events.iter().map(|e| e.session_id.as_deref()).collect(),
            device_token: events.iter().map(|e| e.device_token.as_deref()).collect(),
            bundle_token: events.iter().map(|e| e.bundle_token.as_deref()).collect(),
            developer_identity: events
                .iter()
                .map(|e| e.developer_identity.as_deref())
                .collect(),
            user_data: events.iter().map(|e| json(&e.user_data)).collect(),
            event_data: events.iter().map(|e| json(&e.event_data)).collect(),
            custom_data: events.iter().map(|e| json(&e.custom_data)).collect(),
            content_items: events
                .iter()
                .map(|e| Value::Array(e.content_items.clone()).to_string())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn debug_output_hides_identities_and_tokens() {
        let event = SdkEvent {
            id: Uuid::now_v7(),
            app_id: AppId::new(1).unwrap(),
            occurred_at: Utc::now(),
            category: SdkEventCategory::Standard,
            name: "PURCHASE".into(),
            customer_event_alias: None,
            platform: Platform::Ios,
            os: Some(OsFamily::Ios),
            os_version: Some((17, 4)),
            session_id: Some("1111111111111111111".into()),
            device_token: Some("2222222222222222222".into()),
            bundle_token: Some("3333333333333333333".into()),
            developer_identity: Some("alice@example.com".into()),
            user_data: Map::new(),
            event_data: json!({"revenue": 1.5}).as_object().cloned().unwrap(),
            custom_data: Map::new(),
            content_items: vec![json!({"$sku": "a"})],
        };
        let printed = format!("{event:?}");
        for secret in ["1111", "2222", "3333", "alice"] {
            assert!(!printed.contains(secret), "{printed}");
        }
        let c = Columns::from_events(&[&event]);
        assert_eq!(c.category, ["standard"]);
        assert_eq!(c.event_data, [r#"{"revenue":1.5}"#]);
        assert_eq!(c.content_items, [r#"[{"$sku":"a"}]"#]);
        assert_eq!(c.os_version, [Some("17.4".to_owned())]);
    }
}
