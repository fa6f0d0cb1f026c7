//! Server bootstrap shared by every service: one call serves a service's gRPC routes with
//! health (tied to database readiness), reflection, request ids, tracing spans, message and
//! concurrency limits with load shedding, deadline mapping and graceful shutdown.

mod authenticated;
mod deadline;
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
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

pub use authenticated::serve_authenticated;
pub use deadline::{DeadlineLayer, parse_grpc_timeout};
pub use shutdown::{Shutdown, ShutdownTrigger, shutdown_signal};

use crate::{config::Limits, db::Db};

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
    /// Limits to apply.
    pub limits: Limits,
}

/// Serves `spec` on `listener` until `shutdown` fires, then drains in-flight calls.
///
/// Health answers NOT_SERVING until the database answers, and again from the moment
/// shutdown begins, so load balancers stop sending traffic before the drain.
pub async fn serve(listener: TcpListener, spec: ServeSpec, shutdown: Shutdown) -> anyhow::Result<()> {
    let (reporter, health_service) = tonic_health::server::health_reporter();
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(crm_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
    let reflection = spec
        .services
        .iter()
        .fold(reflection.with_service_name("grpc.health.v1.Health"), |b, name| b.with_service_name(*name))
        .build_v1()
        .context("building reflection service")?;

    set_status(&reporter, &spec.services, ServingStatus::NotServing).await;
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
        .layer(TraceLayer::new_for_grpc().make_span_with(make_span))
        .layer(DeadlineLayer::new(Duration::from_millis(spec.limits.request_timeout_ms)))
        .load_shed()
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(spec.limits.max_concurrent_requests))
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
        .add_routes(spec.routes)
        .add_service(health_service)
        .add_service(reflection)
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
    result.context("gRPC server failed")?;
    tracing::info!(%addr, "stopped");
    Ok(())
}

/// Accepted connections with TCP_NODELAY (small gRPC frames must not wait for delayed
/// ACKs) and TCP keepalive.
pub fn incoming(listener: TcpListener) -> TcpIncoming {
    TcpIncoming::from(listener).with_nodelay(Some(true)).with_keepalive(Some(Duration::from_secs(60)))
}

fn make_span<B>(request: &http::Request<B>) -> tracing::Span {
    let request_id = request.headers().get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    let span = tracing::info_span!("rpc", method = %request.uri().path(), request_id = %request_id);
    let parent = crate::telemetry::extract_context_headers(request.headers());
    tracing_opentelemetry::OpenTelemetrySpanExt::set_parent(&span, parent).ok();
    span
}

async fn set_status(reporter: &HealthReporter, services: &[&'static str], status: ServingStatus) {
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

/// Waits until `service` on `channel` reports SERVING, following the health Watch stream
/// (no polling sleeps); fails after `timeout`.
pub async fn wait_serving(channel: tonic::transport::Channel, service: &str, timeout: Duration) -> anyhow::Result<()> {
    use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
    let mut health = HealthClient::new(channel);
    let request = HealthCheckRequest { service: service.to_owned() };
    let serving = async {
        loop {
            let Ok(stream) = health.watch(request.clone()).await else {
                tokio::task::yield_now().await;
                continue;
            };
            let mut stream = stream.into_inner();
            while let Ok(Some(update)) = stream.message().await {
                if update.status == ServingStatus::Serving as i32 {
                    return;
                }
            }
        }
    };
    tokio::time::timeout(timeout, serving)
        .await
        .map_err(|_| anyhow::anyhow!("{service} was not SERVING within {timeout:?}"))
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
