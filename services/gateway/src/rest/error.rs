//! Errors as AIP-193 JSON: `{"error": {"code", "message", "status", "details": [...]}}` with
//! the HTTP status derived from the gRPC code and every rich detail as JSON with `@type`.

use axum::response::{IntoResponse as _, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

const TYPE_PREFIX: &str = "type.googleapis.com/google.rpc.";

/// The HTTP status of a gRPC code (google.rpc.Code mapping).
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => StatusCode::BAD_REQUEST,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The UPPER_SNAKE name of a code, as in `google.rpc.Code`.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// A JSON response with `status`.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], bytes).into_response()
}

/// The AIP-193 JSON body of a status.
pub fn error_json(status: &Status) -> Value {
    let http = http_status(status.code());
    json!({"error": {
        "code": http.as_u16(),
        "message": status.message(),
        "status": code_name(status.code()),
        "details": details(status),
    }})
}

/// An error response: AIP-193 JSON, `Retry-After` when the status says when to retry.
pub fn error_response(status: &Status) -> Response {
    let mut response = json_response(http_status(status.code()), &error_json(status));
    if let Some(delay) = status.get_error_details().retry_info().and_then(|r| r.retry_delay) {
        let secs = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
        if let Ok(value) = HeaderValue::from_str(&secs.max(1).to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    response
}

fn details(status: &Status) -> Vec<Value> {
    let d = status.get_error_details();
    let mut out = Vec::new();
    if let Some(i) = d.error_info() {
        out.push(json!({"@type": format!("{TYPE_PREFIX}ErrorInfo"), "reason": i.reason, "domain": i.domain, "metadata": i.metadata}));
    }
    if let Some(b) = d.bad_request() {
        let violations: Vec<Value> =
            b.field_violations.iter().map(|v| json!({"field": v.field, "description": v.description})).collect();
        out.push(json!({"@type": format!("{TYPE_PREFIX}BadRequest"), "fieldViolations": violations}));
    }
    if let Some(r) = d.retry_info() {
        let delay = r.retry_delay.map(|d| format!("{}s", d.as_secs_f64()));
        out.push(json!({"@type": format!("{TYPE_PREFIX}RetryInfo"), "retryDelay": delay}));
    }
    if let Some(p) = d.precondition_failure() {
        let violations: Vec<Value> = p
            .violations
            .iter()
            .map(|v| json!({"type": v.r#type, "subject": v.subject, "description": v.description}))
            .collect();
        out.push(json!({"@type": format!("{TYPE_PREFIX}PreconditionFailure"), "violations": violations}));
    }
    if let Some(q) = d.quota_failure() {
        let violations: Vec<Value> =
            q.violations.iter().map(|v| json!({"subject": v.subject, "description": v.description})).collect();
        out.push(json!({"@type": format!("{TYPE_PREFIX}QuotaFailure"), "violations": violations}));
    }
    if let Some(r) = d.resource_info() {
        out.push(json!({"@type": format!("{TYPE_PREFIX}ResourceInfo"), "resourceType": r.resource_type,
            "resourceName": r.resource_name, "owner": r.owner, "description": r.description}));
    }
    if let Some(r) = d.request_info() {
        out.push(json!({"@type": format!("{TYPE_PREFIX}RequestInfo"), "requestId": r.request_id, "servingData": r.serving_data}));
    }
    if let Some(h) = d.help() {
        let links: Vec<Value> = h.links.iter().map(|l| json!({"description": l.description, "url": l.url})).collect();
        out.push(json!({"@type": format!("{TYPE_PREFIX}Help"), "links": links}));
    }
    if let Some(m) = d.localized_message() {
        out.push(json!({"@type": format!("{TYPE_PREFIX}LocalizedMessage"), "locale": m.locale, "message": m.message}));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_carry_error_info_and_field_violations() {
        let status = crm_kit::ApiError::invalid("client.lei", "bad check digits").into_status("crm.profile");
        let body = error_json(&status);
        assert_eq!(body["error"]["code"], 400);
        assert_eq!(body["error"]["status"], "INVALID_ARGUMENT");
        let details = body["error"]["details"].as_array().expect("details");
        assert_eq!(details[0]["@type"], "type.googleapis.com/google.rpc.ErrorInfo");
        assert_eq!(details[0]["domain"], "crm.profile");
        assert_eq!(details[1]["fieldViolations"][0]["field"], "client.lei");
    }

    #[test]
    fn codes_map_to_http() {
        assert_eq!(http_status(Code::ResourceExhausted), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(http_status(Code::Unauthenticated), StatusCode::UNAUTHORIZED);
        assert_eq!(http_status(Code::NotFound), StatusCode::NOT_FOUND);
    }
}
