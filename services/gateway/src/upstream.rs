//! Calls with already-encoded messages, to a backend over its channel or to a service the
//! gateway itself serves (client 360): the REST transcoder uses one path for both.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, uri::PathAndQuery};
use tonic::{Status, Streaming, client::GrpcService, metadata::MetadataMap, service::Routes};

use crate::backends::{Backend, RawCodec, unavailable};

/// Headers passed on to the services: credentials, request id and trace context.
const FORWARDED: [&str; 4] = ["authorization", "x-request-id", "traceparent", "tracestate"];

/// Where a call goes.
#[derive(Clone, Debug)]
pub enum Upstream {
    /// A backend service.
    Remote(Backend),
    /// A service served in the gateway.
    Local(Routes),
}

/// Largest message the gateway's own services send.
const LOCAL_MAX_MESSAGE: usize = 16 * 1024 * 1024;

impl Upstream {
    /// Sends one encoded request message to `path` (`/pkg.Service/Method`) and returns the
    /// encoded response message, without decoding either.
    pub async fn unary(
        &self,
        path: &str,
        metadata: MetadataMap,
        message: Bytes,
        timeout: Option<Duration>,
    ) -> Result<tonic::Response<Bytes>, Status> {
        let path = path_of(path)?;
        let request = request(metadata, message, timeout);
        match self {
            Upstream::Remote(backend) => {
                let mut grpc = grpc(backend.channel(), backend.max_message_bytes());
                grpc.ready().await.map_err(|err| unavailable(backend.name(), &err))?;
                grpc.unary(request, path, RawCodec).await
            }
            Upstream::Local(routes) => {
                let mut grpc = grpc(routes.clone(), LOCAL_MAX_MESSAGE);
                grpc.ready().await.map_err(|err| unavailable("gateway", &err))?;
                grpc.unary(request, path, RawCodec).await
            }
        }
    }

    /// As [`Upstream::unary`] for a server-streaming method: a stream of encoded messages.
    pub async fn server_streaming(
        &self,
        path: &str,
        metadata: MetadataMap,
        message: Bytes,
        timeout: Option<Duration>,
    ) -> Result<tonic::Response<Streaming<Bytes>>, Status> {
        let path = path_of(path)?;
        let request = request(metadata, message, timeout);
        match self {
            Upstream::Remote(backend) => {
                let mut grpc = grpc(backend.channel(), backend.max_message_bytes());
                grpc.ready().await.map_err(|err| unavailable(backend.name(), &err))?;
                grpc.server_streaming(request, path, RawCodec).await
            }
            Upstream::Local(routes) => {
                let mut grpc = grpc(routes.clone(), LOCAL_MAX_MESSAGE);
                grpc.ready().await.map_err(|err| unavailable("gateway", &err))?;
                grpc.server_streaming(request, path, RawCodec).await
            }
        }
    }
}

fn grpc<T: GrpcService<tonic::body::Body>>(inner: T, max: usize) -> tonic::client::Grpc<T> {
    tonic::client::Grpc::new(inner).max_decoding_message_size(max).max_encoding_message_size(max)
}

/// A request to an upstream carrying `metadata` (the caller's token, request id, trace
/// context) and, when given, a deadline.
pub fn request<T>(metadata: MetadataMap, message: T, timeout: Option<Duration>) -> tonic::Request<T> {
    let mut request = tonic::Request::from_parts(metadata, tonic::Extensions::default(), message);
    if let Some(timeout) = timeout {
        request.set_timeout(timeout);
    }
    request
}

fn path_of(path: &str) -> Result<PathAndQuery, Status> {
    path.parse::<PathAndQuery>().map_err(|_| Status::internal("bad method path"))
}

/// The metadata passed on from an incoming request: `authorization`, `x-request-id` and
/// W3C trace context (the gateway's own span when tracing is on, else the caller's).
pub fn forwarded_metadata(headers: &HeaderMap) -> MetadataMap {
    let mut out = HeaderMap::with_capacity(FORWARDED.len());
    for name in FORWARDED {
        if let Some(value) = headers.get(name) {
            out.insert(name, value.clone());
        }
    }
    if let Some(traceparent) = crm_kit::telemetry::current_traceparent()
        && let Ok(value) = HeaderValue::from_str(&traceparent)
    {
        out.insert(crm_kit::telemetry::TRACEPARENT, value);
    }
    MetadataMap::from_headers(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_credentials_request_id_and_trace_context_are_forwarded() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("Bearer t"));
        headers.insert("x-request-id", HeaderValue::from_static("r-1"));
        headers
            .insert("traceparent", HeaderValue::from_static("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
        headers.insert("cookie", HeaderValue::from_static("secret"));
        let md = forwarded_metadata(&headers);
        assert_eq!(md.get("authorization").and_then(|v| v.to_str().ok()), Some("Bearer t"));
        assert_eq!(md.get("x-request-id").and_then(|v| v.to_str().ok()), Some("r-1"));
        assert!(md.get("traceparent").is_some());
        assert!(md.get("cookie").is_none());
    }
}
