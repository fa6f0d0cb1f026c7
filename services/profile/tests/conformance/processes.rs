//! The lifecycle as a process (allowed moves only, each a revision) and the ratios of
//! statements that leave amounts out or cover part of a year.

use crm_proto::{
    crm::profile::v1::{
        Client, CreateFinancialStatementRequest, FinancialStatement, LifecycleStage, ListClientRevisionsRequest,
        ListFinancialStatementsRequest, UpdateClientRequest,
    },
    google::r#type::Money,
};
use tonic::Code;
use tonic_types::StatusExt;

use super::{create, mask, new_client};
use crate::support::{TestApp, conformance, reason};

fn stage_update(name: &str, stage: LifecycleStage) -> UpdateClientRequest {
    UpdateClientRequest {
        client: Some(Client { name: name.to_owned(), lifecycle_stage: stage as i32, ..Default::default() }),
        update_mask: mask(&["lifecycle_stage"]),
    }
}

conformance!(lifecycle_moves_only_along_allowed_transitions_each_recorded, async |app: &TestApp| {
    let mut admin = app.admin();
    let client = Client { lifecycle_stage: LifecycleStage::Target as i32, ..new_client("Stage Co", "LC1") };
    let c = admin.create_client(create(client)).await.expect("create").into_inner();
    for stage in [LifecycleStage::Prospect, LifecycleStage::Active, LifecycleStage::AtRisk, LifecycleStage::Exiting] {
        let moved = admin.update_client(stage_update(&c.name, stage)).await.expect("allowed move").into_inner();
        assert_eq!(moved.lifecycle_stage, stage as i32);
    }
    let refused = admin.update_client(stage_update(&c.name, LifecycleStage::Prospect)).await.expect_err("backwards");
    assert_eq!(
        (refused.code(), reason(&refused).as_str()),
        (Code::FailedPrecondition, "LIFECYCLE_TRANSITION_NOT_ALLOWED")
    );
    let info = refused.get_details_error_info().expect("ErrorInfo");
    assert_eq!((info.metadata["from"].as_str(), info.metadata["to"].as_str()), ("EXITING", "PROSPECT"));
    assert_eq!(info.metadata["allowed"], "ACTIVE,AT_RISK,EXITED");
    admin.update_client(stage_update(&c.name, LifecycleStage::Exited)).await.expect("closed");
    let reopened = admin.update_client(stage_update(&c.name, LifecycleStage::Active)).await.expect_err("closed stays");
    assert_eq!(reopened.code(), Code::FailedPrecondition);

    let revisions = admin
        .list_client_revisions(ListClientRevisionsRequest { name: c.name.clone(), ..Default::default() })
        .await
        .expect("revisions")
        .into_inner()
        .revisions;
    let stages: Vec<i32> = revisions
        .iter()
        .rev()
        .filter(|r| r.revision == 1 || r.changed_fields.iter().any(|f| f == "lifecycle_stage"))
        .map(|r| r.client.as_ref().map_or(0, |c| c.lifecycle_stage))
        .collect();
    use LifecycleStage::*;
    let expected = [Target, Prospect, Active, AtRisk, Exiting, Exited].map(|s| s as i32);
    assert_eq!(stages, expected, "every move is a revision, refused ones are not");
    assert!(revisions.iter().all(|r| r.actor == "admin-1"), "each with who moved it");
});

conformance!(statement_ratios_never_take_a_missing_amount_as_zero_and_annualise_interims, async |app: &TestApp| {
    let mut admin = app.admin();
    let c = admin.create_client(create(new_client("Half Year Co", "HY1"))).await.expect("c").into_inner();
    let gbp = |units| Some(Money { currency_code: "GBP".into(), units, nanos: 0 });
    let statement = |period: &str, day: i64, debt: Option<Money>| FinancialStatement {
        period: period.into(),
        period_end_time: Some(prost_types::Timestamp { seconds: 1_767_139_200 + day * 86_400, nanos: 0 }),
        revenue: gbp(500),
        ebitda: gbp(100),
        total_debt: debt,
        cash: gbp(100),
        total_equity: gbp(250),
        operating_cash_flow: gbp(75),
        interest_expense: gbp(20),
        ..Default::default()
    };
    for s in [statement("FY2025", 0, None), statement("2026-H1", 181, gbp(500))] {
        let request = CreateFinancialStatementRequest { parent: c.name.clone(), financial_statement: Some(s) };
        admin.create_financial_statement(request).await.expect("statement");
    }
    let listed = admin
        .list_financial_statements(ListFinancialStatementsRequest { parent: c.name.clone(), ..Default::default() })
        .await
        .expect("list")
        .into_inner()
        .financial_statements;
    let ratios: Vec<_> = listed.iter().map(|s| s.ratios.clone().expect("ratios")).collect();
    let (half, year) = (&ratios[0], &ratios[1]);
    assert_eq!(year.leverage, None, "no debt stated is not zero debt");
    assert_eq!(year.absent_reasons["leverage"], "total_debt is missing");
    assert_eq!(year.absent_reasons["net_debt"], "total_debt is missing");
    assert_eq!((year.interest_cover, year.period_months), (Some(5.0), 12));
    assert_eq!(half.period_months, 6);
    assert_eq!(half.leverage, Some(2.5), "500 / (100 × 12 / 6)");
    assert_eq!(half.net_leverage, Some(2.0), "(500 − 100) / 200");
    assert_eq!(half.cash_flow_to_debt, Some(0.3), "75 × 2 / 500");
    assert_eq!(half.debt_to_equity, Some(2.0));
    assert_eq!(half.net_debt, gbp(400));
    let absent: Vec<_> = half.absent_reasons.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    assert_eq!(absent, ["current_ratio: current_assets is missing; current_liabilities is missing"]);
});
