//! The tonic adapter: each RPC takes the caller from the request and answers with what the
//! application makes of it. No rules live here.

use std::sync::Arc;

use crm_kit::reply::{Replier, StatusStream};
use crm_proto::crm::profile::v1::{
    BatchGetClientsRequest, BatchGetClientsResponse, ChangeEvent, Client, ClientGroup, Contact, CreateClientRequest,
    CreateContactRequest, CreateFinancialStatementRequest, DeleteClientRequest, DeleteContactRequest,
    EraseClientRequest, FinancialStatement, FindDuplicateClientsRequest, FindDuplicateClientsResponse,
    GetClientGroupRequest, GetClientRequest, Holding, ImportClientsRequest, ImportClientsResponse,
    ListClientRevisionsRequest, ListClientRevisionsResponse, ListClientsRequest, ListClientsResponse,
    ListContactsRequest, ListContactsResponse, ListFinancialStatementsRequest, ListFinancialStatementsResponse,
    ListHoldingsRequest, ListHoldingsResponse, LookupClientRequest, MergeClientsRequest, MergeClientsResponse,
    SearchClientsRequest, SearchClientsResponse, UndeleteClientRequest, UpdateClientRequest, UpdateContactRequest,
    UpsertHoldingRequest, WatchChangesRequest, client_profile_service_server::ClientProfileService,
};
use tonic::{Request, Response, Status};

use super::{Caller, ProfileApp};

/// gRPC face of [`ProfileApp`].
pub struct ProfileGrpc {
    app: Arc<ProfileApp>,
    replier: Replier,
}

impl ProfileGrpc {
    /// Serves `app`, answering (and auditing refusals) through `replier`.
    pub fn new(app: Arc<ProfileApp>, replier: Replier) -> Self {
        Self { app, replier }
    }
}

#[tonic::async_trait]
impl ClientProfileService for ProfileGrpc {
    async fn create_client(&self, req: Request<CreateClientRequest>) -> Result<Response<Client>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.create_client(&caller, req.into_inner()).await).await
    }

    async fn import_clients(
        &self,
        req: Request<ImportClientsRequest>,
    ) -> Result<Response<ImportClientsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.import_clients(&caller, req.into_inner()).await).await
    }

    async fn get_client(&self, req: Request<GetClientRequest>) -> Result<Response<Client>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.get_client(&caller, req.into_inner()).await).await
    }

    async fn batch_get_clients(
        &self,
        req: Request<BatchGetClientsRequest>,
    ) -> Result<Response<BatchGetClientsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.batch_get_clients(&caller, req.into_inner()).await).await
    }

    async fn list_clients(&self, req: Request<ListClientsRequest>) -> Result<Response<ListClientsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.list_clients(&caller, req.into_inner()).await).await
    }

    async fn update_client(&self, req: Request<UpdateClientRequest>) -> Result<Response<Client>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.update_client(&caller, req.into_inner()).await).await
    }

    async fn delete_client(&self, req: Request<DeleteClientRequest>) -> Result<Response<Client>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.delete_client(&caller, req.into_inner()).await).await
    }

    async fn undelete_client(&self, req: Request<UndeleteClientRequest>) -> Result<Response<Client>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.undelete_client(&caller, req.into_inner()).await).await
    }

    async fn erase_client(&self, req: Request<EraseClientRequest>) -> Result<Response<Client>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.erase_client(&caller, req.into_inner()).await).await
    }

    async fn lookup_client(&self, req: Request<LookupClientRequest>) -> Result<Response<Client>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.lookup_client(&caller, req.into_inner()).await).await
    }

    async fn search_clients(
        &self,
        req: Request<SearchClientsRequest>,
    ) -> Result<Response<SearchClientsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.search_clients(&caller, req.into_inner()).await).await
    }

    async fn find_duplicate_clients(
        &self,
        req: Request<FindDuplicateClientsRequest>,
    ) -> Result<Response<FindDuplicateClientsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.find_duplicate_clients(&caller, req.into_inner()).await).await
    }

    async fn merge_clients(&self, req: Request<MergeClientsRequest>) -> Result<Response<MergeClientsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.merge_clients(&caller, req.into_inner()).await).await
    }

    async fn list_client_revisions(
        &self,
        req: Request<ListClientRevisionsRequest>,
    ) -> Result<Response<ListClientRevisionsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.list_client_revisions(&caller, req.into_inner()).await).await
    }

    async fn get_client_group(&self, req: Request<GetClientGroupRequest>) -> Result<Response<ClientGroup>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.get_client_group(&caller, req.into_inner()).await).await
    }

    async fn update_contact(&self, req: Request<UpdateContactRequest>) -> Result<Response<Contact>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.update_contact(&caller, req.into_inner()).await).await
    }

    async fn delete_contact(&self, req: Request<DeleteContactRequest>) -> Result<Response<Contact>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.delete_contact(&caller, req.into_inner()).await).await
    }

    async fn create_contact(&self, req: Request<CreateContactRequest>) -> Result<Response<Contact>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.create_contact(&caller, req.into_inner()).await).await
    }

    async fn list_contacts(&self, req: Request<ListContactsRequest>) -> Result<Response<ListContactsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.list_contacts(&caller, req.into_inner()).await).await
    }

    async fn upsert_holding(&self, req: Request<UpsertHoldingRequest>) -> Result<Response<Holding>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.upsert_holding(&caller, req.into_inner()).await).await
    }

    async fn list_holdings(&self, req: Request<ListHoldingsRequest>) -> Result<Response<ListHoldingsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.list_holdings(&caller, req.into_inner()).await).await
    }

    async fn create_financial_statement(
        &self,
        req: Request<CreateFinancialStatementRequest>,
    ) -> Result<Response<FinancialStatement>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.create_statement(&caller, req.into_inner()).await).await
    }

    async fn list_financial_statements(
        &self,
        req: Request<ListFinancialStatementsRequest>,
    ) -> Result<Response<ListFinancialStatementsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.list_statements(&caller, req.into_inner()).await).await
    }

    type WatchChangesStream = StatusStream<ChangeEvent>;

    async fn watch_changes(
        &self,
        req: Request<WatchChangesRequest>,
    ) -> Result<Response<Self::WatchChangesStream>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.stream(&caller, "feeds/profile", self.app.watch_changes(&caller, req.into_inner())).await
    }
}
