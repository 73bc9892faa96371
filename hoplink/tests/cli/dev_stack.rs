use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::helpers::BIN;

/// `hoplink dev` on a fresh folder: private Postgres, demo data, both services healthy,
/// Ctrl-C stops everything including Postgres; a second run reuses the data.
#[tokio::test]
async fn dev_stack_starts_serves_and_stops_cleanly() {
    let dir = tempfile::Builder::new()
        .prefix("hoplink-dev-test")
        // The system temp dir, not the checkout: when the tests run as root the cluster
        // belongs to `postgres`, which cannot reach into a private clone folder.
        .tempdir_in(std::env::temp_dir())
        .expect("temp dir");
    // When the tests run as root, the private cluster belongs to `postgres`, which must be
    // able to reach the folder.
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod temp dir");
    let first = run_once(dir.path()).await;
    let second = run_once(dir.path()).await;
    assert_eq!(
        first, second,
        "the second run reuses the demo app and its keys"
    );
    assert!(
        !dir.path().join("postgres/data/postmaster.pid").exists(),
        "Postgres still running"
    );
}

/// Starts the stack, checks it, stops it; returns the demo SDK key it printed.
async fn run_once(dir: &std::path::Path) -> String {
    let mut child = Command::new(BIN)
        .args(["dev", "--link-port", "0", "--api-port", "0", "--dir"])
        .arg(dir)
        .env_remove("HOPLINK_CATALOG_URL")
        .env("HOPLINK_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start hoplink dev");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let (mut link, mut api, mut sdk_key) = (None, None, None);
    let started = Instant::now();
    while link.is_none() || api.is_none() || sdk_key.is_none() {
        let line = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
            .await
            .expect("dev stack printed its banner within 120 s")
            .expect("read stdout")
            .expect("dev stack exited before printing its banner");
        let word_after = |marker: &str| {
            line.split_once(marker)
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .map(str::to_owned)
        };
        link = link.or_else(|| word_after("link service"));
        api = api.or_else(|| word_after("API service"));
        sdk_key = sdk_key.or_else(|| word_after("sdk key"));
    }
    eprintln!("dev stack up after {:?}", started.elapsed());
    let client = reqwest::Client::builder()
        .timeout(shard_router::testing::REQUEST_TIMEOUT)
        .build()
        .expect("HTTP client");
    for base in [link.as_ref().unwrap(), api.as_ref().unwrap()] {
        let health = client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .expect("healthz");
        assert_eq!(health.status(), 200, "{base}/healthz");
        let ready = client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .expect("readyz");
        assert_eq!(ready.status(), 200, "{base}/readyz");
    }

    let pid = nix::unistd::Pid::from_raw(child.id().expect("pid") as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("send SIGINT");
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("dev stack stopped within 60 s of Ctrl-C")
        .expect("wait");
    assert!(status.success(), "dev exited with {status}");
    sdk_key.unwrap()
}
