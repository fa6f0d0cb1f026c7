//! The one port: requests are told apart by content type (gRPC, gRPC-Web, else REST), under
//! one layer stack: request ids (set when absent, echoed on every response), CORS for
//! browsers (tonic-web has none of its own), a tracing span per request joined to the
//! caller's W3C trace context, and a bound on request body size. `GET /metrics`, `/livez`
//! and `/readyz` answer for the whole process (in `crm up`, every service of the suite).

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    extract::State,
    response::{IntoResponse as _, Response},
    routing::get,
};
use crm_kit::config::GatewayConfig;
use http::{HeaderName, HeaderValue, Method, Request, header};
use tower::{Layer as _, ServiceBuilder, ServiceExt as _};
use tower_http::{
    cors::{AllowOrigin, CorsLayer},
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::{Gateway, console, grpc, rest};

/// The protocol of a request, from its content type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `application/grpc[+proto]`.
    Grpc,
    /// `application/grpc-web[-text][+proto]`.
    GrpcWeb,
    /// Anything else: REST/JSON.
    Rest,
}

impl Protocol {
    /// Classifies a request.
    pub fn of(headers: &http::HeaderMap) -> Self {
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if content_type.starts_with("application/grpc-web") {
            Protocol::GrpcWeb
        } else if content_type.starts_with("application/grpc") {
            Protocol::Grpc
        } else {
            Protocol::Rest
        }
    }

    /// Its name in spans and metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Grpc => "grpc",
            Protocol::GrpcWeb => "grpc-web",
            Protocol::Rest => "rest",
        }
    }
}

/// The whole gateway as an axum router.
pub fn router(gateway: Arc<Gateway>, config: &GatewayConfig) -> Router {
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(make_span))
        .layer(RequestBodyLimitLayer::new(config.max_request_bytes))
        .layer(cors(config));
    Router::new()
        .route("/openapi.json", get(openapi))
        .route(console::PREFIX, get(console::serve))
        .route("/console/", get(console::serve))
        .route("/console/{*path}", get(console::serve))
        .merge(crm_kit::metrics::router())
        .fallback(dispatch)
        .with_state(gateway)
        .layer(layers)
}

async fn dispatch(State(gateway): State<Arc<Gateway>>, request: Request<Body>) -> Response {
    match Protocol::of(request.headers()) {
        Protocol::Rest => rest::handle(&gateway, request).await,
        Protocol::Grpc => {
            let service = grpc::service(gateway.clone(), gateway.request_timeout, Protocol::Grpc.as_str());
            into_response(service.oneshot(request.map(tonic::body::Body::new)).await)
        }
        Protocol::GrpcWeb => {
            let grpc = grpc::service(gateway.clone(), gateway.request_timeout, Protocol::GrpcWeb.as_str());
            let service = tonic_web::GrpcWebLayer::new().layer(grpc);
            into_response(service.oneshot(request).await)
        }
    }
}

fn into_response(result: Result<http::Response<tonic::body::Body>, tower::BoxError>) -> Response {
    match result {
        Ok(response) => response.map(Body::new),
        Err(err) => {
            tracing::error!(error = %err, "gRPC dispatch failed");
            tonic::Status::internal("internal error").into_http::<Body>()
        }
    }
}

async fn openapi(State(gateway): State<Arc<Gateway>>) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], gateway.openapi.clone()).into_response()
}

/// CORS for browsers: gRPC-Web and REST headers allowed, gRPC status headers exposed.
pub fn cors(config: &GatewayConfig) -> CorsLayer {
    let origins = if config.cors_allowed_origins.is_empty() {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(config.cors_allowed_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    let allowed = [
        "x-grpc-web",
        "x-user-agent",
        "grpc-timeout",
        "content-type",
        "authorization",
        "x-request-id",
        "traceparent",
        "tracestate",
    ];
    let exposed = ["grpc-status", "grpc-message", "grpc-status-details-bin", "x-request-id", "retry-after"];
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers(allowed.map(HeaderName::from_static))
        .expose_headers(exposed.map(HeaderName::from_static))
        .max_age(Duration::from_secs(600))
}

fn make_span(request: &Request<Body>) -> tracing::Span {
    let request_id = request.headers().get(crm_kit::server::REQUEST_ID_HEADER).and_then(|v| v.to_str().ok());
    let span = tracing::info_span!(
        "gateway",
        protocol = Protocol::of(request.headers()).as_str(),
        method = %request.method(),
        path = %request.uri().path(),
        request_id = request_id.unwrap_or_default(),
        subject = tracing::field::Empty,
    );
    let parent = crm_kit::telemetry::extract_context_headers(request.headers());
    set_parent(&span, parent);
    span
}

fn set_parent(span: &tracing::Span, parent: opentelemetry::Context) {
    let _ = tracing_opentelemetry::OpenTelemetrySpanExt::set_parent(span, parent);
}
