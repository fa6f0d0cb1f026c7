//! Calls to the client profile service, as this service's CHANNEL account.

use std::time::Duration;

use crm_kit::{ApiError, ApiResult, peer::PeerAuth};
use crm_proto::crm::profile::v1::{
    BatchGetClientsRequest, Client, ClientGroup, GetClientGroupRequest, GetClientRequest, ListClientsRequest,
    ListClientsResponse, client_profile_service_client::ClientProfileServiceClient,
};
use tonic::{Code, Request, Status, service::interceptor::InterceptedService, transport::Channel};

use crate::domain::names;

/// A profile client that presents this service's token.
pub type ProfileClient = ClientProfileServiceClient<InterceptedService<Channel, PeerAuth>>;

/// How long one call to the profile service may take.
const PEER_TIMEOUT: Duration = Duration::from_secs(10);

/// The suite services this one calls: the client profile service.
#[derive(Clone, Debug)]
pub struct Peers {
    client: ProfileClient,
}

fn unavailable(status: &Status) -> ApiError {
    tracing::warn!(code = ?status.code(), message = status.message(), "profile call failed");
    ApiError::unavailable("PROFILE_UNAVAILABLE", "the client profile service could not be reached; retry later")
        .with_metadata("peer_code", format!("{:?}", status.code()))
}

fn timed<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.set_timeout(PEER_TIMEOUT);
    request
}

/// A live record: not deleted and not merged into another.
fn live(requested: &str, client: Client) -> Option<Client> {
    (client.delete_time.is_none() && client.merged_into.is_empty() && client.name == requested).then_some(client)
}

impl Peers {
    /// Calls the profile service on `channel` with `auth`.
    pub fn new(channel: Channel, auth: PeerAuth) -> Self {
        Self { client: ClientProfileServiceClient::with_interceptor(channel, auth) }
    }

    /// The live client `clients/{id}` (`None` when it does not exist, is deleted or merged).
    pub async fn client(&self, id: &str) -> ApiResult<Option<Client>> {
        let name = names::client_name(id);
        match self.client.clone().get_client(timed(GetClientRequest { name: name.clone(), read_time: None })).await {
            Ok(reply) => Ok(live(&name, reply.into_inner())),
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => Err(unavailable(&status)),
        }
    }

    /// The live clients among `ids`, by id (one batch call; per-client calls when some are missing).
    pub async fn clients(&self, ids: &[String]) -> ApiResult<Vec<Client>> {
        let names: Vec<String> = ids.iter().map(|id| names::client_name(id)).collect();
        let mut out = Vec::with_capacity(ids.len());
        for chunk in names.chunks(crm_kit::paging::MAX_PAGE_SIZE) {
            let request = timed(BatchGetClientsRequest { names: chunk.to_vec() });
            match self.client.clone().batch_get_clients(request).await {
                Ok(reply) => {
                    out.extend(reply.into_inner().clients.into_iter().zip(chunk).filter_map(|(c, n)| live(n, c)));
                }
                Err(status) if status.code() == Code::NotFound => {
                    for name in chunk {
                        if let Some(client) = self.client(name.trim_start_matches("clients/")).await? {
                            out.push(client);
                        }
                    }
                }
                Err(status) => return Err(unavailable(&status)),
            }
        }
        Ok(out)
    }

    /// The group of `clients/{id}` (`None` when the client does not exist).
    pub async fn group(&self, id: &str) -> ApiResult<Option<ClientGroup>> {
        let request = timed(GetClientGroupRequest { name: names::client_name(id) });
        match self.client.clone().get_client_group(request).await {
            Ok(reply) => Ok(Some(reply.into_inner())),
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => Err(unavailable(&status)),
        }
    }

    /// One page of live clients in id order.
    pub async fn list_clients(&self, page_size: i32, page_token: String) -> ApiResult<ListClientsResponse> {
        let request = ListClientsRequest { page_size, page_token, ..Default::default() };
        self.client
            .clone()
            .list_clients(timed(request))
            .await
            .map(tonic::Response::into_inner)
            .map_err(|s| unavailable(&s))
    }

    /// A raw handle (for following the profile's change feed).
    pub fn raw(&self) -> ProfileClient {
        self.client.clone()
    }
}
