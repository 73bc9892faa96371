//! `hoplink dev`: the whole stack on one machine with one command.
//!
//! Starts (or reuses) a private Postgres under the dev folder unless a catalog URL is
//! given, migrates, seeds the demo app and links, runs the link and API services
//! in-process and prints commands to try. Ctrl-C drains the services, then stops the
//! private Postgres.

mod banner;
mod demo;
mod postgres;

use anyhow::Context;
use api_service::ApiServiceConfig;
use link_service::LinkServiceConfig;
use link_store::export::ExportConfig;
use secrecy::SecretString;
use shard_router::{RouterConfig, ShardRouter, migrate};
use sqlx::Connection;

use crate::cli::DevArgs;

const CATALOG_DB: &str = "hoplink_catalog";

pub async fn run(args: DevArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let dir = args
        .dir
        .canonicalize()
        .with_context(|| format!("resolving {}", args.dir.display()))?;

    let (private_pg, catalog_url, shard_urls) = match &args.catalog_url {
        Some(url) => {
            let shard_urls = (1..=2)
                .map(|i| sibling_database(url, &format!("_shard_{i}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            (None, url.clone(), shard_urls)
        }
        None => {
            let pg = postgres::PrivatePostgres::start(&dir).await?;
            let catalog = pg.url(CATALOG_DB);
            let shards = vec![pg.url("hoplink_shard_1"), pg.url("hoplink_shard_2")];
            (Some(pg), catalog, shards)
        }
    };

    let repoint_shards = private_pg.is_some();
    let result = serve(&args, &dir, &catalog_url, &shard_urls, repoint_shards).await;

    if let Some(pg) = private_pg {
        match pg.stop().await {
            Ok(()) => tracing::info!("private Postgres stopped"),
            Err(error) => tracing::warn!(%error, "could not stop the private Postgres"),
        }
    }
    result
}

async fn serve(
    args: &DevArgs,
    dir: &std::path::Path,
    catalog_url: &str,
    shard_urls: &[String],
    repoint_shards: bool,
) -> anyhow::Result<()> {
    for url in std::iter::once(&catalog_url.to_owned()).chain(shard_urls) {
        ensure_database(url).await?;
    }
    let router = ShardRouter::new(&RouterConfig::new(catalog_url))?;
    migrate::migrate_catalog(router.catalog()).await?;
    router.refresh().await?;
    demo::ensure_shards(&router, shard_urls, repoint_shards).await?;
    for line in migrate::migrate_all(&router).await? {
        if !line.ok {
            anyhow::bail!(
                "{} could not be migrated: {}",
                line.target,
                line.detail.unwrap_or_default()
            );
        }
    }
    let demo = demo::ensure_app(&router, dir).await?;

    // The export's other settings (`HOPLINK_EXPORT_*`) apply as in production.
    let mut export: ExportConfig =
        shard_router::config::load().context("reading the HOPLINK_EXPORT_* settings")?;
    export.export_nats_url = args.export_nats_url.clone();

    let shutdown = service_kit::shutdown::on_signal();
    // The built-in key, named: a warning about it belongs to deployments, not to this.
    let fingerprint_key =
        SecretString::from(link_service::config::DEFAULT_FINGERPRINT_KEY.to_owned());
    let mut link_config = LinkServiceConfig::for_catalog(catalog_url);
    link_config.link_addr = ([127, 0, 0, 1], args.link_port).into();
    link_config.fingerprint_key = Some(fingerprint_key.clone());
    link_config.export = export.clone();
    // Clicks a stopped or unreachable shard could not take wait here for the next run.
    let spool = dir.join("spool");
    link_config.events.events_spool_dir = Some(spool.clone());
    let link = link_service::Application::build(link_config, shutdown.child_token())
        .await
        .context("starting the link service (is the port free? try --link-port)")?;
    let mut api_config = ApiServiceConfig::for_catalog(catalog_url);
    api_config.api_addr = ([127, 0, 0, 1], args.api_port).into();
    api_config.fingerprint_key = Some(fingerprint_key);
    api_config.export = export;
    api_config.events.events_spool_dir = Some(spool);
    // Short URLs the API hands out point at this local link service.
    api_config.link_scheme = "http".to_owned();
    api_config.link_port = Some(link.port());
    let api = api_service::Application::build(api_config, shutdown.child_token())
        .await
        .context("starting the API service (is the port free? try --api-port)")?;

    banner::print(&banner::Banner {
        link_port: link.port(),
        api_port: api.port(),
        catalog_url,
        demo: &demo,
        export_nats_url: args.export_nats_url.as_deref(),
    });

    let (link_result, api_result) = tokio::join!(link.run_until_stopped(), api.run_until_stopped());
    link_result.context("link service")?;
    api_result.context("API service")?;
    Ok(())
}

/// `url` with `suffix` appended to its database name.
fn sibling_database(url: &str, suffix: &str) -> anyhow::Result<String> {
    let mut parsed = url::Url::parse(url).context("HOPLINK_CATALOG_URL is not a URL")?;
    let name = parsed.path().trim_start_matches('/').to_owned();
    anyhow::ensure!(!name.is_empty(), "HOPLINK_CATALOG_URL must name a database");
    parsed.set_path(&format!("/{name}{suffix}"));
    Ok(parsed.into())
}

/// Creates the database `url` names, through the server's `postgres` database, when it
/// does not exist yet.
async fn ensure_database(url: &str) -> anyhow::Result<()> {
    let parsed = url::Url::parse(url).context("database URL")?;
    let name = parsed.path().trim_start_matches('/').to_owned();
    anyhow::ensure!(
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
        "database name {name:?} must be letters, digits and '_'"
    );
    let mut admin_url = parsed.clone();
    admin_url.set_path("/postgres");
    let mut conn = sqlx::PgConnection::connect(admin_url.as_str())
        .await
        .with_context(|| format!("connecting to {}", redact(&admin_url)))?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .with_context(|| format!("creating database {name}"))?;
    }
    let _ = conn.close().await;
    Ok(())
}

fn redact(url: &url::Url) -> String {
    let mut url = url.clone();
    if url.password().is_some() {
        let _ = url.set_password(Some("****"));
    }
    url.into()
}
