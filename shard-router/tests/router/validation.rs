use link_core::{AppId, Host, ShardId};
use shard_router::catalog::{apps, keys, shards};
use shard_router::{PoolSettings, RouterError, ShardDsn};

use crate::helpers::{TestCatalog, new_app};

#[tokio::test]
async fn a_duplicate_domain_is_refused_and_nothing_is_written() {
    let t = TestCatalog::with_shards(2).await;
    t.create_app("Acme", &["go.acme.app"]).await;
    let before = t.snapshot().await;
    let err = apps::create(
        &t.router,
        new_app("Copycat", &["fresh.example", "GO.ACME.APP"]),
    )
    .await
    .expect_err("duplicate domain");
    assert!(
        matches!(&err, RouterError::DomainTaken(h) if h.as_str() == "go.acme.app"),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "domain go.acme.app is already registered");
    assert_eq!(t.snapshot().await, before);
    // Nor on any shard.
    for handle in t.router.routes().shard_handles() {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM app_configs")
            .fetch_one(handle.pool().unwrap())
            .await
            .unwrap();
        assert!(n <= 1);
    }
}

#[tokio::test]
async fn an_unknown_shard_is_refused() {
    let t = TestCatalog::with_shards(1).await;
    let before = t.snapshot().await;
    let err = apps::create(
        &t.router,
        apps::NewApp {
            shard: Some(ShardId::parse("s9").unwrap()),
            ..new_app("Acme", &["go.acme.app"])
        },
    )
    .await
    .expect_err("unknown shard");
    assert!(matches!(err, RouterError::UnknownShard(_)), "{err:?}");
    assert_eq!(t.snapshot().await, before);
}

#[tokio::test]
async fn no_active_shard_is_a_clear_error() {
    let t = TestCatalog::with_shards(0).await;
    let err = apps::create(&t.router, new_app("Acme", &[]))
        .await
        .expect_err("no shard");
    assert!(matches!(err, RouterError::NoActiveShard));
    assert_eq!(t.count("apps").await, 0);
}

#[tokio::test]
async fn invalid_names_are_refused() {
    let t = TestCatalog::with_shards(1).await;
    for name in ["", "   ", "bad\u{7}name", &"x".repeat(201)] {
        let err = apps::create(&t.router, new_app(name, &[]))
            .await
            .expect_err("bad name");
        assert!(
            matches!(&err, RouterError::Invalid(f) if f.field == "name"),
            "{name:?}: {err:?}"
        );
    }
    assert_eq!(t.count("apps").await, 0);
    assert!(Host::parse("not a host").is_err());
}

#[tokio::test]
async fn shards_with_bad_urls_or_names_are_refused() {
    let t = TestCatalog::with_shards(1).await;
    let before = t.snapshot().await;
    // Malformed URLs never reach the catalog (parsed at the edge).
    for bad in ["postgres://", "mysql://db/x", "postgres://h:99999/x"] {
        assert!(ShardDsn::parse(bad).is_err(), "{bad}");
    }
    // Well-formed but unreachable.
    let err = shards::add(
        &t.router,
        ShardId::parse("s2").unwrap(),
        ShardDsn::parse("postgres://postgres@127.0.0.1:1/nowhere").unwrap(),
        100,
        &PoolSettings {
            shard_connect_timeout_ms: 500,
            ..PoolSettings::default()
        },
    )
    .await
    .expect_err("unreachable");
    assert!(
        matches!(err, RouterError::ShardUnavailable { .. }),
        "{err:?}"
    );
    // Taken name.
    let err = shards::add(
        &t.router,
        ShardId::parse("s1").unwrap(),
        ShardDsn::parse(&t.dbs.shard_urls[0]).unwrap(),
        100,
        &PoolSettings::default(),
    )
    .await
    .expect_err("taken");
    assert!(matches!(err, RouterError::ShardExists(_)));
    // The catalog itself cannot become a shard.
    let err = shards::add(
        &t.router,
        ShardId::parse("s3").unwrap(),
        ShardDsn::parse(&t.dbs.catalog_url).unwrap(),
        100,
        &PoolSettings::default(),
    )
    .await
    .expect_err("catalog as shard");
    assert!(
        matches!(&err, RouterError::Invalid(f) if f.field == "dsn"),
        "{err:?}"
    );
    assert_eq!(t.snapshot().await, before);
}

#[tokio::test]
async fn key_rotation_replaces_keys_and_unknown_apps_are_refused() {
    let t = TestCatalog::with_shards(1).await;
    let app = t.create_app("Acme", &["go.acme.app"]).await;
    let old_prefix = app.sdk_key.info.prefix.clone();
    let kinds = [link_core::KeyKind::Sdk, link_core::KeyKind::Secret];
    let rotated = keys::rotate(t.router.catalog(), app.app_id, &kinds)
        .await
        .expect("rotate");
    assert_eq!(rotated.len(), 2);
    let old = keys::find_by_prefix(t.router.catalog(), &old_prefix)
        .await
        .unwrap()
        .unwrap();
    assert!(old.revoked);
    let new = keys::find_by_prefix(t.router.catalog(), &rotated[0].info.prefix)
        .await
        .unwrap()
        .unwrap();
    assert!(!new.revoked);
    assert!(new.hash.matches(rotated[0].key.expose()));

    let before = t.snapshot().await;
    let ghost = AppId::new(999_999).unwrap();
    let err = keys::rotate(t.router.catalog(), ghost, &kinds)
        .await
        .expect_err("unknown app");
    assert!(matches!(err, RouterError::UnknownApp(_)));
    assert_eq!(t.snapshot().await, before);
}

/// A URL stored before the rules refused it (here a domain with a `"`) reads as absent:
/// the rest of the app's config still loads, so its links keep working.
#[tokio::test]
async fn a_stored_url_the_rules_now_refuse_reads_as_absent() {
    let t = TestCatalog::with_shards(1).await;
    let app = t.create_app("Acme", &["go.acme.app"]).await;
    let routes = t.router.routes();
    let shard = routes.shard(&app.shard).expect("the app's shard");
    let pool = shard.pool().unwrap();
    sqlx::query(
        "UPDATE app_configs SET fallback_url = 'https://u\"x.example/', \
         desktop_url = 'https://acme.app/desktop', og_image_url = 'https://a{b}.example/i.png', \
         ios_app_store_id = '123456789' WHERE app_id = $1",
    )
    .bind(app.app_id.get())
    .execute(pool)
    .await
    .unwrap();
    let stored = shard_router::app_config::load(pool, app.app_id)
        .await
        .expect("the config loads")
        .expect("a config row");
    let config = stored.config;
    assert_eq!(config.fallback_url, None);
    assert_eq!(config.preview.image_url, None);
    assert_eq!(
        config.desktop_url.as_ref().map(|u| u.as_str()),
        Some("https://acme.app/desktop")
    );
    assert_eq!(
        config.ios.app_store_id.as_ref().map(|id| id.as_str()),
        Some("123456789")
    );
}
