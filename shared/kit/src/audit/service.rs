//! `crm.audit.v1.AuditService`: every service serves its own audit trail, ADMIN only.

use crm_proto::crm::audit::v1::{
    AuditEvent, AuditOutcome, ListAuditEventsRequest, ListAuditEventsResponse, audit_service_server::AuditService,
};
use tonic::{Request, Response, Status};

use super::{AuditQuery, AuditRecord, query};
use crate::{
    ApiError, ApiResult, Violations,
    auth::Role,
    call::Caller,
    db::Db,
    names,
    paging::{self, PageTokens},
    reply::Replier,
    time::{from_timestamp, to_timestamp},
};

/// The gRPC name of the audit service.
pub const SERVICE_NAME: &str = "crm.audit.v1.AuditService";

/// The audit trail of one service's database.
#[derive(Debug)]
pub struct AuditTrail {
    db: Db,
    tokens: PageTokens,
    replier: Replier,
    service: String,
}

impl AuditTrail {
    /// The trail of `db`, the database of the service named `service` (`profile`, ...).
    pub fn new(db: Db, tokens: PageTokens, replier: Replier, service: &str) -> Self {
        Self { db, tokens, replier, service: service.to_owned() }
    }

    async fn list(&self, caller: &Caller, req: ListAuditEventsRequest) -> ApiResult<ListAuditEventsResponse> {
        let size = paging::page_size(req.page_size)?;
        let mut v = Violations::default();
        if !req.service.is_empty() && req.service != self.service {
            v.add("service", format!("this is the audit trail of the {} service", self.service));
        }
        if !req.client.is_empty() && names::client_id("client", &req.client).is_err() {
            v.add("client", "must be a client name, clients/{client}");
        }
        for (field, value) in [("subject", &req.subject), ("action", &req.action)] {
            if value.chars().count() > 256 || value.chars().any(char::is_control) {
                v.add(field, "must be at most 256 characters without control characters");
            }
        }
        v.check()?;
        if caller.principal.role != Role::Admin {
            return Err(ApiError::permission_denied("ROLE_CANNOT_READ_AUDIT", "only ADMIN reads the audit trail")
                .with_resource(format!("auditTrails/{}", self.service)));
        }
        let start = req.start_time.as_ref().map(from_timestamp);
        let end = req.end_time.as_ref().map(from_timestamp);
        let fingerprint = format!("audit|{}|{}|{}|{start:?}|{end:?}", req.client, req.subject, req.action);
        let before: Option<i64> = self.tokens.cursor(&fingerprint, &req.page_token)?;
        let q = AuditQuery {
            resource: req.client,
            subject: req.subject,
            action: req.action,
            start,
            end,
            before,
            limit: i64::try_from(size + 1).unwrap_or(i64::MAX),
        };
        let mut records = query(self.db.reader(), &q).await?;
        let more = records.len() > size;
        records.truncate(size);
        let next_page_token = match records.last() {
            Some(last) if more => self.tokens.encode(&fingerprint, &last.sequence),
            _ => String::new(),
        };
        Ok(ListAuditEventsResponse { audit_events: records.into_iter().map(to_event).collect(), next_page_token })
    }
}

fn to_event(r: AuditRecord) -> AuditEvent {
    let outcome = match r.outcome.as_str() {
        "OK" => AuditOutcome::Ok,
        "DENIED" => AuditOutcome::Denied,
        _ => AuditOutcome::Unspecified,
    };
    AuditEvent {
        sequence: r.sequence,
        event_time: Some(to_timestamp(r.event_time)),
        subject: r.subject,
        role: r.role,
        action: r.action,
        resource: r.resource,
        request_id: r.request_id,
        outcome: outcome as i32,
        detail: r.detail,
    }
}

#[tonic::async_trait]
impl AuditService for AuditTrail {
    async fn list_audit_events(
        &self,
        req: Request<ListAuditEventsRequest>,
    ) -> Result<Response<ListAuditEventsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.list(&caller, req.into_inner()).await).await
    }
}
