//! How a service answers an RPC: the application's outcome becomes a `tonic` response, an
//! error a `Status` in the service's ErrorInfo domain, and every refusal
//! (PERMISSION_DENIED) is audited here, under the RPC's name, so no handler has to
//! remember to.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use tonic::{Response, Status};

use crate::{ApiResult, audit::AuditSink, call::Caller, feed::EventStream};

/// A server stream as tonic returns it.
pub type StatusStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Answers the RPCs of one service; cheap to clone.
#[derive(Clone, Debug)]
pub struct Replier {
    domain: &'static str,
    audit: AuditSink,
}

impl Replier {
    /// Answers in ErrorInfo `domain` (e.g. `crm.profile`), auditing refusals to `audit`.
    pub fn new(domain: &'static str, audit: AuditSink) -> Self {
        Self { domain, audit }
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

    /// The answer of a server-streaming call: a refusal to open the stream is audited; each
    /// failed item ends the stream with its status.
    pub async fn stream<T: Send + 'static>(
        &self,
        caller: &Caller,
        result: ApiResult<EventStream<T>>,
    ) -> Result<Response<StatusStream<T>>, Status> {
        let events = self.unary(caller, result).await?.into_inner();
        let domain = self.domain;
        Ok(Response::new(Box::pin(events.map(move |event| event.map_err(|err| err.into_status(domain))))))
    }
}
