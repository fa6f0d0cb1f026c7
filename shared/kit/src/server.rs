//! Server bootstrap shared by every service: one call serves a service's gRPC routes with
//! health (tied to database readiness), reflection, request ids, tracing spans, message and
//! concurrency limits with load shedding, deadline mapping and graceful shutdown.

mod admission;
mod authenticated;
mod deadline;
mod guard;
mod limit;
mod shutdown;

use std::{future::Future, time::Duration};

use anyhow::Context as _;
use tokio::net::TcpListener;
use tonic::{
    service::Routes,
    transport::{Server, server::TcpIncoming},
};
use tonic_health::{ServingStatus, server::HealthReporter};
use tower::ServiceBuilder;
use tower_http::{
    classify::{GrpcCode, GrpcErrorsAsFailures, GrpcFailureClass, SharedClassifier},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{OnFailure, TraceLayer},
};

pub use admission::AdmissionLayer;
pub use authenticated::serve_authenticated;
pub use deadline::{DeadlineLayer, parse_grpc_timeout};
pub use guard::GuardLayer;
pub(crate) use guard::in_contract;
pub use limit::{ConcurrencyLimit, Estimator, Permit, default_floor};
pub use shutdown::{Shutdown, ShutdownTrigger, shutdown_signal};

use crate::{config::Limits, db::Db};

/// Request header by which a caller says it would rather wait for a place (as long as its
/// deadline allows) than be shed at once: the suite's own peer calls and bulk tools send
/// [`PRIORITY_BATCH`]. It is a preference, not a privilege: such a caller still counts against
/// the same limit and the same bounded queue (`limits.admission_queue`), and the gateway
/// removes the header from what outside callers send.
pub const PRIORITY_HEADER: &str = "x-crm-priority";
/// The value of [`PRIORITY_HEADER`] for work that prefers waiting to being shed.
pub const PRIORITY_BATCH: &str = "batch";

/// Header carrying the request id on every request and response.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// What to serve on one port.
pub struct ServeSpec {
    /// Fully qualified gRPC service names served (for health and reflection).
    pub services: Vec<&'static str>,
    /// The routes, already wrapped with authentication.
    pub routes: Routes,
    /// The database whose readiness the health status reflects.
    pub db: Db,
    /// The unary deadline ceiling, admission slots and drain time the layers apply.
    pub limits: Limits,
}

/// Serves `spec` on `listener` until `shutdown` fires, then drains in-flight calls.
///
/// Health answers NOT_SERVING until the database answers, and again from the moment
/// shutdown begins, so load balancers stop sending traffic before the drain.
pub async fn serve(listener: TcpListener, spec: ServeSpec, shutdown: Shutdown) -> anyhow::Result<()> {
    let (reporter, health_service) = tonic_health::server::health_reporter();
    set_status(&reporter, &spec.services, ServingStatus::NotServing).await;
    let checkpoints = tokio::spawn(crate::audit::checkpoint::run(spec.db.clone(), shutdown.clone()));
    let readiness =
        tokio::spawn(track_readiness(reporter.clone(), spec.services.clone(), spec.db.clone(), shutdown.clone()));

    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(PropagateRequestIdLayer::x_request_id())
        .map_request(|mut request: http::Request<tonic::body::Body>| {
            let rpc = crate::call::Rpc::from_path(request.uri().path());
            request.extensions_mut().insert(rpc);
            request
        })
        .layer(
            TraceLayer::new(SharedClassifier::new(server_faults()))
                .make_span_with(make_span)
                .on_failure(ThrottledFailure),
        )
        .layer(crate::metrics::RpcMetricsLayer::new(server_label(&spec.services)))
        .layer(DeadlineLayer::new(Duration::from_millis(spec.limits.request_timeout_ms)))
        .layer(AdmissionLayer::new(
            spec.limits.max_concurrent_requests,
            spec.limits.admission_queue,
            Duration::from_millis(spec.limits.admission_wait_ms),
            error_domain(spec.services.first().copied().unwrap_or("crm.server")),
        ))
        .layer(GuardLayer::new(
            error_domain(spec.services.first().copied().unwrap_or("crm.server")),
            spec.limits.max_message_bytes,
        ))
        .into_inner();

    let addr = listener.local_addr()?;
    tracing::info!(%addr, services = ?spec.services, "serving");
    let drain = {
        let reporter = reporter.clone();
        let services = spec.services.clone();
        let shutdown = shutdown.clone();
        async move {
            shutdown.cancelled().await;
            set_status(&reporter, &services, ServingStatus::NotServing).await;
            tracing::info!(%addr, "shutting down: draining in-flight calls");
        }
    };
    let server = Server::builder()
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .http2_keepalive_timeout(Some(Duration::from_secs(10)))
        .layer(layers)
        .add_routes(with_reflection(spec.routes.add_service(health_service), &spec.services)?)
        .serve_with_incoming_shutdown(incoming(listener), drain);
    // Long-lived streams (health watches, feeds of other servers' clients) would hold the
    // drain open for ever: after the drain timeout the remaining connections are closed.
    let drain_timeout = Duration::from_millis(spec.limits.drain_timeout_ms);
    let deadline = async {
        shutdown.cancelled().await;
        tokio::time::sleep(drain_timeout).await;
    };
    let result = tokio::select! {
        result = server => result,
        () = deadline => {
            tracing::warn!(%addr, ?drain_timeout, "drain timed out; closing the remaining connections");
            Ok(())
        }
    };
    readiness.abort();
    for name in &spec.services {
        crate::metrics::forget(name);
    }
    // The last checkpoint of the audit trail is taken at shutdown.
    if shutdown.is_cancelled() {
        let _ = checkpoints.await;
    } else {
        checkpoints.abort();
    }
    result.context("gRPC server failed")?;
    tracing::info!(%addr, "stopped");
    Ok(())
}

/// The `server` label of a process's metrics: `profile` for the profile service.
fn server_label(services: &[&'static str]) -> &'static str {
    let domain = error_domain(services.first().copied().unwrap_or("crm.server"));
    domain.strip_prefix("crm.").unwrap_or(domain)
}

/// The ErrorInfo domain of a gRPC service: `crm.profile` for `crm.profile.v1.ClientProfileService`.
pub(crate) fn error_domain(service: &'static str) -> &'static str {
    match service.match_indices('.').nth(1) {
        Some((end, _)) => &service[..end],
        None => service,
    }
}

/// `routes` with server reflection of `services` (and health) in both versions: grpcurl and
/// current tools speak v1, older clients v1alpha.
pub fn with_reflection(routes: Routes, services: &[&str]) -> anyhow::Result<Routes> {
    let builder = || {
        let builder = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(crm_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name("grpc.health.v1.Health");
        services.iter().fold(builder, |b, name| b.with_service_name(*name))
    };
    let v1 = builder().build_v1().context("building reflection")?;
    let v1alpha = builder().build_v1alpha().context("building reflection (v1alpha)")?;
    Ok(routes.add_service(v1).add_service(v1alpha))
}

/// Accepted connections with TCP_NODELAY (small gRPC frames must not wait for delayed
/// ACKs) and TCP keepalive.
pub fn incoming(listener: TcpListener) -> TcpIncoming {
    TcpIncoming::from(listener).with_nodelay(Some(true)).with_keepalive(Some(Duration::from_secs(60)))
}

/// Only the server's own faults are failures: a caller's mistake (INVALID_ARGUMENT,
/// NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED, ...) or a shed call is the service
/// working as it should, and is no ERROR in its log.
fn server_faults() -> GrpcErrorsAsFailures {
    [
        GrpcCode::Cancelled,
        GrpcCode::InvalidArgument,
        GrpcCode::NotFound,
        GrpcCode::AlreadyExists,
        GrpcCode::PermissionDenied,
        GrpcCode::ResourceExhausted,
        GrpcCode::FailedPrecondition,
        GrpcCode::Aborted,
        GrpcCode::OutOfRange,
        GrpcCode::Unauthenticated,
    ]
    .into_iter()
    .fold(GrpcErrorsAsFailures::new(), GrpcErrorsAsFailures::with_success)
}

/// Logs a failed call at ERROR, at most a few lines a second (see [`Throttle`]).
#[derive(Clone, Debug, Default)]
struct ThrottledFailure;

impl OnFailure<GrpcFailureClass> for ThrottledFailure {
    fn on_failure(&mut self, failure: GrpcFailureClass, latency: Duration, _span: &tracing::Span) {
        let latency_ms = latency.as_millis() as u64;
        crate::throttled!(20, error!(classification = %failure, latency_ms, "call failed"));
    }
}

fn make_span<B>(request: &http::Request<B>) -> tracing::Span {
    let request_id = request.headers().get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    let span = tracing::info_span!("rpc", method = %request.uri().path(), request_id = %request_id);
    let parent = crate::telemetry::extract_context_headers(request.headers());
    tracing_opentelemetry::OpenTelemetrySpanExt::set_parent(&span, parent).ok();
    span
}

async fn set_status(reporter: &HealthReporter, services: &[&'static str], status: ServingStatus) {
    for name in services {
        crate::metrics::set_ready(name, status == ServingStatus::Serving);
    }
    reporter.set_service_status("", status).await;
    for name in services {
        reporter.set_service_status(*name, status).await;
    }
}

/// Flips health with the database: SERVING while it answers, NOT_SERVING when it does not.
async fn track_readiness(reporter: HealthReporter, services: Vec<&'static str>, db: Db, shutdown: Shutdown) {
    let mut last = None;
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        let status = if db.ping().await { ServingStatus::Serving } else { ServingStatus::NotServing };
        // A drain that began during the ping has set NOT_SERVING: leave it.
        if shutdown.is_cancelled() {
            return;
        }
        if last != Some(status) {
            tracing::info!(?status, "health changed");
            set_status(&reporter, &services, status).await;
            last = Some(status);
        }
        let pause = if status == ServingStatus::Serving { Duration::from_secs(5) } else { Duration::from_millis(200) };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = shutdown.cancelled() => return,
        }
    }
}

/// The request id of a call (set by the request-id layer), or "" outside a server.
pub fn request_id<T>(request: &tonic::Request<T>) -> String {
    request.metadata().get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// Waits until `service` reports SERVING through the gRPC health service behind `channel`.
///
/// Keeps waiting while the server cannot be reached yet (UNAVAILABLE) or reports another
/// status (`SERVICE_UNKNOWN` before it registers, `NOT_SERVING`); any other error (no health
/// service, a refused call, ...) is returned at once. After `timeout`, the error says what
/// was seen last.
pub async fn wait_serving(channel: tonic::transport::Channel, service: &str, timeout: Duration) -> anyhow::Result<()> {
    use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
    let mut health = HealthClient::new(channel);
    let request = HealthCheckRequest { service: service.to_owned() };
    let mut last_seen = String::from("nothing yet");
    let serving = async {
        loop {
            match health.watch(request.clone()).await {
                Ok(stream) => {
                    let mut stream = stream.into_inner();
                    loop {
                        match stream.message().await {
                            Ok(Some(update)) if update.status == ServingStatus::Serving as i32 => return Ok(()),
                            Ok(Some(update)) => {
                                let status = ServingStatus::try_from(update.status);
                                last_seen = format!("status {}", status.map_or("?", |s| s.as_str_name()));
                            }
                            Ok(None) => {
                                last_seen = "the health stream ended".to_owned();
                                break;
                            }
                            Err(status) if status.code() == tonic::Code::Unavailable => {
                                last_seen = format!("the health stream broke: {status}");
                                break;
                            }
                            Err(status) => anyhow::bail!("health watch failed: {status:?}"),
                        }
                    }
                }
                Err(status) if status.code() == tonic::Code::Unavailable => last_seen = status.to_string(),
                Err(status) => anyhow::bail!("health watch refused: {status:?}"),
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    match tokio::time::timeout(timeout, serving).await {
        Ok(outcome) => outcome,
        Err(_) => anyhow::bail!("not SERVING within {timeout:?}; last seen: {last_seen}"),
    }
}

/// Binds a TCP listener (port 0 picks a free port).
pub async fn bind(addr: std::net::SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))
}

/// Waits until a future or the shutdown fires, whichever is first.
pub async fn until_shutdown<F: Future>(shutdown: &Shutdown, fut: F) -> Option<F::Output> {
    tokio::select! {
        out = fut => Some(out),
        () = shutdown.cancelled() => None,
    }
}

#[cfg(test)]
mod tests {
    use tower_http::classify::{ClassifiedResponse, ClassifyResponse};

    use super::*;

    fn fails(code: i32) -> bool {
        let response = http::Response::builder().header("grpc-status", code.to_string()).body(()).expect("response");
        match server_faults().classify_response(&response) {
            ClassifiedResponse::Ready(outcome) => outcome.is_err(),
            ClassifiedResponse::RequiresEos(_) => panic!("a trailers-only response is classified at once"),
        }
    }

    #[test]
    fn error_domains_are_the_area_of_the_service() {
        assert_eq!(error_domain("crm.profile.v1.ClientProfileService"), "crm.profile");
        assert_eq!(error_domain("crm"), "crm");
    }

    #[test]
    fn only_the_servers_own_faults_are_logged_as_failures() {
        for caller_mistake in [3, 5, 6, 7, 8, 9, 10, 11, 16] {
            assert!(!fails(caller_mistake), "grpc-status {caller_mistake} is the caller's");
        }
        for fault in [2, 4, 12, 13, 14, 15] {
            assert!(fails(fault), "grpc-status {fault} is the server's");
        }
    }
}
