//! nginx answering a static `return 302`: the yardstick every click-path figure is
//! divided by, measured with the same generator and settings in the same run.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::process::{ProcSample, free_port, http_get_status, sample_tree};

pub struct Nginx {
    pub addr: SocketAddr,
    child: Child,
    pid: u32,
    _dir: tempdir::TempDir,
}

mod tempdir {
    /// A scratch folder removed on drop.
    pub struct TempDir(pub std::path::PathBuf);

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Nginx {
    /// Starts Debian's nginx (`/usr/sbin/nginx` or PATH) with `workers` workers, logging
    /// off, keep-alive on: the cheapest possible 302.
    pub async fn start(workers: usize) -> anyhow::Result<Self> {
        let binary = ["/usr/sbin/nginx", "/usr/local/sbin/nginx"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .map(str::to_owned)
            .unwrap_or_else(|| "nginx".to_owned());
        let port = free_port()?;
        let dir = std::env::temp_dir().join(format!("hoplink-bench-nginx-{port}"));
        std::fs::create_dir_all(dir.join("logs"))?;
        let conf = format!(
            "worker_processes {workers};\n\
             daemon off;\n\
             pid {dir}/nginx.pid;\n\
             error_log {dir}/logs/error.log warn;\n\
             events {{ worker_connections 8192; }}\n\
             http {{\n\
               access_log off;\n\
               keepalive_requests 1000000;\n\
               client_body_temp_path {dir}/body;\n\
               proxy_temp_path {dir}/proxy;\n\
               fastcgi_temp_path {dir}/fastcgi;\n\
               uwsgi_temp_path {dir}/uwsgi;\n\
               scgi_temp_path {dir}/scgi;\n\
               server {{\n\
                 listen 127.0.0.1:{port};\n\
                 location / {{ return 302 https://example.com/landing; }}\n\
               }}\n\
             }}\n",
            dir = dir.display()
        );
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf)?;
        let child = Command::new(binary)
            .arg("-c")
            .arg(&conf_path)
            .arg("-p")
            .arg(&dir)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| anyhow::anyhow!("could not start nginx (apt install nginx-light): {e}"))?;
        let pid = child.id().unwrap_or_default();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        for _ in 0..100 {
            if http_get_status(addr, "/x").await == Some(302) {
                return Ok(Self {
                    addr,
                    child,
                    pid,
                    _dir: tempdir::TempDir(dir),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("nginx did not answer on {addr}")
    }

    pub fn sample(&self) -> ProcSample {
        sample_tree(self.pid)
    }

    pub async fn stop(mut self) {
        super::process::terminate(self.pid);
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }
}
