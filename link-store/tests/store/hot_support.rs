//! Support for the hot-tier tests: the shared Aerospike server (or a loud skip), fresh app
//! ids, links made and changed on a shard, and an Aerospike server of a test's own that it
//! may kill and restart.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use link_core::{AppId, Link, LinkCode};
use link_store::cache::{CacheConfig, LinkCache};
use link_store::hot::{HotTier, HotTierConfig};
use link_store::links::{self, NewLink};
use link_store::origin::Origin;
use shard_router::fence::begin_app_write;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

use crate::helpers::TestStore;

/// Every test run writes to these sets; app ids are unique per test (see [`fresh_app_ids`]).
pub const SET_PREFIX: &str = "hoplink_test_";

const SKIP_LINE: &str = "SKIPPED: no Aerospike server (set HOPLINK_TEST_AEROSPIKE_HOSTS)";

/// The shared test server's seeds, or `None` after printing the skip line.
pub fn aerospike_hosts(test: &str) -> Option<String> {
    match std::env::var("HOPLINK_TEST_AEROSPIKE_HOSTS") {
        Ok(hosts) if !hosts.trim().is_empty() => Some(hosts),
        _ => {
            skip(&format!("{SKIP_LINE} [{test}]"));
            None
        }
    }
}

/// Prints a skip line straight to the process's stderr: the test harness captures (and
/// hides) what `eprintln!` prints in a passing test, and a skip must be seen.
fn skip(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// A hot-tier config for tests: the given seeds, the test sets, and budgets that a loaded
/// CI machine meets (the defaults are for production).
pub fn hot_config(hosts: &str) -> HotTierConfig {
    HotTierConfig {
        aerospike_set_prefix: SET_PREFIX.to_owned(),
        aerospike_read_timeout_ms: 50,
        aerospike_write_timeout_ms: 100,
        ..HotTierConfig::with_hosts(hosts)
    }
}

/// Starts the hot tier and waits until it reaches the server.
pub async fn hot_tier(t: &TestStore, config: &HotTierConfig) -> HotTier {
    let tier = HotTier::start(config, t.router.clone(), &t.registry).unwrap();
    let client = tier.client.as_ref().expect("hot tier configured");
    assert!(
        client.wait_connected(Duration::from_secs(10)).await,
        "the hot tier did not connect to {:?}",
        config.aerospike_hosts
    );
    tier
}

/// Makes the catalog hand out app ids no other test (or earlier run) used, so tests can
/// share the Aerospike sets without seeing each other's records.
pub async fn fresh_app_ids(t: &TestStore) {
    let start = (uuid::Uuid::new_v4().as_u128() % (1 << 40)) as i64 + 1_000_000;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "ALTER TABLE apps ALTER COLUMN id RESTART WITH {start}"
    )))
    .execute(t.router.catalog())
    .await
    .unwrap();
}

/// A link created through the fenced write path.
pub async fn new_link(t: &TestStore, app: AppId, alias: &str) -> Link {
    let resolved = t.router.app(app).unwrap();
    let mut tx = begin_app_write(resolved.shard.pool().unwrap(), &resolved.route)
        .await
        .unwrap();
    let mut data = serde_json::Map::new();
    data.insert("$desktop_url".into(), "https://acme.test/v1".into());
    let new = NewLink {
        alias: Some(LinkCode::parse(alias).unwrap()),
        data,
        tags: vec!["spring".into()],
        ..NewLink::default()
    };
    let link = links::insert(&mut tx, app, &new).await.unwrap();
    tx.commit().await.unwrap();
    link
}

/// Changes the link's data and bumps its version on the shard (as an update would);
/// returns the new row.
pub async fn update_link(t: &TestStore, shard: usize, link: &Link, url: &str) -> Link {
    sqlx::query(
        "UPDATE links SET data = jsonb_build_object('$desktop_url', $3::text), \
         version = version + 1, updated_at = now() WHERE app_id = $1 AND code = $2",
    )
    .bind(link.app_id.get())
    .bind(link.code.as_str())
    .bind(url)
    .execute(t.shard(shard))
    .await
    .unwrap();
    reload(t, shard, link).await
}

/// Soft-deletes the link on the shard, bumping its version; returns the new row.
pub async fn delete_link(t: &TestStore, shard: usize, link: &Link) -> Link {
    sqlx::query(
        "UPDATE links SET deleted_at = now(), version = version + 1 \
         WHERE app_id = $1 AND code = $2",
    )
    .bind(link.app_id.get())
    .bind(link.code.as_str())
    .execute(t.shard(shard))
    .await
    .unwrap();
    reload(t, shard, link).await
}

pub async fn reload(t: &TestStore, shard: usize, link: &Link) -> Link {
    links::find_by_code(t.shard(shard), link.app_id, link.code.as_str())
        .await
        .unwrap()
        .unwrap()
}

/// A fresh link cache over `origin`, as a link service that just started has (its metrics
/// on a registry of its own).
pub fn fresh_cache(origin: Arc<dyn Origin>) -> LinkCache {
    LinkCache::new(
        &CacheConfig::default(),
        origin,
        &prometheus::Registry::new(),
    )
    .unwrap()
}

/// Looks `code` up through `cache` as the click path does.
pub async fn resolve(
    t: &TestStore,
    cache: &LinkCache,
    app: AppId,
    code: &str,
) -> Result<Option<Arc<Link>>, link_store::cache::CacheError> {
    let resolved = t.router.app(app).unwrap();
    cache.link(&resolved.route, &resolved.shard, code).await
}

/// A raw Aerospike client on the shared server, to look at records directly.
pub async fn raw_client(hosts: &str) -> aerospike::Client {
    aerospike::Client::new(&aerospike::ClientPolicy::default(), &hosts.to_owned())
        .await
        .unwrap()
}

/// The key the hot tier files a record of `app` under.
pub fn raw_key(set: &str, app: AppId, rest: &[u8]) -> aerospike::Key {
    let mut bytes = app.get().to_be_bytes().to_vec();
    bytes.extend_from_slice(rest);
    aerospike::Key::new(
        "hoplink",
        format!("{SET_PREFIX}{set}"),
        aerospike::Value::Blob(bytes),
    )
    .unwrap()
}

/// An Aerospike server of the test's own, on free ports, from the repository's config
/// template. Killed when dropped.
pub struct LocalAerospike {
    pub port: u16,
    run_dir: PathBuf,
    config: PathBuf,
    child: Option<Child>,
}

const CONFIG_TEMPLATE: &str = include_str!("../../../infra/aerospike/aerospike.conf");

impl LocalAerospike {
    /// `None` (after printing a skip line) when `asd` is not installed.
    pub fn prepare(test: &str) -> Option<Self> {
        let on_path = std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("asd").is_file()));
        if !on_path {
            skip(&format!(
                "SKIPPED: no Aerospike server (asd is not on PATH) [{test}]"
            ));
            return None;
        }
        let port = free_port_block();
        let run_dir = std::env::temp_dir().join(format!("hoplink-asd-{}", uuid::Uuid::new_v4()));
        for dir in ["work/smd", "work/usr/udf/lua", "log"] {
            std::fs::create_dir_all(run_dir.join(dir)).unwrap();
        }
        let rendered = CONFIG_TEMPLATE
            .replace("@RUN_DIR@", run_dir.to_str().unwrap())
            .replace("@SERVICE_PORT@", &port.to_string())
            .replace("@FABRIC_PORT@", &(port + 1).to_string())
            .replace("@HEARTBEAT_PORT@", &(port + 2).to_string())
            .replace("@ADMIN_PORT@", &(port + 3).to_string());
        let config = run_dir.join("aerospike.conf");
        std::fs::write(&config, rendered).unwrap();
        Some(Self {
            port,
            run_dir,
            config,
            child: None,
        })
    }

    pub fn hosts(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Starts `asd` and waits until it accepts reads and writes.
    pub async fn start(&mut self) {
        let log = std::fs::File::create(self.run_dir.join("log/console.out")).unwrap();
        let child = Command::new("asd")
            .arg("--config-file")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("spawn asd");
        self.child = Some(child);
        // A restart right after a kill, with the other tests' servers busy on two cores,
        // has taken more than 30 s.
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if self.is_ready().await {
                return;
            }
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() > deadline {
                // The server logs to its file once its config is read, to the console before.
                let tail = |file: &str| {
                    let log = std::fs::read_to_string(self.run_dir.join("log").join(file))
                        .unwrap_or_default();
                    let mut lines: Vec<&str> = log.lines().rev().take(20).collect();
                    lines.reverse();
                    lines.join("\n")
                };
                panic!(
                    "asd did not become ready ({exited:?}):\n{}\n{}",
                    tail("console.out"),
                    tail("aerospike.log")
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.unwrap();
        }
    }

    async fn is_ready(&self) -> bool {
        let command = b"cluster-stable:size=1;ignore-migrations=false;namespace=hoplink\n";
        let addr: SocketAddr = ([127, 0, 0, 1], self.port).into();
        let Ok(Ok(mut stream)) =
            tokio::time::timeout(Duration::from_secs(1), tokio::net::TcpStream::connect(addr))
                .await
        else {
            return false;
        };
        let header = (2u64 << 56) | (1u64 << 48) | command.len() as u64;
        let mut request = header.to_be_bytes().to_vec();
        request.extend_from_slice(command);
        if stream.write_all(&request).await.is_err() {
            return false;
        }
        let mut header = [0u8; 8];
        if stream.read_exact(&mut header).await.is_err() {
            return false;
        }
        let size = (u64::from_be_bytes(header) & 0xFFFF_FFFF_FFFF) as usize;
        let mut body = vec![0u8; size];
        if stream.read_exact(&mut body).await.is_err() {
            return false;
        }
        let answer = String::from_utf8_lossy(&body);
        let value = answer.split_once('\t').map_or("", |(_, v)| v).trim();
        !value.is_empty() && !value.contains("ERROR")
    }
}

impl Drop for LocalAerospike {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.run_dir);
    }
}

/// Four consecutive free ports (client, fabric, heartbeat, admin).
fn free_port_block() -> u16 {
    for _ in 0..100 {
        let base = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if base > 65_000 {
            continue;
        }
        let free = (0..4).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok());
        if free {
            return base;
        }
    }
    panic!("no block of four free ports");
}
