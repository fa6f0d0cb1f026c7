//! `crm-gateway`: the suite's one front door.
//!
//! One port serves gRPC (every routed service's RPCs forwarded by full method path without
//! decoding, streams included), gRPC-Web (tonic-web, with CORS for browsers), REST/JSON
//! transcoded from the `google.api.http` annotations (AIP-193 errors, `GET /openapi.json`),
//! and the gateway's own `crm.gateway.v1.ClientViewService` (client 360). Every call but
//! health, reflection and the OpenAPI document passes the edge: token validation,
//! per-principal rate limits and load shedding; the services still apply their own rules.
//! The contact-centre console, a browser front end embedded in the binary, is at `/console`.

pub mod audit;
pub mod backends;
pub mod console;
pub mod descriptors;
pub mod edge;
mod grpc;
pub mod http;
pub mod openapi;
pub mod proxy;
pub mod rest;
pub mod upstream;
pub mod view;

use std::{sync::Arc, time::Duration};

use anyhow::Context as _;
use bytes::Bytes;
use crm_kit::{
    auth::TokenVerifier,
    config::{GatewayConfig, Limits},
    server::Shutdown,
};
use crm_proto::crm::{
    audit::v1::audit_service_server::AuditServiceServer,
    gateway::v1::client_view_service_server::ClientViewServiceServer,
};
use tokio::net::TcpListener;
use tonic::service::Routes;
use tonic_health::ServingStatus;

use crate::{
    backends::Backends,
    edge::{Clock, Edge, SystemClock},
    rest::RestRoutes,
    upstream::Upstream,
    view::ClientView,
};

/// Error domain of the gateway's own errors.
pub const DOMAIN: &str = "crm.gateway";

/// The gateway's own gRPC service.
pub const SERVICE_NAME: &str = "crm.gateway.v1.ClientViewService";

/// The services the gateway answers itself: the client 360, and the audit trails (passed on
/// to the service named in each call).
pub const LOCAL_SERVICES: [&str; 2] = [SERVICE_NAME, audit::SERVICE_NAME];

/// Everything the gateway needs to run.
#[derive(Clone, Debug)]
pub struct GatewayDeps {
    /// `[gateway]`: listen address, backends, edge limits.
    pub config: GatewayConfig,
    /// Verifies bearer tokens at the edge.
    pub verifier: TokenVerifier,
    /// Suite-wide limits (message size, unary ceiling, drain time).
    pub limits: Limits,
}

/// The gateway's shared state.
#[derive(Debug)]
pub struct Gateway {
    edge: Edge,
    backends: Backends,
    rest: RestRoutes,
    local: Routes,
    openapi: Bytes,
    max_request_bytes: usize,
    request_timeout: Duration,
    health: tonic_health::server::HealthReporter,
}

impl Gateway {
    /// Builds the route tables from configuration and the descriptor set.
    pub fn new(deps: &GatewayDeps) -> anyhow::Result<Arc<Self>> {
        Self::with_clock(deps, Arc::new(SystemClock))
    }

    /// As [`Gateway::new`], with the edge's rate limits reading the time from `clock`.
    pub fn with_clock(deps: &GatewayDeps, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<Self>> {
        let pool = descriptors::load()?;
        let backends = Backends::from_config(&deps.config, &pool, deps.limits.max_message_bytes)?;
        let routed: Vec<&str> = backends.services().chain(LOCAL_SERVICES).collect();
        let rest = RestRoutes::build(&pool, routed.iter().copied())?;
        let openapi = Bytes::from(serde_json::to_vec(&openapi::document(&rest)).context("OpenAPI document")?);

        let (health, health_service) = tonic_health::server::health_reporter();
        let max = deps.limits.max_message_bytes;
        let view = ClientView::new(backends.clone(), Duration::from_millis(deps.config.part_timeout_ms));
        let view = ClientViewServiceServer::new(view).max_decoding_message_size(max).max_encoding_message_size(max);
        let trails = audit::AuditTrails::new(backends.clone(), Duration::from_millis(deps.limits.request_timeout_ms));
        let trails = AuditServiceServer::new(trails).max_decoding_message_size(max).max_encoding_message_size(max);
        let local = Routes::new(health_service).add_service(view).add_service(trails);
        let local = crm_kit::server::with_reflection(local, &routed)?.prepare();
        tracing::info!(services = ?routed, rest_routes = rest.bindings().len(), "gateway routes built");
        Ok(Arc::new(Self {
            edge: Edge::with_clock(deps.verifier.clone(), &deps.config, clock),
            backends,
            rest,
            local,
            openapi,
            max_request_bytes: deps.config.max_request_bytes,
            request_timeout: Duration::from_millis(deps.limits.request_timeout_ms),
            health,
        }))
    }

    /// Where calls to `service` go: a backend, the gateway itself, or nowhere.
    pub fn upstream(&self, service: &str) -> Option<Upstream> {
        if LOCAL_SERVICES.contains(&service) {
            return Some(Upstream::Local(self.local.clone()));
        }
        self.backends.for_service(service).cloned().map(Upstream::Remote)
    }

    async fn set_serving(&self, status: ServingStatus) {
        crm_kit::metrics::set_ready(SERVICE_NAME, status == ServingStatus::Serving);
        self.health.set_service_status("", status).await;
        self.health.set_service_status(SERVICE_NAME, status).await;
    }
}

/// Serves the gateway on `listener` until `shutdown`, then drains in-flight calls (at most
/// `limits.drain_timeout_ms`, after which remaining streams are closed).
pub async fn serve(listener: TcpListener, deps: GatewayDeps, shutdown: Shutdown) -> anyhow::Result<()> {
    serve_with_clock(listener, deps, shutdown, Arc::new(SystemClock)).await
}

/// As [`serve`], with the edge's rate limits reading the time from `clock` (tests move it by
/// hand, so that a refusal never depends on how fast the calls ran).
pub async fn serve_with_clock(
    listener: TcpListener,
    deps: GatewayDeps,
    shutdown: Shutdown,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<()> {
    let gateway = Gateway::with_clock(&deps, clock)?;
    let router = http::router(gateway.clone(), &deps.config);
    let addr = listener.local_addr()?;
    gateway.set_serving(ServingStatus::Serving).await;
    tracing::info!(%addr, "gateway serving gRPC, gRPC-Web and REST");
    let drain = {
        let (shutdown, gateway) = (shutdown.clone(), gateway.clone());
        async move {
            shutdown.cancelled().await;
            gateway.set_serving(ServingStatus::NotServing).await;
            tracing::info!(%addr, "gateway shutting down: draining");
        }
    };
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(%err, "cannot set TCP_NODELAY");
        }
    });
    let server = axum::serve(listener, router).with_graceful_shutdown(drain);
    let drain_timeout = Duration::from_millis(deps.limits.drain_timeout_ms);
    let deadline = async {
        shutdown.cancelled().await;
        tokio::time::sleep(drain_timeout).await;
    };
    tokio::select! {
        result = server => result.context("gateway server failed")?,
        () = deadline => tracing::warn!(%addr, ?drain_timeout, "gateway drain timed out; closing connections"),
    }
    crm_kit::metrics::forget(SERVICE_NAME);
    tracing::info!(%addr, "gateway stopped");
    Ok(())
}
