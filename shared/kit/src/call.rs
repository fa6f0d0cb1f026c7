//! Who is calling and why: the [`Caller`] of an RPC, and the [`WriteCtx`] a store's unit of
//! work records with each write (see [`crate::write`]).

use std::sync::Arc;

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

/// The RPC a request calls (`CreateClient` for `/crm.profile.v1.ClientProfileService/CreateClient`),
/// stored in the request's extensions by the server's layer stack. It names the action of
/// every audit record and scopes idempotency keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rpc(Arc<str>);

impl Rpc {
    /// The method of a gRPC request path (the part after the last `/`).
    pub fn from_path(path: &str) -> Self {
        Self(Arc::from(path.rsplit('/').next().unwrap_or(path)))
    }

    /// The method name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who is calling, with the RPC, request id and deadline of the call.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The authenticated principal.
    pub principal: Principal,
    /// The request id (from the request-id layer).
    pub request_id: String,
    /// The RPC being served ("" outside a server, e.g. in unit tests).
    pub rpc: Rpc,
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
            rpc: req.extensions().get::<Rpc>().cloned().unwrap_or_else(|| Rpc::from_path("")),
            deadline: timeout.map(|t| tokio::time::Instant::now() + t),
        })
    }

    /// A caller outside any RPC (tests, in-process tools) acting through `rpc`.
    pub fn new(principal: Principal, rpc: &str, request_id: impl Into<String>) -> Self {
        Self { principal, request_id: request_id.into(), rpc: Rpc::from_path(rpc), deadline: None }
    }

    /// The context of a write this call makes; its action is the RPC.
    pub fn write(&self) -> WriteCtx<'_> {
        WriteCtx {
            principal: &self.principal,
            request_id: &self.request_id,
            action: self.rpc.as_str(),
            idempotency: None,
        }
    }
}

/// Who is writing and why: recorded in the audit trail and the change feed by the unit of
/// work ([`crate::write::Writer`]).
#[derive(Clone, Copy, Debug)]
pub struct WriteCtx<'a> {
    /// Who is writing: the caller, or [`Principal::system`] for the suite's own writes.
    pub principal: &'a Principal,
    /// The request id of the call.
    pub request_id: &'a str,
    /// The operation, e.g. "UpdateClient": the RPC, or the job for internal writes.
    pub action: &'a str,
    /// The idempotency key of a create, scoped by `action` (see [`WriteCtx::keyed`]).
    pub idempotency: Option<&'a Idempotency>,
}

impl<'a> WriteCtx<'a> {
    /// The context of a write made by the suite itself (a feed follower, a job) as
    /// `principal` (usually [`Principal::system`]).
    pub fn internal(principal: &'a Principal, action: &'a str, request_id: &'a str) -> Self {
        Self { principal, request_id, action, idempotency: None }
    }

    /// This context with the idempotency key of a create request (from
    /// [`Idempotency::of`], parsed with the rest of the request).
    pub fn keyed(self, idempotency: Option<&'a Idempotency>) -> Self {
        Self { idempotency, ..self }
    }
}

/// An idempotency key with the fingerprint of the request it came with.
#[derive(Clone, Debug, PartialEq, Eq)]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpc_is_the_method_of_the_path() {
        assert_eq!(Rpc::from_path("/crm.profile.v1.ClientProfileService/CreateClient").as_str(), "CreateClient");
        assert_eq!(Rpc::from_path("").as_str(), "");
    }

    #[test]
    fn idempotency_keys_fingerprint_the_payload_and_scope_by_the_rpc() {
        let caller = Caller::new(Principal::system("t"), "/svc/CreateThing", "r-1");
        let payload = crm_proto::google::r#type::Money { currency_code: "CNY".into(), units: 1, nanos: 0 };
        let key = Idempotency::of("req-1", &payload).expect("valid").expect("a key");
        let ctx = caller.write().keyed(Some(&key));
        assert_eq!((ctx.action, ctx.idempotency.map(|k| k.request_id.as_str())), ("CreateThing", Some("req-1")));
        let other = crm_proto::google::r#type::Money { units: 2, ..payload.clone() };
        assert_ne!(Idempotency::of("req-1", &other).expect("valid").expect("key").fingerprint, key.fingerprint);
        assert!(Idempotency::of(" ", &payload).expect("empty is fine").is_none());
        assert!(Idempotency::of(&"x".repeat(129), &payload).is_err());
    }
}
