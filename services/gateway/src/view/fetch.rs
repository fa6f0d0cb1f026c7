//! One fetch per part of the client 360 view, each a call to the service that owns the part,
//! made with the caller's metadata (token, trace context) under the part's deadline, in a
//! span of its own that the service's span joins.

use std::{future::Future, time::Duration};

use crm_kit::ApiError;
use crm_proto::crm::{
    gateway::v1::Part,
    interaction::v1::{
        CaseState, GetContactabilityRequest, ListCasesRequest, ListInteractionsRequest, ListRecommendationsRequest,
        interaction_service_client::InteractionServiceClient,
    },
    profile::v1::{
        GetClientRequest, ListContactsRequest, ListFinancialStatementsRequest, ListHoldingsRequest,
        client_profile_service_client::ClientProfileServiceClient,
    },
    scoring::v1::{GetValueScoreRequest, value_scoring_service_client::ValueScoringServiceClient},
    segmentation::v1::{GetClientSegmentsRequest, segmentation_service_client::SegmentationServiceClient},
};
use opentelemetry::trace::TraceContextExt as _;
use tonic::{Code, Request, Status, metadata::MetadataMap, transport::Channel};
use tracing::Instrument as _;

use super::{PartFuture, PartValue};
use crate::{backends::Backends, upstream::request};

/// The gRPC services the view reads, by fully qualified name.
pub const PROFILE: &str = "crm.profile.v1.ClientProfileService";
const SEGMENTATION: &str = "crm.segmentation.v1.SegmentationService";
const SCORING: &str = "crm.scoring.v1.ValueScoringService";
const INTERACTION: &str = "crm.interaction.v1.InteractionService";

/// Page size for contacts and holdings.
const LIST_PAGE: i32 = 100;
/// Open cases shown.
const CASES_PAGE: i32 = 50;
/// Recommendations shown.
const RECOMMENDATIONS_PAGE: i32 = 5;

/// How many of the repeated parts to fetch.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// Financial statements, newest first.
    pub statements: i32,
    /// Recent interactions, newest first.
    pub interactions: i32,
}

/// Builds the part fetches for one call.
pub struct Fetcher<'a> {
    backends: &'a Backends,
    metadata: &'a MetadataMap,
    timeout: Duration,
    fetches: Vec<(Part, PartFuture<'static, PartValue>)>,
}

impl<'a> Fetcher<'a> {
    /// Fetches go to `backends`, carry `metadata`, and each gets `timeout`.
    pub fn new(backends: &'a Backends, metadata: &'a MetadataMap, timeout: Duration) -> Self {
        Self { backends, metadata, timeout, fetches: Vec::with_capacity(10) }
    }

    /// The fetches built so far.
    pub fn into_fetches(self) -> Vec<(Part, PartFuture<'static, PartValue>)> {
        self.fetches
    }

    /// Adds a fetch of `part` from `service`: `run` gets the backend's channel, its message
    /// limit and a request carrying the caller's metadata and deadline. An unconfigured
    /// service answers UNAVAILABLE `BACKEND_NOT_CONFIGURED` at once.
    fn add<T, F, Fut>(&mut self, part: Part, service: &str, message: T, run: F)
    where
        T: Send + 'static,
        F: FnOnce(Channel, usize, Request<T>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<PartValue, Status>> + Send + 'static,
    {
        let Some(backend) = self.backends.for_service(service) else {
            let status = ApiError::unavailable("BACKEND_NOT_CONFIGURED", format!("{service} is not configured"))
                .into_status(crate::DOMAIN);
            self.fetches.push((part, Box::pin(async move { Err(status) })));
            return;
        };
        let (channel, max) = (backend.channel(), backend.max_message_bytes());
        let mut request = request(self.metadata.clone(), message, Some(self.timeout));
        // The parts are the gateway's own work for a caller its edge admitted: they wait for a
        // place at the backend rather than be shed (and a caller's own priority is not passed on).
        let batch = tonic::metadata::MetadataValue::from_static(crm_kit::server::PRIORITY_BATCH);
        request.metadata_mut().insert(crm_kit::server::PRIORITY_HEADER, batch);
        // One span per backend call: the service's own span is its child.
        let span = tracing::info_span!("fetch_part", part = part.as_str_name(), service);
        let cx = tracing_opentelemetry::OpenTelemetrySpanExt::context(&span);
        if cx.span().span_context().is_valid() {
            crm_kit::telemetry::inject_context(&cx, request.metadata_mut());
        }
        self.fetches.push((part, Box::pin(run(channel, max, request).instrument(span))));
    }

    /// Profile, contacts, holdings and statements (the profile itself only when it was not
    /// already read by a lookup).
    pub fn profile_parts(&mut self, name: &str, with_profile: bool, sizes: Sizes) {
        if with_profile {
            let req = GetClientRequest { name: name.to_owned(), ..Default::default() };
            self.add(Part::Profile, PROFILE, req, |ch, max, r| async move {
                Ok(PartValue::Profile(profile(ch, max).get_client(r).await?.into_inner()))
            });
        }
        let req = ListContactsRequest { parent: name.to_owned(), page_size: LIST_PAGE, ..Default::default() };
        self.add(Part::Contacts, PROFILE, req, |ch, max, r| async move {
            Ok(PartValue::Contacts(profile(ch, max).list_contacts(r).await?.into_inner().contacts))
        });
        let req = ListHoldingsRequest { parent: name.to_owned(), page_size: LIST_PAGE, ..Default::default() };
        self.add(Part::Holdings, PROFILE, req, |ch, max, r| async move {
            Ok(PartValue::Holdings(profile(ch, max).list_holdings(r).await?.into_inner().holdings))
        });
        let req = ListFinancialStatementsRequest {
            parent: name.to_owned(),
            page_size: sizes.statements,
            ..Default::default()
        };
        self.add(Part::FinancialStatements, PROFILE, req, |ch, max, r| async move {
            let statements = profile(ch, max).list_financial_statements(r).await?.into_inner().financial_statements;
            Ok(PartValue::Statements(statements))
        });
    }

    /// Segments and the value score.
    pub fn analytics_parts(&mut self, name: &str) {
        let req = GetClientSegmentsRequest { client: name.to_owned(), read_time: None };
        self.add(Part::Segments, SEGMENTATION, req, |ch, max, r| async move {
            let mut client = SegmentationServiceClient::new(ch).max_decoding_message_size(max);
            Ok(PartValue::Segments(client.get_client_segments(r).await?.into_inner().memberships))
        });
        let req = GetValueScoreRequest { name: format!("{name}/valueScore"), read_time: None };
        self.add(Part::ValueScore, SCORING, req, |ch, max, r| async move {
            let mut client = ValueScoringServiceClient::new(ch).max_decoding_message_size(max);
            match client.get_value_score(r).await {
                Ok(score) => Ok(PartValue::Score(Some(score.into_inner()))),
                // Never scored: the part is fetched, and empty.
                Err(status) if status.code() == Code::NotFound => Ok(PartValue::Score(None)),
                Err(status) => Err(status),
            }
        });
    }

    /// Interactions, open cases, contactability and recommendations.
    pub fn interaction_parts(&mut self, name: &str, sizes: Sizes) {
        let req = ListInteractionsRequest {
            parent: name.to_owned(),
            page_size: sizes.interactions,
            page_token: String::new(),
        };
        self.add(Part::Interactions, INTERACTION, req, |ch, max, r| async move {
            Ok(PartValue::Interactions(interaction(ch, max).list_interactions(r).await?.into_inner().interactions))
        });
        // Resolved cases await the client's confirmation and are not open (as in the service).
        let open = [CaseState::Open, CaseState::InProgress, CaseState::Reopened];
        let req = ListCasesRequest {
            parent: name.to_owned(),
            page_size: CASES_PAGE,
            states: open.iter().map(|s| *s as i32).collect(),
            ..Default::default()
        };
        self.add(Part::Cases, INTERACTION, req, |ch, max, r| async move {
            Ok(PartValue::Cases(interaction(ch, max).list_cases(r).await?.into_inner().cases))
        });
        let req = GetContactabilityRequest { name: format!("{name}/contactability"), ..Default::default() };
        self.add(Part::Contactability, INTERACTION, req, |ch, max, r| async move {
            Ok(PartValue::Contactability(interaction(ch, max).get_contactability(r).await?.into_inner()))
        });
        let req = ListRecommendationsRequest { parent: name.to_owned(), page_size: RECOMMENDATIONS_PAGE };
        self.add(Part::Recommendations, INTERACTION, req, |ch, max, r| async move {
            let found = interaction(ch, max).list_recommendations(r).await?.into_inner().recommendations;
            Ok(PartValue::Recommendations(found))
        });
    }
}

fn profile(channel: Channel, max: usize) -> ClientProfileServiceClient<Channel> {
    ClientProfileServiceClient::new(channel).max_decoding_message_size(max)
}

fn interaction(channel: Channel, max: usize) -> InteractionServiceClient<Channel> {
    InteractionServiceClient::new(channel).max_decoding_message_size(max)
}
