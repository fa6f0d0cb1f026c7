//! One error type for every service, mapped once to `tonic::Status` with rich details:
//! `ErrorInfo` always (reason in UPPER_SNAKE, domain `crm.<area>`), `BadRequest` field
//! violations for validation failures.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// Result alias used by domain and store code.
pub type ApiResult<T> = Result<T, ApiError>;

/// A failure that a caller can act on, or an internal fault that is logged and hidden.
#[derive(Debug)]
pub struct ApiError {
    code: Code,
    reason: &'static str,
    message: String,
    violations: Vec<FieldViolation>,
    metadata: Vec<(String, String)>,
    resource: Option<String>,
    retry_after: Option<std::time::Duration>,
    source: Option<anyhow::Error>,
}

impl ApiError {
    fn new(code: Code, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
            violations: Vec::new(),
            metadata: Vec::new(),
            resource: None,
            retry_after: None,
            source: None,
        }
    }

    /// INVALID_ARGUMENT with one field violation.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Violations::default()
            .with(field, description)
            .into_error()
            .unwrap_or_else(|| Self::new(Code::InvalidArgument, "INVALID_ARGUMENT", "invalid request"))
    }

    /// INVALID_ARGUMENT about the request as a whole (no one field to name).
    pub fn invalid_argument(reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(Code::InvalidArgument, reason, message)
    }

    /// NOT_FOUND for a resource name.
    pub fn not_found(resource: impl Into<String>) -> Self {
        let resource = resource.into();
        Self::new(Code::NotFound, "RESOURCE_NOT_FOUND", format!("{resource} not found"))
            .with_metadata("resource", resource)
    }

    /// ALREADY_EXISTS, e.g. a unique identifier taken by another resource.
    pub fn already_exists(reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(Code::AlreadyExists, reason, message)
    }

    /// ABORTED: optimistic concurrency conflict (stale etag).
    pub fn etag_mismatch(resource: impl Into<String>) -> Self {
        let resource = resource.into();
        Self::new(
            Code::Aborted,
            "ETAG_MISMATCH",
            format!("{resource} was changed by someone else; read it again and retry"),
        )
        .with_metadata("resource", resource)
    }

    /// FAILED_PRECONDITION: the resource is not in a state that allows the call.
    pub fn failed_precondition(reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(Code::FailedPrecondition, reason, message)
    }

    /// PERMISSION_DENIED: the role or portfolio does not allow the call. The
    /// [`Replier`](crate::reply::Replier) audits it as DENIED under the resource named with
    /// [`ApiError::with_resource`].
    pub fn permission_denied(reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(Code::PermissionDenied, reason, message)
    }

    /// UNAUTHENTICATED: no bearer token, or one that does not verify.
    pub fn unauthenticated(reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(Code::Unauthenticated, reason, message)
    }

    /// RESOURCE_EXHAUSTED: a limit was hit.
    pub fn exhausted(reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(Code::ResourceExhausted, reason, message)
    }

    /// UNAVAILABLE: try again later (database busy, shutting down).
    pub fn unavailable(reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(Code::Unavailable, reason, message)
    }

    /// DEADLINE_EXCEEDED: the work did not finish before the caller's deadline.
    pub fn deadline_exceeded(reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(Code::DeadlineExceeded, reason, message)
    }

    /// CANCELLED: the caller went away before the work finished.
    pub fn cancelled(reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(Code::Cancelled, reason, message)
    }

    /// INTERNAL: logged with its cause, shown to the caller without details.
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut err = Self::new(Code::Internal, "INTERNAL", "internal error");
        err.source = Some(source.into());
        err
    }

    /// Adds an `ErrorInfo` metadata entry.
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.push((key.into(), value.into()));
        self
    }

    /// Tells the caller when to retry (`RetryInfo`; `Retry-After` over REST).
    pub fn with_retry_after(mut self, delay: std::time::Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    /// Names the resource a refused call was about, for its audit record (not sent to the
    /// caller). Kept when already set.
    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.resource.get_or_insert_with(|| resource.into());
        self
    }

    /// The resource a refused call was about, when known.
    pub fn resource(&self) -> Option<&str> {
        self.resource.as_deref()
    }

    /// The canonical code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The UPPER_SNAKE reason.
    pub fn reason(&self) -> &'static str {
        self.reason
    }

    /// Field violations, for validation failures.
    pub fn violations(&self) -> &[FieldViolation] {
        &self.violations
    }

    /// Converts to a `Status` carrying `ErrorInfo` (and `BadRequest` when there are violations).
    pub fn into_status(self, domain: &str) -> Status {
        if let Some(source) = &self.source {
            crate::throttled!(20, error!(error = ?source, reason = self.reason, "internal error"));
        }
        // What a caller sent is never echoed unbounded: the details travel in a header.
        let mut details = ErrorDetails::new();
        let metadata: std::collections::HashMap<String, String> =
            self.metadata.into_iter().take(16).map(|(k, v)| (clip(&k, 64), clip(&v, 256))).collect();
        details.set_error_info(self.reason, domain, metadata);
        if !self.violations.is_empty() {
            let violations = self
                .violations
                .into_iter()
                .take(MAX_VIOLATIONS)
                .map(|v| FieldViolation::new(clip(&v.field, 128), clip(&v.description, 512)))
                .collect::<Vec<_>>();
            details.set_bad_request(violations);
        }
        if let Some(delay) = self.retry_after {
            details.set_retry_info(Some(delay));
        }
        Status::with_error_details(self.code, clip(&self.message, 1024), details)
    }
}

/// Most field violations sent back (a request with more gets the first ones).
const MAX_VIOLATIONS: usize = 50;

/// At most `max` characters of `text`, marked when cut.
fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(max).collect();
    if clipped.len() < text.len() {
        clipped.push('…');
    }
    clipped
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} {}: {}", self.code, self.reason, self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => {
                Self::unavailable("DATABASE_UNAVAILABLE", "the database is busy; retry later")
            }
            sqlx::Error::Database(db) if is_busy(db.as_ref()) => {
                Self::unavailable("DATABASE_BUSY", "the database is busy; retry later")
            }
            _ => Self::internal(err),
        }
    }
}

fn is_busy(err: &dyn sqlx::error::DatabaseError) -> bool {
    // SQLite SQLITE_BUSY (5) / SQLITE_LOCKED (6); PostgreSQL serialization failure / deadlock.
    matches!(err.code().as_deref(), Some("5" | "6" | "40001" | "40P01"))
}

/// Collects every validation failure of a request so the caller sees all of them at once.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// Records a violation on `field` (a dotted path such as `client.lei`).
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    /// Builder form of [`Violations::add`].
    pub fn with(mut self, field: impl Into<String>, description: impl Into<String>) -> Self {
        self.add(field, description);
        self
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Some(INVALID_ARGUMENT)` when anything was recorded.
    pub fn into_error(self) -> Option<ApiError> {
        if self.0.is_empty() {
            return None;
        }
        // The message names a few fields; the BadRequest detail carries every violation.
        const NAMED: usize = 5;
        let fields: Vec<&str> = self.0.iter().take(NAMED).map(|v| v.field.as_str()).collect();
        let mut message = format!("invalid request: {}", fields.join(", "));
        if self.0.len() > NAMED {
            message.push_str(&format!(" and {} more", self.0.len() - NAMED));
        }
        let mut err = ApiError::new(Code::InvalidArgument, "INVALID_ARGUMENT", message);
        err.violations = self.0;
        Some(err)
    }

    /// `Ok(())` when nothing was recorded, else the INVALID_ARGUMENT error.
    pub fn check(self) -> ApiResult<()> {
        match self.into_error() {
            None => Ok(()),
            Some(err) => Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_list_of_violations_keeps_the_message_short_and_the_details_whole() {
        let mut violations = Violations::default();
        for i in 0..40 {
            violations.add(format!("records[{i}].fee_income"), "must not be negative");
        }
        let err = violations.into_error().expect("error");
        assert_eq!(err.violations().len(), 40);
        assert!(err.message.ends_with("records[4].fee_income and 35 more"), "{}", err.message);
    }

    #[test]
    fn validation_error_carries_error_info_and_field_violations() {
        let status = Violations::default()
            .with("client.lei", "bad check digits")
            .with("client.country_code", "not ISO 3166-1")
            .into_error()
            .expect("violations")
            .into_status("crm.profile");
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let info = details.error_info().expect("error info");
        assert_eq!(info.reason, "INVALID_ARGUMENT");
        assert_eq!(info.domain, "crm.profile");
        let fields: Vec<_> =
            details.bad_request().expect("bad request").field_violations.iter().map(|v| v.field.clone()).collect();
        assert_eq!(fields, ["client.lei", "client.country_code"]);
    }

    #[test]
    fn echoed_input_is_bounded_in_the_status() {
        let huge = "k".repeat(10_000);
        let status = ApiError::invalid(format!("client.labels[{huge}]"), format!("bad key {huge}"))
            .with_metadata("resource", huge.clone())
            .into_status("crm.test");
        let details = status.get_error_details();
        let violation = &details.bad_request().expect("violations").field_violations[0];
        assert!(violation.field.len() < 200 && violation.description.len() < 600, "{violation:?}");
        let info = details.error_info().expect("info");
        assert!(info.metadata.values().all(|v| v.len() < 300));
        assert!(status.message().len() < 1100);
        // Whole, it fits the metadata a gRPC peer accepts (16 KiB by default).
        let encoded = status.into_http::<tonic::body::Body>();
        let size: usize = encoded.headers().iter().map(|(k, v)| k.as_str().len() + v.len()).sum();
        assert!(size < 8 * 1024, "{size} bytes of headers");
    }

    #[test]
    fn internal_error_hides_its_cause() {
        let status = ApiError::internal(anyhow::anyhow!("password=hunter2")).into_status("crm.profile");
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("hunter2"));
    }
}
