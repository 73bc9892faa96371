//! How fast one shard takes clicks from the batcher, with one writer and with two
//! (`events_shard_writers`). Records a burst of human clicks (distinct fingerprints and
//! browser ids, like a crowd) at once and times until a flush reports all of them written.
//! A benchmark, not a test: ignored by default. Run it in release mode:
//!
//! ```text
//! cargo test --release -p link-store --test store writer_bench -- --ignored --nocapture
//! ```
//! `HOPLINK_BENCH_CLICKS` (300000) and `HOPLINK_BENCH_ROUNDS` (2) change the size.

use std::time::Instant;

use link_core::client::{OsFamily, Platform};
use link_store::events::{EventsConfig, FlushReport};

use crate::helpers::{TestStore, click, env_usize};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark; run with --release -- --ignored --nocapture (see the module doc)"]
async fn writer_bench_one_shard_one_or_two_writers() {
    let n = env_usize("HOPLINK_BENCH_CLICKS", 300_000);
    let rounds = env_usize("HOPLINK_BENCH_ROUNDS", 2);
    for round in 0..rounds {
        // Alternating, so a machine that gets busier mid-run hits both settings.
        for writers in [1, 2] {
            let rate = burst(n, writers).await;
            println!(
                "writer_bench: round {round}, {writers} writer(s): {n} clicks in {:.2} s, {:.0} clicks/s",
                n as f64 / rate,
                rate
            );
        }
    }
}

/// Clicks per second written for a burst of `n`.
async fn burst(n: usize, writers: usize) -> f64 {
    let t = TestStore::with_shards(1).await;
    let app = t.create_app("writers", "s1").await;
    let link = t.create_link(app).await;
    let config = EventsConfig {
        events_queue_capacity: n,
        events_max_pending: n,
        events_shard_writers: Some(writers),
        ..EventsConfig::default()
    };
    let (recorder, _batcher) = t.start(&config);
    let now = chrono::Utc::now();
    let started = Instant::now();
    for i in 0..n {
        let mut c = click(app, link, now);
        c.platform = Platform::Ios;
        c.os = OsFamily::Ios;
        c.os_version = Some((17, 4));
        let mut fingerprint = [0u8; 32];
        fingerprint[..8]
            .copy_from_slice(&(i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes());
        c.fingerprint = Some(fingerprint);
        c.browser_id = Some(uuid::Uuid::new_v4());
        recorder.record(c);
    }
    assert_eq!(recorder.flush().await, Ok(FlushReport { pending: 0 }));
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(t.click_count(1, app).await, n as i64);
    assert_eq!(t.dropped("queue_full") + t.dropped("write_failed"), 0);
    n as f64 / elapsed
}
