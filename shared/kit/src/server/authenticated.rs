//! One authenticated gRPC service on a port: what every service's `serve` does after its
//! own start-up work.

use std::convert::Infallible;

use tokio::net::TcpListener;
use tonic::{
    body::Body,
    server::NamedService,
    service::{Routes, interceptor::InterceptedService},
};
use tower::Service;

use super::{ServeSpec, Shutdown, serve};
use crate::{
    audit::{AuditSink, service::AuditTrail},
    auth::TokenVerifier,
    config::Limits,
    db::Db,
    paging::PageTokens,
    reply::Replier,
};
use crm_proto::crm::audit::v1::audit_service_server::AuditServiceServer;

/// Serves `service` (a generated tonic server, message sizes already bounded) and the audit
/// trail of its database (`crm.audit.v1.AuditService`) behind the bearer-token interceptor
/// on `listener` until `shutdown` (see [`serve`]). Health and reflection list both under
/// their gRPC names. [`serve_grpc!`](crate::serve_grpc) bounds the message sizes and calls
/// this.
pub async fn serve_authenticated<S>(
    listener: TcpListener,
    service: S,
    verifier: TokenVerifier,
    db: Db,
    page_tokens: PageTokens,
    limits: Limits,
    shutdown: Shutdown,
) -> anyhow::Result<()>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + NamedService
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let area = super::error_domain(S::NAME).trim_start_matches("crm.");
    let replier = Replier::with_limits("crm.audit", AuditSink::spawn(db.clone()), &limits);
    let trail = AuditServiceServer::new(AuditTrail::new(db.clone(), page_tokens, replier, area))
        .max_decoding_message_size(limits.max_message_bytes)
        .max_encoding_message_size(limits.max_message_bytes);
    let routes = Routes::new(InterceptedService::new(service, crate::auth::interceptor(verifier.clone())))
        .add_service(InterceptedService::new(trail, crate::auth::interceptor(verifier)));
    let spec = ServeSpec { services: vec![S::NAME, crate::audit::service::SERVICE_NAME], routes, db, limits };
    serve(listener, spec, shutdown).await
}

/// Serves a generated tonic server with the service's dependencies: both message sizes
/// bounded by `limits.max_message_bytes`, then
/// [`serve_authenticated`](crate::server::serve_authenticated). `$deps` is the
/// service's `*Deps` (any value with `db`, `verifier`, `page_tokens` and `limits` fields),
/// taken by value.
///
/// ```ignore
/// crm_kit::serve_grpc!(listener, FooServiceServer::new(FooGrpc::new(app)), deps, shutdown).await
/// ```
#[macro_export]
macro_rules! serve_grpc {
    ($listener:expr, $server:expr, $deps:expr, $shutdown:expr $(,)?) => {{
        let deps = $deps;
        let max = deps.limits.max_message_bytes;
        let server = $server.max_decoding_message_size(max).max_encoding_message_size(max);
        $crate::server::serve_authenticated(
            $listener,
            server,
            deps.verifier,
            deps.db,
            deps.page_tokens,
            deps.limits,
            $shutdown,
        )
    }};
}
