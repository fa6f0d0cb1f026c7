//! Conformance: memberships are current only while their scheme is ACTIVATING or ACTIVE:
//! a feed batch racing RetireScheme leaves none open, and members are listed only for an
//! ACTIVE scheme.

use crm_kit::{auth::Principal, call::WriteCtx, db::Backend, time::now_micros};
use crm_proto::crm::segmentation::v1::{ListSegmentMembersRequest, RetireSchemeRequest, Scheme, SchemeState};
use crm_segmentation::{SegmentationStore, domain::view::ValueFacts, store::OPEN};
use prost::Message;
use tonic::Code;

use crate::{
    activate, at, keyed_plan, plan, portfolio, segments_of,
    support::{TestApp, conformance, eventually, reason},
};

fn key_account() -> ValueFacts {
    ValueFacts {
        score: 90.0,
        tier: "KEY_ACCOUNT".into(),
        revenue_units: 3_000_000,
        currency: "GBP".into(),
        ..Default::default()
    }
}

conformance!(a_feed_batch_racing_retirement_leaves_no_open_membership, async |app: &TestApp| {
    let p = portfolio(app).await;
    let (scheme, _) = activate(app, keyed_plan()).await;
    assert_eq!(segments_of(app, &p.small, None).await, [at("unassigned", 1)]);
    let id = scheme.name.trim_start_matches("schemes/").to_owned();
    let store = SegmentationStore::new(app.seg_db.clone());

    // RetireScheme in flight: the scheme row is RETIRED and its memberships are closed, not
    // yet committed.
    let mut retire = app.seg_db.begin_write().await.expect("begin");
    let retired = Scheme { state: SchemeState::Retired as i32, ..scheme.clone() };
    sqlx::query("UPDATE scheme SET state = $1, doc = $2 WHERE id = $3")
        .bind(SchemeState::Retired.as_str_name())
        .bind(retired.encode_to_vec())
        .bind(&id)
        .execute(&mut *retire)
        .await
        .expect("retire the scheme row");
    sqlx::query("UPDATE membership SET valid_to = $1 WHERE scheme_id = $2 AND valid_to = $3")
        .bind(now_micros())
        .bind(&id)
        .bind(OPEN)
        .execute(&mut *retire)
        .await
        .expect("close its memberships");

    // Meanwhile a value score would move the small client into the key segment.
    let small = p.small.trim_start_matches("clients/").to_owned();
    let feed = {
        let store = store.clone();
        tokio::spawn(async move {
            let follower = Principal::system("test");
            store.apply_values(WriteCtx::internal(&follower, "FollowScoring", ""), vec![(small, key_account())]).await
        })
    };
    if app.seg_db.backend() == Backend::Postgres {
        // Commit only once the feed batch is inside its transaction, waiting on a lock.
        eventually("the feed batch to wait for the retirement", || async {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(app.seg_db.reader())
            .await
            .expect("pg_stat_activity");
            (waiting > 0).then_some(())
        })
        .await;
    }
    retire.commit().await.expect("commit the retirement");
    feed.await.expect("feed task").expect("feed batch");

    let open = store.current_paths(&id).await.expect("current paths");
    assert!(open.is_empty(), "open memberships of a retired scheme: {open:?}");
    assert!(segments_of(app, &p.small, None).await.is_empty());
});

conformance!(members_are_listed_only_for_an_active_scheme, async |app: &TestApp| {
    portfolio(app).await;
    let list = |scheme: &Scheme| {
        let request = ListSegmentMembersRequest {
            segment: format!("{}/segments/finance", scheme.name),
            page_size: 10,
            page_token: String::new(),
        };
        let mut client = app.analyst();
        async move { client.list_segment_members(request).await }
    };
    let request =
        crm_proto::crm::segmentation::v1::CreateSchemeRequest { scheme: Some(plan()), request_id: String::new() };
    let draft = app.analyst().create_scheme(request).await.expect("create").into_inner();
    let err = list(&draft).await.expect_err("a draft has no members");
    assert_eq!((err.code(), reason(&err)), (Code::FailedPrecondition, "SCHEME_STATE_CONFLICT".to_owned()));
    assert!(err.message().contains("DRAFT"), "{}", err.message());

    let (active, _) = activate(app, plan()).await;
    assert_eq!(list(&active).await.expect("members").into_inner().memberships.len(), 3);
    app.analyst()
        .retire_scheme(RetireSchemeRequest { name: active.name.clone(), etag: active.etag.clone() })
        .await
        .expect("retire");
    let err = list(&active).await.expect_err("a retired scheme has no members");
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(err.message().contains("RETIRED"), "{}", err.message());
});
