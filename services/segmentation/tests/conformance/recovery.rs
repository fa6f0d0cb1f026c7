//! Conformance: an activation interrupted by a stop (its job shows no heartbeat) is failed
//! at the next start and its scheme is DRAFT again (nobody waits for it forever).

use std::sync::Arc;

use crm_kit::{auth::Principal, call::WriteCtx, jobs::Jobs, paging::PageTokens, server::Shutdown};
use crm_proto::crm::segmentation::v1::{
    ActivateSchemeRequest, ActivationState, CreateSchemeRequest, GetActivationRequest, GetSchemeRequest, Scheme,
    SchemeState,
};
use crm_segmentation::{SegmentationApp, SegmentationStore};

use crate::{
    plan, portfolio,
    support::{TestApp, conformance},
};

/// What an activation whose worker vanished leaves behind: a job `…/activations/{job}` with
/// no heartbeat for long, and its scheme ACTIVATING. The scheme's name, the activation's name
/// and the scheme as stored.
async fn stranded(app: &TestApp, store: &SegmentationStore, job: &str) -> (String, String, Scheme) {
    let request = CreateSchemeRequest { scheme: Some(plan()), request_id: String::new() };
    let scheme = app.analyst().create_scheme(request).await.expect("create").into_inner();
    let id = scheme.name.trim_start_matches("schemes/").to_owned();
    let activation = format!("{}/activations/{job}", scheme.name);
    let jobs = Jobs::new(app.seg_db.clone());
    jobs.start(&activation, "scheme-activation", &scheme.name, "ma-1", 10).await.expect("job");
    sqlx::query("UPDATE job SET update_time = 0 WHERE name = $1")
        .bind(&activation)
        .execute(app.seg_db.writer())
        .await
        .expect("no heartbeat for long");
    let who = Principal::system("test");
    let ctx = WriteCtx::internal(&who, "ActivateScheme", "");
    let marker = activation.clone();
    let stuck = store
        .update_scheme(ctx, &id, false, move |s: Scheme| {
            Ok(Scheme { state: SchemeState::Activating as i32, latest_activation: marker, ..s })
        })
        .await
        .expect("activating");
    (scheme.name, activation, stuck)
}

/// The application as a restarted process builds it over the same database, to recover
/// (it starts no activation: its shutdown has fired already).
fn restarted(app: &TestApp, store: Arc<SegmentationStore>) -> SegmentationApp {
    let (trigger, shutdown) = Shutdown::new();
    trigger.fire();
    let tokens = PageTokens::new(b"0123456789abcdef0123456789abcdef");
    SegmentationApp::new(store, Jobs::new(app.seg_db.clone()), tokens, shutdown)
}

conformance!(an_interrupted_activation_is_failed_and_its_scheme_is_draft_again, async |app: &TestApp| {
    let store = Arc::new(SegmentationStore::new(app.seg_db.clone()));
    // What a process that stopped mid-activation leaves behind.
    let (scheme, activation, _) = stranded(app, &store, "crashed").await;

    let restarted = restarted(app, store);
    restarted.recover().await.expect("recover");

    let read = app.analyst().get_scheme(GetSchemeRequest { name: scheme.clone() }).await.expect("get");
    assert_eq!(read.into_inner().state, SchemeState::Draft as i32);
    let job = app.analyst().get_activation(GetActivationRequest { name: activation }).await.expect("activation");
    let job = job.into_inner();
    assert_eq!(job.state, ActivationState::Failed as i32);
    assert!(job.error.contains("interrupted"), "{}", job.error);
});

conformance!(a_scheme_whose_activation_stopped_can_be_activated_again, async |app: &TestApp| {
    let store = SegmentationStore::new(app.seg_db.clone());
    // Another replica started an activation and vanished: no heartbeat since.
    let (scheme, activation, stuck) = stranded(app, &store, "elsewhere").await;

    let shown = app.analyst().get_activation(GetActivationRequest { name: activation.clone() }).await.expect("get");
    assert_eq!(shown.into_inner().state, ActivationState::Failed as i32, "a job without heartbeat is shown stopped");
    let again = ActivateSchemeRequest { name: scheme.clone(), etag: stuck.etag };
    let started = app.analyst().activate_scheme(again).await.expect("activate again").into_inner();
    assert_ne!(started.name, activation);
    let active = crate::support::eventually("the new activation to finish", || async {
        let s = app.analyst().get_scheme(GetSchemeRequest { name: scheme.clone() }).await.expect("get");
        let s = s.into_inner();
        (s.state == SchemeState::Active as i32).then_some(s)
    })
    .await;
    assert_eq!(active.latest_activation, started.name);
});

conformance!(reverting_an_activation_to_draft_ends_the_memberships_it_wrote, async |app: &TestApp| {
    let p = portfolio(app).await;
    let store = Arc::new(SegmentationStore::new(app.seg_db.clone()));
    let (scheme, _, stuck) = stranded(app, &store, "half-done").await;
    let id = scheme.trim_start_matches("schemes/").to_owned();
    // The vanished worker got through a step before it stopped.
    let compiled = std::sync::Arc::new(crm_segmentation::domain::scheme::check(&stuck, "scheme").expect("valid plan"));
    let worker = Principal::system("test");
    let ctx = WriteCtx::internal(&worker, "ActivationStep", "");
    let step = store.activation_step(ctx, &id, &compiled, "", 500).await.expect("a step");
    assert_eq!(step.live, 5);
    assert_eq!(store.current_paths(&id).await.expect("paths").len(), 5);

    let restarted = restarted(app, Arc::clone(&store));
    restarted.recover().await.expect("recover");
    let read = app.analyst().get_scheme(GetSchemeRequest { name: scheme.clone() }).await.expect("get");
    assert_eq!(read.into_inner().state, SchemeState::Draft as i32);
    let open = store.current_paths(&id).await.expect("paths");
    assert!(open.is_empty(), "a DRAFT scheme keeps no current memberships: {open:?}");
    let client = p.big.trim_start_matches("clients/");
    let rows = store.client_memberships(client, None).await.expect("memberships");
    assert!(rows.iter().all(|r| r.scheme_id != id), "{rows:?}");
    // No step may write to it any more either.
    let err = store.activation_step(ctx, &id, &compiled, "", 500).await.expect_err("not ACTIVATING");
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    assert!(store.current_paths(&id).await.expect("paths").is_empty());
});
