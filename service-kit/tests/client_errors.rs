//! A malformed request is answered 400 and counted, and does not reach the log as an
//! ERROR; the server's own errors still do. Its own binary: it installs the process's
//! global subscriber.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, web};
use prometheus::Registry;
use service_kit::server::{HttpService, bind};
use tokio_util::sync::CancellationToken;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn raw_exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream.write_all(request).expect("write");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

fn malformed_count(registry: &Registry) -> u64 {
    registry
        .gather()
        .iter()
        .filter(|family| family.name() == "hoplink_http_client_errors_total")
        .flat_map(|family| family.get_metric())
        .filter(|metric| {
            metric
                .get_label()
                .iter()
                .any(|label| label.name() == "kind" && label.value() == "malformed")
        })
        .map(|metric| metric.get_counter().get_value() as u64)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_request_is_counted_not_logged_as_an_error() {
    let log = Captured::default();
    let writer = log.clone();
    service_kit::telemetry::init_with_writer(move || writer.clone());
    let registry = Registry::new();
    service_kit::telemetry::register_metrics(&registry).expect("register");

    let (listener, port) = bind(SocketAddr::from(([127, 0, 0, 1], 0))).expect("bind");
    let shutdown = CancellationToken::new();
    let service = HttpService::start(listener, Some(1), shutdown.clone(), Vec::new(), || {
        App::new().route("/", web::get().to(HttpResponse::Ok))
    })
    .expect("start");
    let server = tokio::spawn(service.run_until_stopped());
    let addr = SocketAddr::from(([127, 0, 0, 1], port));

    let answers = tokio::task::spawn_blocking(move || {
        (
            raw_exchange(
                addr,
                b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            ),
            raw_exchange(addr, b"GARBAGE \x01\x02 HTTP/1.1\r\n\r\n"),
            raw_exchange(addr, b"GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
        )
    })
    .await
    .expect("requests");
    assert!(answers.0.starts_with("HTTP/1.1 200"), "{}", answers.0);
    assert!(answers.1.starts_with("HTTP/1.1 400"), "{}", answers.1);
    assert!(answers.2.starts_with("HTTP/1.1 400"), "{}", answers.2);

    // The dispatcher reports the error after the 400 is written.
    let deadline = Instant::now() + Duration::from_secs(10);
    while malformed_count(&registry) < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(malformed_count(&registry), 2);

    // The server's own errors, and everyone else's, still reach the log.
    tracing::error!(target: "actix_http::h1::dispatcher", "stream error: internal error");
    tracing::warn!(target: "service_kit_test", "a warning");
    let text = log.text();
    assert!(
        text.contains("stream error: internal error"),
        "server errors must stay logged:\n{text}"
    );
    assert!(text.contains("a warning"), "{text}");
    assert!(
        !text.contains("request parse error"),
        "a client's malformed request reached the log:\n{text}"
    );

    shutdown.cancel();
    server.await.expect("join").expect("server");
}
