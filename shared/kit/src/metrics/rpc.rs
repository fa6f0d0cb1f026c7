//! One tower layer for the RPC metrics of every server: a count per method and status code
//! (`crm_rpc_requests_total`) and a latency histogram per method (`crm_rpc_duration_seconds`,
//! up to the response headers: a unary call's whole handling, a stream's start). The code is
//! read from the response headers (an error answered at once) or else from the trailers; a
//! call whose body is dropped before its trailers (the caller went away) counts as
//! CANCELLED. Methods outside the suite's contract are counted as `unknown`, so random
//! paths cannot grow the series without bound. Each series has a `protocol` label: `grpc`,
//! or at the gateway also `grpc-web`, and `rest` for a REST call it transcoded, counted with
//! [`record_call`] under the gRPC method it became.

use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Instant,
};

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body::Frame;
use tonic::body::Body;
use tower::{Layer, Service};

/// Records the RPC metrics of the calls it wraps, as `server` (e.g. `profile`, `gateway`).
#[derive(Clone, Copy, Debug)]
pub struct RpcMetricsLayer {
    server: &'static str,
    protocol: &'static str,
}

impl RpcMetricsLayer {
    /// Metrics labelled `server="<server>"`, `protocol="grpc"`; installs the process's
    /// recorder if needed.
    pub fn new(server: &'static str) -> Self {
        super::install();
        Self { server, protocol: "grpc" }
    }

    /// The same metrics labelled `protocol="<protocol>"` (`grpc-web` at the gateway).
    #[must_use]
    pub fn protocol(self, protocol: &'static str) -> Self {
        Self { protocol, ..self }
    }
}

impl<S> Layer<S> for RpcMetricsLayer {
    type Service = RpcMetrics<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RpcMetrics { inner, server: self.server, protocol: self.protocol }
    }
}

/// Service produced by [`RpcMetricsLayer`].
#[derive(Clone, Debug)]
pub struct RpcMetrics<S> {
    inner: S,
    server: &'static str,
    protocol: &'static str,
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, B> Service<Request<B>> for RpcMetrics<S>
where
    S: Service<Request<B>, Response = Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let (service, method) = labels(request.uri().path());
        let call = Call { server: self.server, protocol: self.protocol, service, method, start: Instant::now() };
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            call.time();
            if let Some(code) = code_of(response.headers()) {
                call.count(code);
                return Ok(response);
            }
            Ok(response.map(|body| Body::new(Metered { inner: body, call: Some(call) })))
        })
    }
}

/// The `service` and `method` labels of a request path.
fn labels(path: &str) -> (&'static str, &'static str) {
    let Some((service, method)) = path.trim_start_matches('/').split_once('/') else { return ("unknown", "unknown") };
    if service.starts_with("grpc.") || crate::server::in_contract(service, method) {
        (intern(service), intern(method))
    } else {
        ("unknown", "unknown")
    }
}

/// A `'static` copy of a label drawn from the contract (a bounded set, leaked once each).
fn intern(text: &str) -> &'static str {
    use std::{
        collections::HashSet,
        sync::{Mutex, PoisonError},
    };
    static NAMES: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    let names = names.get_or_insert_with(HashSet::new);
    if let Some(name) = names.get(text) {
        return name;
    }
    // Health and reflection paths are not in the contract: bound them too.
    if names.len() > 4_096 {
        return "unknown";
    }
    let name: &'static str = Box::leak(text.to_owned().into_boxed_str());
    names.insert(name);
    name
}

/// The gRPC status code in `headers` (or trailers), as its canonical name.
fn code_of(headers: &HeaderMap) -> Option<&'static str> {
    let code = headers.get("grpc-status")?.to_str().ok()?.parse::<i32>().ok()?;
    Some(code_name(code))
}

/// The canonical name of a gRPC status code (`INVALID_ARGUMENT`).
pub fn code_name(code: i32) -> &'static str {
    const NAMES: [&str; 17] = [
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    ];
    usize::try_from(code).ok().and_then(|i| NAMES.get(i)).copied().unwrap_or("UNKNOWN")
}

/// Counts and times one call served without [`RpcMetricsLayer`]: a REST call the gateway
/// transcoded to the gRPC method at `path` (`/pkg.Service/Method`; a path outside the
/// contract counts as `unknown`), answered with `code`, begun at `start`.
pub fn record_call(server: &'static str, protocol: &'static str, path: &str, code: tonic::Code, start: Instant) {
    super::install();
    let (service, method) = labels(path);
    let call = Call { server, protocol, service, method, start };
    call.time();
    call.count(code_name(code as i32));
}

struct Call {
    server: &'static str,
    protocol: &'static str,
    service: &'static str,
    method: &'static str,
    start: Instant,
}

impl Call {
    fn time(&self) {
        ::metrics::histogram!(
            "crm_rpc_duration_seconds",
            "server" => self.server, "protocol" => self.protocol, "service" => self.service, "method" => self.method
        )
        .record(super::seconds_since(self.start));
    }

    fn count(&self, code: &'static str) {
        ::metrics::counter!(
            "crm_rpc_requests_total",
            "server" => self.server, "protocol" => self.protocol, "service" => self.service,
            "method" => self.method, "code" => code
        )
        .increment(1);
    }
}

/// A response body that counts its call when the trailers (or the end) go by.
struct Metered {
    inner: Body,
    call: Option<Call>,
}

impl http_body::Body for Metered {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(code_of)
                    && let Some(call) = self.call.take()
                {
                    call.count(code);
                }
            }
            // A body that ends without trailers or fails carries no status: UNKNOWN.
            Poll::Ready(None | Some(Err(_))) => {
                if let Some(call) = self.call.take() {
                    call.count("UNKNOWN");
                }
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Metered {
    fn drop(&mut self) {
        if let Some(call) = self.call.take() {
            call.count("CANCELLED");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use tower::ServiceExt as _;

    use super::*;
    use crate::metrics::tests::sample;

    fn request(path: &str) -> Request<Body> {
        Request::builder().uri(path).body(Body::empty()).expect("request")
    }

    #[tokio::test]
    async fn counts_codes_from_headers_and_trailers_and_times_every_call() {
        let server = "metrics-test";
        let svc = RpcMetricsLayer::new(server).layer(tower::service_fn(|req: Request<Body>| async move {
            if req.uri().path().ends_with("/GetClient") {
                return Ok::<_, Infallible>(tonic::Status::not_found("no such client").into_http());
            }
            let mut trailers = HeaderMap::new();
            trailers.insert("grpc-status", "0".parse().expect("value"));
            let body = http_body_util::StreamBody::new(futures::stream::iter([
                Ok::<_, tonic::Status>(Frame::data(Bytes::from_static(b"x"))),
                Ok(Frame::trailers(trailers)),
            ]));
            Ok(Response::new(Body::new(body)))
        }));
        let get = "/crm.profile.v1.ClientProfileService/GetClient";
        let list = "/crm.profile.v1.ClientProfileService/ListClients";
        svc.clone().oneshot(request(get)).await.expect("answered");
        for _ in 0..2 {
            let response = svc.clone().oneshot(request(list)).await.expect("answered");
            http_body_util::BodyExt::collect(response.into_body()).await.expect("body");
        }
        // A body dropped before its trailers: the caller cancelled.
        drop(svc.clone().oneshot(request(list)).await.expect("answered"));
        let unknown = svc.clone().oneshot(request("/no.such.Service/Nope")).await.expect("answered");
        http_body_util::BodyExt::collect(unknown.into_body()).await.expect("body");

        let text = crate::metrics::render();
        let count = |method: &str, code: &str| {
            let labels = [("server", server), ("method", method), ("code", code)];
            sample(&text, "crm_rpc_requests_total", &labels)
        };
        assert_eq!(count("GetClient", "NOT_FOUND"), Some(1.0), "{text}");
        assert_eq!(count("ListClients", "OK"), Some(2.0), "{text}");
        assert_eq!(count("ListClients", "CANCELLED"), Some(1.0), "{text}");
        assert_eq!(count("unknown", "OK"), Some(1.0), "random paths share one series: {text}");
        let timed = [("server", server), ("method", "ListClients")];
        assert_eq!(sample(&text, "crm_rpc_duration_seconds_count", &timed), Some(3.0), "{text}");
        assert_eq!(
            sample(
                &text,
                "crm_rpc_requests_total",
                &[("server", server), ("method", "GetClient"), ("protocol", "grpc")]
            ),
            Some(1.0),
            "{text}"
        );
        let bucket = [("server", server), ("method", "ListClients"), ("le", "+Inf")];
        assert_eq!(sample(&text, "crm_rpc_duration_seconds_bucket", &bucket), Some(3.0), "{text}");
    }

    #[test]
    fn code_names_are_canonical() {
        assert_eq!(code_name(0), "OK");
        assert_eq!(code_name(3), "INVALID_ARGUMENT");
        assert_eq!(code_name(16), "UNAUTHENTICATED");
        assert_eq!(code_name(99), "UNKNOWN");
    }
}
