//! Server processes under test and what they cost: the bench re-executes itself
//! (`hoplink-bench serve-link|serve-api`) so each service runs alone in its process, and
//! reads its CPU time and resident memory from `/proc`.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

pub struct ServerProcess {
    pub name: String,
    pub addr: SocketAddr,
    child: Child,
    pub pid: u32,
}

/// CPU seconds (user + system) and resident bytes of a process tree at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcSample {
    pub cpu_secs: f64,
    pub rss_bytes: u64,
    /// CPU seconds of every `postgres` process on the machine: what writing clicks and
    /// loading links costs the database, which shares the cores with the server.
    pub db_cpu_secs: f64,
}

impl ServerProcess {
    /// Starts `hoplink-bench <mode>` listening where `addr_var` says, with `env`, then
    /// waits until `ready_path` answers 200.
    pub async fn start(
        name: &str,
        mode: &str,
        addr_var: &str,
        env: &[(String, String)],
        ready_path: &str,
    ) -> anyhow::Result<Self> {
        let port = free_port()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let exe: PathBuf = std::env::current_exe()?;
        let (mut cmd, ready_within) = server_command(exe, mode);
        // Only what the scenario passes: nothing leaks in from the bench's own environment.
        for (key, _) in std::env::vars() {
            if key.starts_with("HOPLINK_") {
                cmd.env_remove(key);
            }
        }
        cmd.arg(mode)
            .env(addr_var, addr.to_string())
            .env("HOPLINK_LOG", "warn")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn()?;
        let pid = child.id().unwrap_or_default();
        let server = Self {
            name: name.to_owned(),
            addr,
            child,
            pid,
        };
        server.wait_ready(ready_path, ready_within).await?;
        Ok(server)
    }

    pub async fn wait_ready(&self, path: &str, limit: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if http_get_status(self.addr, path).await == Some(200) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("{} not ready at {path} within {limit:?}", self.name)
    }

    pub fn sample(&self) -> ProcSample {
        ProcSample {
            db_cpu_secs: postgres_cpu_secs(),
            ..sample_tree(self.pid)
        }
    }

    /// SIGTERM, then wait for a clean exit.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        terminate(self.pid);
        let _ = tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await;
        Ok(())
    }
}

/// `HOPLINK_BENCH_CALLGRIND=serve-link[,serve-floor]` runs those servers under valgrind's
/// callgrind. It counts instructions, which stay the same for the same build and requests
/// however busy the machine is, unlike the timings; the rates of such a run mean nothing.
const CALLGRIND_VAR: &str = "HOPLINK_BENCH_CALLGRIND";

/// The command that runs `exe <mode>`, and how long it may take to become ready.
fn server_command(exe: PathBuf, mode: &str) -> (Command, Duration) {
    let profiled =
        std::env::var(CALLGRIND_VAR).is_ok_and(|modes| modes.split(',').any(|m| m.trim() == mode));
    if !profiled {
        return (Command::new(exe), Duration::from_secs(30));
    }
    let out = std::env::temp_dir().join(format!("hoplink-callgrind.{mode}.%p"));
    eprintln!(
        "  {mode} runs under callgrind; its profile: {}",
        out.display()
    );
    let mut cmd = Command::new("valgrind");
    cmd.arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(exe);
    // Start-up under valgrind is some fifty times slower.
    (cmd, Duration::from_secs(180))
}

pub fn terminate(pid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// CPU time and RSS of `pid` and all its descendants (nginx's workers, for one).
pub fn sample_tree(pid: u32) -> ProcSample {
    let mut sample = ProcSample::default();
    let mut pending = vec![pid];
    let mut seen = 0;
    while let Some(p) = pending.pop() {
        seen += 1;
        if seen > 256 {
            break;
        }
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) {
            sample.cpu_secs += stat_cpu_secs(&stat);
        }
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{p}/status"))
            && let Some(kb) = status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        {
            sample.rss_bytes += kb * 1024;
        }
        if let Ok(children) = std::fs::read_to_string(format!("/proc/{p}/task/{p}/children")) {
            pending.extend(
                children
                    .split_whitespace()
                    .filter_map(|c| c.parse::<u32>().ok()),
            );
        }
    }
    sample
}

/// User + system CPU seconds from a `/proc/<pid>/stat` line.
fn stat_cpu_secs(stat: &str) -> f64 {
    const TICKS: f64 = 100.0; // USER_HZ on Linux
    // Fields after the command name, which is in parentheses and may hold spaces.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let stime: f64 = fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    (utime + stime) / TICKS
}

/// CPU seconds used so far by every process named `postgres` (server and backends; a
/// backend that exited meanwhile drops out, so short windows can read slightly low).
pub fn postgres_cpu_secs() -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| stat.contains(" (postgres) "))
        .map(|stat| stat_cpu_secs(&stat))
        .sum()
}

/// A tiny blocking-free GET for readiness checks and metrics scrapes.
pub async fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream =
        tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(addr))
            .await
            .ok()?
            .ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf))
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

pub async fn http_get_status(addr: SocketAddr, path: &str) -> Option<u16> {
    http_get(addr, path).await.map(|(s, _)| s)
}

/// Sum of a Prometheus metric's series whose labels contain every `labels` entry.
pub async fn metric(addr: SocketAddr, name: &str, labels: &[&str]) -> f64 {
    let Some((_, body)) = http_get(addr, "/metrics").await else {
        return f64::NAN;
    };
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let matches = series == name
                || (series.starts_with(name)
                    && series[name.len()..].starts_with('{')
                    && labels.iter().all(|lab| series.contains(lab)));
            if matches {
                value.parse::<f64>().ok()
            } else {
                None
            }
        })
        .sum()
}
