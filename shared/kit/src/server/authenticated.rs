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
use crate::{auth::TokenVerifier, config::Limits, db::Db};

/// Serves `service` (a generated tonic server, message sizes already bounded) behind the
/// bearer-token interceptor on `listener` until `shutdown` (see [`serve`]). Health and
/// reflection list it under its gRPC name. [`serve_grpc!`](crate::serve_grpc) bounds the
/// message sizes and calls this.
pub async fn serve_authenticated<S>(
    listener: TcpListener,
    service: S,
    verifier: TokenVerifier,
    db: Db,
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
    let routes = Routes::new(InterceptedService::new(service, crate::auth::interceptor(verifier)));
    let spec = ServeSpec { services: vec![S::NAME], routes, db, limits };
    serve(listener, spec, shutdown).await
}

/// Serves a generated tonic server with the service's dependencies: both message sizes
/// bounded by `limits.max_message_bytes`, then
/// [`serve_authenticated`](crate::server::serve_authenticated). `$deps` is the
/// service's `*Deps` (any value with `db`, `verifier` and `limits` fields), taken by value.
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
        $crate::server::serve_authenticated($listener, server, deps.verifier, deps.db, deps.limits, $shutdown)
    }};
}
