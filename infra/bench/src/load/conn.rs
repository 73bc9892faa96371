use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::plan::Planned;

/// One keep-alive HTTP/1.1 connection that reconnects after a failure.
pub struct Connection {
    target: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Connection {
    pub fn new(target: SocketAddr) -> Self {
        Self {
            target,
            sender: None,
        }
    }

    pub async fn connect(&mut self) -> anyhow::Result<()> {
        let stream =
            tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(self.target)).await??;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        self.sender = Some(sender);
        Ok(())
    }

    /// Sends one request and reads the whole response; the status, or an error (after
    /// which the connection is re-established on the next call).
    pub async fn send(&mut self, planned: &Planned) -> anyhow::Result<u16> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            self.connect().await?;
        }
        let Some(sender) = self.sender.as_mut() else {
            anyhow::bail!("not connected");
        };
        sender.ready().await?;
        let result = async {
            let response = sender.send_request(planned.to_request()).await?;
            let status = response.status().as_u16();
            response.into_body().collect().await?;
            anyhow::Ok(status)
        }
        .await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }
}
