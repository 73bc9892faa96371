//! [`SessionStart`]: what an SDK install and an SDK open have in common, and the columns a
//! batch of them becomes. [`super::install`] and [`super::open`] wrap it as event kinds.

use chrono::{DateTime, Utc};
use link_core::client::{OsFamily, Platform};
use link_core::{AppId, ClickId, Country};
use uuid::Uuid;

/// How an install or open was attributed to a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchType {
    /// By a click id or the link's own URL: certain.
    Deterministic,
    /// By the click fingerprint within the attribution window: likely.
    Probabilistic,
    /// Organic.
    None,
}

impl MatchType {
    /// The stored word (`installs.match_type`, `opens.match_type`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deterministic => "deterministic",
            Self::Probabilistic => "probabilistic",
            Self::None => "none",
        }
    }
}

/// One SDK session start (an install or an open), as the API decided it.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionStart {
    /// The row's id (UUIDv7, so rows stay append-mostly).
    pub id: Uuid,
    pub app_id: AppId,
    pub occurred_at: DateTime<Utc>,
    pub platform: Platform,
    pub os: OsFamily,
    pub os_version: Option<(u16, u16)>,
    pub device_model: Option<String>,
    /// `randomized_device_token` as answered to the SDK.
    pub device_token: String,
    /// `randomized_bundle_token` (Branch's `identity_id`) as answered to the SDK.
    pub bundle_token: String,
    pub match_type: MatchType,
    /// The click the session was attributed to. For installs only set when this session
    /// claimed the click (`installs` allows one install per click).
    pub click_id: Option<ClickId>,
    /// The link the session was attributed to; `None` for organic sessions.
    pub link_id: Option<i64>,
    /// The browser the attributed click came from: it now counts as having the app.
    pub browser_id: Option<Uuid>,
    /// Where the device was, when a trusted proxy said.
    pub country: Option<Country>,
}

// By hand, so that logging an event with `?` never prints a device identifier.
impl std::fmt::Debug for SessionStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionStart")
            .field("id", &self.id)
            .field("app_id", &self.app_id)
            .field("occurred_at", &self.occurred_at)
            .field("platform", &self.platform)
            .field("os", &self.os)
            .field("os_version", &self.os_version)
            .field("device_model", &self.device_model)
            .field("device_token", &"<redacted>")
            .field("bundle_token", &"<redacted>")
            .field("match_type", &self.match_type)
            .field("click_id", &self.click_id)
            .field("link_id", &self.link_id)
            .field("browser_id", &self.browser_id.map(|_| "<redacted>"))
            .field("country", &self.country)
            .finish()
    }
}

/// The statement that writes a batch of session starts to `$table` (`installs` or
/// `opens`, with `$extra` more columns after the thirteen of [`SessionColumns`], bound
/// from `$14` on) and adds the rows it actually inserted to the `$table` column of both
/// rollups (link 0 for organic sessions). Counting only what the insert returned means a
/// batch written again adds nothing twice. `ON CONFLICT DO NOTHING` (no target) also
/// covers the one-install-per-click index, so a duplicate never rejects the whole batch.
macro_rules! insert_sessions {
    ($table:literal, extra_columns = $columns:literal, extra_params = $params:literal) => {
        concat!(
            "WITH inserted AS (
    INSERT INTO ",
            $table,
            " (id, app_id, occurred_at, platform, os, os_version, device_model,
        device_token, bundle_token, match_type, click_id, link_id, country",
            $columns,
            ")
    SELECT * FROM UNNEST($1::uuid[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[],
                         $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                         $11::uuid[], $12::bigint[], $13::text[]",
            $params,
            ")
    ON CONFLICT DO NOTHING
    RETURNING app_id, occurred_at, platform, link_id, country
), by_platform AS (
    INSERT INTO link_stats_daily AS s (app_id, day, link_id, platform, ",
            $table,
            ")
    SELECT app_id, (occurred_at AT TIME ZONE 'UTC')::date, coalesce(link_id, 0), platform,
           count(*)
    FROM inserted
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (app_id, day, link_id, platform) DO UPDATE
    SET ",
            $table,
            " = s.",
            $table,
            " + EXCLUDED.",
            $table,
            "
)
INSERT INTO link_country_daily AS s (app_id, day, link_id, country, ",
            $table,
            ")
SELECT app_id, (occurred_at AT TIME ZONE 'UTC')::date, coalesce(link_id, 0),
       coalesce(country, ''), count(*)
FROM inserted
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
ON CONFLICT (app_id, day, link_id, country) DO UPDATE
SET ",
            $table,
            " = s.",
            $table,
            " + EXCLUDED.",
            $table
        )
    };
}
pub(crate) use insert_sessions;

/// A batch of session starts turned inside out: one array per column, for `UNNEST`.
pub(crate) struct SessionColumns {
    pub id: Vec<Uuid>,
    pub app_id: Vec<i64>,
    pub occurred_at: Vec<DateTime<Utc>>,
    pub platform: Vec<&'static str>,
    pub os: Vec<&'static str>,
    pub os_version: Vec<Option<String>>,
    pub device_model: Vec<Option<String>>,
    pub device_token: Vec<String>,
    pub bundle_token: Vec<String>,
    pub match_type: Vec<&'static str>,
    pub click_id: Vec<Option<Uuid>>,
    pub link_id: Vec<Option<i64>>,
    pub country: Vec<Option<String>>,
}

impl SessionColumns {
    pub fn from_starts<'a>(starts: impl ExactSizeIterator<Item = &'a SessionStart>) -> Self {
        let n = starts.len();
        let mut c = Self {
            id: Vec::with_capacity(n),
            app_id: Vec::with_capacity(n),
            occurred_at: Vec::with_capacity(n),
            platform: Vec::with_capacity(n),
            os: Vec::with_capacity(n),
            os_version: Vec::with_capacity(n),
            device_model: Vec::with_capacity(n),
            device_token: Vec::with_capacity(n),
            bundle_token: Vec::with_capacity(n),
            match_type: Vec::with_capacity(n),
            click_id: Vec::with_capacity(n),
            link_id: Vec::with_capacity(n),
            country: Vec::with_capacity(n),
        };
        for s in starts {
            c.id.push(s.id);
            c.app_id.push(s.app_id.get());
            c.occurred_at.push(s.occurred_at);
            c.platform.push(s.platform.as_str());
            c.os.push(s.os.as_str());
            c.os_version.push(
                s.os_version
                    .map(|(major, minor)| format!("{major}.{minor}")),
            );
            c.device_model.push(s.device_model.clone());
            c.device_token.push(s.device_token.clone());
            c.bundle_token.push(s.bundle_token.clone());
            c.match_type.push(s.match_type.as_str());
            c.click_id.push(s.click_id.map(|id| id.as_uuid()));
            c.link_id.push(s.link_id);
            c.country.push(s.country.map(Country::to_iso));
        }
        c
    }

    /// Binds the thirteen columns, as `$1..$13` in declaration order, to a query whose
    /// statement `UNNEST`s them (installs and opens share the layout).
    pub fn bind(
        self,
        query: sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments> {
        query
            .bind(self.id)
            .bind(self.app_id)
            .bind(self.occurred_at)
            .bind(self.platform)
            .bind(self.os)
            .bind(self.os_version)
            .bind(self.device_model)
            .bind(self.device_token)
            .bind(self.bundle_token)
            .bind(self.match_type)
            .bind(self.click_id)
            .bind(self.link_id)
            .bind(self.country)
    }
}

/// The browsers of a batch whose sessions were attributed to a click from them.
pub(crate) fn browser_marks<'a>(
    starts: impl Iterator<Item = &'a SessionStart>,
) -> Vec<super::browser_apps::BrowserMark> {
    starts
        .filter_map(|s| {
            s.browser_id
                .map(|browser_id| super::browser_apps::BrowserMark {
                    app_id: s.app_id,
                    browser_id,
                    seen_at: s.occurred_at,
                })
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn start(app: i64) -> SessionStart {
        SessionStart {
            id: Uuid::now_v7(),
            app_id: AppId::new(app).unwrap(),
            occurred_at: Utc::now(),
            platform: Platform::Ios,
            os: OsFamily::Ios,
            os_version: Some((17, 4)),
            device_model: Some("iPhone15,2".into()),
            device_token: "4611686018427387905".into(),
            bundle_token: "4611686018427387906".into(),
            match_type: MatchType::Probabilistic,
            click_id: Some(ClickId::generate()),
            link_id: Some(7),
            browser_id: Some(Uuid::from_u128(0x1234_5678_9abc_def0)),
            country: Country::parse("de"),
        }
    }

    #[test]
    fn debug_output_hides_device_identifiers() {
        let printed = format!("{:?}", start(1));
        assert!(!printed.contains("4611686018427387905"), "{printed}");
        assert!(!printed.contains("4611686018427387906"), "{printed}");
        assert!(!printed.contains("abcdef0"), "{printed}");
    }

    #[test]
    fn columns_use_the_stored_vocabulary() {
        let mut organic = start(2);
        organic.match_type = MatchType::None;
        organic.link_id = None;
        organic.click_id = None;
        organic.browser_id = None;
        organic.platform = Platform::Android;
        organic.os = OsFamily::Android;
        organic.os_version = None;
        organic.country = None;
        let starts = [start(1), organic];
        let c = SessionColumns::from_starts(starts.iter());
        assert_eq!(c.platform, ["ios", "android"]);
        assert_eq!(c.os, ["ios", "android"]);
        assert_eq!(c.os_version, [Some("17.4".to_owned()), None]);
        assert_eq!(c.match_type, ["probabilistic", "none"]);
        assert_eq!(c.link_id, [Some(7), None]);
        assert_eq!(c.country, [Some("DE".to_owned()), None]);
        assert_eq!(browser_marks(starts.iter()).len(), 1);
    }
}
