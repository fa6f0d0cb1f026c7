//! The tonic adapter: each RPC takes the caller from the request, calls the application
//! and answers through the kit's `Replier` (which audits refusals). No rules live here.

use std::sync::Arc;

use crm_kit::reply::{Replier, StatusStream};
use crm_proto::crm::scoring::v1::{
    ChangeEvent, GetGroupValueRequest, GetScoringRunRequest, GetValueModelRequest, GetValueScoreRequest, GroupValue,
    ImportProfitabilityRequest, ImportProfitabilityResponse, ListProfitabilityRecordsRequest,
    ListProfitabilityRecordsResponse, ListValueScoresRequest, ListValueScoresResponse, LoanPriceQuote,
    ProfitabilityRecord, QuoteLoanPriceRequest, RecordProfitabilityRequest, ScoreClientRequest, ScorePortfolioRequest,
    ScoringRun, UpdateValueModelRequest, ValueModel, ValueScore, WatchChangesRequest,
    value_scoring_service_server::ValueScoringService,
};
use tonic::{Request, Response, Status};

use super::{Caller, ScoringApp};

/// gRPC face of [`ScoringApp`].
pub struct ScoringGrpc {
    app: Arc<ScoringApp>,
    replier: Replier,
}

impl ScoringGrpc {
    /// Serves `app`, answering through `replier`.
    pub fn new(app: Arc<ScoringApp>, replier: Replier) -> Self {
        Self { app, replier }
    }
}

#[tonic::async_trait]
impl ValueScoringService for ScoringGrpc {
    async fn get_value_model(&self, req: Request<GetValueModelRequest>) -> Result<Response<ValueModel>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.get_value_model(&caller, req.into_inner()).await).await
    }

    async fn update_value_model(&self, req: Request<UpdateValueModelRequest>) -> Result<Response<ValueModel>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.update_value_model(&caller, req.into_inner()).await).await
    }

    async fn record_profitability(
        &self,
        req: Request<RecordProfitabilityRequest>,
    ) -> Result<Response<ProfitabilityRecord>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.record_profitability(&caller, req.into_inner()).await).await
    }

    async fn import_profitability(
        &self,
        req: Request<ImportProfitabilityRequest>,
    ) -> Result<Response<ImportProfitabilityResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.import_profitability(&caller, req.into_inner()).await).await
    }

    async fn list_profitability_records(
        &self,
        req: Request<ListProfitabilityRecordsRequest>,
    ) -> Result<Response<ListProfitabilityRecordsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.list_profitability(&caller, req.into_inner()).await).await
    }

    async fn score_client(&self, req: Request<ScoreClientRequest>) -> Result<Response<ValueScore>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.score_client(&caller, req.into_inner()).await).await
    }

    async fn get_value_score(&self, req: Request<GetValueScoreRequest>) -> Result<Response<ValueScore>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.get_value_score(&caller, req.into_inner()).await).await
    }

    async fn list_value_scores(
        &self,
        req: Request<ListValueScoresRequest>,
    ) -> Result<Response<ListValueScoresResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.list_value_scores(&caller, req.into_inner()).await).await
    }

    async fn score_portfolio(&self, req: Request<ScorePortfolioRequest>) -> Result<Response<ScoringRun>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.score_portfolio(&caller, req.into_inner()).await).await
    }

    async fn get_scoring_run(&self, req: Request<GetScoringRunRequest>) -> Result<Response<ScoringRun>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.get_scoring_run(&caller, req.into_inner()).await).await
    }

    async fn get_group_value(&self, req: Request<GetGroupValueRequest>) -> Result<Response<GroupValue>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.get_group_value(&caller, req.into_inner()).await).await
    }

    async fn quote_loan_price(&self, req: Request<QuoteLoanPriceRequest>) -> Result<Response<LoanPriceQuote>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.quote_loan_price(&caller, req.into_inner()).await).await
    }

    type WatchChangesStream = StatusStream<ChangeEvent>;

    async fn watch_changes(
        &self,
        req: Request<WatchChangesRequest>,
    ) -> Result<Response<StatusStream<ChangeEvent>>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.stream(&caller, "feeds/scoring", self.app.watch_changes(&caller, req.into_inner())).await
    }
}
