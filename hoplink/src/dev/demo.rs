//! The demo data `hoplink dev` provides: two shards, one app on `localhost` and
//! `127.0.0.1` with iOS and Android config, and a handful of links. Idempotent: a second
//! run finds and reuses everything.

use std::path::Path;

use anyhow::Context;
use chrono::{Duration, Utc};
use link_core::app::{AndroidPackage, AppStoreId, BundleId, CertFingerprint, TeamId, UriScheme};
use link_core::{
    AndroidConfig, AppConfig, AppId, Host, IosConfig, KeyKind, LinkCode, PreviewDefaults, ShardId,
    WebUrl,
};
use link_store::links::{self, NewLink};
use serde::{Deserialize, Serialize};
use serde_json::json;
use shard_router::catalog::{apps, keys, shards};
use shard_router::{PoolSettings, ShardDsn, ShardRouter, fence};

pub const DEMO_HOSTS: [&str; 2] = ["localhost", "127.0.0.1"];

/// Keys of the demo app, kept in the dev folder so later runs can print them again
/// (the catalog only has their hashes).
#[derive(Debug, Serialize, Deserialize)]
pub struct DemoKeys {
    pub app_id: AppId,
    pub sdk_key: String,
    pub secret_key: String,
}

/// Registers `shard_urls` as `shard-1`, `shard-2`, ... unless shards exist already. With
/// `repoint`, existing demo shards are pointed at `shard_urls` (the private cluster may
/// have come up on another port than last time).
pub async fn ensure_shards(
    router: &ShardRouter,
    shard_urls: &[String],
    repoint: bool,
) -> anyhow::Result<()> {
    let existing = shards::list(router).await?;
    for (i, url) in shard_urls.iter().enumerate() {
        let id = ShardId::parse(&format!("shard-{}", i + 1)).map_err(|e| e.at("shard"))?;
        let dsn = ShardDsn::parse(url).map_err(|e| e.at("shard url"))?;
        if existing.iter().any(|s| s.id == id) {
            if repoint {
                sqlx::query(
                    "UPDATE shards SET dsn = $2, updated_at = now() WHERE id = $1 AND dsn <> $2",
                )
                .bind(id.as_str())
                .bind(dsn.expose())
                .execute(router.catalog())
                .await?;
            }
        } else if existing.is_empty() {
            shards::add(
                router,
                id,
                dsn,
                shards::DEFAULT_WEIGHT,
                &PoolSettings::default(),
            )
            .await?;
        }
    }
    router.refresh().await?;
    Ok(())
}

pub async fn ensure_app(router: &ShardRouter, dir: &Path) -> anyhow::Result<DemoKeys> {
    let keys_file = dir.join("demo-keys.json");
    let existing = apps::list(router)
        .await?
        .into_iter()
        .find(|app| app.domains.iter().any(|d| d == DEMO_HOSTS[0]));
    let demo = match existing {
        Some(app) => match read_keys(&keys_file).filter(|k| k.app_id == app.app_id) {
            Some(keys) => keys,
            // The keys file is gone: issue new keys rather than guess.
            None => {
                let issued = keys::rotate(
                    router.catalog(),
                    app.app_id,
                    &[KeyKind::Sdk, KeyKind::Secret],
                )
                .await?;
                let key_of = |kind| {
                    issued
                        .iter()
                        .find(|k| k.info.kind == kind)
                        .map(|k| k.key.expose().to_owned())
                        .unwrap_or_default()
                };
                DemoKeys {
                    app_id: app.app_id,
                    sdk_key: key_of(KeyKind::Sdk),
                    secret_key: key_of(KeyKind::Secret),
                }
            }
        },
        None => {
            let created = apps::create(router, demo_app()?).await?;
            DemoKeys {
                app_id: created.app_id,
                sdk_key: created.sdk_key.key.expose().to_owned(),
                secret_key: created.secret_key.key.expose().to_owned(),
            }
        }
    };
    super::postgres::write_private(&keys_file, &serde_json::to_string_pretty(&demo)?)?;
    ensure_links(router, demo.app_id).await?;
    Ok(demo)
}

fn read_keys(path: &Path) -> Option<DemoKeys> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

fn demo_app() -> anyhow::Result<apps::NewApp> {
    let p = |e: link_core::Invalid| anyhow::anyhow!("demo config: {e}");
    Ok(apps::NewApp {
        name: "Hoplink Demo".into(),
        domains: DEMO_HOSTS
            .iter()
            .map(|h| Host::parse(h).map_err(p))
            .collect::<Result<_, _>>()?,
        alternate_domain: None,
        config: AppConfig {
            ios: IosConfig {
                bundle_id: Some(BundleId::parse("app.hoplink.demo").map_err(p)?),
                team_id: Some(TeamId::parse("HOPLNK0001").map_err(p)?),
                app_store_id: Some(AppStoreId::parse("1234567890").map_err(p)?),
                uri_scheme: Some(UriScheme::parse("hoplinkdemo").map_err(p)?),
            },
            android: AndroidConfig {
                package: Some(AndroidPackage::parse("app.hoplink.demo").map_err(p)?),
                sha256_cert_fingerprints: vec![CertFingerprint::parse(
                    "14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:CF:44:E5",
                )
                .map_err(p)?],
                uri_scheme: Some(UriScheme::parse("hoplinkdemo").map_err(p)?),
            },
            fallback_url: Some(WebUrl::parse("https://example.com/").map_err(p)?),
            desktop_url: Some(WebUrl::parse("https://example.com/desktop").map_err(p)?),
            preview: PreviewDefaults {
                title: Some("Hoplink Demo".into()),
                description: Some("Links that open the right place on every device.".into()),
                image_url: None,
            },
            ..AppConfig::default()
        },
        shard: None,
    })
}

/// The demo links, created when missing.
async fn ensure_links(router: &ShardRouter, app_id: AppId) -> anyhow::Result<()> {
    let resolved = router
        .app(app_id)
        .context("demo app missing from the shard map")?;
    let pool = resolved.shard.pool()?.clone();
    let object = |v: serde_json::Value| v.as_object().cloned().unwrap_or_default();
    let demo_links = [
        NewLink {
            alias: Some(code("welcome")?),
            data: object(json!({
                "$og_title": "Welcome to Hoplink",
                "$og_description": "Deep links that land in the right place.",
                "$deeplink_path": "welcome",
                "screen": "welcome",
            })),
            channel: Some("demo".into()),
            feature: Some("onboarding".into()),
            tags: vec!["demo".into()],
            ..NewLink::default()
        },
        NewLink {
            alias: Some(code("summer-sale")?),
            data: object(json!({
                "$deeplink_path": "products/sale",
                "$desktop_url": "https://example.com/sale",
                "$og_title": "Summer sale: 30% off",
                "product_id": "sku-123",
            })),
            channel: Some("email".into()),
            campaign: Some("summer".into()),
            tags: vec!["demo".into(), "sale".into()],
            ..NewLink::default()
        },
        NewLink {
            alias: Some(code("docs")?),
            data: object(json!({ "$web_only": true, "$fallback_url": "https://example.com/docs" })),
            tags: vec!["demo".into()],
            ..NewLink::default()
        },
        NewLink {
            alias: Some(code("expired")?),
            data: object(json!({ "$og_title": "An offer that ended" })),
            expires_at: Some(Utc::now() - Duration::days(1)),
            tags: vec!["demo".into()],
            ..NewLink::default()
        },
    ];
    for link in demo_links {
        let Some(alias) = &link.alias else { continue };
        if links::find_by_code(&pool, app_id, alias.as_str())
            .await?
            .is_some()
        {
            continue;
        }
        let mut tx = fence::begin_app_write(&pool, &resolved.route).await?;
        links::insert(&mut tx, app_id, &link).await?;
        tx.commit().await.context("saving demo link")?;
    }
    Ok(())
}

fn code(raw: &str) -> anyhow::Result<LinkCode> {
    LinkCode::parse(raw).map_err(|e| anyhow::anyhow!("demo link code {raw}: {e}"))
}
