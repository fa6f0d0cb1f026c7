//! The whole suite in process, as `crm up` runs it: a client is created, scored, given an
//! interaction and a case through the gateway; its 360 view has every part; then the scoring
//! service is stopped and the view still answers within the caller's deadline, with the rest
//! of the parts and a warning naming the value score.

use std::time::{Duration, Instant};

use crm_e2e::{Service, start};
use crm_kit::auth::Role;
use crm_proto::{
    crm::{
        gateway::v1::{GetClient360Request, Part, client_view_service_client::ClientViewServiceClient},
        interaction::v1::{
            Case, CaseCategory, Channel as ContactChannel, Direction, Interaction, InteractionKind,
            LogInteractionRequest, OpenCaseRequest, interaction_service_client::InteractionServiceClient,
        },
        profile::v1::{Client, CreateClientRequest, client_profile_service_client::ClientProfileServiceClient},
        scoring::v1::{
            ProfitabilityRecord, RecordProfitabilityRequest, ScoreClientRequest,
            value_scoring_service_client::ValueScoringServiceClient,
        },
    },
    google::r#type::Money,
};

fn money(units: i64) -> Option<Money> {
    Some(Money { currency_code: "CNY".into(), units, nanos: 0 })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client360_has_every_part_and_survives_the_scoring_service_stopping() {
    let mut running = start().await;
    let mut profiles = running.client(Role::Admin, ClientProfileServiceClient::new);
    let client = profiles
        .create_client(CreateClientRequest {
            client: Some(Client {
                display_name: "华信国际贸易".into(),
                legal_name: "华信国际贸易有限公司".into(),
                registration_number: "91310000E2E360001X".into(),
                country_code: "CN".into(),
                industry_code: "5179".into(),
                region: "East China".into(),
                credit_grade: "BBB".into(),
                annual_turnover: money(800_000_000),
                relationship_manager: "rm-e2e".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create client")
        .into_inner();

    let mut scoring = running.client(Role::RiskAnalyst, ValueScoringServiceClient::new);
    let record = ProfitabilityRecord {
        client: client.name.clone(),
        period: "2026-Q3".into(),
        net_interest_income: money(4_200_000),
        fee_income: money(900_000),
        cost_to_serve: money(1_100_000),
        exposure_at_default: money(120_000_000),
        ..Default::default()
    };
    scoring.record_profitability(RecordProfitabilityRequest { record: Some(record) }).await.expect("profitability");
    let score = scoring
        .score_client(ScoreClientRequest { name: format!("{}/valueScore", client.name) })
        .await
        .expect("score")
        .into_inner();

    let mut interactions = running.client(Role::ContactCentreAgent, InteractionServiceClient::new);
    let now = prost_types::Timestamp::from(std::time::SystemTime::now());
    interactions
        .log_interaction(LogInteractionRequest {
            parent: client.name.clone(),
            interaction: Some(Interaction {
                channel: ContactChannel::ContactCentre as i32,
                direction: Direction::Inbound as i32,
                kind: InteractionKind::ServiceRequest as i32,
                occur_time: Some(now),
                summary: "客户来电：一笔电子汇款未到账".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("log interaction");
    let case = interactions
        .open_case(OpenCaseRequest {
            parent: client.name.clone(),
            case: Some(Case {
                title: "Lost electronic payment".into(),
                category: CaseCategory::PaymentIssue as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("open case")
        .into_inner();

    let mut views = running.client(Role::ContactCentreAgent, ClientViewServiceClient::new);
    let by_key = GetClient360Request {
        registration_number: "91310000E2E360001X".into(),
        country_code: "CN".into(),
        ..Default::default()
    };
    let view = views.get_client360(by_key.clone()).await.expect("360").into_inner();
    assert!(view.warnings.is_empty(), "every service is up: {:?}", view.warnings);
    assert_eq!(view.client.as_ref().map(|c| c.name.as_str()), Some(client.name.as_str()));
    assert_eq!(view.value_score.as_ref().map(|s| s.composite_score), Some(score.composite_score));
    assert_eq!(view.recent_interactions.len(), 1);
    assert_eq!(view.open_cases.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), [case.name.as_str()]);
    assert!(view.contactability.is_some(), "contactability is always answered");

    running.suite.stop_service(Service::Scoring).await.expect("scoring stops cleanly");
    let mut request = tonic::Request::new(by_key);
    let deadline = Duration::from_millis(1_500);
    request.set_timeout(deadline);
    let started = Instant::now();
    let view = views.get_client360(request).await.expect("360 without scoring").into_inner();
    assert!(started.elapsed() < deadline, "answered within the deadline: {:?}", started.elapsed());
    assert!(view.value_score.is_none());
    let missing: Vec<(Part, &str)> = view.warnings.iter().map(|w| (w.part(), w.reason.as_str())).collect();
    assert_eq!(missing, [(Part::ValueScore, "BACKEND_UNAVAILABLE")]);
    assert_eq!(view.client.map(|c| c.name), Some(client.name.clone()));
    assert_eq!(view.recent_interactions.len(), 1);
    assert_eq!(view.open_cases.len(), 1);

    running.finish().await;
}
