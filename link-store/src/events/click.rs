//! [`ClickEvent`]: one click (or bot view) on a link, and how a batch of them is written:
//! raw `clicks` rows plus the `link_stats_daily` and `link_country_daily` rollups.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use link_core::client::{Browser, ClientInfo, InAppBrowser, OsFamily, Platform};
use link_core::fingerprint::Fingerprint;
use link_core::{AppId, ClickId, Country};
use sqlx::PgConnection;

use super::copy_rows::CopyRows;
use super::kind::ShardEvent;
use crate::export::record::ExportedLink;

/// A click as the click path knows it. Plain data, on the heap only for the pairs a click
/// appended to its link: building and queueing one costs next to nothing. Serde is for
/// the spool ([`super::spool`]).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClickEvent {
    pub click_id: ClickId,
    pub app_id: AppId,
    pub link_id: i64,
    pub occurred_at: DateTime<Utc>,
    pub platform: Platform,
    pub os: OsFamily,
    pub os_version: Option<(u16, u16)>,
    pub browser: Browser,
    pub in_app: Option<InAppBrowser>,
    /// A bot or link-preview fetcher: stored as a bot view, never counted as a click.
    pub is_bot: bool,
    pub fingerprint: Option<Fingerprint>,
    pub browser_id: Option<uuid::Uuid>,
    /// Where the click came from, when a trusted proxy said.
    pub country: Option<Country>,
    /// Counted in the link's stats. `false` for `$deeplink_no_attribution` links: their
    /// raw row is still written, since the install the click leads to is matched by it
    /// to get the link's data.
    pub counted: bool,
    /// A person's click on a one-time link (Branch type 1): writing it expires the link,
    /// so the clicks after it get the expired answer once the change has reached the
    /// link services (the batch's flush interval plus a notification, about a second).
    pub uses_up_link: bool,
    /// The pairs the click appended to its link, as it carried them
    /// ([`link_core::decision::carried_pairs`]): for the session data of the install or
    /// open it leads to.
    pub query: Option<Box<str>>,
}

impl ClickEvent {
    /// A click by the classified client, without fingerprint or browser id.
    pub fn new(
        click_id: ClickId,
        app_id: AppId,
        link_id: i64,
        occurred_at: DateTime<Utc>,
        client: &ClientInfo,
    ) -> Self {
        Self {
            click_id,
            app_id,
            link_id,
            occurred_at,
            platform: client.platform,
            os: client.os,
            os_version: client.os_version,
            browser: client.browser,
            in_app: client.in_app,
            is_bot: client.is_bot(),
            fingerprint: None,
            browser_id: None,
            country: None,
            counted: true,
            uses_up_link: false,
            query: None,
        }
    }
}

// By hand, so that logging an event with `?` never prints a device identifier.
impl std::fmt::Debug for ClickEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClickEvent")
            .field("click_id", &self.click_id)
            .field("app_id", &self.app_id)
            .field("link_id", &self.link_id)
            .field("occurred_at", &self.occurred_at)
            .field("platform", &self.platform)
            .field("os", &self.os)
            .field("os_version", &self.os_version)
            .field("browser", &self.browser)
            .field("in_app", &self.in_app)
            .field("is_bot", &self.is_bot)
            .field("fingerprint", &self.fingerprint.map(|_| "<redacted>"))
            .field("browser_id", &self.browser_id.map(|_| "<redacted>"))
            .field("country", &self.country)
            .field("counted", &self.counted)
            .field("uses_up_link", &self.uses_up_link)
            .field("query", &self.query.as_ref().map(|q| q.len()))
            .finish()
    }
}

/// The stored name of a browser family; the same words `ClientInfo` serialises to.
pub fn browser_str(browser: Browser) -> &'static str {
    match browser {
        Browser::Safari => "safari",
        Browser::ChromeFamily => "chrome_family",
        Browser::Firefox => "firefox",
        Browser::WebView => "web_view",
        Browser::Other => "other",
    }
}

/// Rollup rows that exist already get the batch's counts added. `$key` is the rollup's
/// own key column: `platform` in `link_stats_daily`, `country` in `link_country_daily`.
macro_rules! add_to_rollup {
    ($key:ident) => {
        concat!(
            "
ON CONFLICT (app_id, day, link_id, ",
            stringify!($key),
            ") DO UPDATE
SET clicks = s.clicks + EXCLUDED.clicks, bot_views = s.bot_views + EXCLUDED.bot_views"
        )
    };
}

/// For a batch that may hold stored clicks (a replay after an unknown outcome): raw rows
/// first, skipping stored ones, and the rollups count only the rows that insert actually
/// added, so nothing is counted twice; `$15` lists the clicks not to count at all. Rollup
/// rows are upserted in key order, so concurrent writers lock them in the same order.
const INSERT_CLICKS_REPLAY: &str = concat!(
    "WITH inserted AS (
    INSERT INTO clicks (id, app_id, link_id, occurred_at, platform, os, os_version,
                        browser, in_app, is_bot, fingerprint, browser_id, country, query)
    SELECT * FROM UNNEST($1::uuid[], $2::bigint[], $3::bigint[], $4::timestamptz[],
                         $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                         $10::boolean[], $11::bytea[], $12::uuid[], $13::text[], $14::text[])
    ON CONFLICT (id) DO NOTHING
    RETURNING id, app_id, link_id, occurred_at, platform, is_bot, country
), counted AS (
    SELECT * FROM inserted WHERE id <> ALL($15::uuid[])
), by_platform AS (
INSERT INTO link_stats_daily AS s (app_id, day, link_id, platform, clicks, bot_views)
SELECT app_id, (occurred_at AT TIME ZONE 'UTC')::date, link_id, platform,
       count(*) FILTER (WHERE NOT is_bot), count(*) FILTER (WHERE is_bot)
FROM counted
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4",
    add_to_rollup!(platform),
    "
)
INSERT INTO link_country_daily AS s (app_id, day, link_id, country, clicks, bot_views)
SELECT app_id, (occurred_at AT TIME ZONE 'UTC')::date, link_id, coalesce(country, ''),
       count(*) FILTER (WHERE NOT is_bot), count(*) FILTER (WHERE is_bot)
FROM counted
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4",
    add_to_rollup!(country)
);

/// For a batch none of whose clicks can be stored yet (the usual case): the raw rows by
/// binary `COPY` ([`CopyRows`]), then the rollups counted here. Its clicks have new ids and
/// were never in an attempt; were one stored all the same, the primary key would refuse
/// the batch rather than count it twice.
const COPY_CLICKS: &str = "\
COPY clicks (id, app_id, link_id, occurred_at, platform, os, os_version, browser, in_app,
             is_bot, fingerprint, browser_id, country, query)
FROM STDIN (FORMAT binary)";
const COPY_CLICK_FIELDS: i16 = 14;
/// A click row's bytes in the `COPY` stream, about: 14 lengths, the fixed-size fields, a
/// fingerprint and short words (a query is extra).
const COPY_CLICK_BYTES: usize = 176;

/// Expires the one-time links a batch's clicks used up; the `links` trigger tells every
/// link service. A link already expired (or used up by an earlier batch) is left alone.
const USE_UP_LINKS: &str = "\
UPDATE links AS l SET expires_at = now(), version = l.version + 1, updated_at = now()
FROM UNNEST($1::bigint[], $2::bigint[]) AS u(app_id, id)
WHERE l.app_id = u.app_id AND l.id = u.id AND l.link_type = 1
  AND (l.expires_at IS NULL OR l.expires_at > now())";

/// Both rollups of a `COPY`ed batch in one round trip: by platform (`$1..$6`), then by
/// country (`$7..$12`).
const ADD_ROLLUPS: &str = concat!(
    "WITH by_platform AS (
INSERT INTO link_stats_daily AS s (app_id, day, link_id, platform, clicks, bot_views)
SELECT * FROM UNNEST($1::bigint[], $2::date[], $3::bigint[], $4::text[],
                     $5::bigint[], $6::bigint[])
ORDER BY 1, 2, 3, 4",
    add_to_rollup!(platform),
    "
)
INSERT INTO link_country_daily AS s (app_id, day, link_id, country, clicks, bot_views)
SELECT * FROM UNNEST($7::bigint[], $8::date[], $9::bigint[], $10::text[],
                     $11::bigint[], $12::bigint[])
ORDER BY 1, 2, 3, 4",
    add_to_rollup!(country)
);

impl ShardEvent for ClickEvent {
    const KIND: &'static str = "click";

    fn event_id(&self) -> uuid::Uuid {
        self.click_id.as_uuid()
    }

    fn link_id(&self) -> Option<i64> {
        Some(self.link_id)
    }

    fn export_record(&self, link: Option<&ExportedLink>) -> serde_json::Result<Vec<u8>> {
        crate::export::record::click(self, link)
    }
    /// A push notification sends its crowd to one app's links, so to one shard, faster
    /// than one transaction at a time writes them while Postgres has cores to spare: a
    /// 300,000-click burst drained at 58-90k clicks/s with one writer and 96-150k with two
    /// (`writer_bench`, docs/benchmarks.md). The link service's background pool (4
    /// connections) holds both and its change listener.
    const SHARD_WRITERS: usize = 2;

    fn app_id(&self) -> AppId {
        self.app_id
    }

    async fn write_batch(
        conn: &mut PgConnection,
        events: &[&Self],
        replay: bool,
    ) -> Result<(), sqlx::Error> {
        if replay {
            let columns = Columns::from_events(events);
            sqlx::query(INSERT_CLICKS_REPLAY)
                .bind(columns.id)
                .bind(columns.app_id)
                .bind(columns.link_id)
                .bind(columns.occurred_at)
                .bind(columns.platform)
                .bind(columns.os)
                .bind(columns.os_version)
                .bind(columns.browser)
                .bind(columns.in_app)
                .bind(columns.is_bot)
                .bind(columns.fingerprint)
                .bind(columns.browser_id)
                .bind(columns.country)
                .bind(columns.query)
                .bind(columns.uncounted)
                .execute(&mut *conn)
                .await?;
            return use_up_links(conn, events).await;
        }
        let rows = copy_rows(events);
        let mut copy = conn.copy_in_raw(COPY_CLICKS).await?;
        copy.send(rows).await?;
        copy.finish().await?;
        let by_platform = Rollup::count(events, |e| e.platform.as_str());
        let by_country = Rollup::count(events, country_key);
        by_country
            .bind(by_platform.bind(sqlx::query(ADD_ROLLUPS)))
            .execute(&mut *conn)
            .await?;
        use_up_links(conn, events).await
    }
}

/// Runs [`USE_UP_LINKS`] for the batch's clicks on one-time links, if it has any (most
/// batches have none and pay nothing).
async fn use_up_links(conn: &mut PgConnection, events: &[&ClickEvent]) -> Result<(), sqlx::Error> {
    let (apps, links): (Vec<i64>, Vec<i64>) = events
        .iter()
        .filter(|e| e.uses_up_link)
        .map(|e| (e.app_id.get(), e.link_id))
        .unzip();
    if links.is_empty() {
        return Ok(());
    }
    sqlx::query(USE_UP_LINKS)
        .bind(apps)
        .bind(links)
        .execute(conn)
        .await?;
    Ok(())
}

/// The batch as a binary `COPY` stream, columns in [`COPY_CLICKS`]' order.
fn copy_rows(events: &[&ClickEvent]) -> Vec<u8> {
    let mut rows = CopyRows::with_capacity(events.len() * COPY_CLICK_BYTES);
    let mut version = String::new();
    for e in events {
        rows.row(COPY_CLICK_FIELDS);
        rows.uuid(e.click_id.as_uuid());
        rows.int8(e.app_id.get());
        rows.int8(e.link_id);
        rows.timestamptz(e.occurred_at);
        rows.text(e.platform.as_str());
        rows.text(e.os.as_str());
        match e.os_version {
            Some(v) => {
                version.clear();
                write_os_version(&mut version, v);
                rows.text(&version);
            }
            None => rows.null(),
        }
        rows.text(browser_str(e.browser));
        match e.in_app {
            Some(in_app) => rows.text(in_app.as_str()),
            None => rows.null(),
        }
        rows.bool(e.is_bot);
        match &e.fingerprint {
            Some(fp) => rows.bytea(fp),
            None => rows.null(),
        }
        match e.browser_id {
            Some(id) => rows.uuid(id),
            None => rows.null(),
        }
        match e.country {
            Some(country) => rows.text(&country.to_iso()),
            None => rows.null(),
        }
        match &e.query {
            Some(query) => rows.text(query),
            None => rows.null(),
        }
    }
    rows.finish()
}

/// `major.minor`, the stored form of an OS version.
fn write_os_version(out: &mut String, (major, minor): (u16, u16)) {
    use std::fmt::Write;
    let _ = write!(out, "{major}.{minor}");
}

/// A click's key in `link_country_daily`: its ISO code, `''` when unknown.
fn country_key(e: &ClickEvent) -> String {
    e.country.map(Country::to_iso).unwrap_or_default()
}

/// A batch's increments of one rollup, one entry per (app, UTC day, link, `K`) in key
/// order: `K` is the platform for `link_stats_daily`, the country for `link_country_daily`.
#[derive(Debug, PartialEq)]
struct Rollup<K> {
    app_id: Vec<i64>,
    day: Vec<NaiveDate>,
    link_id: Vec<i64>,
    key: Vec<K>,
    clicks: Vec<i64>,
    bot_views: Vec<i64>,
}

impl<K: Ord> Rollup<K> {
    fn count(events: &[&ClickEvent], key: impl Fn(&ClickEvent) -> K) -> Self {
        let mut counts: BTreeMap<(i64, NaiveDate, i64, K), (i64, i64)> = BTreeMap::new();
        for e in events.iter().filter(|e| e.counted) {
            let at = (
                e.app_id.get(),
                e.occurred_at.date_naive(),
                e.link_id,
                key(e),
            );
            let (clicks, bot_views) = counts.entry(at).or_default();
            if e.is_bot {
                *bot_views += 1;
            } else {
                *clicks += 1;
            }
        }
        let mut rollup = Self {
            app_id: Vec::new(),
            day: Vec::new(),
            link_id: Vec::new(),
            key: Vec::new(),
            clicks: Vec::new(),
            bot_views: Vec::new(),
        };
        for ((app_id, day, link_id, key), (clicks, bot_views)) in counts {
            rollup.app_id.push(app_id);
            rollup.day.push(day);
            rollup.link_id.push(link_id);
            rollup.key.push(key);
            rollup.clicks.push(clicks);
            rollup.bot_views.push(bot_views);
        }
        rollup
    }
}

impl<K> Rollup<K>
where
    K: for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + 'static,
    Vec<K>: for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    /// Binds the six columns, in declaration order, after the query's earlier ones.
    fn bind(
        self,
        query: sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments> {
        query
            .bind(self.app_id)
            .bind(self.day)
            .bind(self.link_id)
            .bind(self.key)
            .bind(self.clicks)
            .bind(self.bot_views)
    }
}

/// A batch turned inside out: one array per column, for the replay statement's `UNNEST`.
struct Columns {
    id: Vec<uuid::Uuid>,
    app_id: Vec<i64>,
    link_id: Vec<i64>,
    occurred_at: Vec<DateTime<Utc>>,
    platform: Vec<&'static str>,
    os: Vec<&'static str>,
    os_version: Vec<Option<String>>,
    browser: Vec<&'static str>,
    in_app: Vec<Option<&'static str>>,
    is_bot: Vec<bool>,
    fingerprint: Vec<Option<Fingerprint>>,
    browser_id: Vec<Option<uuid::Uuid>>,
    country: Vec<Option<String>>,
    query: Vec<Option<String>>,
    /// Ids of the clicks left out of the rollups (usually none).
    uncounted: Vec<uuid::Uuid>,
}

impl Columns {
    fn from_events(events: &[&ClickEvent]) -> Self {
        let n = events.len();
        let mut c = Self {
            id: Vec::with_capacity(n),
            app_id: Vec::with_capacity(n),
            link_id: Vec::with_capacity(n),
            occurred_at: Vec::with_capacity(n),
            platform: Vec::with_capacity(n),
            os: Vec::with_capacity(n),
            os_version: Vec::with_capacity(n),
            browser: Vec::with_capacity(n),
            in_app: Vec::with_capacity(n),
            is_bot: Vec::with_capacity(n),
            fingerprint: Vec::with_capacity(n),
            browser_id: Vec::with_capacity(n),
            country: Vec::with_capacity(n),
            query: Vec::with_capacity(n),
            uncounted: Vec::new(),
        };
        for e in events {
            c.id.push(e.click_id.as_uuid());
            c.app_id.push(e.app_id.get());
            c.link_id.push(e.link_id);
            c.occurred_at.push(e.occurred_at);
            c.platform.push(e.platform.as_str());
            c.os.push(e.os.as_str());
            c.os_version.push(e.os_version.map(|v| {
                let mut text = String::new();
                write_os_version(&mut text, v);
                text
            }));
            c.browser.push(browser_str(e.browser));
            c.in_app.push(e.in_app.map(InAppBrowser::as_str));
            c.is_bot.push(e.is_bot);
            c.fingerprint.push(e.fingerprint);
            c.browser_id.push(e.browser_id);
            c.country.push(e.country.map(Country::to_iso));
            c.query.push(e.query.as_deref().map(str::to_owned));
            if !e.counted {
                c.uncounted.push(e.click_id.as_uuid());
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_device_identifiers() {
        let mut event = ClickEvent::new(
            ClickId::generate(),
            AppId::new(1).unwrap(),
            7,
            Utc::now(),
            &ClientInfo::UNKNOWN,
        );
        event.fingerprint = Some([0xab; 32]);
        event.browser_id = Some(uuid::Uuid::from_u128(0x1234_5678_9abc_def0));
        let printed = format!("{event:?}");
        assert!(printed.contains("<redacted>"), "{printed}");
        assert!(!printed.contains("171, 171"), "{printed}");
        assert!(!printed.contains("abcdef0"), "{printed}");
    }

    #[test]
    fn columns_use_the_stored_vocabulary() {
        let mut event = ClickEvent::new(
            ClickId::generate(),
            AppId::new(3).unwrap(),
            9,
            Utc::now(),
            &ClientInfo::UNKNOWN,
        );
        event.platform = Platform::Ios;
        event.os = OsFamily::Ios;
        event.os_version = Some((17, 4));
        event.browser = Browser::WebView;
        event.in_app = Some(InAppBrowser::Instagram);
        let c = Columns::from_events(&[&event]);
        assert_eq!(c.platform, ["ios"]);
        assert_eq!(c.os, ["ios"]);
        assert_eq!(c.os_version, [Some("17.4".to_owned())]);
        assert_eq!(c.browser, ["web_view"]);
        assert_eq!(c.in_app, [Some("instagram")]);
    }

    #[test]
    fn country_rollup_counts_unknown_countries_under_the_empty_key() {
        let now = Utc::now();
        let click = |country: Option<&str>, is_bot| {
            let mut e = ClickEvent::new(
                ClickId::generate(),
                AppId::new(1).unwrap(),
                4,
                now,
                &ClientInfo::UNKNOWN,
            );
            e.country = country.and_then(Country::parse);
            e.is_bot = is_bot;
            e
        };
        let events = [
            click(Some("de"), false),
            click(None, false),
            click(Some("DE"), true),
            click(Some("br"), false),
        ];
        let refs: Vec<&ClickEvent> = events.iter().collect();
        let rollup = Rollup::count(&refs, country_key);
        assert_eq!(rollup.key, ["", "BR", "DE"]);
        let mut uncounted = events.clone();
        uncounted[3].counted = false;
        let refs_uncounted: Vec<&ClickEvent> = uncounted.iter().collect();
        assert_eq!(
            Rollup::count(&refs_uncounted, country_key).key,
            ["", "DE"],
            "a click that is not counted adds nothing"
        );
        assert_eq!(rollup.clicks, [1, 1, 1]);
        assert_eq!(rollup.bot_views, [0, 0, 1]);
        assert_eq!(
            Columns::from_events(&refs).country,
            [
                Some("DE".to_owned()),
                None,
                Some("DE".to_owned()),
                Some("BR".to_owned())
            ]
        );
    }

    #[test]
    fn rollup_counts_clicks_and_bot_views_per_key_in_key_order() {
        let day_one = DateTime::parse_from_rfc3339("2026-03-01T23:59:59Z")
            .unwrap()
            .with_timezone(&Utc);
        let day_two = DateTime::parse_from_rfc3339("2026-03-02T00:00:01Z")
            .unwrap()
            .with_timezone(&Utc);
        let click = |app: i64, link: i64, at, platform, is_bot| {
            let mut e = ClickEvent::new(
                ClickId::generate(),
                AppId::new(app).unwrap(),
                link,
                at,
                &ClientInfo::UNKNOWN,
            );
            e.platform = platform;
            e.is_bot = is_bot;
            e
        };
        let events = [
            click(2, 5, day_one, Platform::Ios, false),
            click(1, 9, day_two, Platform::Android, false),
            click(1, 9, day_one, Platform::Android, true),
            click(1, 9, day_one, Platform::Android, false),
            click(1, 9, day_one, Platform::Android, false),
        ];
        let refs: Vec<&ClickEvent> = events.iter().collect();
        let rollup = Rollup::count(&refs, |e| e.platform.as_str());
        let (d1, d2) = (day_one.date_naive(), day_two.date_naive());
        assert_eq!(
            rollup,
            Rollup {
                app_id: vec![1, 1, 2],
                day: vec![d1, d2, d1],
                link_id: vec![9, 9, 5],
                key: vec!["android", "android", "ios"],
                clicks: vec![2, 1, 1],
                bot_views: vec![1, 0, 0],
            }
        );
    }
}
