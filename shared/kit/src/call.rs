//! Who is calling and why: the [`Caller`] of an RPC, the [`WriteCtx`] a store records with
//! each write, and the [`Idempotency`] key of a create request.

use prost::Message;
use tonic::{Request, Status};

use crate::{
    auth::{self, Principal},
    error::{ApiError, ApiResult},
    idempotency,
    server::{parse_grpc_timeout, request_id},
};

/// Longest request id accepted as an idempotency key.
const MAX_REQUEST_ID: usize = 128;

/// Who is calling, with the request id and deadline of the call.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The authenticated principal.
    pub principal: Principal,
    /// The request id (from the request-id layer).
    pub request_id: String,
    /// When the caller stops waiting (its `grpc-timeout`), for calls to peers.
    pub deadline: Option<tokio::time::Instant>,
}

impl Caller {
    /// The caller of an authenticated request (UNAUTHENTICATED without a principal).
    pub fn from_request<T>(req: &Request<T>) -> Result<Self, Status> {
        let timeout = req.metadata().get("grpc-timeout").and_then(|v| v.to_str().ok()).and_then(parse_grpc_timeout);
        Ok(Self {
            principal: auth::principal(req)?.clone(),
            request_id: request_id(req),
            deadline: timeout.map(|t| tokio::time::Instant::now() + t),
        })
    }

    /// The context of a write this caller makes through `action`.
    pub fn ctx(&self, action: &'static str) -> WriteCtx<'_> {
        WriteCtx { principal: &self.principal, request_id: &self.request_id, action }
    }
}

/// Who is writing and why: recorded in the audit trail and the change feed.
#[derive(Clone, Copy, Debug)]
pub struct WriteCtx<'a> {
    /// The caller.
    pub principal: &'a Principal,
    /// The request id of the call.
    pub request_id: &'a str,
    /// The operation, e.g. "UpdateClient".
    pub action: &'static str,
}

/// An idempotency key with the fingerprint of the request it came with.
#[derive(Clone, Debug)]
pub struct Idempotency {
    /// Caller's request id.
    pub request_id: String,
    /// Hash of the request payload.
    pub fingerprint: String,
}

impl Idempotency {
    /// The key of a create request (`None` without a request id).
    pub fn of(request_id: &str, payload: &impl Message) -> ApiResult<Option<Self>> {
        let request_id = request_id.trim();
        if request_id.is_empty() {
            return Ok(None);
        }
        if request_id.len() > MAX_REQUEST_ID {
            return Err(ApiError::invalid("request_id", "must be at most 128 characters"));
        }
        Ok(Some(Self {
            request_id: request_id.to_owned(),
            fingerprint: idempotency::fingerprint(&payload.encode_to_vec()),
        }))
    }
}
