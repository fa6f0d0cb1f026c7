//! How a service answers an RPC: the application's outcome becomes a `tonic` response, an
//! error a `Status` in the service's ErrorInfo domain, and every refusal
//! (PERMISSION_DENIED) is audited here, under the RPC's name, so no handler has to
//! remember to. Server streams are admitted here too: each principal, and the service as a
//! whole, may hold only so many open at once.

use std::{
    collections::HashMap,
    pin::Pin,
    sync::{Arc, Mutex},
};

use futures::{Stream, StreamExt};
use tonic::{Response, Status};

use crate::{
    ApiError, ApiResult,
    audit::{AuditEvent, AuditSink, Outcome},
    call::Caller,
    config::Limits,
    feed::EventStream,
};

/// A server stream as tonic returns it.
pub type StatusStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Answers the RPCs of one service; cheap to clone.
#[derive(Clone, Debug)]
pub struct Replier {
    domain: &'static str,
    audit: AuditSink,
    streams: Arc<StreamGate>,
}

impl Replier {
    /// Answers in ErrorInfo `domain` (e.g. `crm.profile`), auditing refusals to `audit`,
    /// with the default stream limits.
    pub fn new(domain: &'static str, audit: AuditSink) -> Self {
        Self::with_limits(domain, audit, &Limits::default())
    }

    /// [`Replier::new`] with the stream limits of `limits`.
    pub fn with_limits(domain: &'static str, audit: AuditSink, limits: &Limits) -> Self {
        let streams = StreamGate {
            total: limits.max_open_streams,
            per_principal: limits.max_open_streams_per_principal,
            open: Mutex::default(),
        };
        Self { domain, audit, streams: Arc::new(streams) }
    }

    /// The answer of a unary call.
    pub async fn unary<T>(&self, caller: &Caller, result: ApiResult<T>) -> Result<Response<T>, Status> {
        match result {
            Ok(value) => Ok(Response::new(value)),
            Err(err) => {
                self.audit.refused(caller, &err).await;
                Err(err.into_status(self.domain))
            }
        }
    }

    /// The answer of a server-streaming call about `resource` (a client, or the service's
    /// feed): a refusal to open the stream is audited; a stream over the open-stream limits
    /// is RESOURCE_EXHAUSTED; every stream opened is audited before its first event (a
    /// subscription is a read that lasts); each failed item ends the stream with its status.
    pub async fn stream<T: Send + 'static>(
        &self,
        caller: &Caller,
        resource: &str,
        result: ApiResult<EventStream<T>>,
    ) -> Result<Response<StatusStream<T>>, Status> {
        let admitted =
            result.and_then(|events| Ok((StreamGate::admit(&self.streams, &caller.principal.subject)?, events)));
        let admitted = match admitted {
            Ok(admitted) => self.subscribed(caller, resource).await.map(|()| admitted),
            Err(err) => Err(err),
        };
        let (permit, events) = self.unary(caller, admitted).await?.into_inner();
        let domain = self.domain;
        let events = events.map(move |event| {
            let _held = &permit;
            event.map_err(|err| err.into_status(domain))
        });
        Ok(Response::new(Box::pin(events)))
    }
}

impl Replier {
    async fn subscribed(&self, caller: &Caller, resource: &str) -> ApiResult<()> {
        let event = AuditEvent::of_call(caller, resource, Outcome::Ok, "subscribed".to_owned());
        self.audit.record(&event).await
    }
}

/// Open server streams, in total and per principal.
#[derive(Debug)]
struct StreamGate {
    total: usize,
    per_principal: usize,
    open: Mutex<HashMap<String, usize>>,
}

impl StreamGate {
    fn admit(gate: &Arc<Self>, subject: &str) -> ApiResult<StreamPermit> {
        let mut open = gate.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let total: usize = open.values().sum();
        if total >= gate.total {
            return Err(ApiError::exhausted("TOO_MANY_STREAMS", "this service has too many open streams; retry later"));
        }
        let mine = open.entry(subject.to_owned()).or_default();
        if *mine >= gate.per_principal {
            return Err(ApiError::exhausted(
                "TOO_MANY_STREAMS_FOR_CALLER",
                format!("at most {} open streams per caller; close one first", gate.per_principal),
            ));
        }
        *mine += 1;
        Ok(StreamPermit { gate: Arc::clone(gate), subject: subject.to_owned() })
    }
}

/// One admitted stream; dropping it (the stream ends or the caller goes) frees its place.
#[derive(Debug)]
struct StreamPermit {
    gate: Arc<StreamGate>,
    subject: String,
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut open = self.gate.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.subject) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.subject);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_streams_are_bounded_per_caller_and_in_total() {
        let gate = Arc::new(StreamGate { total: 3, per_principal: 2, open: Mutex::default() });
        let a1 = StreamGate::admit(&gate, "a").expect("first");
        let _a2 = StreamGate::admit(&gate, "a").expect("second");
        let err = StreamGate::admit(&gate, "a").expect_err("third for a");
        assert_eq!(err.reason(), "TOO_MANY_STREAMS_FOR_CALLER");
        let _b1 = StreamGate::admit(&gate, "b").expect("b has room");
        assert_eq!(StreamGate::admit(&gate, "c").expect_err("full").reason(), "TOO_MANY_STREAMS");
        drop(a1);
        StreamGate::admit(&gate, "c").expect("a closed one");
    }
}
