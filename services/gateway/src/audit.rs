//! The audit trails through the gateway: each service keeps its own, and a call names the
//! one it reads (`service`: `profile`, `segmentation`, `scoring`, `interaction`); the
//! gateway passes it on with the caller's token, and the service decides who may read it.

use std::time::Duration;

use crm_kit::{ApiError, server::parse_grpc_timeout};
use crm_proto::crm::audit::v1::{
    ListAuditEventsRequest, ListAuditEventsResponse, audit_service_client::AuditServiceClient,
    audit_service_server::AuditService,
};
use tonic::{Request, Response, Status};

use crate::{backends::Backends, upstream::request};

/// The gRPC name of the audit service.
pub use crm_kit::audit::service::SERVICE_NAME;

/// Routes audit reads to the service whose trail is asked for.
#[derive(Debug)]
pub struct AuditTrails {
    backends: Backends,
    timeout: Duration,
}

impl AuditTrails {
    /// Reads through `backends`, each call bounded by `timeout` (the caller's if shorter).
    pub fn new(backends: Backends, timeout: Duration) -> Self {
        Self { backends, timeout }
    }
}

#[tonic::async_trait]
impl AuditService for AuditTrails {
    async fn list_audit_events(
        &self,
        req: Request<ListAuditEventsRequest>,
    ) -> Result<Response<ListAuditEventsResponse>, Status> {
        let names = self.backends.names().collect::<Vec<_>>().join(", ");
        let Some(backend) = self.backends.by_name(&req.get_ref().service) else {
            let problem = if req.get_ref().service.is_empty() { "is required" } else { "is not a service" };
            return Err(
                ApiError::invalid("service", format!("{problem}: name one of {names}")).into_status(crate::DOMAIN)
            );
        };
        let caller_timeout =
            req.metadata().get("grpc-timeout").and_then(|v| v.to_str().ok()).and_then(parse_grpc_timeout);
        let timeout = caller_timeout.map_or(self.timeout, |t| t.min(self.timeout));
        let (metadata, _, message) = req.into_parts();
        let mut client =
            AuditServiceClient::new(backend.channel()).max_decoding_message_size(backend.max_message_bytes());
        client.list_audit_events(request(metadata, message, Some(timeout))).await
    }
}
