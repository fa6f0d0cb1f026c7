//! Plain HTTP/1.1 calls to a gateway under test, as a browser or `curl` makes them: REST/JSON
//! with a bearer token, and gRPC-Web (binary) frames.

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};

/// An HTTP/1.1 client of one base URL (`http://127.0.0.1:port`).
#[derive(Clone)]
pub struct HttpClient {
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// A response: status, headers and the whole body.
#[derive(Debug)]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: http::StatusCode,
    /// The headers.
    pub headers: http::HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl HttpResponse {
    /// The body as JSON; panics (showing the body) if it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|err| panic!("{} with a body that is not JSON ({err}): {:?}", self.status, self.body))
    }

    /// A header as text, empty when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

impl HttpClient {
    /// A client of `base`, e.g. `http://127.0.0.1:8080`.
    pub fn new(base: impl Into<String>) -> Self {
        Self { base: base.into(), client: Client::builder(TokioExecutor::new()).build_http() }
    }

    /// Sends `request`, whose URI is a path (and query) on the base URL.
    pub async fn send(&self, request: http::Request<Full<Bytes>>) -> HttpResponse {
        let (mut parts, body) = request.into_parts();
        parts.uri = format!("{}{}", self.base, parts.uri).parse().expect("a valid URI");
        let uri = parts.uri.clone();
        let response = self
            .client
            .request(http::Request::from_parts(parts, body))
            .await
            .unwrap_or_else(|err| panic!("HTTP call to {uri}: {err}"));
        let (parts, body) = response.into_parts();
        let body = body.collect().await.unwrap_or_else(|err| panic!("body of {uri}: {err}")).to_bytes();
        HttpResponse { status: parts.status, headers: parts.headers, body }
    }

    /// A plain `GET path` without credentials (metrics, probes).
    pub async fn get(&self, path: &str) -> HttpResponse {
        self.send(http::Request::get(path).body(Full::new(Bytes::new())).expect("a valid request")).await
    }

    /// A REST call with `authorization: Bearer <token>` and, if given, a JSON body.
    pub async fn rest(&self, method: http::Method, path: &str, token: &str, body: Option<&str>) -> HttpResponse {
        let mut request = http::Request::builder().method(method).uri(path).header("authorization", bearer(token));
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let body = Full::new(Bytes::from(body.unwrap_or_default().to_owned()));
        self.send(request.body(body).expect("a valid request")).await
    }

    /// A unary gRPC-Web (binary) call of `path` (`/package.Service/Method`) with `token`.
    pub async fn grpc_web(&self, path: &str, token: &str, message: &impl prost::Message) -> GrpcWebResponse {
        let request = http::Request::post(path)
            .header("content-type", "application/grpc-web+proto")
            .header("x-grpc-web", "1")
            .header("origin", "https://branch.example")
            .header("authorization", bearer(token))
            .body(Full::new(grpc_web_frame(message)))
            .expect("a valid request");
        let response = self.send(request).await;
        let (message, trailers) = grpc_web_parts(&response.body);
        GrpcWebResponse { response, message, trailers }
    }
}

/// The answer to a gRPC-Web call, split into its message and trailers.
#[derive(Debug)]
pub struct GrpcWebResponse {
    /// The HTTP response as received.
    pub response: HttpResponse,
    /// The message frame, if any.
    pub message: Option<Bytes>,
    /// The trailers frame as text (`grpc-status:0\r\n...`).
    pub trailers: String,
}

impl GrpcWebResponse {
    /// The `grpc-status` of the trailers (or of the headers, for a trailers-only answer).
    pub fn grpc_status(&self) -> Option<i32> {
        let from_trailers = self.trailers.lines().find_map(|line| line.trim().strip_prefix("grpc-status:"));
        let header = self.response.header("grpc-status");
        from_trailers.or((!header.is_empty()).then_some(header)).and_then(|v| v.trim().parse().ok())
    }

    /// The message decoded as `M`; panics unless the call succeeded with a message.
    pub fn decode<M: prost::Message + Default>(&self) -> M {
        assert_eq!(self.response.status, http::StatusCode::OK, "{self:?}");
        assert_eq!(self.grpc_status(), Some(0), "{self:?}");
        let message = self.message.clone().unwrap_or_else(|| panic!("no message frame: {self:?}"));
        M::decode(message).unwrap_or_else(|err| panic!("the message does not decode: {err}"))
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A gRPC-Web (binary) request body: one uncompressed message frame.
pub fn grpc_web_frame(message: &impl prost::Message) -> Bytes {
    let encoded = message.encode_to_vec();
    let mut out = Vec::with_capacity(encoded.len() + 5);
    out.push(0);
    out.extend_from_slice(&u32::try_from(encoded.len()).expect("a small message").to_be_bytes());
    out.extend_from_slice(&encoded);
    Bytes::from(out)
}

/// Splits a gRPC-Web response body into its (last) message and its trailers text; panics on
/// a truncated frame.
pub fn grpc_web_parts(body: &[u8]) -> (Option<Bytes>, String) {
    let (mut message, mut trailers, mut at) = (None, String::new(), 0);
    while at < body.len() {
        assert!(at + 5 <= body.len(), "a truncated gRPC-Web frame header at byte {at} of {}", body.len());
        let flag = body[at];
        let len = u32::from_be_bytes(body[at + 1..at + 5].try_into().expect("4 bytes")) as usize;
        assert!(at + 5 + len <= body.len(), "a truncated gRPC-Web frame at byte {at} of {}", body.len());
        let frame = &body[at + 5..at + 5 + len];
        if flag & 0x80 == 0 {
            message = Some(Bytes::copy_from_slice(frame));
        } else {
            trailers = String::from_utf8_lossy(frame).into_owned();
        }
        at += 5 + len;
    }
    (message, trailers)
}
