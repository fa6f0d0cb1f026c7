//! EvaluateTargetMarkets and SelectTargetMarkets.

use crm_kit::{ApiError, ApiResult, Violations, time};
use crm_proto::crm::segmentation::v1::{
    EvaluateTargetMarketsRequest, EvaluateTargetMarketsResponse, Scheme, SchemeState, SelectTargetMarketsRequest,
    TargetMarket,
};

use super::{
    Caller, SegmentationApp, require_manager,
    schemes::{check_etag, not_in_state},
};
use crate::domain::{names, policy, target};

impl SegmentationApp {
    /// EvaluateTargetMarkets: every segment of an ACTIVE scheme, most attractive first.
    pub async fn evaluate_target_markets(
        &self,
        caller: &Caller,
        req: EvaluateTargetMarketsRequest,
    ) -> ApiResult<EvaluateTargetMarketsResponse> {
        policy::can_evaluate(&caller.principal)?;
        let id = names::scheme_id("name", &req.name)?;
        let scheme = self.store.get_scheme(id).await?.ok_or_else(|| ApiError::not_found(&req.name))?;
        let weights = target::weights(req.weights.as_ref(), "weights")?;
        let m = self.materialised(&scheme).await?;
        let appetite = target::risk_appetite(req.risk_appetite.as_ref(), "risk_appetite")?;
        let outlooks = target::outlooks(&req.outlooks, &scheme.name, &m.compiled, "outlooks")?;
        let evaluations = target::evaluate(&scheme.name, &m.compiled, &m.assignments(), &weights, &outlooks, &appetite);
        Ok(EvaluateTargetMarketsResponse { evaluations, weights: Some(weights), risk_appetite: Some(appetite) })
    }

    /// SelectTargetMarkets: records the chosen segments with their evaluations on the scheme.
    pub async fn select_target_markets(&self, caller: &Caller, req: SelectTargetMarketsRequest) -> ApiResult<Scheme> {
        require_manager(caller, &req.name)?;
        let id = names::scheme_id("name", &req.name)?.to_owned();
        let scheme = self.store.get_scheme(&id).await?.ok_or_else(|| ApiError::not_found(&req.name))?;
        check_etag(&req.etag, &scheme)?;
        let weights = target::weights(req.weights.as_ref(), "weights")?;
        let appetite = target::risk_appetite(req.risk_appetite.as_ref(), "risk_appetite")?;
        let m = self.materialised(&scheme).await?;
        let outlooks = target::outlooks(&req.outlooks, &scheme.name, &m.compiled, "outlooks")?;
        let mut v = Violations::default();
        if req.segments.is_empty() {
            v.add("segments", "choose at least one segment");
        }
        if req.rationale.chars().count() > 4000 {
            v.add("rationale", "must be at most 4000 characters");
        }
        let evaluations = target::evaluate(&scheme.name, &m.compiled, &m.assignments(), &weights, &outlooks, &appetite);
        for segment in req.marketing_mixes.keys().filter(|k| !req.segments.contains(k)) {
            v.add(format!("marketing_mixes[{segment}]"), "is not one of the chosen segments");
        }
        let now = Some(time::to_timestamp(time::now_micros()));
        let mut chosen: Vec<TargetMarket> = Vec::new();
        for (i, segment) in req.segments.iter().enumerate() {
            match evaluations.iter().find(|e| &e.segment == segment) {
                None => v.add(format!("segments[{i}]"), format!("is not a segment of {}", scheme.name)),
                Some(_) if chosen.iter().any(|c| &c.segment == segment) => {
                    v.add(format!("segments[{i}]"), "is listed twice");
                }
                Some(evaluation) => chosen.push(TargetMarket {
                    marketing_mix: {
                        let mix = req.marketing_mixes.get(segment);
                        target::check_mix(mix, &format!("marketing_mixes[{segment}]"), &mut v);
                        mix.cloned()
                    },
                    segment: segment.clone(),
                    evaluation: Some(evaluation.clone()),
                    rationale: req.rationale.clone(),
                    selector: caller.principal.subject.clone(),
                    select_time: now,
                }),
            }
        }
        v.check()?;
        let etag = req.etag;
        self.store
            .update_scheme(caller.write(), &id, false, move |mut current: Scheme| {
                check_etag(&etag, &current)?;
                if current.state != SchemeState::Active as i32 {
                    return Err(not_in_state(&current, "ACTIVE"));
                }
                current.target_markets = chosen;
                Ok(current)
            })
            .await
    }
}
