//! Edge protection, the same for gRPC, gRPC-Web and REST: load shedding at an adaptive
//! concurrency limit (a short, bounded wait, then RESOURCE_EXHAUSTED at once), bearer-token
//! validation, and per-principal rate limits. The backends
//! still validate the token and apply role and portfolio rules: the edge only refuses
//! earlier, it never grants anything.

mod rate;

use std::{sync::Arc, time::Duration};

use crm_kit::{
    ApiError,
    auth::{AUTH_DOMAIN, Principal, TokenVerifier, principal_from_headers},
    config::GatewayConfig,
    server::{ConcurrencyLimit, Permit},
};
use tonic::Status;
use tonic_types::{ErrorDetails, StatusExt as _};

pub use rate::{Clock, RateLimiter, SystemClock};

/// Admission control shared by every protocol.
#[derive(Debug)]
pub struct Edge {
    verifier: TokenVerifier,
    limiter: Option<RateLimiter>,
    inflight: ConcurrencyLimit,
}

/// A request let in: who sent it, and its slot under the concurrency limit (released on drop).
#[derive(Debug)]
pub struct Admitted {
    /// The verified caller.
    pub principal: Principal,
    _slot: Permit,
}

impl Edge {
    /// Limits from `[gateway]`; `rate_limit_per_second = 0` turns rate limiting off.
    pub fn new(verifier: TokenVerifier, config: &GatewayConfig) -> Self {
        Self::with_clock(verifier, config, Arc::new(SystemClock))
    }

    /// As [`Edge::new`], with the rate limiter reading the time from `clock`.
    pub fn with_clock(verifier: TokenVerifier, config: &GatewayConfig, clock: Arc<dyn Clock>) -> Self {
        let limiter = (config.rate_limit_per_second > 0)
            .then(|| RateLimiter::with_clock(config.rate_limit_per_second, config.rate_limit_burst, clock));
        let wait = Duration::from_millis(config.admission_wait_ms);
        let inflight = ConcurrencyLimit::new(config.max_concurrent_requests, config.admission_queue, wait, "gateway");
        Self { verifier, limiter, inflight }
    }

    /// A place under the concurrency limit, at once or after a short wait, or
    /// RESOURCE_EXHAUSTED (load shedding).
    async fn slot(&self) -> Result<Permit, Status> {
        self.inflight.acquire(false).await.ok_or_else(|| {
            crm_kit::throttled!(1, warn!("gateway at its concurrency limit: shedding"));
            metrics::counter!("crm_rpc_shed_total", "server" => "gateway").increment(1);
            exhausted("OVERLOADED", "the gateway is at capacity; retry with backoff", Duration::from_millis(100), None)
        })
    }

    /// Sheds, authenticates and rate-limits one request.
    pub async fn admit(&self, headers: &http::HeaderMap) -> Result<Admitted, Status> {
        let slot = self.slot().await?;
        let principal = principal_from_headers(&self.verifier, headers).map_err(|err| err.into_status(AUTH_DOMAIN))?;
        if let Some(limiter) = &self.limiter
            && let Err(wait) = limiter.check(&principal.subject)
        {
            crm_kit::throttled!(5, info!(subject = %principal.subject, "rate limit exceeded"));
            metrics::counter!("crm_rpc_rate_limited_total", "server" => "gateway").increment(1);
            return Err(exhausted(
                "RATE_LIMITED",
                "too many requests from this principal; retry later",
                wait,
                Some(&principal.subject),
            ));
        }
        Ok(Admitted { principal, _slot: slot })
    }
}

/// RESOURCE_EXHAUSTED with `ErrorInfo` (domain `crm.gateway`) and `RetryInfo`.
fn exhausted(reason: &str, message: &str, retry: Duration, subject: Option<&str>) -> Status {
    let mut metadata = std::collections::HashMap::new();
    if let Some(subject) = subject {
        metadata.insert("subject".to_owned(), subject.to_owned());
    }
    let mut details = ErrorDetails::new();
    details.set_error_info(reason, crate::DOMAIN, metadata);
    details.set_retry_info(Some(retry.max(Duration::from_millis(1))));
    Status::with_error_details(tonic::Code::ResourceExhausted, message, details)
}

/// UNAUTHENTICATED-free check for the few public paths (health, reflection, OpenAPI).
pub fn is_public_grpc(service: &str) -> bool {
    service == "grpc.health.v1.Health" || service.starts_with("grpc.reflection.")
}

/// An internal fault while admitting (never expected), as a status.
pub fn internal(err: impl Into<anyhow::Error>) -> Status {
    ApiError::internal(err).into_status(crate::DOMAIN)
}
