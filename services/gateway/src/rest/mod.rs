//! REST/JSON from the `google.api.http` annotations: one generic transcoder driven by the
//! descriptor set. A request is matched to a binding, its path variables, query parameters
//! and body become one JSON object, read with the proto3 JSON mapping into a
//! `DynamicMessage`, encoded and sent as gRPC; the reply is written back as JSON. Errors
//! are AIP-193 JSON.

pub mod error;
mod fields;
pub mod routes;
pub mod template;

use axum::{
    body::Body,
    response::{IntoResponse as _, Response},
};
use bytes::Bytes;
use crm_kit::{ApiError, Violations};
use futures::StreamExt as _;
use http::{HeaderValue, Request, StatusCode, header};
use prost::Message as _;
use prost_reflect::{DynamicMessage, MessageDescriptor};
use serde_json::{Map, Value};
use tonic::Status;

pub use error::{error_json, error_response};
pub use routes::{Binding, BodyTarget, Found, RestRoutes};

use crate::{Gateway, upstream::forwarded_metadata};

/// Serves one REST request, counted in the gateway's RPC metrics (`protocol="rest"`) under
/// the gRPC method it is transcoded to (`unknown` when no route matches).
pub async fn handle(gateway: &Gateway, request: Request<Body>) -> Response {
    let start = std::time::Instant::now();
    let (parts, body) = request.into_parts();
    let (path, response, code) = match gateway.rest.find(&parts.method, parts.uri.path()) {
        Found::Route(binding, vars) => {
            let (response, code) = call(gateway, binding, &vars, parts, body).await;
            (binding.grpc_path.as_str(), response, code)
        }
        Found::NotFound => {
            let status = ApiError::not_found(parts.uri.path().to_owned()).into_status(crate::DOMAIN);
            ("", error_response(&status), status.code())
        }
        Found::MethodNotAllowed => {
            let status = Status::unimplemented(format!("{} is not allowed on {}", parts.method, parts.uri.path()));
            ("", error::json_response(StatusCode::METHOD_NOT_ALLOWED, &error_json(&status)), status.code())
        }
    };
    crm_kit::metrics::record_call("gateway", "rest", path, code, start);
    response
}

/// Transcodes a REST call to `binding` and makes it: the response and its gRPC code.
async fn call(
    gateway: &Gateway,
    binding: &Binding,
    vars: &[(String, String)],
    parts: http::request::Parts,
    body: Body,
) -> (Response, tonic::Code) {
    let failed = |status: Status| (error_response(&status), status.code());
    let admitted = match gateway.edge.admit(&parts.headers).await {
        Ok(admitted) => admitted,
        Err(status) => return failed(status),
    };
    let span = tracing::Span::current();
    span.record("subject", admitted.principal.subject.as_str());
    let body = match axum::body::to_bytes(body, gateway.max_request_bytes).await {
        Ok(body) => body,
        Err(_) => {
            let err = ApiError::exhausted("REQUEST_TOO_LARGE", "the request body is too large");
            let status = err.into_status(crate::DOMAIN);
            let mut response = error_response(&status);
            *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            return (response, status.code());
        }
    };
    let message = match request_message(binding, vars, parts.uri.query(), &body) {
        Ok(message) => message,
        Err(err) => return failed(err.into_status(crate::DOMAIN)),
    };
    let Some(upstream) = gateway.upstream(crate::backends::service_of(&binding.grpc_path)) else {
        let err = ApiError::unavailable("BACKEND_NOT_CONFIGURED", "no backend is configured for this API");
        return failed(err.into_status(crate::DOMAIN));
    };
    let metadata = forwarded_metadata(&parts.headers);
    let client_timeout =
        parts.headers.get("grpc-timeout").and_then(|v| v.to_str().ok()).and_then(crm_kit::server::parse_grpc_timeout);
    let encoded = Bytes::from(message.encode_to_vec());
    let output = binding.rpc.output();
    if binding.rpc.is_server_streaming() {
        return match upstream.server_streaming(&binding.grpc_path, metadata, encoded, client_timeout).await {
            Ok(stream) => (ndjson(output, stream.into_inner()), tonic::Code::Ok),
            Err(status) => failed(status),
        };
    }
    let timeout = Some(client_timeout.unwrap_or(gateway.request_timeout).min(gateway.request_timeout));
    match upstream.unary(&binding.grpc_path, metadata, encoded, timeout).await {
        Ok(reply) => json_reply(output, reply.into_inner()),
        Err(status) => failed(status),
    }
}

/// Builds the request message from path variables, query parameters and body.
/// The request message of a REST call to `binding`: its path variables, query parameters
/// and JSON body merged into one object and read with the proto3 JSON mapping. Anything
/// that does not fit the method's input is INVALID_ARGUMENT naming the field.
pub fn request_message(
    binding: &Binding,
    vars: &[(String, String)],
    query: Option<&str>,
    body: &[u8],
) -> Result<DynamicMessage, ApiError> {
    let input = binding.rpc.input();
    let body_field = match &binding.body {
        BodyTarget::Field(field) => field.as_str(),
        BodyTarget::Whole | BodyTarget::None => "body",
    };
    let mut object = match (&binding.body, body.iter().all(u8::is_ascii_whitespace)) {
        (BodyTarget::None, _) | (_, true) => Map::new(),
        (target, false) => {
            let value: Value = serde_json::from_slice(body)
                .map_err(|err| ApiError::invalid(body_field, format!("the body is not valid JSON: {err}")))?;
            match (target, value) {
                (BodyTarget::Whole, Value::Object(map)) => map,
                (BodyTarget::Whole, _) => return Err(ApiError::invalid(body_field, "the body must be a JSON object")),
                (_, value) => Map::from_iter([(body_field.to_owned(), value)]),
            }
        }
    };
    let mut violations = Violations::default();
    for (field, value) in vars {
        fields::set(&mut object, &input, field, value, true, &mut violations);
    }
    if binding.body != BodyTarget::Whole {
        for (key, value) in query_pairs(query.unwrap_or_default()) {
            let top = key.split('.').next().unwrap_or_default();
            let bound = vars.iter().any(|(f, _)| f == &key) || top == body_field;
            if !bound && !is_system_parameter(&key) {
                fields::set(&mut object, &input, &key, &value, false, &mut violations);
            }
        }
    }
    violations.check()?;
    decode_json(&input, object, body_field)
}

fn decode_json(
    input: &MessageDescriptor,
    object: Map<String, Value>,
    body_field: &str,
) -> Result<DynamicMessage, ApiError> {
    DynamicMessage::deserialize(input.clone(), Value::Object(object)).map_err(|err| {
        ApiError::invalid(body_field, format!("the request does not match {}: {err}", input.full_name()))
    })
}

/// Query parameters that are about the HTTP call, not request fields.
fn is_system_parameter(key: &str) -> bool {
    matches!(key, "$alt" | "alt" | "$prettyPrint" | "prettyPrint")
}

/// `a=1&b=x+y` → pairs, percent-decoded (malformed escapes keep the raw text).
fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| template::percent_decode_with(s, true).unwrap_or_else(|| s.to_owned());
        (decode(k), decode(v))
    })
}

fn json_reply(output: MessageDescriptor, bytes: Bytes) -> (Response, tonic::Code) {
    let json = DynamicMessage::decode(output, bytes)
        .map_err(|err| ApiError::internal(anyhow::anyhow!("backend reply does not decode: {err}")))
        .and_then(|message| serde_json::to_vec(&message).map_err(|err| ApiError::internal(anyhow::Error::new(err))));
    match json {
        Ok(json) => {
            let response = ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], json);
            (response.into_response(), tonic::Code::Ok)
        }
        Err(err) => {
            let status = err.into_status(crate::DOMAIN);
            (error_response(&status), status.code())
        }
    }
}

/// A server stream as newline-delimited JSON: `{"result": {...}}` per message, and a final
/// `{"error": {...}}` line if the stream fails.
fn ndjson(output: MessageDescriptor, stream: tonic::Streaming<Bytes>) -> Response {
    let lines = stream.map(move |item| {
        let value = match item.map(|bytes| DynamicMessage::decode(output.clone(), bytes)) {
            Ok(Ok(message)) => serde_json::json!({ "result": message }),
            Ok(Err(err)) => error_json(&Status::internal(format!("backend message does not decode: {err}"))),
            Err(status) => error_json(&status),
        };
        let mut line = serde_json::to_vec(&value).unwrap_or_default();
        line.push(b'\n');
        Ok::<_, std::convert::Infallible>(Bytes::from(line))
    });
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson"))], Body::from_stream(lines))
        .into_response()
}
