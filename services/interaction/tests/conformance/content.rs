//! Content items (versioned, rendered alike on every channel) and key-account plans.

use crm_kit::{
    auth::Role,
    time::{now_micros, to_timestamp},
};
use crm_proto::{
    crm::interaction::v1::{
        AccountPlan, Channel, ContentFact, ContentItem, ContentKind, CreateAccountPlanRequest,
        CreateContentItemRequest, GetContentItemRequest, ListAccountPlansRequest, PlanObjective, RenderContentRequest,
        TeamMember, UpdateContentItemRequest, content_fact,
    },
    google::r#type::Money,
};
use prost_types::FieldMask;
use tonic::Code;

use crate::support::{TestApp, conformance, reason};

fn offer() -> ContentItem {
    ContentItem {
        kind: ContentKind::Offer as i32,
        headline: "Import letters of credit from 0.15%".into(),
        body: "For importers with regular suppliers in Asia.".into(),
        facts: vec![
            ContentFact {
                key: "fee_rate".into(),
                label: "Fee".into(),
                value: Some(content_fact::Value::Number(0.15)),
                decimals: 2,
                unit: "% flat".into(),
            },
            ContentFact {
                key: "minimum".into(),
                label: "Minimum amount".into(),
                value: Some(content_fact::Value::Money(Money {
                    currency_code: "GBP".into(),
                    units: 250_000,
                    nanos: 0,
                })),
                ..Default::default()
            },
        ],
        product_line: "TRADE_FINANCE".into(),
        disclaimer: "Subject to credit approval.".into(),
        ..Default::default()
    }
}

conformance!(content_renders_the_same_facts_on_every_channel_and_keeps_versions, async |app: &TestApp| {
    let mut marketing = app.client_as(Role::MarketingAnalyst, "ma-1", None);
    let create = CreateContentItemRequest {
        content_item: Some(offer()),
        content_item_id: "lc-offer".into(),
        request_id: "c0ffee-1".into(),
    };
    let err = app.rm("rm-1").create_content_item(create.clone()).await.expect_err("not marketing");
    assert_eq!(reason(&err), "ROLE_CANNOT_WRITE_CONTENT");
    let v1 = marketing.create_content_item(create.clone()).await.expect("create").into_inner();
    assert_eq!((v1.name.as_str(), v1.version, v1.author.as_str()), ("contentItems/lc-offer", 1, "ma-1"));
    assert_eq!(marketing.create_content_item(create.clone()).await.expect("replay").into_inner(), v1);
    let mut again = create.clone();
    again.request_id.clear();
    let err = marketing.create_content_item(again).await.expect_err("id taken");
    assert_eq!(err.code(), Code::AlreadyExists);

    let render = |channel: Channel, version: i64| RenderContentRequest {
        name: v1.name.clone(),
        version,
        channel: channel as i32,
    };
    let mut agent = app.agent();
    let mut renders = Vec::new();
    for channel in [Channel::Email, Channel::ContactCentre, Channel::Mobile, Channel::Online, Channel::Branch] {
        renders.push(agent.render_content(render(channel, 0)).await.expect("render").into_inner());
    }
    for r in &renders {
        assert_eq!(
            (r.facts.clone(), r.content_digest.clone()),
            (renders[0].facts.clone(), renders[0].content_digest.clone())
        );
        assert!(r.text.contains("0.15 % flat") && r.text.contains("GBP 250,000.00"), "{}", r.text);
    }
    assert_ne!(renders[0].text, renders[1].text, "layout differs by channel");

    let mut patch = offer();
    patch.name = v1.name.clone();
    patch.etag = v1.etag.clone();
    patch.facts[0].value = Some(content_fact::Value::Number(0.12));
    let mask = Some(FieldMask { paths: vec!["facts".into()] });
    let update = UpdateContentItemRequest { content_item: Some(patch.clone()), update_mask: mask.clone() };
    let v2 = marketing.update_content_item(update.clone()).await.expect("new version").into_inner();
    assert_eq!(v2.version, 2);
    let err = marketing.update_content_item(update).await.expect_err("stale etag");
    assert_eq!(err.code(), Code::Aborted);

    let old = agent.get_content_item(GetContentItemRequest { name: v1.name.clone(), version: 1 }).await.expect("v1");
    assert_eq!(old.into_inner(), v1, "earlier versions stay readable");
    let latest = agent.render_content(render(Channel::Email, 0)).await.expect("latest").into_inner();
    assert_eq!(latest.version, 2);
    assert!(latest.text.contains("0.12 % flat"));
    assert_ne!(latest.content_digest, renders[0].content_digest);
    let first = agent.render_content(render(Channel::Mobile, 1)).await.expect("v1 on mobile").into_inner();
    assert_eq!(first.content_digest, renders[0].content_digest);
});

conformance!(key_account_managers_plan_for_their_own_clients, async |app: &TestApp| {
    let client = app.new_client("Jade River Trading", "kam-book-1").await;
    let plan = AccountPlan {
        title: "2027: first-choice bank for trade".into(),
        objectives: vec![PlanObjective {
            description: "Win the import LC business".into(),
            measure: "60% share of import LCs".into(),
            target_time: Some(to_timestamp(now_micros() + 300 * 86_400_000_000)),
        }],
        team: vec![
            TeamMember { staff_id: "kam-1".into(), role: "Key account manager".into() },
            TeamMember { staff_id: "tf-3".into(), role: "Trade finance specialist".into() },
        ],
        review_time: Some(to_timestamp(now_micros() + 90 * 86_400_000_000)),
        ..Default::default()
    };
    let request =
        CreateAccountPlanRequest { parent: client.clone(), account_plan: Some(plan), request_id: String::new() };
    let err = app.rm("kam-book-1").create_account_plan(request.clone()).await.expect_err("RMs do not plan");
    assert_eq!(reason(&err), "ROLE_CANNOT_PLAN");
    let other_kam = app.client_as(Role::KeyAccountManager, "kam-2", Some("kam-book-2"));
    let err = other_kam.clone().create_account_plan(request.clone()).await.expect_err("other book");
    assert_eq!(reason(&err), "NOT_IN_PORTFOLIO");
    let mut kam = app.client_as(Role::KeyAccountManager, "kam-1", Some("kam-book-1"));
    let made = kam.create_account_plan(request.clone()).await.expect("plan").into_inner();
    assert_eq!((made.owner.as_str(), made.creator.as_str(), made.client.as_str()), ("kam-1", "kam-1", client.as_str()));
    let second = kam.create_account_plan(request).await.expect("second plan").into_inner();
    let listed = app
        .agent()
        .list_account_plans(ListAccountPlansRequest { parent: client.clone(), ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.account_plans, [second, made]);
});
