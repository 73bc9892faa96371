//! A private `nats-server` with JetStream for tests (feature `testing`): each test starts
//! its own on a free port with its own store directory, so tests never share a stream.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull};

/// Where to find `nats-server`: `HOPLINK_TEST_NATS_SERVER`, then `PATH`, then Debian's
/// `/usr/sbin`.
fn server_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("HOPLINK_TEST_NATS_SERVER") {
        return Some(PathBuf::from(path));
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("nats-server"));
    let known = ["/usr/sbin/nats-server", "/usr/local/bin/nats-server"]
        .into_iter()
        .map(PathBuf::from);
    on_path.chain(known).find(|path| path.is_file())
}

/// A free loopback port (bound and released: good enough for a test server).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}

pub struct TestNats {
    child: Child,
    port: u16,
    dir: PathBuf,
    /// `user:password` when the server requires them.
    credentials: Option<String>,
    /// The authority that signed the server's certificate, when it requires TLS.
    ca_file: Option<PathBuf>,
}

impl TestNats {
    /// Starts a server on a free port, or prints `SKIPPED` (naming `test`) and returns
    /// `None` when no `nats-server` binary is found.
    pub async fn start(test: &str) -> Option<Self> {
        Self::start_on(test, free_port()).await
    }

    /// The same on a chosen port (to bring a server up where an exporter already waits).
    pub async fn start_on(test: &str, port: u16) -> Option<Self> {
        Self::launch(test, port, None, false).await
    }

    /// A server that requires `user` and `password` of every client.
    pub async fn start_with_password(test: &str, user: &str, password: &str) -> Option<Self> {
        Self::launch(test, free_port(), Some((user, password)), false).await
    }

    /// A server that requires TLS, with a certificate for `127.0.0.1` signed by a CA of its
    /// own ([`Self::ca_file`]). Prints `SKIPPED` without `openssl` to make them.
    pub async fn start_with_tls(test: &str) -> Option<Self> {
        Self::launch(test, free_port(), None, true).await
    }

    async fn launch(
        test: &str,
        port: u16,
        credentials: Option<(&str, &str)>,
        tls: bool,
    ) -> Option<Self> {
        let Some(binary) = server_binary() else {
            eprintln!(
                "SKIPPED: no nats-server (install Debian's nats-server or set \
                 HOPLINK_TEST_NATS_SERVER) [{test}]"
            );
            return None;
        };
        let dir =
            std::env::temp_dir().join(format!("hoplink-nats-{port}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("NATS store directory");
        let mut command = Command::new(binary);
        command
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(&dir);
        if let Some((user, password)) = credentials {
            command.args(["--user", user, "--pass", password]);
        }
        let ca_file = if tls {
            let Some(ca_file) = make_certificates(&dir) else {
                eprintln!("SKIPPED: no openssl to make a test certificate [{test}]");
                return None;
            };
            command
                .args(["--tls", "--tlscert"])
                .arg(dir.join("server.pem"))
                .arg("--tlskey")
                .arg(dir.join("server.key"));
            Some(ca_file)
        } else {
            None
        };
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nats-server");
        let server = Self {
            child,
            port,
            dir,
            credentials: credentials.map(|(user, password)| format!("{user}:{password}")),
            ca_file,
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "nats-server did not listen on {port} within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Some(server)
    }

    /// The server's process id (for CPU sampling).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The CA to trust for a TLS server.
    pub fn ca_file(&self) -> Option<&std::path::Path> {
        self.ca_file.as_deref()
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The URL with the server's credentials in it, when it has any.
    pub fn authorized_url(&self) -> String {
        match &self.credentials {
            Some(credentials) => format!("nats://{credentials}@127.0.0.1:{}", self.port),
            None => self.url(),
        }
    }

    pub async fn jetstream(&self) -> jetstream::Context {
        let servers = super::parse_servers(&self.authorized_url()).expect("test NATS URL");
        let client = super::client_options(&servers, self.ca_file())
            .connect(servers)
            .await
            .expect("connect to test NATS");
        jetstream::new(client)
    }

    /// Messages stored in `stream`, once it exists.
    pub async fn stored(&self, stream: &str) -> u64 {
        let js = self.jetstream().await;
        match js.get_stream(stream).await {
            Ok(mut stream) => stream.info().await.map_or(0, |info| info.state.messages),
            Err(_) => 0,
        }
    }

    /// Every message of `stream` on `subject` (wildcards allowed), oldest first; waits up to
    /// `within` for them to hold at least `at_least` records.
    pub async fn read(
        &self,
        stream: &str,
        subject: &str,
        at_least: usize,
        within: Duration,
    ) -> Vec<jetstream::Message> {
        let js = self.jetstream().await;
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let found = self.read_once(&js, stream, subject).await;
            let records: usize = found.iter().map(|m| lines(m).count()).sum();
            if records >= at_least || tokio::time::Instant::now() >= deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The records of [`Self::read`]'s messages, in order, each with its message's id.
    pub async fn records(
        &self,
        stream: &str,
        subject: &str,
        at_least: usize,
        within: Duration,
    ) -> Vec<(String, serde_json::Value)> {
        let messages = self.read(stream, subject, at_least, within).await;
        messages
            .iter()
            .flat_map(|m| {
                let id = message_id(m);
                lines(m).map(move |line| {
                    let record = serde_json::from_slice(line).expect("a JSON record per line");
                    (id.clone(), record)
                })
            })
            .collect()
    }

    async fn read_once(
        &self,
        js: &jetstream::Context,
        stream: &str,
        subject: &str,
    ) -> Vec<jetstream::Message> {
        use futures_util::StreamExt;
        let Ok(stream) = js.get_stream(stream).await else {
            return Vec::new();
        };
        let consumer = stream
            .create_consumer(pull::Config {
                filter_subject: subject.to_owned(),
                ack_policy: jetstream::consumer::AckPolicy::None,
                ..Default::default()
            })
            .await
            .expect("ephemeral consumer");
        let Ok(mut batch) = consumer
            .batch()
            .max_messages(10_000)
            .expires(Duration::from_millis(300))
            .messages()
            .await
        else {
            return Vec::new();
        };
        let mut messages = Vec::new();
        while let Some(Ok(message)) = batch.next().await {
            messages.push(message);
        }
        messages
    }
}

/// A message's `Nats-Msg-Id`.
pub fn message_id(message: &jetstream::Message) -> String {
    message
        .headers
        .as_ref()
        .and_then(|h| h.get("Nats-Msg-Id"))
        .map(|v| v.as_str().to_owned())
        .unwrap_or_default()
}

/// A message's records: its non-empty lines.
pub fn lines(message: &jetstream::Message) -> impl Iterator<Item = &[u8]> {
    message
        .payload
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
}

impl Drop for TestNats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A CA and a server certificate for `127.0.0.1` signed by it, in `dir` (`ca.pem`,
/// `server.pem`, `server.key`); the CA's path, or `None` without `openssl`.
fn make_certificates(dir: &std::path::Path) -> Option<PathBuf> {
    let openssl = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let made = openssl(
        &[
            &["req", "-x509"][..],
            &key,
            &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2"],
            &["-subj", "/CN=hoplink test CA"],
        ]
        .concat(),
    ) && openssl(
        &[
            &["req"][..],
            &key,
            &[
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        ]
        .concat(),
    ) && std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .is_ok()
        && openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ]);
    made.then(|| dir.join("ca.pem"))
}
