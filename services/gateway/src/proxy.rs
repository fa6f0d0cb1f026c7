//! Raw gRPC forwarding: the HTTP/2 request goes to the backend as it came (headers such as
//! `authorization`, `grpc-timeout`, `x-request-id`, `traceparent` included), the body is
//! streamed without decoding, and the response (headers, message stream, trailers) comes
//! back the same way, so unary and streaming RPCs alike pass through.

use http::{HeaderValue, Request, Response, Uri, header};
use tonic::body::Body;
use tower::{Service as _, ServiceExt as _};

use crate::backends::{Backend, unavailable};

/// Connection-level headers that must not be forwarded.
const HOP_BY_HOP: [header::HeaderName; 4] =
    [header::CONNECTION, header::HOST, header::TRANSFER_ENCODING, header::UPGRADE];

/// Forwards one gRPC call to `backend`.
pub async fn forward(backend: &Backend, request: Request<Body>) -> Response<Body> {
    let (mut parts, body) = request.into_parts();
    for name in &HOP_BY_HOP {
        parts.headers.remove(name);
    }
    // Outside callers have no say in the backends' admission (the edge admitted them).
    parts.headers.remove(crm_kit::server::PRIORITY_HEADER);
    // The channel adds the backend's scheme and authority to a path-only URI.
    if let Some(path) = parts.uri.path_and_query().cloned() {
        parts.uri = Uri::from(path);
    }
    // Backends' spans become children of the gateway's.
    if let Some(traceparent) = crm_kit::telemetry::current_traceparent()
        && let Ok(value) = HeaderValue::from_str(&traceparent)
    {
        parts.headers.insert(crm_kit::telemetry::TRACEPARENT, value);
    }
    parts.version = http::Version::HTTP_2;
    let mut channel = backend.channel();
    let ready = match channel.ready().await {
        Ok(ready) => ready,
        Err(err) => return unavailable(backend.name(), &err).into_http(),
    };
    match ready.call(Request::from_parts(parts, body)).await {
        Ok(response) => response,
        Err(err) => unavailable(backend.name(), &err).into_http(),
    }
}
