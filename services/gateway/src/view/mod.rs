//! `crm.gateway.v1.ClientViewService`: the client 360 view, composed from the services.
//!
//! The client is resolved first (by name, or by a LookupClient key), then every part is
//! fetched concurrently under its own deadline within the caller's. The caller's token is
//! forwarded, so each service applies its own role, portfolio and masking rules unchanged.
//! A part whose service is down, slow or not configured is left out with a warning; a
//! refusal about the client itself (not found, permission denied) fails the whole call.

mod fetch;
mod parts;

use std::time::{Duration, Instant};

use crm_kit::ApiError;
use crm_proto::crm::{
    gateway::v1::{Client360, GetClient360Request, Part, client_view_service_server::ClientViewService},
    interaction::v1::{Case, Contactability, Interaction, Recommendation},
    profile::v1::{
        Client, Contact, FinancialStatement, Holding, LookupClientRequest,
        client_profile_service_client::ClientProfileServiceClient,
    },
    scoring::v1::ValueScore,
    segmentation::v1::SegmentMembership,
};
use tonic::{Code, Request, Response, Status, metadata::MetadataMap};

pub use parts::{PartFuture, gather, warning};

use self::fetch::{Fetcher, PROFILE, Sizes};
use crate::{
    backends::Backends,
    upstream::{forwarded_metadata, request},
};

/// Financial statements returned when the request does not say.
const DEFAULT_STATEMENTS: i32 = 4;
/// Interactions returned when the request does not say.
const DEFAULT_INTERACTIONS: i32 = 10;

/// The client 360 service.
#[derive(Clone, Debug)]
pub struct ClientView {
    backends: Backends,
    part_timeout: Duration,
}

impl ClientView {
    /// Parts are fetched from `backends`, each within `part_timeout` (or the caller's
    /// remaining time, if shorter).
    pub fn new(backends: Backends, part_timeout: Duration) -> Self {
        Self { backends, part_timeout }
    }
}

/// A fetched part.
enum PartValue {
    Profile(Client),
    Contacts(Vec<Contact>),
    Holdings(Vec<Holding>),
    Statements(Vec<FinancialStatement>),
    Segments(Vec<SegmentMembership>),
    Score(Option<ValueScore>),
    Interactions(Vec<Interaction>),
    Cases(Vec<Case>),
    Contactability(Contactability),
    Recommendations(Vec<Recommendation>),
}

impl PartValue {
    fn fill(self, view: &mut Client360) {
        match self {
            Self::Profile(client) => view.client = Some(client),
            Self::Contacts(contacts) => view.contacts = contacts,
            Self::Holdings(holdings) => view.holdings = holdings,
            Self::Statements(statements) => view.financial_statements = statements,
            Self::Segments(segments) => view.segments = segments,
            Self::Score(score) => view.value_score = score,
            Self::Interactions(interactions) => view.recent_interactions = interactions,
            Self::Cases(cases) => view.open_cases = cases,
            Self::Contactability(contactability) => view.contactability = Some(contactability),
            Self::Recommendations(recommendations) => view.recommendations = recommendations,
        }
    }
}

/// Deadline bookkeeping for one call.
struct Budget {
    deadline: Option<Instant>,
    per_part: Duration,
}

impl Budget {
    fn new(metadata: &MetadataMap, per_part: Duration) -> Self {
        let caller =
            metadata.get("grpc-timeout").and_then(|v| v.to_str().ok()).and_then(crm_kit::server::parse_grpc_timeout);
        // Keep a little back so the answer reaches the caller before its deadline.
        let deadline = caller.map(|t| Instant::now() + t.saturating_sub((t / 10).min(Duration::from_millis(20))));
        Self { deadline, per_part }
    }

    fn next(&self) -> Duration {
        match self.deadline {
            Some(deadline) => self.per_part.min(deadline.saturating_duration_since(Instant::now())),
            None => self.per_part,
        }
        .max(Duration::from_millis(1))
    }
}

fn bounded(requested: i32, default: i32, max: i32) -> i32 {
    if requested > 0 { requested.min(max) } else { default }
}

#[tonic::async_trait]
impl ClientViewService for ClientView {
    async fn get_client360(&self, request: Request<GetClient360Request>) -> Result<Response<Client360>, Status> {
        let budget = Budget::new(request.metadata(), self.part_timeout);
        let metadata = forwarded_metadata(&request.metadata().clone().into_headers());
        let req = request.into_inner();
        let lookup = lookup_key(&req).map_err(|err| err.into_status(crate::DOMAIN))?;
        let (mut view, name) = match lookup {
            None => (Client360::default(), req.name.clone()),
            Some(key) => {
                let found = self.lookup(&metadata, key, budget.next()).await?;
                let name = found.name.clone();
                (Client360 { client: Some(found), ..Default::default() }, name)
            }
        };
        let sizes = Sizes {
            statements: bounded(req.max_financial_statements, DEFAULT_STATEMENTS, 50),
            interactions: bounded(req.max_interactions, DEFAULT_INTERACTIONS, 100),
        };
        self.fill(&mut view, &metadata, &name, sizes, budget.next()).await?;
        // A merged duplicate's name resolves to the survivor's record: its other parts
        // (contacts, holdings, segments, score, history) are the survivor's, fetched again.
        let survivor = view.client.as_ref().map(|c| c.name.clone()).filter(|n| !n.is_empty() && *n != name);
        if let Some(survivor) = survivor {
            let client = view.client.take();
            view = Client360 { client, ..Default::default() };
            self.fill(&mut view, &metadata, &survivor, sizes, budget.next()).await?;
        }
        Ok(Response::new(view))
    }
}

impl ClientView {
    /// Fetches every part of `name`'s view not already in `view`, each within `timeout`.
    async fn fill(
        &self,
        view: &mut Client360,
        metadata: &MetadataMap,
        name: &str,
        sizes: Sizes,
        timeout: Duration,
    ) -> Result<(), Status> {
        let mut fetcher = Fetcher::new(&self.backends, metadata, timeout);
        fetcher.profile_parts(name, view.client.is_none(), sizes);
        fetcher.analytics_parts(name);
        fetcher.interaction_parts(name, sizes);
        for (part, outcome) in gather(fetcher.into_fetches(), timeout).await {
            match outcome {
                Ok(value) => value.fill(view),
                // A refusal about the client itself answers the whole call.
                Err(status) if part == Part::Profile && is_about_the_client(status.code()) => return Err(status),
                Err(status) => view.warnings.push(warning(part, &status)),
            }
        }
        Ok(())
    }
}

impl ClientView {
    /// Resolves a LookupClient key to the client (the whole call fails if it cannot).
    async fn lookup(
        &self,
        metadata: &MetadataMap,
        key: LookupClientRequest,
        timeout: Duration,
    ) -> Result<Client, Status> {
        let Some(backend) = self.backends.for_service(PROFILE) else {
            return Err(ApiError::unavailable("BACKEND_NOT_CONFIGURED", "the profile service is not configured")
                .into_status(crate::DOMAIN));
        };
        let mut client =
            ClientProfileServiceClient::new(backend.channel()).max_decoding_message_size(backend.max_message_bytes());
        let found = tokio::time::timeout(timeout, client.lookup_client(request(metadata.clone(), key, Some(timeout))))
            .await
            .map_err(|_| Status::deadline_exceeded("the client lookup did not answer in time"))??;
        Ok(found.into_inner())
    }
}

fn is_about_the_client(code: Code) -> bool {
    matches!(code, Code::NotFound | Code::PermissionDenied | Code::Unauthenticated | Code::InvalidArgument)
}

/// `None` to fetch by name, or the LookupClient request; INVALID_ARGUMENT when the request
/// names neither or both.
fn lookup_key(req: &GetClient360Request) -> Result<Option<LookupClientRequest>, ApiError> {
    let key = LookupClientRequest {
        lei: req.lei.clone(),
        registration_number: req.registration_number.clone(),
        country_code: req.country_code.clone(),
        tax_id: req.tax_id.clone(),
        account_number: req.account_number.clone(),
        contact_phone: req.contact_phone.clone(),
        contact_email: req.contact_email.clone(),
        ..Default::default()
    };
    let has_key = key != LookupClientRequest::default();
    match (req.name.is_empty(), has_key) {
        (false, true) => Err(ApiError::invalid("name", "give either name or a lookup key, not both")),
        (true, false) => {
            Err(ApiError::invalid("name", "name or one lookup key (lei, registration_number, ...) is required"))
        }
        (false, false) if !req.name.starts_with("clients/") || req.name.len() <= "clients/".len() => {
            Err(ApiError::invalid("name", "must be clients/{client}"))
        }
        (false, false) => Ok(None),
        (true, true) => Ok(Some(key)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_or_exactly_one_kind_of_key() {
        let by_name = GetClient360Request { name: "clients/c1".into(), ..Default::default() };
        assert!(matches!(lookup_key(&by_name), Ok(None)));
        let by_lei = GetClient360Request { lei: "5493001KJTIIGC8Y1R12".into(), ..Default::default() };
        assert!(matches!(lookup_key(&by_lei), Ok(Some(_))));
        let both = GetClient360Request { lei: "x".into(), ..by_name.clone() };
        assert_eq!(lookup_key(&both).expect_err("both").violations()[0].field, "name");
        assert!(lookup_key(&GetClient360Request::default()).is_err());
        assert!(lookup_key(&GetClient360Request { name: "c1".into(), ..Default::default() }).is_err());
    }
}
