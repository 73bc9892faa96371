//! Client classification on the click path: a full classification of a realistic mix of
//! User-Agents, against a hit in [`ClassifierMemo`] (and, for comparison, in a
//! `moka::sync::Cache` holding the same entries).
//!
//! Run: `cargo bench -p link-core --bench classify` (add `-- --quick` for a short run).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use link_core::client::{ClassifierMemo, ClientInfo, classify};
use std::hint::black_box;

/// Roughly the shape of real click traffic: mostly mobile browsers and in-app browsers,
/// some desktops, some preview fetchers and crawlers.
const MIX: &[&str] = &[
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/449.0.0.41.111;FBBV/560839367;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.3.1;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/562171127]",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 321.0.2.19.104 (iPhone14,5; iOS 17_3_1; en_US; en; scale=3.00; 1170x2532; 565181720)",
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/450.0.0.42.109;]",
    "Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/AP1A.240305.019.A1; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.119 Mobile Safari/537.36 Instagram 321.0.0.39.106 Android (34/14; 420dpi; 1080x2400; Google/google; Pixel 7; panther; panther; en_US; 565181726)",
    "Mozilla/5.0 (Linux; Android 14; SM-S911B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/121.0.6167.178 Mobile Safari/537.36 trill_330403 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/musical_ly app_version/33.4.3 ByteLocale/en ByteFullLocale/en Region/US BytedanceWebview/d8a21c6",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "WhatsApp/2.23.20.0 A",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/8.4.0",
];

fn classify_mix(c: &mut Criterion) {
    let mut group = c.benchmark_group("classify");
    group.throughput(Throughput::Elements(MIX.len() as u64));
    group.bench_function("full_parse_mix", |b| {
        b.iter(|| {
            for ua in MIX {
                black_box(classify(black_box(ua)));
            }
        })
    });
    let garbage: String = (0..16 * 1024)
        .map(|i| char::from(b' ' + (i % 94) as u8))
        .collect();
    group.throughput(Throughput::Elements(1));
    group.bench_function("full_parse_16kb_garbage", |b| {
        b.iter(|| black_box(classify(black_box(&garbage))))
    });
    group.finish();
}

fn memo_hits(c: &mut Criterion) {
    let memo = ClassifierMemo::default();
    let moka: moka::sync::Cache<Box<str>, ClientInfo> = moka::sync::Cache::new(10_000);
    for ua in MIX {
        memo.classify(ua);
        moka.insert((*ua).into(), classify(ua));
    }

    let mut group = c.benchmark_group("memo_hit");
    group.throughput(Throughput::Elements(MIX.len() as u64));
    group.bench_function("sharded_table_mix", |b| {
        b.iter(|| {
            for ua in MIX {
                black_box(memo.classify(black_box(ua)));
            }
        })
    });
    group.bench_function("moka_mix", |b| {
        b.iter(|| {
            for ua in MIX {
                black_box(moka.get(black_box(*ua)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, classify_mix, memo_hits);
criterion_main!(benches);
