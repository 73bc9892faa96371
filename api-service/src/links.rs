//! Link operations shared by the SDK API (`/v1/url`) and the developer API
//! (`/api/v1/links`): lenient Branch-style parameter parsing, validation against the app's
//! config, and fenced writes to the app's shard.
//!
//! Every write runs in one transaction on the app's shard that starts with the epoch
//! fence; the shard's triggers then notify every link service, which drops its cached
//! copy, and the committed link is written through to the hot tier when there is one
//! (its failures are counted and retried there, never the request's). Nothing is
//! half-written: a rejected item leaves no row.

use chrono::{DateTime, Utc};
use link_core::{AppConfig, AppId, FieldError, Link, LinkCode, LinkType, link_input};
use link_store::StoreError;
use link_store::links::{self, LinkPatch, NewLink};
use serde_json::{Map, Value};
use shard_router::{app_config, fence};

use crate::error::ApiError;
use crate::state::ApiState;

/// Where a new link may send people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destinations {
    /// Anywhere on the web: links made with a secret key.
    Any,
    /// The app's own sites ([`AppConfig::allows_long_link_to`]): links made with the SDK
    /// key, which every copy of the app carries, so that anyone holding it cannot turn
    /// the app's link domain into a redirector to their own site.
    OwnSites,
}

/// Link parameters as Branch clients send them. Parsed leniently: `data` may be an object
/// or a JSON-encoded string; `type` and `duration` may be numbers or numeric strings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinkParams {
    pub alias: Option<LinkCode>,
    pub data: Map<String, Value>,
    pub channel: Option<String>,
    pub feature: Option<String>,
    pub campaign: Option<String>,
    pub stage: Option<String>,
    pub tags: Vec<String>,
    pub link_type: LinkType,
    pub duration_secs: Option<u32>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl LinkParams {
    /// Reads the link fields of a request object; other fields are ignored.
    pub fn from_json(body: &Map<String, Value>) -> Result<Self, FieldError> {
        Ok(Self {
            alias: match text(body, "alias")? {
                Some(alias) => Some(LinkCode::parse(&alias).map_err(|e| e.at("alias"))?),
                None => None,
            },
            data: data_field(body.get("data"))?.unwrap_or_default(),
            channel: link_input::normalize_attribute("channel", text(body, "channel")?)?,
            feature: link_input::normalize_attribute("feature", text(body, "feature")?)?,
            campaign: link_input::normalize_attribute("campaign", text(body, "campaign")?)?,
            stage: link_input::normalize_attribute("stage", text(body, "stage")?)?,
            tags: link_input::normalize_tags(tags_field(body.get("tags"))?.unwrap_or_default())?,
            link_type: match integer(body, "type")? {
                Some(t) => LinkType::from_branch(t).map_err(|e| e.at("type"))?,
                None => LinkType::Standard,
            },
            duration_secs: integer(body, "duration")?
                .map(link_input::validate_duration)
                .transpose()?,
            expires_at: timestamp(body, "expires_at")?,
        })
    }

    /// Checks the data against the app (registered schemes, sizes, and for links anyone
    /// can make, their destinations) and builds the row.
    pub fn into_new_link(
        self,
        app: &AppConfig,
        destinations: Destinations,
    ) -> Result<NewLink, FieldError> {
        link_input::validate_data(&self.data, app)?;
        if destinations == Destinations::OwnSites {
            link_input::check_open_link_destinations(&self.data, app)?;
        }
        let duration_secs = match self.duration_secs {
            Some(secs) => Some(secs),
            None => link_input::match_duration(&self.data)?,
        };
        Ok(NewLink {
            alias: self.alias,
            data: self.data,
            channel: self.channel,
            feature: self.feature,
            campaign: self.campaign,
            stage: self.stage,
            tags: self.tags,
            link_type: self.link_type,
            duration_secs,
            expires_at: self.expires_at,
        })
    }

    /// Reads a partial update: only fields present in `body` change (`null` clears).
    pub fn patch_from_json(body: &Map<String, Value>) -> Result<LinkPatch, FieldError> {
        let attr = |name: &'static str| -> Result<Option<Option<String>>, FieldError> {
            match body.get(name) {
                None => Ok(None),
                Some(Value::Null) => Ok(Some(None)),
                Some(_) => Ok(Some(link_input::normalize_attribute(
                    name,
                    text(body, name)?,
                )?)),
            }
        };
        Ok(LinkPatch {
            data: data_field(body.get("data"))?,
            channel: attr("channel")?,
            feature: attr("feature")?,
            campaign: attr("campaign")?,
            stage: attr("stage")?,
            tags: match body.get("tags") {
                None => None,
                Some(Value::Null) => Some(Vec::new()),
                Some(value) => Some(link_input::normalize_tags(
                    tags_field(Some(value))?.unwrap_or_default(),
                )?),
            },
            link_type: integer(body, "type")?
                .map(|t| LinkType::from_branch(t).map_err(|e| e.at("type")))
                .transpose()?,
            duration_secs: match body.get("duration") {
                None => None,
                Some(Value::Null) => Some(None),
                Some(_) => Some(
                    integer(body, "duration")?
                        .map(link_input::validate_duration)
                        .transpose()?,
                ),
            },
            expires_at: match body.get("expires_at") {
                None => None,
                Some(Value::Null) => Some(None),
                Some(_) => Some(timestamp(body, "expires_at")?),
            },
        })
    }
}

/// Whether an existing link was made with these parameters (an idempotent retry).
pub(crate) fn same_params(link: &Link, new: &NewLink) -> bool {
    link.deleted_at.is_none()
        && link.data.to_map() == new.data
        && link.labels.channel() == new.channel.as_deref()
        && link.labels.feature() == new.feature.as_deref()
        && link.labels.campaign() == new.campaign.as_deref()
        && link.labels.stage() == new.stage.as_deref()
        && link.labels.tags().eq(new.tags.iter().map(String::as_str))
        && link.link_type == new.link_type
        && link.duration_secs == new.duration_secs
        && link.expires_at == new.expires_at
}

/// Creates a link. Re-creating an alias with the same parameters returns the existing
/// link (`false`: not created); with other parameters it is a 409.
pub async fn create(
    state: &ApiState,
    app_id: AppId,
    params: LinkParams,
    destinations: Destinations,
) -> Result<(Link, bool), ApiError> {
    let resolved = state.app(app_id)?;
    let mut tx = fence::begin_app_write(resolved.shard.pool()?, &resolved.route).await?;
    let config = app_config::load(&mut *tx, app_id)
        .await?
        .ok_or(ApiError::NotFound("app"))?;
    let new = params.into_new_link(&config.config, destinations)?;
    match links::insert(&mut tx, app_id, &new).await {
        Ok(link) => {
            tx.commit().await?;
            state.hot.write_through.put_link(&link).await;
            Ok((link, true))
        }
        Err(StoreError::AliasTaken(code)) => {
            let existing = links::find_by_code(&mut *tx, app_id, code.as_str()).await?;
            match existing {
                Some(link) if same_params(&link, &new) => Ok((link, false)),
                _ => Err(StoreError::AliasTaken(code).into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Applies a merge patch to a live link and returns the new version.
pub async fn update(
    state: &ApiState,
    app_id: AppId,
    code: &str,
    patch: &LinkPatch,
) -> Result<Link, ApiError> {
    let resolved = state.app(app_id)?;
    let mut tx = fence::begin_app_write(resolved.shard.pool()?, &resolved.route).await?;
    let current = links::lock_live(&mut tx, app_id, code)
        .await?
        .ok_or(ApiError::NotFound("link"))?;
    let config = app_config::load(&mut *tx, app_id)
        .await?
        .ok_or(ApiError::NotFound("app"))?;
    let next = patch.apply_to(&current)?;
    link_input::validate_data(&next.data.to_map(), &config.config)?;
    let saved = links::save(&mut tx, &next).await?;
    tx.commit().await?;
    state.hot.write_through.put_link(&saved).await;
    Ok(saved)
}

/// Soft-deletes a live link (it then answers 410).
pub async fn delete(state: &ApiState, app_id: AppId, code: &str) -> Result<Link, ApiError> {
    let resolved = state.app(app_id)?;
    let mut tx = fence::begin_app_write(resolved.shard.pool()?, &resolved.route).await?;
    let deleted = links::soft_delete(&mut tx, app_id, code)
        .await?
        .ok_or(ApiError::NotFound("link"))?;
    tx.commit().await?;
    state.hot.write_through.delete_link(&deleted).await;
    Ok(deleted)
}

/// A link by code, live or deleted, of the caller's app only.
pub async fn get(state: &ApiState, app_id: AppId, code: &str) -> Result<Link, ApiError> {
    if LinkCode::parse(code).is_err() {
        return Err(ApiError::NotFound("link"));
    }
    let resolved = state.app(app_id)?;
    links::find_by_code(resolved.shard.pool()?, app_id, code)
        .await?
        .ok_or(ApiError::NotFound("link"))
}

fn text(body: &Map<String, Value>, field: &'static str) -> Result<Option<String>, FieldError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(FieldError::new(field, "must be a string")),
    }
}

fn integer(body: &Map<String, Value>, field: &'static str) -> Result<Option<i64>, FieldError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| FieldError::new(field, "must be an integer")),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| FieldError::new(field, "must be an integer")),
        Some(_) => Err(FieldError::new(field, "must be an integer")),
    }
}

fn timestamp(
    body: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<DateTime<Utc>>, FieldError> {
    match text(body, field)? {
        None => Ok(None),
        Some(raw) => DateTime::parse_from_rfc3339(raw.trim())
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| FieldError::new(field, "must be an RFC 3339 timestamp")),
    }
}

/// `data` as an object, or as a string holding a JSON object (Branch SDKs send both).
fn data_field(value: Option<&Value>) -> Result<Option<Map<String, Value>>, FieldError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map.clone())),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Some(Map::new())),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(map)) => Ok(Some(map)),
            _ => Err(FieldError::new(
                "data",
                "must be a JSON object or a string holding one",
            )),
        },
        Some(_) => Err(FieldError::new("data", "must be a JSON object")),
    }
}

/// `tags` as an array of strings (a single string is one tag).
fn tags_field(value: Option<&Value>) -> Result<Option<Vec<String>>, FieldError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                _ => Err(FieldError::new("tags", "must be an array of strings")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(FieldError::new("tags", "must be an array of strings")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn parses_branch_style_parameters() {
        let p = LinkParams::from_json(&obj(json!({
            "alias": "summer-sale", "data": "{\"$og_title\":\"Hi\",\"k\":1}",
            "channel": "email", "tags": ["a", "b"], "type": "1", "duration": 3600,
            "branch_key": "ignored"
        })))
        .unwrap();
        assert_eq!(p.alias.as_ref().map(LinkCode::as_str), Some("summer-sale"));
        assert_eq!(p.data.get("k"), Some(&json!(1)));
        assert_eq!(p.link_type, LinkType::OneTime);
        assert_eq!(p.duration_secs, Some(3600));
        assert_eq!(p.tags, ["a", "b"]);
    }

    #[test]
    fn names_the_offending_field() {
        let cases = [
            (json!({"alias": "bad alias"}), "alias"),
            (json!({"data": 5}), "data"),
            (json!({"data": "not json"}), "data"),
            (json!({"tags": [1]}), "tags"),
            (json!({"type": 9}), "type"),
            (json!({"duration": "soon"}), "duration"),
            (json!({"channel": {"x": 1}}), "channel"),
            (json!({"expires_at": "tomorrow"}), "expires_at"),
            (json!({"channel": "e\u{0}mail"}), "channel"),
            (json!({"tags": ["ok", "b\u{0}d"]}), "tags"),
            (json!({"tags": "\u{0}"}), "tags"),
        ];
        for (body, field) in cases {
            let err = LinkParams::from_json(&obj(body.clone())).expect_err(&body.to_string());
            assert_eq!(err.field, field, "{body}");
            if body.get("alias").is_none() && body.get("type").is_none() {
                let err =
                    LinkParams::patch_from_json(&obj(body.clone())).expect_err(&body.to_string());
                assert_eq!(err.field, field, "patch {body}");
            }
        }
    }

    #[test]
    fn patches_only_what_is_present() {
        let patch = LinkParams::patch_from_json(&obj(
            json!({"data": {"a": 1, "b": null}, "channel": null}),
        ))
        .unwrap();
        assert!(patch.data.is_some());
        assert_eq!(patch.channel, Some(None));
        assert_eq!(patch.campaign, None);
        assert_eq!(patch.tags, None);
    }
}
