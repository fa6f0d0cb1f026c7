//! The scenarios: what one iteration calls, as whom, and over which paths it can run.

use std::time::{Duration, SystemTime};

use crm_kit::auth::Role;
use crm_proto::crm::{
    gateway::v1::GetClient360Request,
    interaction::v1::{
        Case, CaseCategory, CasePriority, Channel as ContactChannel, Direction, Interaction, InteractionKind,
        LogInteractionRequest, OpenCaseRequest,
    },
    profile::v1::{GetClientRequest, ListClientsRequest, SearchClientsRequest},
};
use rand::{Rng, rngs::StdRng};

use super::{
    call::Call,
    fixture::{Fixture, Key, KeyKind},
};

/// Which path the calls take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// gRPC straight to the service that owns the RPC.
    Direct,
    /// gRPC through the gateway.
    Gateway,
    /// REST/JSON through the gateway.
    Rest,
}

/// What is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// grpc.health.v1.Health/Check on the server called: the floor of that server.
    Health,
    /// GetClient as a contact-centre agent (tax id masked, no audit write).
    GetClient,
    /// GetClient as a relationship manager (tax id in clear: every read is audited).
    GetClientAudited,
    /// LookupClient by every key kind in turn, as a contact-centre agent.
    Lookup,
    /// SearchClients by the display name of a real client.
    Search,
    /// One filtered page of ListClients (a CEL filter on country and lifecycle stage).
    List,
    /// GetClient360 as a contact-centre agent (served only by the gateway).
    Client360,
    /// LogInteraction as a contact-centre agent (a write).
    LogInteraction,
    /// One agent's call: lookup, 360 view, log the interaction, open a case.
    ContactCentre,
}

impl Scenario {
    /// Every scenario, in report order.
    pub const ALL: [Scenario; 9] = [
        Scenario::Health,
        Scenario::GetClient,
        Scenario::GetClientAudited,
        Scenario::Lookup,
        Scenario::Search,
        Scenario::List,
        Scenario::Client360,
        Scenario::LogInteraction,
        Scenario::ContactCentre,
    ];

    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Health => "health",
            Self::GetClient => "get-client",
            Self::GetClientAudited => "get-client-audited",
            Self::Lookup => "lookup",
            Self::Search => "search",
            Self::List => "list",
            Self::Client360 => "client360",
            Self::LogInteraction => "log-interaction",
            Self::ContactCentre => "contact-centre",
        }
    }

    /// Who calls.
    pub fn role(self) -> Role {
        match self {
            Self::GetClientAudited => Role::RelationshipManager,
            Self::Search | Self::List => Role::MarketingAnalyst,
            _ => Role::ContactCentreAgent,
        }
    }

    /// Whether it can run over `via`; if not, why.
    pub fn check(self, via: Via) -> Result<(), &'static str> {
        match (self, via) {
            (Self::Health, Via::Rest) => Err("health has no REST binding (gRPC only)"),
            (Self::Client360 | Self::ContactCentre, Via::Direct) => {
                Err("GetClient360 is served only by the gateway: use --via gateway or rest")
            }
            _ => Ok(()),
        }
    }

    /// The calls of iteration `n`, made one after the other.
    pub fn plan(self, fixture: &Fixture, rng: &mut StdRng, n: u64) -> Vec<Call> {
        let client = &fixture.clients[rng.random_range(0..fixture.clients.len())];
        let get = || GetClientRequest { name: client.name.clone(), ..Default::default() };
        match self {
            Self::Health => vec![Call::Health],
            Self::GetClient | Self::GetClientAudited => vec![Call::GetClient(get())],
            Self::Lookup => key(fixture, rng, n).map(|k| Call::Lookup(k.request.clone())).into_iter().collect(),
            Self::Search => {
                vec![Call::Search(SearchClientsRequest {
                    query: client.display_name.clone(),
                    page_size: 10,
                    ..Default::default()
                })]
            }
            Self::List => vec![Call::List(ListClientsRequest {
                page_size: 20,
                filter: format!(
                    "client.country_code == \"{}\" && client.lifecycle_stage == \"ACTIVE\"",
                    client.country_code
                ),
                ..Default::default()
            })],
            Self::Client360 => vec![view360(&client.name)],
            Self::LogInteraction => vec![log_interaction(&client.name)],
            Self::ContactCentre => {
                // The caller gives an identifier; the agent works on the client it finds.
                let Some(key) = key(fixture, rng, n) else { return vec![] };
                let name = &key.client;
                vec![Call::Lookup(key.request.clone()), view360(name), log_interaction(name), open_case(name)]
            }
        }
    }
}

/// A lookup key of the kind whose turn it is (kinds absent from the data are skipped).
fn key<'f>(fixture: &'f Fixture, rng: &mut StdRng, n: u64) -> Option<&'f Key> {
    let kinds: Vec<KeyKind> =
        KeyKind::ALL.into_iter().filter(|kind| fixture.keys.iter().any(|k| k.kind == *kind)).collect();
    let kind = *kinds.get(n as usize % kinds.len().max(1))?;
    let keys: Vec<_> = fixture.keys.iter().filter(|k| k.kind == kind).collect();
    Some(keys[rng.random_range(0..keys.len())])
}

fn view360(name: &str) -> Call {
    Call::View360(GetClient360Request { name: name.to_owned(), ..Default::default() })
}

fn log_interaction(client: &str) -> Call {
    // A second ago: an occur time in the future is refused, and clocks are read separately.
    let now = SystemTime::now() - Duration::from_secs(1);
    let interaction = Interaction {
        channel: ContactChannel::ContactCentre as i32,
        direction: Direction::Inbound as i32,
        kind: InteractionKind::ServiceRequest as i32,
        occur_time: Some(now.into()),
        summary: "Bench: client asked about a missing electronic payment".to_owned(),
        staff: vec!["bench-agent".to_owned()],
        ..Default::default()
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    Call::LogInteraction(LogInteractionRequest {
        parent: client.to_owned(),
        interaction: Some(interaction),
        request_id,
    })
}

fn open_case(client: &str) -> Call {
    let case = Case {
        title: "Bench: missing electronic payment".to_owned(),
        description: "Outgoing payment not credited to the beneficiary; trace requested".to_owned(),
        category: CaseCategory::PaymentIssue as i32,
        priority: CasePriority::Normal as i32,
        channel: ContactChannel::ContactCentre as i32,
        ..Default::default()
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    Call::OpenCase(OpenCaseRequest { parent: client.to_owned(), case: Some(case), request_id })
}
