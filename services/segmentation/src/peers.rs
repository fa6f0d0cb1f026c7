//! Calls to the other suite services, as CHANNEL `svc:segmentation`: the profile (its change
//! feed, and clients read back after bulk loads and merges), and, when they run, value scoring
//! (its change feed) and interaction (its change feed, and contactability read back after a
//! change of a client's channel preferences).

use std::collections::BTreeSet;

use crm_kit::peer::PeerAuth;
use crm_proto::crm::{
    interaction::v1::{
        self as interaction, Channel as ContactChannel, ContactPurpose, GetContactabilityRequest,
        interaction_service_client::InteractionServiceClient,
    },
    profile::v1::{
        self as profile, BatchGetClientsRequest, Client, GetClientRequest, Holding, ListHoldingsRequest,
        client_profile_service_client::ClientProfileServiceClient,
    },
    scoring::v1::{self as scoring, value_scoring_service_client::ValueScoringServiceClient},
};

use crate::domain::view::ContactFacts;
use tonic::{Status, Streaming, service::interceptor::InterceptedService, transport::Channel};

type Authed = InterceptedService<Channel, PeerAuth>;

/// Clients asked for in one BatchGetClients call.
const BATCH_GET: usize = 1000;

/// The services segmentation calls.
#[derive(Clone, Debug)]
pub struct Peers {
    pub profile: ProfilePeer,
    /// `None` when the suite runs without value scoring.
    pub scoring: Option<ScoringPeer>,
    /// `None` when the suite runs without the interaction service.
    pub interaction: Option<InteractionPeer>,
}

impl Peers {
    /// The peers on these channels, called with `auth`.
    pub fn new(profile: Channel, scoring: Option<Channel>, interaction: Option<Channel>, auth: PeerAuth) -> Self {
        Self {
            profile: ProfilePeer(ClientProfileServiceClient::with_interceptor(profile, auth.clone())),
            scoring: scoring
                .map(|channel| ScoringPeer(ValueScoringServiceClient::with_interceptor(channel, auth.clone()))),
            interaction: interaction
                .map(|channel| InteractionPeer(InteractionServiceClient::with_interceptor(channel, auth))),
        }
    }
}

/// The client profile service.
#[derive(Clone, Debug)]
pub struct ProfilePeer(ClientProfileServiceClient<Authed>);

impl ProfilePeer {
    /// The profile's change feed after `after`.
    pub async fn changes(&self, after: i64) -> Result<Streaming<profile::ChangeEvent>, Status> {
        let request = profile::WatchChangesRequest { after_sequence: after };
        Ok(self.0.clone().watch_changes(request).await?.into_inner())
    }

    /// The current records of `ids` (in order): one BatchGetClients call per 1000 clients;
    /// when some no longer exist, each is read on its own (`None` when it is gone).
    pub async fn clients(&self, ids: &BTreeSet<String>) -> Result<Vec<Option<Client>>, Status> {
        let names: Vec<String> = ids.iter().map(|id| format!("clients/{id}")).collect();
        let mut out = Vec::with_capacity(names.len());
        for chunk in names.chunks(BATCH_GET) {
            match self.0.clone().batch_get_clients(BatchGetClientsRequest { names: chunk.to_vec() }).await {
                Ok(reply) => out.extend(reply.into_inner().clients.into_iter().map(Some)),
                Err(status) if status.code() == tonic::Code::NotFound => {
                    for name in chunk {
                        out.push(self.client(name).await?);
                    }
                }
                Err(status) => return Err(status),
            }
        }
        Ok(out)
    }

    async fn client(&self, name: &str) -> Result<Option<Client>, Status> {
        match self.0.clone().get_client(GetClientRequest { name: name.to_owned(), read_time: None }).await {
            // A merged record resolves to its survivor: this id is gone from the portfolio.
            Ok(reply) => Ok(Some(reply.into_inner()).filter(|c| c.name == name)),
            Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
            Err(status) => Err(status),
        }
    }

    /// Every holding of client `name`, all pages.
    pub async fn holdings(&self, name: &str) -> Result<Vec<Holding>, Status> {
        let mut holdings = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = ListHoldingsRequest { parent: name.to_owned(), page_size: 1000, page_token };
            let page = self.0.clone().list_holdings(request).await?.into_inner();
            holdings.extend(page.holdings);
            if page.next_page_token.is_empty() {
                return Ok(holdings);
            }
            page_token = page.next_page_token;
        }
    }
}

/// The value scoring service.
#[derive(Clone, Debug)]
pub struct ScoringPeer(ValueScoringServiceClient<Authed>);

impl ScoringPeer {
    /// The scoring change feed after `after`.
    pub async fn changes(&self, after: i64) -> Result<Streaming<scoring::ChangeEvent>, Status> {
        let request = scoring::WatchChangesRequest { after_sequence: after };
        Ok(self.0.clone().watch_changes(request).await?.into_inner())
    }
}

/// The interaction service.
#[derive(Clone, Debug)]
pub struct InteractionPeer(InteractionServiceClient<Authed>);

impl InteractionPeer {
    /// The interaction change feed after `after`.
    pub async fn changes(&self, after: i64) -> Result<Streaming<interaction::ChangeEvent>, Status> {
        let request = interaction::WatchChangesRequest { after_sequence: after };
        Ok(self.0.clone().watch_changes(request).await?.into_inner())
    }

    /// The channels client `id` may be contacted on for marketing; `None` when the client
    /// is unknown there.
    pub async fn contact(&self, id: &str) -> Result<Option<ContactFacts>, Status> {
        let request = GetContactabilityRequest { name: format!("clients/{id}/contactability"), contact: String::new() };
        match self.0.clone().get_contactability(request).await {
            Ok(reply) => Ok(Some(marketing_channels(&reply.into_inner()))),
            Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
            Err(status) => Err(status),
        }
    }
}

/// The channels a contactability allows for marketing (none under a do-not-contact).
pub fn marketing_channels(c: &interaction::Contactability) -> ContactFacts {
    let mut channels: Vec<String> = c
        .permissions
        .iter()
        .filter(|p| !c.do_not_contact && p.allowed && p.purpose == ContactPurpose::Marketing as i32)
        .filter_map(|p| ContactChannel::try_from(p.channel).ok())
        .filter(|ch| *ch != ContactChannel::Unspecified)
        .map(|ch| ch.as_str_name().trim_start_matches("CHANNEL_").to_owned())
        .collect();
    channels.sort();
    channels.dedup();
    ContactFacts { marketing_channels: channels }
}
