//! Test support (feature `testing`): fresh databases per test and a TCP proxy that can cut
//! a connection on demand.
//!
//! Tests reach Postgres through `HOPLINK_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), a role allowed to create databases.

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Bound on one HTTP request of a test, and on creating or dropping its databases: a
/// stalled server then fails the test with a message instead of stalling the whole run.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

pub fn admin_url() -> String {
    std::env::var("HOPLINK_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

/// A catalog database and `n` shard databases, all empty, created for one test and dropped
/// (with `FORCE`) when this value is dropped.
pub struct TestDatabases {
    admin: PgConnectOptions,
    pub catalog_url: String,
    pub shard_urls: Vec<String>,
    names: Vec<String>,
}

impl TestDatabases {
    pub async fn create(shards: usize) -> Self {
        let admin = PgConnectOptions::from_str(&admin_url()).expect("HOPLINK_TEST_DATABASE_URL");
        let stem = format!("hoplink_t_{}", uuid::Uuid::new_v4().simple());
        let mut names = vec![format!("{stem}_catalog")];
        names.extend((1..=shards).map(|i| format!("{stem}_shard_{i}")));
        let create = async {
            let mut conn = admin
                .connect()
                .await
                .expect("connect to the test Postgres server (HOPLINK_TEST_DATABASE_URL)");
            for name in &names {
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
            }
            let _ = conn.close().await;
        };
        tokio::time::timeout(REQUEST_TIMEOUT, create)
            .await
            .expect("the test Postgres server created no databases within 60 s");
        let url_of = |name: &str| database_url(&admin_url(), name);
        Self {
            catalog_url: url_of(&names[0]),
            shard_urls: names[1..].iter().map(|n| url_of(n)).collect(),
            admin,
            names,
        }
    }
}

/// `base` with its database name replaced.
pub fn database_url(base: &str, database: &str) -> String {
    let mut url = url::Url::parse(base).expect("valid admin URL");
    url.set_path(&format!("/{database}"));
    url.into()
}

impl Drop for TestDatabases {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let names = std::mem::take(&mut self.names);
        // Drop may run inside a runtime that is shutting down: use a thread of our own.
        let (done, finished) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            let _done = done;
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                let Ok(mut conn) = admin.connect().await else {
                    return;
                };
                for name in names {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut conn)
                        .await
                    {
                        eprintln!("warning: could not drop test database {name}: {e}");
                    }
                }
            });
        });
        // A server that stalls leaves the databases behind rather than the test hanging.
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
            finished.recv_timeout(REQUEST_TIMEOUT)
        {
            eprintln!("warning: test databases not dropped within 60 s; left behind");
        }
    }
}

/// A TCP proxy in front of a server, for failure tests: `cut()` drops every open
/// connection and refuses new ones until `restore()`.
pub struct ChaosProxy {
    pub addr: SocketAddr,
    up: Arc<AtomicBool>,
    generation: Arc<tokio::sync::watch::Sender<u64>>,
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl ChaosProxy {
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let up = Arc::new(AtomicBool::new(true));
        let (generation, _) = tokio::sync::watch::channel(0u64);
        let generation = Arc::new(generation);
        let stop = CancellationToken::new();
        let task = {
            let (up, generation, stop) = (up.clone(), generation.clone(), stop.clone());
            tokio::spawn(async move {
                loop {
                    let accepted = tokio::select! {
                        () = stop.cancelled() => return,
                        accepted = listener.accept() => accepted,
                    };
                    let Ok((mut client, _)) = accepted else {
                        continue;
                    };
                    if !up.load(Ordering::Acquire) {
                        // Closing at once looks like a dead server to the client.
                        drop(client);
                        continue;
                    }
                    let mut cut = generation.subscribe();
                    tokio::spawn(async move {
                        let Ok(mut server) = TcpStream::connect(target).await else {
                            return;
                        };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                            _ = cut.changed() => {}
                        }
                    });
                }
            })
        };
        Self {
            addr,
            up,
            generation,
            stop,
            task: Some(task),
        }
    }

    /// `url` with its host and port replaced by this proxy's.
    pub fn proxied_url(&self, url: &str) -> String {
        let mut url = url::Url::parse(url).expect("valid URL");
        url.set_host(Some(&self.addr.ip().to_string()))
            .expect("set host");
        url.set_port(Some(self.addr.port())).expect("set port");
        url.into()
    }

    pub fn cut(&self) {
        self.up.store(false, Ordering::Release);
        self.generation.send_modify(|g| *g += 1);
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::Release);
    }
}

impl Drop for ChaosProxy {
    fn drop(&mut self) {
        self.stop.cancel();
        self.generation.send_modify(|g| *g += 1);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The socket address of a Postgres URL's server.
pub fn server_addr(url: &str) -> SocketAddr {
    let url = url::Url::parse(url).expect("valid URL");
    let host = url.host_str().unwrap_or("127.0.0.1");
    let port = url.port().unwrap_or(5432);
    format!("{host}:{port}")
        .parse()
        .expect("numeric host in test URL")
}
