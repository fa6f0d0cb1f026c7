//! One request of any scenario, as data: the gRPC and REST callers each know how to send it,
//! so a scenario is written once and measured over every path.

use crm_proto::crm::{
    gateway::v1::GetClient360Request,
    interaction::v1::{LogInteractionRequest, OpenCaseRequest},
    profile::v1::{GetClientRequest, ListClientsRequest, LookupClientRequest, SearchClientsRequest},
};

/// One request.
#[derive(Clone, Debug)]
pub enum Call {
    /// `grpc.health.v1.Health/Check` of the server called (no token, no database).
    Health,
    /// `ClientProfileService/GetClient`.
    GetClient(GetClientRequest),
    /// `ClientProfileService/LookupClient`.
    Lookup(LookupClientRequest),
    /// `ClientProfileService/SearchClients`.
    Search(SearchClientsRequest),
    /// `ClientProfileService/ListClients`.
    List(ListClientsRequest),
    /// `ClientViewService/GetClient360` (the gateway's own RPC).
    View360(GetClient360Request),
    /// `InteractionService/LogInteraction`.
    LogInteraction(LogInteractionRequest),
    /// `InteractionService/OpenCase`.
    OpenCase(OpenCaseRequest),
}

/// Why a call failed: the gRPC code name (`NOT_FOUND`), as REST errors carry it too, or
/// `TRANSPORT` / `HTTP <status>` when there was no gRPC status to read.
pub type Failure = String;

/// The gRPC code name of a status, as the JSON record counts errors.
pub fn code_of(status: &tonic::Status) -> Failure {
    crm_gateway::rest::error::code_name(status.code()).to_owned()
}
