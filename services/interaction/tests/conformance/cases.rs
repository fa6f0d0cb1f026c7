//! Cases: SLA on opening, the state machine, optimistic concurrency, listing by state.

use crm_kit::time::from_timestamp;
use crm_proto::crm::interaction::v1::{
    Case, CaseCategory, CasePriority, CaseState, GetCaseRequest, ListCasesRequest, OpenCaseRequest, UpdateCaseRequest,
};
use prost_types::FieldMask;
use tonic::Code;

use crate::{
    HOUR, log, service_request,
    support::{Api, TestApp, conformance, reason, violations},
};

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask { paths: paths.iter().map(|p| (*p).to_owned()).collect() })
}

async fn open(api: &mut Api, client: &str, category: CaseCategory, priority: CasePriority) -> Case {
    let case = Case {
        title: "Payment of 12 May not received".into(),
        category: category as i32,
        priority: priority as i32,
        ..Default::default()
    };
    let request = OpenCaseRequest { parent: client.into(), case: Some(case), request_id: String::new() };
    api.open_case(request).await.expect("open").into_inner()
}

async fn move_to(api: &mut Api, case: &Case, state: CaseState, resolution: &str) -> Result<Case, tonic::Status> {
    let patch = Case {
        name: case.name.clone(),
        etag: case.etag.clone(),
        state: state as i32,
        resolution: resolution.into(),
        ..Default::default()
    };
    let paths: &[&str] = if resolution.is_empty() { &["state"] } else { &["state", "resolution"] };
    api.update_case(UpdateCaseRequest { case: Some(patch), update_mask: mask(paths) }).await.map(|r| r.into_inner())
}

conformance!(the_case_state_machine_and_stale_etags_are_enforced, async |app: &TestApp| {
    let client = app.new_client("Harbour Logistics", "rm-1").await;
    let mut agent = app.agent();
    let case = open(&mut agent, &client, CaseCategory::PaymentIssue, CasePriority::Urgent).await;
    assert_eq!(case.state, CaseState::Open as i32);
    assert_eq!((case.owner.as_str(), case.opened_by.as_str(), case.sla_hours), ("cc-1", "cc-1", 6));
    let opened = from_timestamp(case.create_time.as_ref().expect("create time"));
    assert_eq!(from_timestamp(case.due_time.as_ref().expect("due")) - opened, 6 * HOUR);

    let working = move_to(&mut agent, &case, CaseState::InProgress, "").await.expect("start work");
    let stale = move_to(&mut agent, &case, CaseState::InProgress, "").await.expect_err("stale etag");
    assert_eq!(stale.code(), Code::Aborted);
    assert_eq!(reason(&stale), "ETAG_MISMATCH");

    let err = move_to(&mut agent, &working, CaseState::Resolved, "").await.expect_err("needs a resolution");
    assert_eq!(violations(&err), ["case.resolution"]);
    let resolved =
        move_to(&mut agent, &working, CaseState::Resolved, "Payment traced and re-sent").await.expect("resolve");
    let closed = move_to(&mut agent, &resolved, CaseState::Closed, "").await.expect("close");
    let err = move_to(&mut agent, &closed, CaseState::InProgress, "").await.expect_err("closed -> in progress");
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(reason(&err), "ILLEGAL_STATE_TRANSITION");
    let reopened = move_to(&mut agent, &closed, CaseState::Reopened, "").await.expect("reopen");
    assert_eq!(reopened.state, CaseState::Reopened as i32);
    assert!(reopened.close_time.is_none());

    let read = agent.get_case(GetCaseRequest { name: case.name.clone() }).await.expect("get").into_inner();
    assert_eq!(read.etag, reopened.etag);

    // The rest of the history links to the case.
    let mut follow_up = service_request(0);
    follow_up.linked_case = case.name.clone();
    let linked = agent.log_interaction(log(&client, follow_up)).await.expect("linked").into_inner();
    assert_eq!(linked.linked_case, case.name);
});

conformance!(cases_are_listed_newest_first_by_state_and_managers_keep_to_their_portfolio, async |app: &TestApp| {
    let client = app.new_client("Jade River Trading", "rm-1").await;
    let mut rm = app.rm("rm-1");
    let first = open(&mut rm, &client, CaseCategory::DocumentRequest, CasePriority::Normal).await;
    let second = open(&mut rm, &client, CaseCategory::Complaint, CasePriority::High).await;
    assert_eq!(second.sla_hours, 24);
    move_to(&mut rm, &first, CaseState::InProgress, "").await.expect("start");

    let all = rm.list_cases(ListCasesRequest { parent: client.clone(), ..Default::default() }).await.expect("list");
    let names: Vec<_> = all.into_inner().cases.into_iter().map(|c| c.name).collect();
    assert_eq!(names, [second.name.clone(), first.name.clone()]);
    let open_only =
        ListCasesRequest { parent: client.clone(), states: vec![CaseState::Open as i32], ..Default::default() };
    let open_only = app.agent().list_cases(open_only).await.expect("filtered").into_inner();
    let open_names: Vec<&str> = open_only.cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(open_names, [second.name.as_str()]);

    let err = app
        .rm("rm-9")
        .update_case(UpdateCaseRequest {
            case: Some(Case { name: first.name.clone(), owner: "rm-9".into(), ..Default::default() }),
            update_mask: mask(&["owner"]),
        })
        .await
        .expect_err("other portfolio");
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = app
        .agent()
        .update_case(UpdateCaseRequest {
            case: Some(Case { name: first.name.clone(), ..Default::default() }),
            update_mask: mask(&["due_time"]),
        })
        .await
        .expect_err("output only");
    assert_eq!(violations(&err), ["update_mask"]);
});
