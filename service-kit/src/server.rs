//! [`HttpService`]: one actix-web server that binds (port 0 in tests), reports its port,
//! serves until a shutdown token fires, then drains in-flight requests and waits for the
//! service's background tasks (batchers, listeners) to finish.

use std::net::{SocketAddr, TcpListener};

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpServer};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

#[derive(Debug, thiserror::Error)]
#[error("could not bind {addr}")]
pub struct BindError {
    pub addr: SocketAddr,
    #[source]
    pub source: std::io::Error,
}

/// Binds `addr` and returns the listener with its actual port.
pub fn bind(addr: SocketAddr) -> Result<(TcpListener, u16), BindError> {
    let err = |source| BindError { addr, source };
    let listener = TcpListener::bind(addr).map_err(err)?;
    let port = listener.local_addr().map_err(err)?.port();
    Ok((listener, port))
}

pub struct HttpService {
    port: u16,
    server: Server,
    shutdown: CancellationToken,
    background: Vec<JoinHandle<()>>,
}

impl HttpService {
    /// Starts serving on `listener` the apps `factory` builds (one per worker).
    /// Background tasks must stop on their own when `shutdown` fires; they are awaited
    /// after the server.
    pub fn start<F, T, B>(
        listener: TcpListener,
        workers: Option<usize>,
        shutdown: CancellationToken,
        background: Vec<JoinHandle<()>>,
        factory: F,
    ) -> std::io::Result<Self>
    where
        F: Fn() -> App<T> + Send + Clone + 'static,
        T: ServiceFactory<
                ServiceRequest,
                Config = (),
                Response = ServiceResponse<B>,
                Error = actix_web::Error,
                InitError = (),
            > + 'static,
        B: MessageBody + 'static,
    {
        let port = listener.local_addr()?.port();
        let mut server = HttpServer::new(factory)
            .disable_signals()
            .shutdown_timeout(10);
        if let Some(workers) = workers {
            server = server.workers(workers.max(1));
        }
        let server = server.listen(listener)?.run();
        Ok(Self {
            port,
            server,
            shutdown,
            background,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the shutdown token fires, then stops accepting, finishes in-flight
    /// requests and waits for the background tasks.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let shutdown = self.shutdown.clone();
        let stopper = tokio::spawn(async move {
            shutdown.cancelled().await;
            handle.stop(true).await;
        });
        let served = self.server.await;
        // The server can also end by itself (a fatal error): stop the rest too.
        self.shutdown.cancel();
        let _ = stopper.await;
        for task in self.background {
            let _ = task.await;
        }
        served
    }
}
