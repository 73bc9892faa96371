//! The shard-side `app_configs` row: an app's platform configuration and its write fence.
//!
//! The control plane creates the row when it places an app; the API updates it; the link
//! service reads it. All SQL for the table lives here.

use link_core::app::{AndroidPackage, AppStoreId, BundleId, CertFingerprint, TeamId, UriScheme};
use link_core::{
    AndroidConfig, AppConfig, AppId, ExpiredLinkBehavior, Host, IosConfig, PreviewDefaults, WebUrl,
};
use sqlx::{PgExecutor, Row};

/// Stored config plus its version (bumped on every update; caches compare it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConfig {
    pub config: AppConfig,
    pub version: i64,
}

const COLUMNS: &str = "ios_bundle_id, ios_team_id, ios_app_store_id, ios_uri_scheme, \
     android_package, android_sha256_fingerprints, android_uri_scheme, fallback_url, \
     desktop_url, expired_link_behavior, og_title, og_description, og_image_url, \
     attribution_window_secs, long_link_hosts";

/// Creates the row for a newly placed app.
pub async fn insert<'e>(
    db: impl PgExecutor<'e>,
    app_id: AppId,
    epoch: i64,
    config: &AppConfig,
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO app_configs (app_id, epoch, {COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    );
    bind_config(
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(app_id.get())
            .bind(epoch),
        config,
    )
    .execute(db)
    .await
    .map(drop)
}

/// Replaces the config (the caller runs this inside a fenced write transaction) and
/// returns the new version.
pub async fn update<'e>(
    db: impl PgExecutor<'e>,
    app_id: AppId,
    config: &AppConfig,
) -> Result<Option<i64>, sqlx::Error> {
    let sql = format!(
        "UPDATE app_configs SET ({COLUMNS}) = \
         ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16), \
         version = version + 1, updated_at = now() \
         WHERE app_id = $1 RETURNING version"
    );
    bind_config(
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(app_id.get()),
        config,
    )
    .fetch_optional(db)
    .await
    .map(|row| row.map(|r| r.get::<i64, _>(0)))
}

pub async fn delete<'e>(db: impl PgExecutor<'e>, app_id: AppId) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM app_configs WHERE app_id = $1")
        .bind(app_id.get())
        .execute(db)
        .await
        .map(drop)
}

pub async fn load<'e>(
    db: impl PgExecutor<'e>,
    app_id: AppId,
) -> Result<Option<StoredConfig>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS}, version FROM app_configs WHERE app_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(app_id.get())
        .fetch_optional(db)
        .await?;
    row.map(|row| decode(&row)).transpose()
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

fn bind_config<'q>(query: Query<'q>, c: &AppConfig) -> Query<'q> {
    let s = |v: Option<&str>| v.map(str::to_owned);
    query
        .bind(s(c.ios.bundle_id.as_ref().map(BundleId::as_str)))
        .bind(s(c.ios.team_id.as_ref().map(TeamId::as_str)))
        .bind(s(c.ios.app_store_id.as_ref().map(AppStoreId::as_str)))
        .bind(s(c.ios.uri_scheme.as_ref().map(UriScheme::as_str)))
        .bind(s(c.android.package.as_ref().map(AndroidPackage::as_str)))
        .bind(
            c.android
                .sha256_cert_fingerprints
                .iter()
                .map(|f| f.as_str().to_owned())
                .collect::<Vec<_>>(),
        )
        .bind(s(c.android.uri_scheme.as_ref().map(UriScheme::as_str)))
        .bind(s(c.fallback_url.as_ref().map(WebUrl::as_str)))
        .bind(s(c.desktop_url.as_ref().map(WebUrl::as_str)))
        .bind(c.expired_link_behavior.as_str())
        .bind(c.preview.title.clone())
        .bind(c.preview.description.clone())
        .bind(s(c.preview.image_url.as_ref().map(WebUrl::as_str)))
        .bind(i32::try_from(c.attribution_window_secs).unwrap_or(i32::MAX))
        .bind(
            c.long_link_hosts
                .iter()
                .map(|h| h.as_str().to_owned())
                .collect::<Vec<_>>(),
        )
}

fn decode(row: &sqlx::postgres::PgRow) -> Result<StoredConfig, sqlx::Error> {
    // Values were validated on the way in; anything that no longer parses (a hand edit)
    // is reported as a decode error rather than served.
    fn parsed<T>(
        row: &sqlx::postgres::PgRow,
        column: &'static str,
        parse: fn(&str) -> Result<T, link_core::Invalid>,
    ) -> Result<Option<T>, sqlx::Error> {
        let raw: Option<String> = row.try_get(column)?;
        raw.map(|v| {
            parse(&v).map_err(|e| sqlx::Error::ColumnDecode {
                index: column.to_owned(),
                source: Box::new(e),
            })
        })
        .transpose()
    }
    /// A stored URL the current rules refuse (they were tightened after it was written)
    /// reads as absent, as the click path treats such a URL in link data: refusing the
    /// whole row would take every link of the app down with it.
    fn url(
        row: &sqlx::postgres::PgRow,
        column: &'static str,
    ) -> Result<Option<WebUrl>, sqlx::Error> {
        let raw: Option<String> = row.try_get(column)?;
        Ok(raw.and_then(|v| match WebUrl::parse(&v) {
            Ok(url) => Some(url),
            Err(error) => {
                tracing::warn!(column, %error, "a stored URL is no longer valid; read as absent");
                None
            }
        }))
    }
    let fingerprints: Vec<String> = row.try_get("android_sha256_fingerprints")?;
    let fingerprints = fingerprints
        .iter()
        .map(|f| CertFingerprint::parse(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| sqlx::Error::ColumnDecode {
            index: "android_sha256_fingerprints".to_owned(),
            source: Box::new(e),
        })?;
    let long_link_hosts: Vec<String> = row.try_get("long_link_hosts")?;
    let long_link_hosts = long_link_hosts
        .iter()
        .map(|h| Host::parse(h))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| sqlx::Error::ColumnDecode {
            index: "long_link_hosts".to_owned(),
            source: Box::new(e),
        })?;
    let behavior: String = row.try_get("expired_link_behavior")?;
    let window: i32 = row.try_get("attribution_window_secs")?;
    let config = AppConfig {
        ios: IosConfig {
            bundle_id: parsed(row, "ios_bundle_id", BundleId::parse)?,
            team_id: parsed(row, "ios_team_id", TeamId::parse)?,
            app_store_id: parsed(row, "ios_app_store_id", AppStoreId::parse)?,
            uri_scheme: parsed(row, "ios_uri_scheme", UriScheme::parse)?,
        },
        android: AndroidConfig {
            package: parsed(row, "android_package", AndroidPackage::parse)?,
            sha256_cert_fingerprints: fingerprints,
            uri_scheme: parsed(row, "android_uri_scheme", UriScheme::parse)?,
        },
        fallback_url: url(row, "fallback_url")?,
        desktop_url: url(row, "desktop_url")?,
        expired_link_behavior: ExpiredLinkBehavior::parse(&behavior).unwrap_or_default(),
        preview: PreviewDefaults {
            title: row.try_get("og_title")?,
            description: row.try_get("og_description")?,
            image_url: url(row, "og_image_url")?,
        },
        attribution_window_secs: u32::try_from(window)
            .unwrap_or(link_core::app::DEFAULT_ATTRIBUTION_WINDOW_SECS),
        long_link_hosts,
    };
    Ok(StoredConfig {
        config,
        version: row.try_get("version")?,
    })
}
