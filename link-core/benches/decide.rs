//! `decide()` on the hot shapes of the click path: an iOS store redirect, an Android
//! Chrome intent, a desktop redirect with a carried query, and a bot preview.
//!
//! Run with `cargo bench -p link-core --bench decide`.

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use link_core::app::{AndroidPackage, AppStoreId, UriScheme};
use link_core::client::{BotKind, Browser, ClientInfo, Platform};
use link_core::decision::{Click, decide};
use link_core::{
    AppConfig, AppId, ClickId, Link, LinkCode, LinkData, LinkLabels, LinkType, WebUrl,
};
use serde_json::{Map, Value, json};

fn app() -> AppConfig {
    let mut app = AppConfig::default();
    app.ios.app_store_id = AppStoreId::parse("123456789").ok();
    app.ios.uri_scheme = UriScheme::parse("acme").ok();
    app.android.package = AndroidPackage::parse("com.acme.app").ok();
    app.android.uri_scheme = UriScheme::parse("acme").ok();
    app.fallback_url = WebUrl::parse("https://acme.app/").ok();
    app.desktop_url = WebUrl::parse("https://acme.app/desktop").ok();
    app.preview.title = Some("Acme".into());
    app.preview.image_url = WebUrl::parse("https://acme.app/og.png").ok();
    app
}

fn link(data: Map<String, Value>) -> Link {
    let t = Utc
        .timestamp_opt(1_770_000_000, 0)
        .single()
        .unwrap_or_default();
    Link {
        id: 1,
        app_id: AppId::new(1).unwrap_or_else(|_| unreachable!()),
        code: LinkCode::generate(),
        is_alias: false,
        data: LinkData::from_map(&data).unwrap_or_default(),
        labels: LinkLabels::default(),
        link_type: LinkType::Standard,
        duration_secs: None,
        expires_at: None,
        version: 1,
        created_at: t,
        updated_at: t,
        deleted_at: None,
    }
}

fn client(platform: Platform, browser: Browser, bot: Option<BotKind>) -> ClientInfo {
    ClientInfo {
        platform,
        browser,
        bot,
        ..ClientInfo::UNKNOWN
    }
}

fn bench(c: &mut Criterion) {
    let app = app();
    let plain = link(Map::new());
    let rich = match json!({
        "$deeplink_path": "product/42",
        "$desktop_url": "https://acme.app/p/42?ref=link",
        "$og_title": "Red shoes",
        "$og_description": "The reddest shoes",
        "greeting": "hello",
    }) {
        Value::Object(map) => link(map),
        _ => unreachable!(),
    };
    let now = Utc::now();
    let click = |link, client, query| Click {
        link,
        app: &app,
        client,
        app_installed: false,
        query,
        country: None,
        click_id: ClickId::generate(),
        alternate_url: None,
        short_url: "https://go.acme.app/Ab3xK9q",
        now,
    };

    let mut group = c.benchmark_group("decide");
    let ios = click(&plain, client(Platform::Ios, Browser::Safari, None), "");
    group.bench_function("ios_app_store", |b| b.iter(|| decide(black_box(&ios))));
    let android = click(
        &rich,
        client(Platform::Android, Browser::ChromeFamily, None),
        "utm_source=push",
    );
    group.bench_function("android_intent", |b| b.iter(|| decide(black_box(&android))));
    let desktop = click(
        &rich,
        client(Platform::Desktop, Browser::ChromeFamily, None),
        "utm_source=newsletter&utm_campaign=spring",
    );
    group.bench_function("desktop_web", |b| b.iter(|| decide(black_box(&desktop))));
    let bot = click(
        &rich,
        client(Platform::Other, Browser::Other, Some(BotKind::LinkPreview)),
        "",
    );
    group.bench_function("bot_preview", |b| b.iter(|| decide(black_box(&bot))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
