//! The gRPC entry (also behind gRPC-Web): health and reflection are public; every other
//! call is admitted by the edge, then served in the gateway (client 360) or forwarded to
//! the backend that serves its service.

use std::{convert::Infallible, sync::Arc, time::Duration};

use crm_kit::server::DeadlineLayer;
use http::{Request, Response};
use tonic::body::Body;
use tower::{Layer as _, ServiceExt as _};

use crate::{Gateway, backends::service_of, edge::is_public_grpc, proxy};

/// The gRPC service as a boxed tower service.
pub type GrpcService = tower::util::BoxCloneService<Request<Body>, Response<Body>, tower::BoxError>;

/// The gRPC service: deadlines as in every crm server (DEADLINE_EXCEEDED just before the
/// caller's deadline, a ceiling for unary calls, streams not cut); its calls are counted
/// with `protocol` (`grpc`, or `grpc-web` behind tonic-web).
pub fn service(gateway: Arc<Gateway>, ceiling: Duration, protocol: &'static str) -> GrpcService {
    let inner = tower::service_fn(move |request: Request<Body>| {
        let gateway = gateway.clone();
        async move { Ok::<_, Infallible>(handle(&gateway, request).await) }
    });
    let metered = crm_kit::metrics::RpcMetricsLayer::new("gateway")
        .protocol(protocol)
        .layer(DeadlineLayer::new(ceiling).layer(inner));
    tower::util::BoxCloneService::new(metered)
}

/// Serves one gRPC call.
pub async fn handle(gateway: &Gateway, mut request: Request<Body>) -> Response<Body> {
    let service = service_of(request.uri().path()).to_owned();
    // Health and reflection are answered whatever the load, as on every service.
    if is_public_grpc(&service) {
        return local(gateway, request).await;
    }
    let admitted = match gateway.edge.admit(request.headers()).await {
        Ok(admitted) => admitted,
        Err(status) => return status.into_http(),
    };
    tracing::Span::current().record("subject", admitted.principal.subject.as_str());
    request.extensions_mut().insert(admitted.principal.clone());
    if crate::LOCAL_SERVICES.contains(&service.as_str()) {
        return local(gateway, request).await;
    }
    match gateway.backends.for_service(&service) {
        Some(backend) => proxy::forward(backend, request).await,
        None => unrouted(&service).into_http(),
    }
}

async fn local(gateway: &Gateway, request: Request<Body>) -> Response<Body> {
    match gateway.local.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// UNIMPLEMENTED for a service no backend serves.
fn unrouted(service: &str) -> tonic::Status {
    use tonic_types::StatusExt as _;
    let mut details = tonic_types::ErrorDetails::new();
    let metadata = std::collections::HashMap::from([("service".to_owned(), service.to_owned())]);
    details.set_error_info("SERVICE_NOT_ROUTED", crate::DOMAIN, metadata);
    tonic::Status::with_error_details(tonic::Code::Unimplemented, format!("no backend serves {service:?}"), details)
}
