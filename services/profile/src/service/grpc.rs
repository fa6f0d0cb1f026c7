//! The tonic adapter: each RPC takes the caller from the request, calls the application
//! and maps the outcome. No rules live here.

use std::sync::Arc;

use crm_kit::ApiResult;
use crm_proto::crm::profile::v1::{
    BatchGetClientsRequest, BatchGetClientsResponse, Client, ClientGroup, Contact, CreateClientRequest,
    CreateContactRequest, CreateFinancialStatementRequest, DeleteClientRequest, DeleteContactRequest,
    FinancialStatement, FindDuplicateClientsRequest, FindDuplicateClientsResponse, GetClientGroupRequest,
    GetClientRequest, Holding, ListClientRevisionsRequest, ListClientRevisionsResponse, ListClientsRequest,
    ListClientsResponse, ListContactsRequest, ListContactsResponse, ListFinancialStatementsRequest,
    ListFinancialStatementsResponse, ListHoldingsRequest, ListHoldingsResponse, LookupClientRequest,
    MergeClientsRequest, MergeClientsResponse, SearchClientsRequest, SearchClientsResponse, UndeleteClientRequest,
    UpdateClientRequest, UpdateContactRequest, UpsertHoldingRequest, WatchChangesRequest,
    client_profile_service_server::ClientProfileService,
};
use futures::{Stream, StreamExt};
use tonic::{Request, Response, Status};

use super::{Caller, DOMAIN, ProfileApp};
use crate::store::ProfileStore;

/// gRPC face of [`ProfileApp`].
pub struct ProfileGrpc<S> {
    app: Arc<ProfileApp<S>>,
}

impl<S> ProfileGrpc<S> {
    /// Wraps the application.
    pub fn new(app: Arc<ProfileApp<S>>) -> Self {
        Self { app }
    }
}

fn reply<T>(result: ApiResult<T>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(|err| err.into_status(DOMAIN))
}

type EventStream =
    std::pin::Pin<Box<dyn Stream<Item = Result<crm_proto::crm::profile::v1::ChangeEvent, Status>> + Send>>;

#[tonic::async_trait]
impl<S: ProfileStore> ClientProfileService for ProfileGrpc<S> {
    async fn create_client(&self, req: Request<CreateClientRequest>) -> Result<Response<Client>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.create_client(&caller, req.into_inner()).await)
    }

    async fn get_client(&self, req: Request<GetClientRequest>) -> Result<Response<Client>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.get_client(&caller, req.into_inner()).await)
    }

    async fn batch_get_clients(
        &self,
        req: Request<BatchGetClientsRequest>,
    ) -> Result<Response<BatchGetClientsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.batch_get_clients(&caller, req.into_inner()).await)
    }

    async fn list_clients(&self, req: Request<ListClientsRequest>) -> Result<Response<ListClientsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.list_clients(&caller, req.into_inner()).await)
    }

    async fn update_client(&self, req: Request<UpdateClientRequest>) -> Result<Response<Client>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.update_client(&caller, req.into_inner()).await)
    }

    async fn delete_client(&self, req: Request<DeleteClientRequest>) -> Result<Response<Client>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.delete_client(&caller, req.into_inner()).await)
    }

    async fn undelete_client(&self, req: Request<UndeleteClientRequest>) -> Result<Response<Client>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.undelete_client(&caller, req.into_inner()).await)
    }

    async fn lookup_client(&self, req: Request<LookupClientRequest>) -> Result<Response<Client>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.lookup_client(&caller, req.into_inner()).await)
    }

    async fn search_clients(
        &self,
        req: Request<SearchClientsRequest>,
    ) -> Result<Response<SearchClientsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.search_clients(&caller, req.into_inner()).await)
    }

    async fn find_duplicate_clients(
        &self,
        req: Request<FindDuplicateClientsRequest>,
    ) -> Result<Response<FindDuplicateClientsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.find_duplicate_clients(&caller, req.into_inner()).await)
    }

    async fn merge_clients(&self, req: Request<MergeClientsRequest>) -> Result<Response<MergeClientsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.merge_clients(&caller, req.into_inner()).await)
    }

    async fn list_client_revisions(
        &self,
        req: Request<ListClientRevisionsRequest>,
    ) -> Result<Response<ListClientRevisionsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.list_client_revisions(&caller, req.into_inner()).await)
    }

    async fn get_client_group(&self, req: Request<GetClientGroupRequest>) -> Result<Response<ClientGroup>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.get_client_group(&caller, req.into_inner()).await)
    }

    async fn update_contact(&self, req: Request<UpdateContactRequest>) -> Result<Response<Contact>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.update_contact(&caller, req.into_inner()).await)
    }

    async fn delete_contact(&self, req: Request<DeleteContactRequest>) -> Result<Response<Contact>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.delete_contact(&caller, req.into_inner()).await)
    }

    async fn create_contact(&self, req: Request<CreateContactRequest>) -> Result<Response<Contact>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.create_contact(&caller, req.into_inner()).await)
    }

    async fn list_contacts(&self, req: Request<ListContactsRequest>) -> Result<Response<ListContactsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.list_contacts(&caller, req.into_inner()).await)
    }

    async fn upsert_holding(&self, req: Request<UpsertHoldingRequest>) -> Result<Response<Holding>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.upsert_holding(&caller, req.into_inner()).await)
    }

    async fn list_holdings(&self, req: Request<ListHoldingsRequest>) -> Result<Response<ListHoldingsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.list_holdings(&caller, req.into_inner()).await)
    }

    async fn create_financial_statement(
        &self,
        req: Request<CreateFinancialStatementRequest>,
    ) -> Result<Response<FinancialStatement>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.create_statement(&caller, req.into_inner()).await)
    }

    async fn list_financial_statements(
        &self,
        req: Request<ListFinancialStatementsRequest>,
    ) -> Result<Response<ListFinancialStatementsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.list_statements(&caller, req.into_inner()).await)
    }

    type WatchChangesStream = EventStream;

    async fn watch_changes(&self, req: Request<WatchChangesRequest>) -> Result<Response<EventStream>, Status> {
        let caller = Caller::from_request(&req)?;
        let events = self.app.watch_changes(&caller, req.into_inner()).map_err(|err| err.into_status(DOMAIN))?;
        Ok(Response::new(Box::pin(events.map(|event| event.map_err(|err| err.into_status(DOMAIN))))))
    }
}
