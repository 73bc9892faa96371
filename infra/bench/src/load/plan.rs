use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Uri};

/// One request to send. Cloning is cheap: every part is reference-counted bytes.
#[derive(Debug, Clone)]
pub struct Planned {
    pub method: Method,
    pub uri: Uri,
    pub host: HeaderValue,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

impl Planned {
    pub fn get(host: &str, path_and_query: &str) -> anyhow::Result<Self> {
        Ok(Self {
            method: Method::GET,
            uri: path_and_query.parse()?,
            host: HeaderValue::from_str(host)?,
            headers: Vec::new(),
            body: Bytes::new(),
        })
    }

    pub fn post_json(host: &str, path: &str, body: &serde_json::Value) -> anyhow::Result<Self> {
        Ok(Self {
            method: Method::POST,
            uri: path.parse()?,
            host: HeaderValue::from_str(host)?,
            headers: vec![(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body: Bytes::from(serde_json::to_vec(body)?),
        })
    }

    pub fn header(mut self, name: HeaderName, value: &str) -> anyhow::Result<Self> {
        self.headers.push((name, HeaderValue::from_str(value)?));
        Ok(self)
    }

    pub fn to_request(&self) -> http::Request<http_body_util::Full<Bytes>> {
        let mut builder = http::Request::builder()
            .method(self.method.clone())
            .uri(self.uri.clone())
            .header(http::header::HOST, self.host.clone());
        for (name, value) in &self.headers {
            builder = builder.header(name, value.clone());
        }
        builder
            .body(http_body_util::Full::new(self.body.clone()))
            .unwrap_or_else(|_| http::Request::new(http_body_util::Full::new(Bytes::new())))
    }
}

/// A request sequence. Connection `i` walks it from its own offset, wrapping around, so
/// every connection sees a different slice of the same seeded workload.
#[derive(Debug, Clone)]
pub struct Plan {
    requests: Arc<[Planned]>,
}

impl Plan {
    pub fn new(requests: Vec<Planned>) -> anyhow::Result<Self> {
        anyhow::ensure!(!requests.is_empty(), "a plan needs at least one request");
        Ok(Self {
            requests: requests.into(),
        })
    }

    pub fn len(&self) -> usize {
        self.requests.len()
    }

    /// The request at position `i` (wrapping).
    pub fn at(&self, i: usize) -> &Planned {
        &self.requests[i % self.requests.len()]
    }

    /// Where connection `conn` of `total` starts.
    pub fn offset(&self, conn: usize, total: usize) -> usize {
        conn * (self.requests.len() / total.max(1)).max(1)
    }
}
