//! A private Postgres cluster for `hoplink dev`, kept under the dev folder.
//!
//! Uses the machine's PostgreSQL server binaries (initdb, pg_ctl). Postgres refuses to run
//! as root, so when we are root the cluster belongs to the `postgres` system user. The
//! server runs in its own process group: Ctrl-C reaches Hoplink only, which drains its
//! services first and then stops Postgres itself.

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use tokio::process::Command;

pub const SUPERUSER: &str = "hoplink";

pub struct PrivatePostgres {
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    owner: Option<nix::unistd::User>,
    pub port: u16,
}

impl PrivatePostgres {
    /// Initialises the cluster on first use, then starts it (or adopts a server left
    /// running by an earlier session).
    pub async fn start(dir: &Path) -> anyhow::Result<Self> {
        let bin = find_bin_dir()?;
        let home = dir.join("postgres");
        let data = home.join("data");
        let log = home.join("postgres.log");
        std::fs::create_dir_all(&home).with_context(|| format!("creating {}", home.display()))?;
        let owner = cluster_owner()?;
        if let Some(user) = &owner {
            nix::unistd::chown(&home, Some(user.uid), Some(user.gid))
                .with_context(|| format!("giving {} to the postgres user", home.display()))?;
        }
        let mut pg = Self {
            bin,
            data,
            log,
            owner,
            port: 0,
        };
        if !pg.data.join("PG_VERSION").exists() {
            pg.initdb().await?;
        }
        if let Some(port) = pg.running_port() {
            tracing::info!(port, "reusing the private Postgres that is already running");
            pg.port = port;
            return Ok(pg);
        }
        // Prefer last run's port so URLs people copied keep working.
        let port_file = home.join("port");
        let remembered = std::fs::read_to_string(&port_file)
            .ok()
            .and_then(|p| p.trim().parse::<u16>().ok())
            .filter(|p| TcpListener::bind(("127.0.0.1", *p)).is_ok());
        pg.port = match remembered {
            Some(port) => port,
            None => free_port()?,
        };
        std::fs::write(&port_file, pg.port.to_string())
            .with_context(|| format!("writing {}", port_file.display()))?;
        pg.pg_ctl_start().await?;
        Ok(pg)
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{database}", self.port)
    }

    pub async fn stop(&self) -> anyhow::Result<()> {
        let status = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "stop"])
            .output()
            .await
            .context("running pg_ctl stop")?;
        if !status.status.success() {
            bail!(
                "pg_ctl stop failed: {}",
                String::from_utf8_lossy(&status.stderr).trim()
            );
        }
        Ok(())
    }

    async fn initdb(&self) -> anyhow::Result<()> {
        tracing::info!(dir = %self.data.display(), "creating a private Postgres cluster");
        let out = self
            .command("initdb")
            .arg("-D")
            .arg(&self.data)
            .args(["-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--no-locale"])
            .output()
            .await
            .context("running initdb")?;
        if !out.status.success() {
            bail!(
                "initdb failed: {}{}",
                String::from_utf8_lossy(&out.stderr).trim(),
                if self.owner.is_some() {
                    " (running as root: the postgres user must be able to reach this folder)"
                } else {
                    ""
                }
            );
        }
        Ok(())
    }

    async fn pg_ctl_start(&self) -> anyhow::Result<()> {
        // TCP on loopback only; no Unix socket, so no socket-directory permission issues.
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200 -c fsync=off",
            self.port
        );
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(&self.log)
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .output()
            .await
            .context("running pg_ctl start")?;
        if !out.status.success() {
            bail!(
                "pg_ctl start failed: {} (see {})",
                String::from_utf8_lossy(&out.stderr).trim(),
                self.log.display()
            );
        }
        Ok(())
    }

    /// The port of a server already running on this data directory, from postmaster.pid.
    fn running_port(&self) -> Option<u16> {
        let pid_file = std::fs::read_to_string(self.data.join("postmaster.pid")).ok()?;
        let mut lines = pid_file.lines();
        let pid: i32 = lines.next()?.trim().parse().ok()?;
        let port: u16 = lines.nth(2)?.trim().parse().ok()?;
        // Signal 0 only checks that the process exists.
        let alive = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok();
        alive.then_some(port)
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(program));
        cmd.process_group(0).kill_on_drop(false);
        if let Some(user) = &self.owner {
            cmd.uid(user.uid.as_raw()).gid(user.gid.as_raw());
        }
        cmd
    }
}

/// The `postgres` system user when we run as root (Postgres will not), else nobody.
fn cluster_owner() -> anyhow::Result<Option<nix::unistd::User>> {
    if !nix::unistd::Uid::effective().is_root() {
        return Ok(None);
    }
    match nix::unistd::User::from_name("postgres") {
        Ok(Some(user)) => Ok(Some(user)),
        _ => bail!(
            "running as root, and there is no 'postgres' user to own the private cluster; \
             run as a normal user or set HOPLINK_CATALOG_URL"
        ),
    }
}

/// Where initdb and pg_ctl live: `HOPLINK_PG_BIN`, `pg_config --bindir`, the newest
/// `/usr/lib/postgresql/*/bin`, or PATH.
fn find_bin_dir() -> anyhow::Result<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Ok(dir) = std::env::var("HOPLINK_PG_BIN") {
        let dir = PathBuf::from(dir);
        if has_tools(&dir) {
            return Ok(dir);
        }
        bail!("HOPLINK_PG_BIN={} has no initdb and pg_ctl", dir.display());
    }
    if let Ok(out) = std::process::Command::new("pg_config")
        .arg("--bindir")
        .output()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_tools(&dir) {
            return Ok(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| has_tools(dir))
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Ok(dir);
    }
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        if has_tools(&dir) {
            return Ok(dir);
        }
    }
    bail!(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; install them \
         (Debian: apt install postgresql) or set HOPLINK_CATALOG_URL to an existing server"
    )
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Keeps demo secrets readable by the current user only.
pub fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("restricting {}", path.display()))
}
