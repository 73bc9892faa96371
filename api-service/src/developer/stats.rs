//! `GET /api/v1/stats` and `GET /api/v1/links/{code}/stats`: clicks, bot views, installs
//! and opens from the daily rollups, per app or per link, by day and/or platform
//! (`link_stats_daily`) or country (`link_country_daily`).
//!
//! Only rollups are read, never raw events: a year of one link is at most 366 × 4 rows
//! by platform, and 366 rows per country it was clicked from. Days are UTC. App-wide numbers include installs and opens that came from no
//! link (organic).

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{Days, NaiveDate, Utc};
use link_core::{AppId, Country, FieldError, LinkCode};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};

use super::schemas::Problem;
use crate::error::ApiError;
use crate::query::given;
use crate::state::ApiState;

/// Longest range one request may cover, in days (both ends included).
pub const MAX_DAYS: u64 = 366;
/// Days covered when `from` is not given.
pub const DEFAULT_DAYS: u64 = 30;

/// Query of `GET /api/v1/stats`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// First day (UTC, `YYYY-MM-DD`, included). Default: 29 days before `to`.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Last day (UTC, `YYYY-MM-DD`, included). Default: today. At most 366 days after
    /// `from`.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
    /// Only this link (its code); the whole app when absent.
    pub link: Option<String>,
    /// `day` (default), `platform`, `country`, `day,platform` or `day,country`.
    pub group_by: Option<String>,
    /// Only this platform: `ios`, `android`, `desktop` or `other`.
    pub platform: Option<String>,
    /// Only this country (ISO 3166-1 alpha-2, `DE`).
    pub country: Option<String>,
}

/// Query of `GET /api/v1/links/{code}/stats`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkStatsParams {
    /// First day (UTC, `YYYY-MM-DD`, included). Default: 29 days before `to`.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Last day (UTC, `YYYY-MM-DD`, included). Default: today. At most 366 days after
    /// `from`.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
    /// `day` (default), `platform`, `country`, `day,platform` or `day,country`.
    pub group_by: Option<String>,
    /// Only this platform: `ios`, `android`, `desktop` or `other`.
    pub platform: Option<String>,
    /// Only this country (ISO 3166-1 alpha-2, `DE`).
    pub country: Option<String>,
}

/// What a stats request asks for, from either query.
struct Request<'a> {
    from: Option<&'a str>,
    to: Option<&'a str>,
    group_by: Option<&'a str>,
    platform: Option<&'a str>,
    country: Option<&'a str>,
    link: Option<String>,
}

#[derive(Debug, Default, Clone, Copy, Serialize, ToSchema)]
pub struct Counts {
    /// Human clicks.
    pub clicks: i64,
    /// Views by bots and link-preview fetchers.
    pub bot_views: i64,
    pub installs: i64,
    pub opens: i64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Self) {
        self.clicks += other.clicks;
        self.bot_views += other.bot_views;
        self.installs += other.installs;
        self.opens += other.opens;
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsRow {
    /// Present when grouped by day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day: Option<NaiveDate>,
    /// `ios`, `android`, `desktop` or `other`; present when grouped by platform.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// ISO 3166-1 alpha-2 (`DE`), or `null` where no country was known (no
    /// `HOPLINK_COUNTRY_HEADER`, or activity from before countries were kept); present
    /// when grouped by country.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, nullable)]
    pub country: Option<Option<String>>,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "from": "2026-06-01", "to": "2026-06-02", "link": "summer-sale", "group_by": ["day"],
    "totals": {"clicks": 130, "bot_views": 4, "installs": 12, "opens": 40},
    "rows": [
        {"day": "2026-06-01", "clicks": 100, "bot_views": 3, "installs": 10, "opens": 30},
        {"day": "2026-06-02", "clicks": 30, "bot_views": 1, "installs": 2, "opens": 10}
    ]
}))]
pub struct StatsResponse {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The link's code, or `null` for the whole app.
    pub link: Option<String>,
    pub group_by: Vec<String>,
    /// The `platform` filter, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// The `country` filter, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    pub totals: Counts,
    /// Sorted by day, then platform or country. Days without activity are left out.
    pub rows: Vec<StatsRow>,
}

/// What rows are split by besides the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dimension {
    Platform,
    Country,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Grouping {
    day: bool,
    by: Option<Dimension>,
}

impl Grouping {
    fn parse(raw: Option<&str>) -> Result<Self, FieldError> {
        let mut grouping = Self {
            day: false,
            by: None,
        };
        let raw = given(raw).unwrap_or("day");
        for part in raw.split(',').map(str::trim) {
            let by = match part {
                "day" => {
                    grouping.day = true;
                    continue;
                }
                "platform" => Dimension::Platform,
                "country" => Dimension::Country,
                _ => {
                    return Err(FieldError::new(
                        "group_by",
                        "must be day, platform, country, day,platform or day,country",
                    ));
                }
            };
            if grouping.by.is_some_and(|seen| seen != by) {
                // The two are rolled up apart (see link_country_daily).
                return Err(FieldError::new(
                    "group_by",
                    "platform and country cannot be combined",
                ));
            }
            grouping.by = Some(by);
        }
        if grouping.by.is_none() {
            grouping.day = true;
        }
        Ok(grouping)
    }

    fn names(self) -> Vec<String> {
        let by = self.by.map(|by| match by {
            Dimension::Platform => "platform",
            Dimension::Country => "country",
        });
        self.day
            .then_some("day")
            .into_iter()
            .chain(by)
            .map(str::to_owned)
            .collect()
    }

    /// The select list, GROUP BY and ORDER BY of the query: fixed fragments, like
    /// everything spliced into its SQL.
    fn sql(self) -> (&'static str, &'static str, &'static str) {
        match (self.day, self.by) {
            (_, None) => (
                "day, NULL::text AS platform, NULL::text AS country,",
                "GROUP BY day",
                "ORDER BY day",
            ),
            (false, Some(Dimension::Platform)) => (
                "NULL::date AS day, platform, NULL::text AS country,",
                "GROUP BY platform",
                "ORDER BY platform",
            ),
            (true, Some(Dimension::Platform)) => (
                "day, platform, NULL::text AS country,",
                "GROUP BY day, platform",
                "ORDER BY day, platform",
            ),
            (false, Some(Dimension::Country)) => (
                "NULL::date AS day, NULL::text AS platform, country,",
                "GROUP BY country",
                "ORDER BY country",
            ),
            (true, Some(Dimension::Country)) => (
                "day, NULL::text AS platform, country,",
                "GROUP BY day, country",
                "ORDER BY day, country",
            ),
        }
    }
}

/// The rollup that splits by `dimension`, and its column for that dimension.
fn source(dimension: Option<Dimension>) -> (&'static str, &'static str) {
    match dimension {
        Some(Dimension::Country) => ("link_country_daily", "country"),
        Some(Dimension::Platform) | None => ("link_stats_daily", "platform"),
    }
}

/// Rows of one platform or one country only (`platform=ios`, `country=DE`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Filter {
    by: Dimension,
    /// As stored: `ios`, `DE`.
    value: String,
}

impl Filter {
    fn parse(platform: Option<&str>, country: Option<&str>) -> Result<Option<Self>, FieldError> {
        let platform = match given(platform).map(str::to_ascii_lowercase) {
            None => None,
            Some(p) if matches!(p.as_str(), "ios" | "android" | "desktop" | "other") => Some(p),
            Some(_) => {
                return Err(FieldError::new(
                    "platform",
                    "must be ios, android, desktop or other",
                ));
            }
        };
        let country = match given(country) {
            None => None,
            Some(raw) => Some(Country::parse(raw).map(Country::to_iso).ok_or_else(|| {
                FieldError::new("country", "must be a two-letter ISO 3166 country code")
            })?),
        };
        match (platform, country) {
            // The two are rolled up apart (see link_country_daily).
            (Some(_), Some(_)) => Err(FieldError::new(
                "country",
                "cannot be combined with a platform filter",
            )),
            (Some(value), None) => Ok(Some(Self {
                by: Dimension::Platform,
                value,
            })),
            (None, Some(value)) => Ok(Some(Self {
                by: Dimension::Country,
                value,
            })),
            (None, None) => Ok(None),
        }
    }
}

fn date(raw: Option<&str>, field: &'static str) -> Result<Option<NaiveDate>, FieldError> {
    given(raw)
        .map(|r| {
            NaiveDate::parse_from_str(r, "%Y-%m-%d")
                .map_err(|_| FieldError::new(field, "must be a date as YYYY-MM-DD"))
        })
        .transpose()
}

/// The validated range: `to` defaults to today (UTC), `from` to 29 days before `to`.
fn range(from: Option<&str>, to: Option<&str>) -> Result<(NaiveDate, NaiveDate), FieldError> {
    let to = match date(to, "to")? {
        Some(to) => to,
        None => Utc::now().date_naive(),
    };
    let from = match date(from, "from")? {
        Some(from) => from,
        None => to
            .checked_sub_days(Days::new(DEFAULT_DAYS - 1))
            .unwrap_or(NaiveDate::MIN),
    };
    if from > to {
        return Err(FieldError::new("from", "must not be after `to`"));
    }
    if to.signed_duration_since(from).num_days() >= MAX_DAYS as i64 {
        return Err(FieldError::new(
            "to",
            "the range may cover at most 366 days",
        ));
    }
    Ok((from, to))
}

#[utoipa::path(
    tag = "stats",
    summary = "Clicks, installs and opens per day, platform or country",
    params(StatsParams),
    responses(
        (status = 200, description = "Totals and rows", body = StatsResponse),
        (status = 400, description = "An invalid parameter (named in `field`: `from`, `to`, `group_by`, `platform`, `country`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a secret key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`link` names no link of the app", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The app's shard is unavailable", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("secret_key" = []))
)]
#[get("")]
pub async fn app_stats(
    req: HttpRequest,
    state: web::Data<ApiState>,
    query: web::Query<StatsParams>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.secret_caller(&req).await?;
    let request = Request {
        from: query.from.as_deref(),
        to: query.to.as_deref(),
        group_by: query.group_by.as_deref(),
        platform: query.platform.as_deref(),
        country: query.country.as_deref(),
        link: query.link.clone().filter(|l| !l.trim().is_empty()),
    };
    let stats = read(&state, caller.app_id, request).await?;
    Ok(HttpResponse::Ok().json(stats))
}

#[utoipa::path(
    tag = "stats",
    summary = "One link's clicks, installs and opens",
    description = "The same as `GET /api/v1/stats?link={code}`.",
    params(("code" = String, Path, description = "The link's code; a path alias with its `/` escaped (`product%2Fid1234`)"), LinkStatsParams),
    responses(
        (status = 200, description = "Totals and rows", body = StatsResponse),
        (status = 400, description = "An invalid parameter (named in `field`: `from`, `to`, `group_by`, `platform`, `country`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a secret key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The app has no such link", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The app's shard is unavailable", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("secret_key" = []))
)]
#[get("/{code}/stats")]
pub async fn link_stats(
    req: HttpRequest,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    query: web::Query<LinkStatsParams>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.secret_caller(&req).await?;
    let request = Request {
        from: query.from.as_deref(),
        to: query.to.as_deref(),
        group_by: query.group_by.as_deref(),
        platform: query.platform.as_deref(),
        country: query.country.as_deref(),
        link: Some(path.into_inner()),
    };
    let stats = read(&state, caller.app_id, request).await?;
    Ok(HttpResponse::Ok().json(stats))
}

async fn read(
    state: &ApiState,
    app_id: AppId,
    request: Request<'_>,
) -> Result<StatsResponse, ApiError> {
    let (from, to) = range(request.from, request.to)?;
    let grouping = Grouping::parse(request.group_by)?;
    let filter = Filter::parse(request.platform, request.country)?;
    if let (Some(filter), Some(by)) = (&filter, grouping.by)
        && filter.by != by
    {
        return Err(FieldError::new(
            "group_by",
            "cannot split by platform with a country filter, or by country with a platform filter",
        )
        .into());
    }
    let (table, column) = source(grouping.by.or(filter.as_ref().map(|f| f.by)));
    let link = request.link;
    let resolved = state.app(app_id)?;
    let pool = resolved.shard.pool()?;
    let link_id = match &link {
        None => None,
        Some(code) => {
            let code = LinkCode::parse(code.trim()).map_err(|_| ApiError::NotFound("link"))?;
            let found = link_store::links::find_by_code(pool, app_id, code.as_str())
                .await?
                .ok_or(ApiError::NotFound("link"))?;
            Some(found.id)
        }
    };
    let (select, group, order) = grouping.sql();
    let sql = format!(
        "SELECT {select} sum(clicks)::bigint AS clicks, sum(bot_views)::bigint AS bot_views, \
                sum(installs)::bigint AS installs, sum(opens)::bigint AS opens \
         FROM {table} \
         WHERE app_id = $1 AND day BETWEEN $2 AND $3 AND ($4::bigint IS NULL OR link_id = $4) \
           AND ($5::text IS NULL OR {column} = $5) \
         {group} {order}"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(app_id.get())
        .bind(from)
        .bind(to)
        .bind(link_id)
        .bind(filter.as_ref().map(|f| f.value.as_str()))
        .fetch_all(pool)
        .await?;
    let mut totals = Counts::default();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let counts = Counts {
            clicks: row.try_get("clicks")?,
            bot_views: row.try_get("bot_views")?,
            installs: row.try_get("installs")?,
            opens: row.try_get("opens")?,
        };
        totals += counts;
        out.push(StatsRow {
            day: row.try_get("day")?,
            platform: row.try_get("platform")?,
            country: country_cell(grouping, row.try_get("country")?),
            counts,
        });
    }
    Ok(StatsResponse {
        from,
        to,
        link,
        group_by: grouping.names(),
        platform: filter
            .as_ref()
            .filter(|f| f.by == Dimension::Platform)
            .map(|f| f.value.clone()),
        country: filter
            .as_ref()
            .filter(|f| f.by == Dimension::Country)
            .map(|f| f.value.clone()),
        totals,
        rows: out,
    })
}

/// A row's country as answered: absent unless grouped by country, `null` for the
/// rollup's unknown country (`''`).
fn country_cell(grouping: Grouping, stored: Option<String>) -> Option<Option<String>> {
    (grouping.by == Some(Dimension::Country)).then(|| stored.filter(|c| !c.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_default_and_are_bounded() {
        let (from, to) = range(None, Some("2026-03-31")).unwrap();
        assert_eq!(
            (from.to_string(), to.to_string()),
            ("2026-03-02".into(), "2026-03-31".into())
        );
        assert!(range(Some("2026-01-01"), Some("2026-12-31")).is_ok());
        assert!(
            range(Some("2024-01-01"), Some("2024-12-31")).is_ok(),
            "366 days"
        );
        assert_eq!(
            range(Some("2025-01-01"), Some("2026-01-02"))
                .unwrap_err()
                .field,
            "to"
        );
        assert_eq!(
            range(Some("2026-02-02"), Some("2026-02-01"))
                .unwrap_err()
                .field,
            "from"
        );
        assert_eq!(range(Some("yesterday"), None).unwrap_err().field, "from");
        assert_eq!(range(None, Some("2026-02-30")).unwrap_err().field, "to");
    }

    #[test]
    fn groupings() {
        assert_eq!(Grouping::parse(None).unwrap().names(), ["day"]);
        assert_eq!(
            Grouping::parse(Some("platform, day")).unwrap().names(),
            ["day", "platform"]
        );
        assert_eq!(
            Grouping::parse(Some("platform")).unwrap().names(),
            ["platform"]
        );
        assert_eq!(
            Grouping::parse(Some("country,day")).unwrap().names(),
            ["day", "country"]
        );
        assert_eq!(
            source(Grouping::parse(Some("country")).unwrap().by).0,
            "link_country_daily"
        );
        assert_eq!(
            source(Grouping::parse(Some(" ")).unwrap().by).0,
            "link_stats_daily"
        );
        assert_eq!(Grouping::parse(Some("hour")).unwrap_err().field, "group_by");
        let mixed = Grouping::parse(Some("day,platform,country")).unwrap_err();
        assert_eq!(mixed.field, "group_by");
        assert!(
            mixed.reason.contains("cannot be combined"),
            "{}",
            mixed.reason
        );
    }

    #[test]
    fn filters_name_one_platform_or_one_country() {
        let filter = |p, c| Filter::parse(p, c);
        assert_eq!(filter(None, Some(" ")).unwrap(), None);
        assert_eq!(
            filter(Some("iOS"), None).unwrap(),
            Some(Filter {
                by: Dimension::Platform,
                value: "ios".into()
            })
        );
        assert_eq!(
            filter(None, Some("de")).unwrap(),
            Some(Filter {
                by: Dimension::Country,
                value: "DE".into()
            })
        );
        assert_eq!(filter(Some("tv"), None).unwrap_err().field, "platform");
        assert_eq!(filter(None, Some("Germany")).unwrap_err().field, "country");
        assert_eq!(filter(None, Some("XX")).unwrap_err().field, "country");
        assert_eq!(
            filter(Some("ios"), Some("DE")).unwrap_err().field,
            "country"
        );
        assert_eq!(
            source(Some(Dimension::Country)),
            ("link_country_daily", "country")
        );
    }

    #[test]
    fn unknown_countries_are_null_and_other_groupings_have_none() {
        let by_country = Grouping::parse(Some("country")).unwrap();
        assert_eq!(country_cell(by_country, Some(String::new())), Some(None));
        assert_eq!(
            country_cell(by_country, Some("DE".into())),
            Some(Some("DE".into()))
        );
        let by_day = Grouping::parse(None).unwrap();
        assert_eq!(country_cell(by_day, None), None);
    }
}
