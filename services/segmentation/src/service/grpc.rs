//! The tonic adapter: each RPC takes the caller from the request, calls the application
//! and answers through the [`Replier`]. No rules live here.

use std::sync::Arc;

use crm_kit::reply::Replier;
use crm_proto::crm::segmentation::v1::{
    ActivateSchemeRequest, Activation, CreateSchemeRequest, EvaluateTargetMarketsRequest,
    EvaluateTargetMarketsResponse, GetActivationRequest, GetClientSegmentsRequest, GetClientSegmentsResponse,
    GetSchemeReportRequest, GetSchemeRequest, ListSchemesRequest, ListSchemesResponse, ListSegmentMembersRequest,
    ListSegmentMembersResponse, PreviewSchemeRequest, RetireSchemeRequest, Scheme, SchemeReport,
    SelectTargetMarketsRequest, UpdateSchemeRequest, segmentation_service_server::SegmentationService,
};
use tonic::{Request, Response, Status};

use super::{Caller, SegmentationApp};

/// gRPC face of [`SegmentationApp`].
#[derive(Debug)]
pub struct SegmentationGrpc {
    app: Arc<SegmentationApp>,
    replier: Replier,
}

impl SegmentationGrpc {
    /// The application answering through `replier` (which audits refusals).
    pub fn new(app: Arc<SegmentationApp>, replier: Replier) -> Self {
        Self { app, replier }
    }
}

#[tonic::async_trait]
impl SegmentationService for SegmentationGrpc {
    async fn create_scheme(&self, req: Request<CreateSchemeRequest>) -> Result<Response<Scheme>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.create_scheme(&caller, req.into_inner()).await).await
    }

    async fn get_scheme(&self, req: Request<GetSchemeRequest>) -> Result<Response<Scheme>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.get_scheme(&caller, req.into_inner()).await).await
    }

    async fn list_schemes(&self, req: Request<ListSchemesRequest>) -> Result<Response<ListSchemesResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.list_schemes(&caller, req.into_inner()).await).await
    }

    async fn update_scheme(&self, req: Request<UpdateSchemeRequest>) -> Result<Response<Scheme>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.update_scheme(&caller, req.into_inner()).await).await
    }

    async fn preview_scheme(&self, req: Request<PreviewSchemeRequest>) -> Result<Response<SchemeReport>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.preview_scheme(&caller, req.into_inner()).await).await
    }

    async fn activate_scheme(&self, req: Request<ActivateSchemeRequest>) -> Result<Response<Activation>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.activate_scheme(&caller, req.into_inner()).await).await
    }

    async fn get_activation(&self, req: Request<GetActivationRequest>) -> Result<Response<Activation>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.get_activation(&caller, req.into_inner()).await).await
    }

    async fn retire_scheme(&self, req: Request<RetireSchemeRequest>) -> Result<Response<Scheme>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.retire_scheme(&caller, req.into_inner()).await).await
    }

    async fn get_client_segments(
        &self,
        req: Request<GetClientSegmentsRequest>,
    ) -> Result<Response<GetClientSegmentsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.get_client_segments(&caller, req.into_inner()).await).await
    }

    async fn list_segment_members(
        &self,
        req: Request<ListSegmentMembersRequest>,
    ) -> Result<Response<ListSegmentMembersResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.list_segment_members(&caller, req.into_inner()).await).await
    }

    async fn get_scheme_report(&self, req: Request<GetSchemeReportRequest>) -> Result<Response<SchemeReport>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.get_scheme_report(&caller, req.into_inner()).await).await
    }

    async fn evaluate_target_markets(
        &self,
        req: Request<EvaluateTargetMarketsRequest>,
    ) -> Result<Response<EvaluateTargetMarketsResponse>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.evaluate_target_markets(&caller, req.into_inner()).await).await
    }

    async fn select_target_markets(
        &self,
        req: Request<SelectTargetMarketsRequest>,
    ) -> Result<Response<Scheme>, Status> {
        let caller = Caller::from_request(&req)?;
        self.replier.unary(&caller, self.app.select_target_markets(&caller, req.into_inner()).await).await
    }
}
