//! Accessibility across services: a member counts as reachable when it has a relationship
//! manager and a channel it consented to for marketing, as the real interaction service
//! evaluates it (its change feed, then its contactability read back).

use std::ops::Deref;

use crm_kit::auth::Role;
use crm_proto::crm::{
    interaction::v1::{Channel, ChannelPreference, ConsentStatus, ContactPurpose, SetChannelPreferenceRequest},
    profile::v1::{Client, Contact, CreateContactRequest},
    segmentation::v1::{GetSchemeReportRequest, Scheme, SegmentationBasis},
};

use crate::{
    activate, create_client, new_client, seg,
    support::{self, Backend, conformance, eventually},
};

/// The suite with the interaction service running too.
pub struct TestApp(support::TestApp);

impl TestApp {
    async fn spawn(backend: Backend) -> Self {
        Self(support::TestApp::spawn_with_interaction(backend).await)
    }

    async fn finish(self) {
        self.0.finish().await;
    }
}

impl Deref for TestApp {
    type Target = support::TestApp;

    fn deref(&self) -> &support::TestApp {
        &self.0
    }
}

async fn with_email(app: &TestApp, client: &str, email: &str) {
    let contact =
        Contact { display_name: "Li Wei".into(), job_title: "CFO".into(), email: email.into(), ..Default::default() };
    let request = CreateContactRequest { parent: client.into(), contact: Some(contact), request_id: String::new() };
    app.profile().create_contact(request).await.expect("create contact");
}

conformance!(accessibility_counts_members_with_an_rm_and_a_consented_channel, async |app: &TestApp| {
    let consenting = create_client(app, new_client("Consenting", "A1", "4711", 1_000)).await;
    let silent = create_client(app, new_client("Silent", "A2", "4711", 1_000)).await;
    let unmanaged = create_client(
        app,
        Client { relationship_manager: String::new(), ..new_client("Unmanaged", "A3", "4711", 1_000) },
    )
    .await;
    for (client, email) in [(&consenting, "a@example.com"), (&silent, "b@example.com"), (&unmanaged, "c@example.com")] {
        with_email(app, client, email).await;
    }
    crate::wait_for_projection(app, 3, 0.0).await;
    let scheme = Scheme {
        display_name: "Everyone".into(),
        bases: vec![SegmentationBasis::CustomerType as i32],
        segments: vec![seg("all", "true", vec![])],
        ..Default::default()
    };
    let (scheme, _) = activate(app, scheme).await;
    let request = GetSchemeReportRequest { name: scheme.name.clone(), max_staleness: None };
    let report = app.analyst().get_scheme_report(request.clone()).await.expect("report").into_inner();
    let all = &report.segments[0];
    assert_eq!(all.accessibility, 0.0, "an RM alone does not reach a client that gave no consent");
    assert!(report.missing_inputs.iter().any(|i| i.starts_with("consent")), "{:?}", report.missing_inputs);

    for client in [&consenting, &unmanaged] {
        let preference = ChannelPreference {
            purpose: ContactPurpose::Marketing as i32,
            channel: Channel::Email as i32,
            consent: ConsentStatus::Granted as i32,
            source: "signed form".into(),
            ..Default::default()
        };
        let request = SetChannelPreferenceRequest {
            parent: client.clone(),
            channel_preference: Some(preference),
            request_id: String::new(),
        };
        app.interaction_as(Role::ContactCentreAgent, "cc-1").set_channel_preference(request).await.expect("consent");
    }
    let all = eventually("the consents to reach the report", || async {
        let report = app.analyst().get_scheme_report(request.clone()).await.expect("report").into_inner();
        let all = report.segments[0].clone();
        (all.reachable_count == 1).then_some(all)
    })
    .await;
    // Only the consenting client with an RM: the one without an RM is not served.
    assert!((all.accessibility - 1.0 / 3.0).abs() < 1e-12, "{}", all.accessibility);
});
