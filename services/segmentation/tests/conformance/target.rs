//! Conformance: target-market evaluation and selection.

use crm_kit::auth::Role;
use crm_proto::crm::segmentation::v1::{
    AttractivenessWeights, EvaluateTargetMarketsRequest, MarketingMix, SegmentOutlook, SelectTargetMarketsRequest,
};
use tonic::Code;

use crate::{
    activate, plan, portfolio,
    support::{TestApp, conformance, violations},
};

conformance!(target_markets_are_scored_with_their_inputs_and_selected, async |app: &TestApp| {
    portfolio(app).await;
    let (scheme, _) = activate(app, plan()).await;
    let segment = |id: &str| format!("{}/segments/{id}", scheme.name);
    let profit_only = Some(AttractivenessWeights { profit: 2.0, market: 0.0, internal: 0.0 });
    let request = EvaluateTargetMarketsRequest {
        name: scheme.name.clone(),
        weights: profit_only,
        outlooks: vec![SegmentOutlook {
            segment: segment("large"),
            competitor_strength: Some(0.2),
            external_climate: Some(0.6),
            ..Default::default()
        }],
        risk_appetite: None,
    };
    let reply = app.seg_as(Role::RiskAnalyst, "ra-1").evaluate_target_markets(request).await.expect("evaluate");
    let reply = reply.into_inner();
    assert_eq!(reply.weights.as_ref().map(|w| w.profit), Some(1.0), "weights are normalised");
    let order: Vec<&str> = reply.evaluations.iter().map(|e| e.segment.rsplit('/').next().unwrap_or_default()).collect();
    // Each level on its own: a parent never competes with its sub-segments.
    assert_eq!(order, ["finance", "large", "big", "traders"], "level by level, then by size and name");
    let ranks: Vec<(i32, i32)> = reply.evaluations.iter().map(|e| (e.level, e.rank_in_level)).collect();
    assert_eq!(ranks, [(1, 1), (1, 2), (2, 1), (2, 2)]);
    let finance = &reply.evaluations[0];
    let profit = finance.profit.as_ref().expect("profit");
    assert_eq!(finance.attractiveness, 1.0);
    assert_eq!(profit.inputs.len(), 1, "no value scores yet: size only");
    assert!(profit.inputs[0].source.contains("(3 / 3)"), "{}", profit.inputs[0].source);
    assert!(finance.missing_inputs.iter().any(|m| m.starts_with("revenue")), "{:?}", finance.missing_inputs);
    assert!(finance.confidence < 0.5, "most inputs unknown: {}", finance.confidence);
    let large = reply.evaluations.iter().find(|e| e.segment == segment("large")).expect("large");
    let market = large.market.as_ref().expect("market");
    let inputs: Vec<(&str, f64)> = market.inputs.iter().map(|i| (i.name.as_str(), i.value)).collect();
    assert_eq!(inputs, [("unmet_demand", 0.75), ("competitor_weakness", 0.8), ("external_climate", 0.6)]);
    assert!((market.score - (0.75 + 0.8 + 0.6) / 3.0).abs() < 1e-12);
    let reach = &large.internal.as_ref().expect("internal").inputs[0];
    assert_eq!((reach.name.as_str(), reach.value), ("reach", 0.0), "an RM but no consented channel");

    let bad = EvaluateTargetMarketsRequest {
        name: scheme.name.clone(),
        weights: None,
        outlooks: vec![SegmentOutlook {
            segment: "schemes/x/segments/y".into(),
            unmet_demand: Some(1.5),
            ..Default::default()
        }],
        risk_appetite: None,
    };
    let err = app.analyst().evaluate_target_markets(bad).await.expect_err("bad outlook");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violations(&err), ["outlooks[0].segment", "outlooks[0].unmet_demand"]);

    let mix = MarketingMix {
        products: vec!["TRADE_FINANCE".into(), "CASH_MANAGEMENT".into()],
        price: "risk-based: QuoteLoanPrice floor plus 50 bp".into(),
        promotion: "industry seminars and RM visits".into(),
        channels: vec!["RM_VISIT".into(), "ONLINE".into()],
        responsible_team: "Heavy industry desk".into(),
    };
    let mut select = SelectTargetMarketsRequest {
        name: scheme.name.clone(),
        etag: scheme.etag.clone(),
        segments: vec![segment("large")],
        weights: profit_only,
        outlooks: Vec::new(),
        rationale: "steel and logistics: few competitors, good grades".into(),
        marketing_mixes: Default::default(),
        risk_appetite: None,
    };
    let err = app.analyst().select_target_markets(select.clone()).await.expect_err("no marketing mix");
    assert_eq!(violations(&err), [format!("marketing_mixes[{}]", segment("large"))]);
    select.marketing_mixes.insert(segment("large"), mix.clone());
    let denied = app.seg_as(Role::RelationshipManager, "rm-1").select_target_markets(select.clone()).await;
    assert_eq!(denied.expect_err("denied").code(), Code::PermissionDenied);
    let chosen = app.analyst().select_target_markets(select.clone()).await.expect("select").into_inner();
    assert_eq!(chosen.target_markets.len(), 1);
    let market = &chosen.target_markets[0];
    assert_eq!((market.segment.as_str(), market.selector.as_str()), (segment("large").as_str(), "ma-1"));
    assert!(market.evaluation.as_ref().is_some_and(|e| e.member_count == 1));
    assert_eq!(market.marketing_mix.as_ref(), Some(&mix));
    let stale = app.analyst().select_target_markets(select).await.expect_err("stale etag");
    assert_eq!(stale.code(), Code::Aborted);
});
