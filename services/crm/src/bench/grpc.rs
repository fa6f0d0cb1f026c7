//! The gRPC caller: typed clients over shared HTTP/2 channels, straight to the services
//! (`--via direct`) or all through the gateway (`--via gateway`).

use crm_kit::auth::Bearer;
use crm_proto::crm::{
    gateway::v1::client_view_service_client::ClientViewServiceClient,
    interaction::v1::interaction_service_client::InteractionServiceClient,
    profile::v1::client_profile_service_client::ClientProfileServiceClient,
};
use tonic::{service::interceptor::InterceptedService, transport::Channel};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

use super::call::{Call, Failure, code_of};

type Authed = InterceptedService<Channel, Bearer>;

/// Where each kind of call goes.
#[derive(Clone, Debug)]
pub struct GrpcRoutes {
    /// Serves ClientProfileService (the profile service, or the gateway).
    pub profile: Channel,
    /// Serves InteractionService.
    pub interaction: Channel,
    /// Serves ClientViewService (only the gateway does).
    pub gateway: Channel,
    /// The server whose health is checked, and the service name asked about.
    pub health: (Channel, &'static str),
}

/// Typed clients presenting one bearer token.
#[derive(Clone)]
pub struct GrpcCaller {
    health: HealthClient<Channel>,
    health_service: &'static str,
    profiles: ClientProfileServiceClient<Authed>,
    views: ClientViewServiceClient<Authed>,
    interactions: InteractionServiceClient<Authed>,
}

impl GrpcCaller {
    /// Clients over `routes` presenting `bearer`.
    pub fn new(routes: &GrpcRoutes, bearer: &Bearer) -> Self {
        let authed = |channel: &Channel| InterceptedService::new(channel.clone(), bearer.clone());
        Self {
            health: HealthClient::new(routes.health.0.clone()),
            health_service: routes.health.1,
            profiles: ClientProfileServiceClient::new(authed(&routes.profile)),
            views: ClientViewServiceClient::new(authed(&routes.gateway)),
            interactions: InteractionServiceClient::new(authed(&routes.interaction)),
        }
    }

    /// Sends `call`; the reply is decoded (as a real client would) and dropped.
    pub async fn call(&mut self, call: Call) -> Result<(), Failure> {
        let result = match call {
            Call::Health => {
                let request = HealthCheckRequest { service: self.health_service.to_owned() };
                let reply = self.health.check(request).await.map_err(|s| code_of(&s))?.into_inner();
                // A server that answers NOT_SERVING is not a floor worth measuring.
                return if reply.status == ServingStatus::Serving as i32 { Ok(()) } else { Err("NOT_SERVING".into()) };
            }
            Call::GetClient(request) => self.profiles.get_client(request).await.map(drop),
            Call::Lookup(request) => self.profiles.lookup_client(request).await.map(drop),
            Call::Search(request) => self.profiles.search_clients(request).await.map(drop),
            Call::List(request) => self.profiles.list_clients(request).await.map(drop),
            Call::View360(request) => self.views.get_client360(request).await.map(drop),
            Call::LogInteraction(request) => self.interactions.log_interaction(request).await.map(drop),
            Call::OpenCase(request) => self.interactions.open_case(request).await.map(drop),
        };
        result.map_err(|status| code_of(&status))
    }
}
