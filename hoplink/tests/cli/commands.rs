use std::collections::HashMap;

use crate::helpers::*;

#[tokio::test]
async fn operator_workflow_spreads_apps_and_rotates_keys() {
    let dbs = catalog_with_two_shards().await;

    let listed = json_lines(&hoplink(&dbs.catalog_url, &["shards", "list"]).await);
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["id"], "s1");
    assert!(!listed[0]["dsn"].as_str().unwrap().is_empty());

    let mut per_shard: HashMap<String, u32> = HashMap::new();
    let mut first = None;
    for i in 0..4 {
        let domain = format!("go{i}.acme.app");
        let out = hoplink(
            &dbs.catalog_url,
            &[
                "apps", "create", &format!("Acme {i}"), "--domain", &domain,
                "--ios-bundle-id", "com.acme.app", "--ios-team-id", "ABCDE12345",
                "--ios-app-store-id", "1234567890", "--ios-scheme", "acme",
                "--android-package", "com.acme.app",
                "--android-sha256", "14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:CF:44:E5",
                "--android-scheme", "acme",
                "--fallback-url", "https://acme.app/", "--desktop-url", "https://acme.app/desktop",
                "--long-link-host", "Partner.Example", "--long-link-host", "shop.acme.app",
            ],
        )
        .await;
        assert!(out.status.success(), "apps create: {}", stderr(&out));
        let created = &json_lines(&out)[0];
        assert!(created["app_id"].as_i64().unwrap() > 0);
        assert!(
            created["sdk_key"]
                .as_str()
                .unwrap()
                .starts_with("key_live_")
        );
        assert!(
            created["secret_key"]
                .as_str()
                .unwrap()
                .starts_with("secret_live_")
        );
        *per_shard
            .entry(created["shard"].as_str().unwrap().to_owned())
            .or_default() += 1;
        first.get_or_insert(created.clone());
    }
    assert_eq!(per_shard.get("s1"), Some(&2), "{per_shard:?}");
    assert_eq!(per_shard.get("s2"), Some(&2), "{per_shard:?}");

    let apps = json_lines(&hoplink(&dbs.catalog_url, &["apps", "list"]).await);
    assert_eq!(apps.len(), 4);
    for key in ["app_id", "name", "shard", "domains"] {
        assert!(apps[0].get(key).is_some(), "apps list lacks {key}");
    }
    assert_eq!(apps[0]["domains"], serde_json::json!(["go0.acme.app"]));

    let first = first.unwrap();
    let app_id = first["app_id"].to_string();
    let out = hoplink(&dbs.catalog_url, &["keys", "rotate", &app_id]).await;
    assert!(out.status.success(), "rotate: {}", stderr(&out));
    let rotated = &json_lines(&out)[0];
    assert_ne!(rotated["sdk_key"], first["sdk_key"]);
    assert_ne!(rotated["secret_key"], first["secret_key"]);
    assert!(
        rotated["sdk_key"]
            .as_str()
            .unwrap()
            .starts_with("key_live_")
    );

    // Migrating again changes nothing and succeeds.
    let out = hoplink(&dbs.catalog_url, &["migrate"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_lines(&out).len(), 3);
}

#[tokio::test]
async fn bad_input_is_refused_with_a_clear_error_and_no_change() {
    let dbs = catalog_with_two_shards().await;
    let out = hoplink(
        &dbs.catalog_url,
        &["apps", "create", "Acme", "--domain", "go.acme.app"],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let before = catalog_counts(&dbs.catalog_url).await;

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["apps", "create", "Copy", "--domain", "GO.acme.app"],
            "domain go.acme.app is already registered",
        ),
        (
            vec!["apps", "create", "Bad", "--domain", "not a host"],
            "invalid --domain not a host",
        ),
        (
            vec!["apps", "create", "Bad", "--domain", "https://x.example/"],
            "invalid --domain",
        ),
        (
            vec![
                "apps",
                "create",
                "Bad",
                "--domain",
                "b.example",
                "--shard",
                "s9",
            ],
            "no shard named s9",
        ),
        (
            vec![
                "apps",
                "create",
                "Bad",
                "--domain",
                "b.example",
                "--ios-team-id",
                "x",
            ],
            "invalid --ios-team-id",
        ),
        (
            vec![
                "apps",
                "create",
                "Bad",
                "--domain",
                "b.example",
                "--fallback-url",
                "javascript:alert(1)",
            ],
            "invalid --fallback-url",
        ),
        (
            vec![
                "apps",
                "create",
                "Bad",
                "--domain",
                "b.example",
                "--ios-scheme",
                "https",
            ],
            "invalid --ios-scheme",
        ),
        (
            vec![
                "apps",
                "create",
                "Bad",
                "--domain",
                "b.example",
                "--long-link-host",
                "*.partner.example",
            ],
            "invalid --long-link-host",
        ),
        (
            vec![
                "apps",
                "create",
                "Bad",
                "--alternate-domain",
                "alt.b.example",
            ],
            "invalid --alternate-domain: needs a --domain beside it",
        ),
        (
            vec![
                "apps",
                "create",
                "Bad",
                "--domain",
                "b.example",
                "--alternate-domain",
                "B.example",
            ],
            "invalid --alternate-domain: b.example is also given as --domain",
        ),
        (
            vec![
                "apps",
                "create",
                "Bad",
                "--domain",
                "b.example",
                "--alternate-domain",
                "go.acme.app",
            ],
            "domain go.acme.app is already registered",
        ),
        (
            vec!["shards", "add", "s3", "postgres://"],
            "invalid POSTGRES_URL",
        ),
        (
            vec!["shards", "add", "s3", "mysql://db/x"],
            "invalid POSTGRES_URL",
        ),
        (
            vec!["shards", "add", "S 3", &dbs.shard_urls[0]],
            "invalid NAME",
        ),
        (
            vec!["shards", "add", "s1", &dbs.shard_urls[0]],
            "a shard named s1 already exists",
        ),
        (vec!["keys", "rotate", "abc"], "invalid APP_ID"),
        (vec!["keys", "rotate", "999999"], "no app with id 999999"),
    ];
    for (args, expected) in cases {
        let out = hoplink(&dbs.catalog_url, &args).await;
        assert!(!out.status.success(), "{args:?} should fail");
        let err = stderr(&out);
        assert!(
            err.contains(expected),
            "{args:?}: expected {expected:?} in {err:?}"
        );
        assert!(err.starts_with("error: "), "{err:?}");
        assert!(stdout(&out).is_empty(), "{args:?} printed a result");
    }
    assert_eq!(catalog_counts(&dbs.catalog_url).await, before);
}

#[tokio::test]
async fn an_app_is_created_with_an_alternate_domain() {
    let dbs = catalog_with_two_shards().await;
    let out = hoplink(
        &dbs.catalog_url,
        &[
            "apps",
            "create",
            "Acme",
            "--domain",
            "go.acme.app",
            "--alternate-domain",
            "Acme-Alternate.App.Link",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let created = &json_lines(&out)[0];
    assert_eq!(
        created["domains"],
        serde_json::json!(["go.acme.app", "acme-alternate.app.link"])
    );
    assert_eq!(created["alternate_domain"], "acme-alternate.app.link");

    let apps = json_lines(&hoplink(&dbs.catalog_url, &["apps", "list"]).await);
    assert_eq!(
        apps[0]["domains"],
        serde_json::json!(["go.acme.app", "acme-alternate.app.link"])
    );
    assert_eq!(apps[0]["alternate_domain"], "acme-alternate.app.link");

    let out = hoplink(
        &dbs.catalog_url,
        &["apps", "create", "Plain", "--domain", "go.plain.app"],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        json_lines(&out)[0]["alternate_domain"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn an_unreachable_catalog_is_a_clear_error() {
    let out = hoplink("postgres://postgres@127.0.0.1:1/nowhere", &["apps", "list"]).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("catalog database is unavailable"),
        "{}",
        stderr(&out)
    );
}

/// The ages in days of a table's rows, oldest first.
async fn ages_in(shard: &sqlx::PgPool, table: &str) -> Vec<i32> {
    sqlx::query_scalar::<_, i32>(sqlx::AssertSqlSafe(format!(
        "SELECT extract(day FROM now() - occurred_at)::int FROM {table} ORDER BY 1 DESC"
    )))
    .fetch_all(shard)
    .await
    .expect("ages")
}

/// `<group> prune` with a retention inside the attribution window fails and says why.
async fn refused_retention(catalog_url: &str, group: &str, days: &str) {
    let refused = hoplink(catalog_url, &[group, "prune", "--older-than-days", days]).await;
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("at least 91"),
        "{}",
        stderr(&refused)
    );
}

/// `clicks prune`: raw clicks past the retention go from every shard, younger ones and
/// the rollups stay, and a retention inside the attribution window is refused.
#[tokio::test]
async fn pruning_deletes_only_clicks_past_the_retention() {
    let dbs = catalog_with_two_shards().await;
    let shard = sqlx::PgPool::connect(&dbs.shard_urls[0])
        .await
        .expect("connect shard");
    for age_days in [400, 120, 92, 89, 0] {
        sqlx::query(
            "INSERT INTO clicks (id, app_id, link_id, occurred_at, platform, os) \
             VALUES (gen_random_uuid(), 1, 1, now() - make_interval(days => $1), 'ios', 'ios')",
        )
        .bind(age_days)
        .execute(&shard)
        .await
        .expect("seed click");
    }
    sqlx::query(
        "INSERT INTO link_stats_daily (app_id, day, link_id, platform, clicks) \
         VALUES (1, current_date - 400, 1, 'ios', 1)",
    )
    .execute(&shard)
    .await
    .expect("seed rollup");
    let ages = || ages_in(&shard, "clicks");

    refused_retention(&dbs.catalog_url, "clicks", "90").await;
    assert_eq!(ages().await.len(), 5, "nothing deleted");

    let out = hoplink(
        &dbs.catalog_url,
        &[
            "clicks",
            "prune",
            "--older-than-days",
            "91",
            "--batch-size",
            "1",
        ],
    )
    .await;
    assert!(out.status.success(), "prune: {}", stderr(&out));
    let report = json_lines(&out);
    assert_eq!(
        report,
        [
            serde_json::json!({"shard": "s1", "ok": true, "deleted": 3}),
            serde_json::json!({"shard": "s2", "ok": true, "deleted": 0}),
        ]
    );
    assert_eq!(ages().await, [89, 0]);
    let rollup: i64 = sqlx::query_scalar("SELECT sum(clicks)::bigint FROM link_stats_daily")
        .fetch_one(&shard)
        .await
        .expect("rollup");
    assert_eq!(rollup, 1, "stats are kept");
    shard.close().await;
}

/// `sessions prune`: installs, opens and SDK events past the retention go from every
/// shard, table by table; younger ones and the rollups stay.
#[tokio::test]
async fn pruning_sessions_deletes_only_rows_past_the_retention() {
    let dbs = catalog_with_two_shards().await;
    let shard = sqlx::PgPool::connect(&dbs.shard_urls[0])
        .await
        .expect("connect shard");
    for age_days in [400, 92, 89, 0] {
        for insert in [
            "INSERT INTO installs (id, app_id, occurred_at, platform, match_type, device_token) \
             VALUES (gen_random_uuid(), 1, now() - make_interval(days => $1), 'ios', 'none', 'tok')",
            "INSERT INTO opens (id, app_id, occurred_at, platform, match_type, device_token) \
             VALUES (gen_random_uuid(), 1, now() - make_interval(days => $1), 'ios', 'none', 'tok')",
            "INSERT INTO sdk_events (id, app_id, occurred_at, category, name, platform, developer_identity) \
             VALUES (gen_random_uuid(), 1, now() - make_interval(days => $1), 'standard', 'PURCHASE', 'ios', 'user-1')",
        ] {
            sqlx::query(insert)
                .bind(age_days)
                .execute(&shard)
                .await
                .expect("seed row");
        }
    }
    sqlx::query(
        "INSERT INTO link_stats_daily (app_id, day, link_id, platform, installs, opens) \
         VALUES (1, current_date - 400, 0, 'ios', 1, 1)",
    )
    .execute(&shard)
    .await
    .expect("seed rollup");
    let ages = |table| ages_in(&shard, table);

    refused_retention(&dbs.catalog_url, "sessions", "30").await;
    assert_eq!(ages("installs").await.len(), 4, "nothing deleted");

    let out = hoplink(
        &dbs.catalog_url,
        &[
            "sessions",
            "prune",
            "--older-than-days",
            "91",
            "--batch-size",
            "1",
        ],
    )
    .await;
    assert!(out.status.success(), "prune: {}", stderr(&out));
    let mut expected = Vec::new();
    for (shard, deleted) in [("s1", 2), ("s2", 0)] {
        for table in ["installs", "opens", "sdk_events"] {
            expected.push(serde_json::json!(
                {"shard": shard, "table": table, "ok": true, "deleted": deleted}
            ));
        }
    }
    assert_eq!(json_lines(&out), expected);
    for table in ["installs", "opens", "sdk_events"] {
        assert_eq!(ages(table).await, [89, 0], "{table}");
    }
    let rollup: (i64, i64) =
        sqlx::query_as("SELECT sum(installs)::bigint, sum(opens)::bigint FROM link_stats_daily")
            .fetch_one(&shard)
            .await
            .expect("rollup");
    assert_eq!(rollup, (1, 1), "stats are kept");
    // Each batch finds its rows through a time index, not a scan of the table.
    let brin: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_indexes WHERE indexdef LIKE '%USING brin (occurred_at)%' \
         AND tablename IN ('installs', 'opens', 'sdk_events')",
    )
    .fetch_one(&shard)
    .await
    .expect("indexes");
    assert_eq!(brin, 3);
    shard.close().await;
}
