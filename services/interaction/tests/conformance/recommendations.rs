//! Next best actions end to end: a real segmentation service follows the profile, a scheme
//! is activated, and recommendations come from its report and the client's holdings.

use std::ops::Deref;

use crm_kit::auth::Role;
use crm_proto::crm::{
    interaction::v1::{
        Channel, ChannelPreference, ConsentStatus, ContactPurpose, ContactabilityReason, ListRecommendationsRequest,
        ListRecommendationsResponse, Recommendation, SetChannelPreferenceRequest,
    },
    profile::v1::{
        Client, Holding, LifecycleStage, MergeClientsRequest, ProductLine, UpdateClientRequest, UpsertHoldingRequest,
    },
    segmentation::v1::{
        ActivateSchemeRequest, ActivationState, CreateSchemeRequest, GetActivationRequest, PreviewSchemeRequest,
        Scheme, Segment, SegmentationBasis, preview_scheme_request::Target,
        segmentation_service_client::SegmentationServiceClient,
    },
};

use crate::support::{self, Backend, conformance, eventually};

/// The app with segmentation and value scoring services running.
pub struct TestApp(support::TestApp);

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self(support::TestApp::spawn_full(backend, true, true).await)
    }

    pub async fn finish(self) {
        self.0.finish().await;
    }

    fn analyst(
        &self,
    ) -> SegmentationServiceClient<
        tonic::service::interceptor::InterceptedService<tonic::transport::Channel, crm_kit::auth::Bearer>,
    > {
        let channel = self.segmentation.clone().expect("segmentation runs");
        SegmentationServiceClient::with_interceptor(channel, self.keys.bearer(Role::MarketingAnalyst, "ma-1", None))
    }

    async fn hold(&self, client: &str, lines: &[ProductLine]) {
        for line in lines {
            let holding = Holding {
                product_code: format!("P-{}", line.as_str_name()),
                product_line: *line as i32,
                account_number: uuid::Uuid::new_v4().simple().to_string(),
                ..Default::default()
            };
            let request = UpsertHoldingRequest { parent: client.into(), holding: Some(holding) };
            self.profile().upsert_holding(request).await.expect("holding");
        }
    }
}

impl Deref for TestApp {
    type Target = support::TestApp;

    fn deref(&self) -> &support::TestApp {
        &self.0
    }
}

fn scheme() -> Scheme {
    let segment = |id: &str, rule: &str| Segment {
        segment_id: id.into(),
        display_name: format!("{id} clients"),
        rule: rule.into(),
        ..Default::default()
    };
    Scheme {
        display_name: "Industry".into(),
        bases: vec![SegmentationBasis::Industry as i32],
        segments: vec![
            segment("wholesale", r#"client.industry_code.startsWith("46")"#),
            segment("manufacturing", r#"client.industry_code.startsWith("24")"#),
        ],
        ..Default::default()
    }
}

/// Six wholesalers (four with trade finance), four manufacturers (none), and the industry
/// scheme activated over them: trade finance is held by 4/6 of the wholesale segment against
/// 4/10 of the portfolio. Returns the wholesalers (the first four hold trade finance) and
/// the scheme.
async fn wholesale_portfolio(app: &TestApp) -> (Vec<String>, Scheme) {
    use ProductLine::{Deposits, Lending, TradeFinance};
    let mut wholesalers = Vec::new();
    for i in 0..6 {
        let client = app.new_client_in(&format!("Wholesaler {i}"), "rm-1", "4690").await;
        let lines: &[ProductLine] = if i < 4 { &[Deposits, TradeFinance] } else { &[Deposits] };
        app.hold(&client, lines).await;
        wholesalers.push(client);
    }
    for i in 0..4 {
        let client = app.new_client_in(&format!("Steelworks {i}"), "rm-1", "2410").await;
        app.hold(&client, &[Deposits, Lending]).await;
    }
    eventually("segmentation to see the whole portfolio", || async {
        let preview = PreviewSchemeRequest { target: Some(Target::Scheme(scheme())) };
        let report = app.analyst().preview_scheme(preview).await.expect("preview").into_inner();
        let trade = report.product_penetration.get("TRADE_FINANCE").copied().unwrap_or_default();
        (report.population == 10 && (trade - 0.4).abs() < 1e-9).then_some(())
    })
    .await;
    let created = app
        .analyst()
        .create_scheme(CreateSchemeRequest { scheme: Some(scheme()), request_id: String::new() })
        .await
        .expect("scheme")
        .into_inner();
    let started = app
        .analyst()
        .activate_scheme(ActivateSchemeRequest { name: created.name.clone(), etag: created.etag.clone() })
        .await
        .expect("activate")
        .into_inner();
    let done = eventually("the activation to finish", || async {
        let request = GetActivationRequest { name: started.name.clone() };
        let a = app.analyst().get_activation(request).await.expect("activation").into_inner();
        (a.state != ActivationState::Running as i32).then_some(a)
    })
    .await;
    assert_eq!(done.state, ActivationState::Succeeded as i32, "{}", done.error);

    (wholesalers, created)
}

conformance!(recommendations_are_products_common_in_the_segment_that_the_client_lacks, async |app: &TestApp| {
    let (wholesalers, created) = wholesale_portfolio(app).await;
    let target = wholesalers[5].clone();
    let request = ListRecommendationsRequest { parent: target.clone(), page_size: 0 };
    let found = app.agent().list_recommendations(request.clone()).await.expect("recommendations").into_inner();
    let segment = format!("{}/segments/wholesale", created.name);
    assert_eq!(found.segments, std::slice::from_ref(&segment));
    assert_eq!(found.recommendations.len(), 1, "{:?}", found.recommendations);
    let rec = &found.recommendations[0];
    assert_eq!(
        (rec.product_line.as_str(), rec.segment.as_str(), rec.scheme.as_str()),
        ("TRADE_FINANCE", segment.as_str(), created.name.as_str())
    );
    assert!((rec.segment_penetration - 4.0 / 6.0).abs() < 1e-9);
    assert!((rec.portfolio_penetration - 0.4).abs() < 1e-9);
    assert!((rec.lift - (4.0 / 6.0) / 0.4).abs() < 1e-9);
    assert_eq!(
        rec.reason,
        "67% of clients in segment wholesale clients hold TRADE_FINANCE against 40% of the portfolio (lift 1.67); the client holds no TRADE_FINANCE product"
    );
    assert_eq!((rec.contactable, rec.contact_reason), (false, ContactabilityReason::NoConsent as i32));

    // A client that already holds it gets no such recommendation.
    let holder = ListRecommendationsRequest { parent: wholesalers[0].clone(), page_size: 0 };
    assert!(app.agent().list_recommendations(holder).await.expect("holder").into_inner().recommendations.is_empty());

    // With marketing consent and an e-mail address, the offer can go out by e-mail.
    app.new_contact(&target, "treasurer@wholesaler.example", "").await;
    let consent = ChannelPreference {
        purpose: ContactPurpose::Marketing as i32,
        all_channels: true,
        consent: ConsentStatus::Granted as i32,
        ..Default::default()
    };
    app.agent()
        .set_channel_preference(SetChannelPreferenceRequest {
            parent: target.clone(),
            channel_preference: Some(consent),
            request_id: String::new(),
        })
        .await
        .expect("consent");
    let found = app.rm("rm-1").list_recommendations(request).await.expect("again").into_inner();
    let rec = &found.recommendations[0];
    assert_eq!((rec.contactable, rec.suggested_channel), (true, Channel::Email as i32));
    assert_eq!(rec.contact_reason, ContactabilityReason::ConsentGranted as i32);
});

conformance!(a_merged_clients_old_name_gets_the_survivors_advice, async |app: &TestApp| {
    let (wholesalers, created) = wholesale_portfolio(app).await;
    // A wholesaler without trade finance is found to be a duplicate of one that has it.
    let (duplicate, survivor) = (wholesalers[5].clone(), wholesalers[0].clone());
    let merge = MergeClientsRequest { survivor: survivor.clone(), duplicate: duplicate.clone(), etag: String::new() };
    app.profile().merge_clients(merge).await.expect("merge");

    let segment = format!("{}/segments/wholesale", created.name);
    let request = ListRecommendationsRequest { parent: duplicate.clone(), page_size: 0 };
    let found = app.agent().list_recommendations(request).await.expect("by the old name").into_inner();
    assert_eq!(found.segments, std::slice::from_ref(&segment), "the survivor's segments");
    assert!(
        found.recommendations.iter().all(|r| r.product_line != "TRADE_FINANCE"),
        "the survivor holds trade finance: {:?}",
        found.recommendations
    );
    let own = ListRecommendationsRequest { parent: survivor, page_size: 0 };
    let own = app.agent().list_recommendations(own).await.expect("by the survivor's name").into_inner();
    let lines = |r: &ListRecommendationsResponse| {
        (r.segments.clone(), r.recommendations.iter().map(|r| r.product_line.clone()).collect::<Vec<_>>())
    };
    assert_eq!(lines(&found), lines(&own));
});

/// Sets `fields` of `client` (an update mask over the profile's client).
async fn update_client(app: &TestApp, client: Client, fields: &[&str]) {
    let update_mask = Some(prost_types::FieldMask { paths: fields.iter().map(|f| (*f).to_owned()).collect() });
    app.profile().update_client(UpdateClientRequest { client: Some(client), update_mask }).await.expect("update");
}

conformance!(no_credit_product_for_a_client_in_default_or_on_the_watch_list, async |app: &TestApp| {
    let (wholesalers, _) = wholesale_portfolio(app).await;
    let list = |parent: &String| {
        let request = ListRecommendationsRequest { parent: parent.clone(), page_size: 0 };
        async move { app.agent().list_recommendations(request).await.expect("recommendations").into_inner() }
    };
    let rules = |r: &Recommendation, passed: bool| -> Vec<String> {
        r.eligibility_checks.iter().filter(|c| c.passed == passed).map(|c| c.rule_id.clone()).collect()
    };
    // A sound client is offered trade finance, and the action names the checks it passed.
    let sound = list(&wholesalers[5]).await;
    let offer = &sound.recommendations[0];
    assert_eq!((offer.product_line.as_str(), offer.credit_product), ("TRADE_FINANCE", true));
    assert_eq!(rules(offer, true), ["NBA-CREDIT-DEFAULT", "NBA-CREDIT-EXIT-TIER", "NBA-CREDIT-WATCH-LIST"]);
    assert!(sound.withheld.is_empty());

    // In default (grade D): withheld, with the rule that held it back.
    let defaulted = Client { name: wholesalers[5].clone(), credit_grade: "D".into(), ..Default::default() };
    update_client(app, defaulted, &["credit_grade"]).await;
    let found = list(&wholesalers[5]).await;
    assert!(found.recommendations.is_empty(), "{:?}", found.recommendations);
    assert_eq!(found.withheld.len(), 1);
    assert_eq!(found.withheld[0].product_line, "TRADE_FINANCE");
    assert_eq!(rules(&found.withheld[0], false), ["NBA-CREDIT-DEFAULT"]);

    // At risk (a watch-list stage): withheld too.
    let stage =
        |s: LifecycleStage| Client { name: wholesalers[4].clone(), lifecycle_stage: s as i32, ..Default::default() };
    update_client(app, stage(LifecycleStage::Active), &["lifecycle_stage"]).await;
    assert_eq!(list(&wholesalers[4]).await.recommendations.len(), 1, "an active client may be offered credit");
    update_client(app, stage(LifecycleStage::AtRisk), &["lifecycle_stage"]).await;
    let found = list(&wholesalers[4]).await;
    assert!(found.recommendations.is_empty());
    assert_eq!(rules(&found.withheld[0], false), ["NBA-CREDIT-WATCH-LIST"]);
});

conformance!(no_credit_product_for_a_client_in_review_for_exit, async |app: &TestApp| {
    let (wholesalers, _) = wholesale_portfolio(app).await;
    let target = wholesalers[5].clone();
    app.score_below_hurdle(&target).await;
    let request = ListRecommendationsRequest { parent: target, page_size: 0 };
    let found = app.agent().list_recommendations(request).await.expect("recommendations").into_inner();
    assert!(found.recommendations.is_empty(), "{:?}", found.recommendations);
    let held_back = &found.withheld[0];
    assert_eq!(held_back.product_line, "TRADE_FINANCE");
    let failed: Vec<_> = held_back.eligibility_checks.iter().filter(|c| !c.passed).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].rule_id, "NBA-CREDIT-EXIT-TIER");
    assert_eq!(failed[0].detail, "value tier REVIEW_FOR_EXIT; credit is not offered in REVIEW_FOR_EXIT");
});
