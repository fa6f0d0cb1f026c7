//! Admission: a service takes on only as many calls as it can serve quickly. An adaptive
//! limit ([`ConcurrencyLimit`], at most `max_concurrent_requests`) follows the latency calls
//! see; a few more callers may wait briefly for a place (the suite's own calls, marked with
//! [`super::PRIORITY_HEADER`], up to the configured wait); the rest are shed at once with
//! RESOURCE_EXHAUSTED and a retry delay (the gateway turns it into HTTP 429 with
//! `Retry-After`). Shedding early keeps the latency of admitted calls near what it is
//! unloaded, instead of letting every call queue on the connection pool until it times out.
//! Health checks and reflection are never shed.

use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use http::{Request, Response};
use tonic::body::Body;
use tower::{Layer, Service};

use super::ConcurrencyLimit;
use crate::ApiError;

/// How long shed callers are told to wait before retrying.
const RETRY_AFTER: Duration = Duration::from_millis(200);

/// Admits calls; see the module docs.
#[derive(Clone, Debug)]
pub struct AdmissionLayer {
    limit: ConcurrencyLimit,
    domain: &'static str,
}

impl AdmissionLayer {
    /// At most `running` calls at once, `waiting` more for at most `wait` each; errors in
    /// ErrorInfo `domain`.
    pub fn new(running: usize, waiting: usize, wait: Duration, domain: &'static str) -> Self {
        let server = domain.strip_prefix("crm.").unwrap_or(domain);
        Self { limit: ConcurrencyLimit::new(running, waiting, wait, server), domain }
    }
}

impl<S> Layer<S> for AdmissionLayer {
    type Service = Admission<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Admission { inner, gate: self.clone() }
    }
}

/// Service produced by [`AdmissionLayer`].
#[derive(Clone, Debug)]
pub struct Admission<S> {
    inner: S,
    gate: AdmissionLayer,
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, B> Service<Request<B>> for Admission<S>
where
    S: Service<Request<B>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The clone that was driven to readiness serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if is_exempt(request.uri().path()) {
            return Box::pin(inner.call(request));
        }
        let patient = request.headers().get(super::PRIORITY_HEADER).is_some_and(|v| v == super::PRIORITY_BATCH);
        let gate = self.gate.clone();
        Box::pin(async move {
            let Some(_place) = gate.limit.acquire(patient).await else { return Ok(gate.shed()) };
            inner.call(request).await
        })
    }
}

impl AdmissionLayer {
    fn shed(&self) -> Response<Body> {
        let server = self.domain.strip_prefix("crm.").unwrap_or(self.domain);
        ::metrics::counter!("crm_rpc_shed_total", "server" => server).increment(1);
        crate::throttled!(1, warn!("at capacity: shedding calls"));
        ApiError::exhausted("OVERLOADED", "the service is at capacity; retry after the delay given")
            .with_retry_after(RETRY_AFTER)
            .into_status(self.domain)
            .into_http()
    }
}

/// Health checks and reflection are answered whatever the load.
fn is_exempt(path: &str) -> bool {
    path.starts_with("/grpc.health.") || path.starts_with("/grpc.reflection.")
}

#[cfg(test)]
mod tests {
    use std::{convert::Infallible, sync::Arc};

    use tokio::sync::Notify;
    use tonic::Status;

    use super::*;

    fn call(path: &str) -> Request<Body> {
        Request::builder().uri(path).body(Body::empty()).expect("request")
    }

    #[tokio::test]
    async fn calls_beyond_the_slots_and_the_short_queue_are_shed_at_once_with_a_retry_delay() {
        let release = Arc::new(Notify::new());
        let held = Arc::clone(&release);
        let slow = tower::service_fn(move |_req: Request<Body>| {
            let held = Arc::clone(&held);
            async move {
                held.notified().await;
                Ok::<_, Infallible>(Response::new(Body::empty()))
            }
        });
        let layer = AdmissionLayer::new(1, 1, Duration::from_secs(60), "crm.test");
        let svc = layer.layer(slow);
        let running = tokio::spawn(svc.clone().call(call("/svc/GetThing")));
        let waiting = tokio::spawn(svc.clone().call(call("/svc/GetThing")));
        // Both are in: one holds the only place, one waits for it.
        while layer.limit.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        let shed = svc.clone().call(call("/svc/GetThing")).await.expect("answered");
        let status = Status::from_header_map(shed.headers()).expect("a status");
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        use tonic_types::StatusExt as _;
        assert!(status.get_error_details().retry_info().is_some(), "tells when to retry");
        let health = svc.clone().call(call("/grpc.health.v1.Health/Check"));
        release.notify_waiters();
        release.notify_one();
        // Health is never shed (it reaches the handler, which answers once released).
        health.await.expect("health answered");
        running.await.expect("joined").expect("served");
        release.notify_one();
        waiting.await.expect("joined").expect("served after waiting");
    }
}
