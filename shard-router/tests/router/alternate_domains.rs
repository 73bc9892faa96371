//! An app's alternate domain: registered, moved and refused in the catalog, and never the
//! primary domain in the map.

use link_core::{AppId, Host};
use shard_router::RouterError;
use shard_router::catalog::apps;

use crate::helpers::{TestCatalog, new_app};

fn host(h: &str) -> Host {
    Host::parse(h).unwrap()
}

/// The app's alternate domains straight from the catalog, to show at most one is flagged.
async fn flagged(t: &TestCatalog, app: AppId) -> Vec<String> {
    sqlx::query_scalar("SELECT host FROM app_domains WHERE app_id = $1 AND alternate ORDER BY host")
        .bind(app.get())
        .fetch_all(t.router.catalog())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_app_is_created_with_its_alternate_domain() {
    let t = TestCatalog::with_shards(1).await;
    let created = apps::create(
        &t.router,
        apps::NewApp {
            alternate_domain: Some(host("acme-alternate.app.link")),
            ..new_app("Acme", &["go.acme.app", "acme.link"])
        },
    )
    .await
    .unwrap();
    let listed: Vec<&str> = created.domains.iter().map(Host::as_str).collect();
    assert_eq!(
        listed,
        ["go.acme.app", "acme.link", "acme-alternate.app.link"]
    );
    assert_eq!(
        created.alternate_domain.as_ref().map(Host::as_str),
        Some("acme-alternate.app.link")
    );

    let summary = apps::get(&t.router, created.app_id).await.unwrap();
    assert_eq!(
        summary.domains,
        ["go.acme.app", "acme.link", "acme-alternate.app.link"]
    );
    assert_eq!(
        summary.alternate_domain.as_deref(),
        Some("acme-alternate.app.link")
    );

    let routes = t.second_router().await.routes();
    assert_eq!(
        routes.map.primary_domain(created.app_id).map(Host::as_str),
        Some("go.acme.app")
    );
    assert_eq!(
        routes
            .map
            .alternate_domain(created.app_id)
            .map(Host::as_str),
        Some("acme-alternate.app.link")
    );
    assert_eq!(
        routes
            .resolve_host("acme-alternate.app.link")
            .map(|r| r.0.app_id),
        Some(created.app_id),
        "the alternate domain serves the app's links"
    );
}

#[tokio::test]
async fn an_alternate_domain_alone_or_among_the_domains_is_refused() {
    let t = TestCatalog::with_shards(1).await;
    t.create_app("Other", &["taken.example"]).await;
    let before = t.snapshot().await;
    for (domains, alternate) in [
        (&[][..], "alt.acme.app"),
        (&["go.acme.app"][..], "go.acme.app"),
    ] {
        let err = apps::create(
            &t.router,
            apps::NewApp {
                alternate_domain: Some(host(alternate)),
                ..new_app("Acme", domains)
            },
        )
        .await
        .expect_err("refused");
        assert!(
            matches!(&err, RouterError::Invalid(f) if f.field == "alternate_domain"),
            "{domains:?} + {alternate}: {err:?}"
        );
    }
    let err = apps::create(
        &t.router,
        apps::NewApp {
            alternate_domain: Some(host("taken.example")),
            ..new_app("Acme", &["go.acme.app"])
        },
    )
    .await
    .expect_err("taken");
    assert!(
        matches!(&err, RouterError::DomainTaken(h) if h.as_str() == "taken.example"),
        "{err:?}"
    );

    let many: Vec<String> = (0..apps::MAX_DOMAINS)
        .map(|i| format!("d{i}.acme.app"))
        .collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let err = apps::create(
        &t.router,
        apps::NewApp {
            alternate_domain: Some(host("alt.acme.app")),
            ..new_app("Acme", &many)
        },
    )
    .await
    .expect_err("the alternate domain counts towards the limit");
    assert!(
        matches!(&err, RouterError::Invalid(f) if f.field == "domains"),
        "{err:?}"
    );
    assert_eq!(t.snapshot().await, before, "nothing written");
}

#[tokio::test]
async fn the_alternate_role_moves_between_domains() {
    let t = TestCatalog::with_shards(1).await;
    let app = t
        .create_app("Acme", &["go.acme.app", "acme.link", "third.acme.app"])
        .await
        .app_id;

    assert!(
        apps::set_alternate(&t.router, app, &host("acme.link"), true)
            .await
            .unwrap()
    );
    assert_eq!(flagged(&t, app).await, ["acme.link"]);
    // Taking the role from the primary domain moves the short URLs to the next one.
    assert!(
        apps::set_alternate(&t.router, app, &host("go.acme.app"), true)
            .await
            .unwrap()
    );
    assert_eq!(flagged(&t, app).await, ["go.acme.app"]);
    let routes = t.router.routes();
    assert_eq!(
        routes.map.primary_domain(app).map(Host::as_str),
        Some("acme.link")
    );
    assert_eq!(
        routes.map.alternate_domain(app).map(Host::as_str),
        Some("go.acme.app")
    );
    assert_eq!(
        apps::get(&t.router, app).await.unwrap().domains,
        ["acme.link", "third.acme.app", "go.acme.app"]
    );

    // Adding a domain as the alternate one takes the role too.
    apps::add_domain(&t.router, app, &host("alt.acme.app"), true)
        .await
        .unwrap();
    assert_eq!(flagged(&t, app).await, ["alt.acme.app"]);

    // Back to an ordinary domain: no alternate is left, and the first domain is primary.
    assert!(
        apps::set_alternate(&t.router, app, &host("alt.acme.app"), false)
            .await
            .unwrap()
    );
    assert!(flagged(&t, app).await.is_empty());
    assert_eq!(
        t.router.routes().map.primary_domain(app).map(Host::as_str),
        Some("go.acme.app")
    );

    // Unchanged roles succeed without a change; unknown domains are reported.
    assert!(
        apps::set_alternate(&t.router, app, &host("acme.link"), false)
            .await
            .unwrap()
    );
    assert!(
        !apps::set_alternate(&t.router, app, &host("nope.example"), true)
            .await
            .unwrap()
    );
    let err = apps::set_alternate(
        &t.router,
        AppId::new(999_999).unwrap(),
        &host("x.example"),
        true,
    )
    .await
    .expect_err("no such app");
    assert!(matches!(err, RouterError::UnknownApp(_)), "{err:?}");
}

#[tokio::test]
async fn an_app_keeps_a_domain_for_its_short_urls() {
    let t = TestCatalog::with_shards(1).await;
    let app = t.create_app("Acme", &["go.acme.app"]).await.app_id;
    let err = apps::set_alternate(&t.router, app, &host("go.acme.app"), true)
        .await
        .expect_err("its only domain");
    assert!(
        matches!(&err, RouterError::Invalid(f) if f.field == "alternate"),
        "{err:?}"
    );

    // Alone, an alternate domain gives the role to a new one and is primary again.
    apps::add_domain(&t.router, app, &host("alt.acme.app"), true)
        .await
        .unwrap();
    apps::remove_domain(&t.router, app, &host("go.acme.app"))
        .await
        .unwrap();
    assert_eq!(t.router.routes().map.primary_domain(app), None);
    apps::add_domain(&t.router, app, &host("alt2.acme.app"), true)
        .await
        .unwrap();
    assert_eq!(flagged(&t, app).await, ["alt2.acme.app"]);
    assert_eq!(
        t.router.routes().map.primary_domain(app).map(Host::as_str),
        Some("alt.acme.app")
    );

    let bare = t.create_app("Bare", &[]).await.app_id;
    let err = apps::add_domain(&t.router, bare, &host("alt.bare.app"), true)
        .await
        .expect_err("no other domain");
    assert!(
        matches!(&err, RouterError::Invalid(f) if f.field == "alternate"),
        "{err:?}"
    );
    assert!(apps::get(&t.router, bare).await.unwrap().domains.is_empty());
}

#[tokio::test]
async fn concurrent_moves_leave_one_alternate_domain() {
    let t = TestCatalog::with_shards(1).await;
    let hosts = ["a.acme.app", "b.acme.app", "c.acme.app", "d.acme.app"];
    let app = t.create_app("Acme", &hosts).await.app_id;
    let mut moves = tokio::task::JoinSet::new();
    for h in &hosts[1..] {
        let router = t.router.clone();
        let h = host(h);
        moves.spawn(async move { apps::set_alternate(&router, app, &h, true).await });
    }
    while let Some(moved) = moves.join_next().await {
        assert!(moved.unwrap().unwrap());
    }
    assert_eq!(flagged(&t, app).await.len(), 1);
}
