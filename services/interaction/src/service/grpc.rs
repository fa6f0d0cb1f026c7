//! The tonic adapter: each RPC takes the caller from the request and answers with what the
//! application returns, through the [`Replier`] (which audits refusals). No rules live here.

use std::sync::Arc;

use crm_kit::reply::{Replier, StatusStream};
use crm_proto::crm::interaction::v1::{
    AccountPlan, Case, ChangeEvent, ChannelPreference, Contactability, ContentItem, CreateAccountPlanRequest,
    CreateContentItemRequest, DecideExitReviewRequest, ExitReview, GetCaseRequest, GetContactabilityRequest,
    GetContentItemRequest, GetExitReviewRequest, GetInteractionRequest, Interaction, ListAccountPlansRequest,
    ListAccountPlansResponse, ListCasesRequest, ListCasesResponse, ListChannelPreferencesRequest,
    ListChannelPreferencesResponse, ListExitReviewsRequest, ListExitReviewsResponse, ListInteractionsRequest,
    ListInteractionsResponse, ListRecommendationsRequest, ListRecommendationsResponse, LogInteractionRequest,
    OpenCaseRequest, RenderContentRequest, RenderedContent, SetChannelPreferenceRequest, StreamTimelineRequest,
    TimelineEvent, UpdateAccountPlanRequest, UpdateCaseRequest, UpdateContentItemRequest, WatchChangesRequest,
    interaction_service_server::InteractionService,
};
use tonic::{Request, Response, Status};

use super::{Caller, InteractionApp};

/// gRPC face of [`InteractionApp`].
#[derive(Debug)]
pub struct InteractionGrpc {
    app: Arc<InteractionApp>,
    replier: Replier,
}

impl InteractionGrpc {
    /// Serves `app`, answering through `replier`.
    pub fn new(app: Arc<InteractionApp>, replier: Replier) -> Self {
        Self { app, replier }
    }
}

#[tonic::async_trait]
impl InteractionService for InteractionGrpc {
    async fn log_interaction(&self, req: Request<LogInteractionRequest>) -> Result<Response<Interaction>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.log_interaction(&caller, req.into_inner()).await).await
    }

    async fn get_interaction(&self, req: Request<GetInteractionRequest>) -> Result<Response<Interaction>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.get_interaction(&caller, req.into_inner()).await).await
    }

    async fn list_interactions(
        &self,
        req: Request<ListInteractionsRequest>,
    ) -> Result<Response<ListInteractionsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.list_interactions(&caller, req.into_inner()).await).await
    }

    type StreamTimelineStream = StatusStream<TimelineEvent>;

    async fn stream_timeline(
        &self,
        req: Request<StreamTimelineRequest>,
    ) -> Result<Response<Self::StreamTimelineStream>, Status> {
        let caller = Caller::from_request(&req)?;
        let client = req.get_ref().parent.clone();
        self.replier.stream(&caller, &client, self.app.stream_timeline(&caller, req.into_inner()).await).await
    }

    async fn open_case(&self, req: Request<OpenCaseRequest>) -> Result<Response<Case>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.open_case(&caller, req.into_inner()).await).await
    }

    async fn get_case(&self, req: Request<GetCaseRequest>) -> Result<Response<Case>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.get_case(&caller, req.into_inner()).await).await
    }

    async fn update_case(&self, req: Request<UpdateCaseRequest>) -> Result<Response<Case>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.update_case(&caller, req.into_inner()).await).await
    }

    async fn list_cases(&self, req: Request<ListCasesRequest>) -> Result<Response<ListCasesResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.list_cases(&caller, req.into_inner()).await).await
    }

    async fn set_channel_preference(
        &self,
        req: Request<SetChannelPreferenceRequest>,
    ) -> Result<Response<ChannelPreference>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.set_channel_preference(&caller, req.into_inner()).await).await
    }

    async fn list_channel_preferences(
        &self,
        req: Request<ListChannelPreferencesRequest>,
    ) -> Result<Response<ListChannelPreferencesResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.list_channel_preferences(&caller, req.into_inner()).await).await
    }

    async fn get_contactability(
        &self,
        req: Request<GetContactabilityRequest>,
    ) -> Result<Response<Contactability>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.get_contactability(&caller, req.into_inner()).await).await
    }

    async fn list_recommendations(
        &self,
        req: Request<ListRecommendationsRequest>,
    ) -> Result<Response<ListRecommendationsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.list_recommendations(&caller, req.into_inner()).await).await
    }

    async fn create_content_item(
        &self,
        req: Request<CreateContentItemRequest>,
    ) -> Result<Response<ContentItem>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.create_content_item(&caller, req.into_inner()).await).await
    }

    async fn get_content_item(&self, req: Request<GetContentItemRequest>) -> Result<Response<ContentItem>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.get_content_item(&caller, req.into_inner()).await).await
    }

    async fn update_content_item(
        &self,
        req: Request<UpdateContentItemRequest>,
    ) -> Result<Response<ContentItem>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.update_content_item(&caller, req.into_inner()).await).await
    }

    async fn render_content(&self, req: Request<RenderContentRequest>) -> Result<Response<RenderedContent>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.render_content(&caller, req.into_inner()).await).await
    }

    async fn create_account_plan(
        &self,
        req: Request<CreateAccountPlanRequest>,
    ) -> Result<Response<AccountPlan>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.create_account_plan(&caller, req.into_inner()).await).await
    }

    async fn update_account_plan(
        &self,
        req: Request<UpdateAccountPlanRequest>,
    ) -> Result<Response<AccountPlan>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.update_account_plan(&caller, req.into_inner()).await).await
    }

    async fn get_exit_review(&self, req: Request<GetExitReviewRequest>) -> Result<Response<ExitReview>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.get_exit_review(&caller, req.into_inner()).await).await
    }

    async fn list_exit_reviews(
        &self,
        req: Request<ListExitReviewsRequest>,
    ) -> Result<Response<ListExitReviewsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.list_exit_reviews(&caller, req.into_inner()).await).await
    }

    async fn decide_exit_review(&self, req: Request<DecideExitReviewRequest>) -> Result<Response<ExitReview>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.decide_exit_review(&caller, req.into_inner()).await).await
    }

    async fn list_account_plans(
        &self,
        req: Request<ListAccountPlansRequest>,
    ) -> Result<Response<ListAccountPlansResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.list_account_plans(&caller, req.into_inner()).await).await
    }

    type WatchChangesStream = StatusStream<ChangeEvent>;

    async fn watch_changes(
        &self,
        req: Request<WatchChangesRequest>,
    ) -> Result<Response<Self::WatchChangesStream>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.stream(&caller, "feeds/interaction", self.app.watch_changes(&caller, req.into_inner())).await
    }
}
