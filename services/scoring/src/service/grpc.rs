//! The tonic adapter: each RPC takes the caller from the request, calls the application
//! and maps the outcome. No rules live here.

use std::sync::Arc;

use crm_kit::ApiResult;
use crm_proto::crm::scoring::v1::{
    ChangeEvent, GetGroupValueRequest, GetScoringRunRequest, GetValueModelRequest, GetValueScoreRequest, GroupValue,
    ImportProfitabilityRequest, ImportProfitabilityResponse, ListProfitabilityRecordsRequest,
    ListProfitabilityRecordsResponse, ListValueScoresRequest, ListValueScoresResponse, LoanPriceQuote,
    ProfitabilityRecord, QuoteLoanPriceRequest, RecordProfitabilityRequest, ScoreClientRequest, ScorePortfolioRequest,
    ScoringRun, UpdateValueModelRequest, ValueModel, ValueScore, WatchChangesRequest,
    value_scoring_service_server::ValueScoringService,
};
use futures::{Stream, StreamExt};
use tonic::{Request, Response, Status};

use super::{Caller, DOMAIN, ScoringApp};
use crate::store::ScoringStore;

/// gRPC face of [`ScoringApp`].
pub struct ScoringGrpc<S> {
    app: Arc<ScoringApp<S>>,
}

impl<S> ScoringGrpc<S> {
    /// Wraps the application.
    pub fn new(app: Arc<ScoringApp<S>>) -> Self {
        Self { app }
    }
}

fn reply<T>(result: ApiResult<T>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(|err| err.into_status(DOMAIN))
}

type EventStream = std::pin::Pin<Box<dyn Stream<Item = Result<ChangeEvent, Status>> + Send>>;

#[tonic::async_trait]
impl<S: ScoringStore> ValueScoringService for ScoringGrpc<S> {
    async fn get_value_model(&self, req: Request<GetValueModelRequest>) -> Result<Response<ValueModel>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.get_value_model(&caller, req.into_inner()).await)
    }

    async fn update_value_model(&self, req: Request<UpdateValueModelRequest>) -> Result<Response<ValueModel>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.update_value_model(&caller, req.into_inner()).await)
    }

    async fn record_profitability(
        &self,
        req: Request<RecordProfitabilityRequest>,
    ) -> Result<Response<ProfitabilityRecord>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.record_profitability(&caller, req.into_inner()).await)
    }

    async fn import_profitability(
        &self,
        req: Request<ImportProfitabilityRequest>,
    ) -> Result<Response<ImportProfitabilityResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.import_profitability(&caller, req.into_inner()).await)
    }

    async fn list_profitability_records(
        &self,
        req: Request<ListProfitabilityRecordsRequest>,
    ) -> Result<Response<ListProfitabilityRecordsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.list_profitability(&caller, req.into_inner()).await)
    }

    async fn score_client(&self, req: Request<ScoreClientRequest>) -> Result<Response<ValueScore>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.score_client(&caller, req.into_inner()).await)
    }

    async fn get_value_score(&self, req: Request<GetValueScoreRequest>) -> Result<Response<ValueScore>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.get_value_score(&caller, req.into_inner()).await)
    }

    async fn list_value_scores(
        &self,
        req: Request<ListValueScoresRequest>,
    ) -> Result<Response<ListValueScoresResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.list_value_scores(&caller, req.into_inner()).await)
    }

    async fn score_portfolio(&self, req: Request<ScorePortfolioRequest>) -> Result<Response<ScoringRun>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.score_portfolio(&caller, req.into_inner()).await)
    }

    async fn get_scoring_run(&self, req: Request<GetScoringRunRequest>) -> Result<Response<ScoringRun>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.get_scoring_run(&caller, req.into_inner()).await)
    }

    async fn get_group_value(&self, req: Request<GetGroupValueRequest>) -> Result<Response<GroupValue>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.get_group_value(&caller, req.into_inner()).await)
    }

    async fn quote_loan_price(&self, req: Request<QuoteLoanPriceRequest>) -> Result<Response<LoanPriceQuote>, Status> {
        let caller = Caller::from_request(&req)?;
        reply(self.app.quote_loan_price(&caller, req.into_inner()).await)
    }

    type WatchChangesStream = EventStream;

    async fn watch_changes(&self, req: Request<WatchChangesRequest>) -> Result<Response<EventStream>, Status> {
        let caller = Caller::from_request(&req)?;
        let events = self.app.watch_changes(&caller, req.into_inner()).map_err(|err| err.into_status(DOMAIN))?;
        Ok(Response::new(Box::pin(events.map(|event| event.map_err(|err| err.into_status(DOMAIN))))))
    }
}
