//! The whole suite in process, as `crm up` runs it: a small portfolio is set up through the
//! gateway as the demo sets up its own (holdings, an active segmentation scheme, statements,
//! a value score, an interaction and a case); the target client's 360 view carries every
//! part with its content; then the scoring service is stopped and the view still answers,
//! with every other part and a warning naming the value score.

use std::time::Duration;

use crm_e2e::{
    Running, Service,
    portfolio::{self, OTHER_WHOLESALE, Portfolio, SCHEME_DISPLAY_NAME, TARGET_REGISTRATION, WHOLESALE, cny},
    start,
};
use crm_kit::auth::Role;
use crm_proto::crm::{
    gateway::v1::{Client360, GetClient360Request, Part, client_view_service_client::ClientViewServiceClient},
    interaction::v1::{
        Case, CaseCategory, Channel as ContactChannel, ContactabilityReason, Direction, Interaction, InteractionKind,
        LogInteractionRequest, OpenCaseRequest, interaction_service_client::InteractionServiceClient,
    },
    profile::v1::SourceType,
    scoring::v1::{
        ProfitabilityRecord, RecordProfitabilityRequest, ScoreClientRequest, ValueScore,
        value_scoring_service_client::ValueScoringServiceClient,
    },
};

/// Longest a view may take before the test fails: no part deadline comes near it.
const GUARD: Duration = Duration::from_secs(30);

/// Period ends (unix seconds, UTC midnight) of the target's statements.
const END_2022: i64 = 1_672_444_800; // 2022-12-31
const END_2023: i64 = 1_703_980_800; // 2023-12-31
const END_2024: i64 = 1_735_603_200; // 2024-12-31
const END_2025: i64 = 1_767_139_200; // 2025-12-31
const END_2026_H1: i64 = 1_782_777_600; // 2026-06-30

/// Everything the target client has besides its portfolio.
struct Target {
    portfolio: Portfolio,
    score: ValueScore,
    case: Case,
}

/// The portfolio, then five statements of the target (recorded out of order), a value score,
/// an interaction and an open case.
async fn set_up(running: &Running) -> Target {
    let portfolio = portfolio::wholesale_portfolio(running).await;
    let client = portfolio.target.name.clone();
    // revenue, EBITDA, debt, current assets, current liabilities, interest (millions)
    portfolio::statement(running, &client, "FY2024", END_2024, [760, 84, 260, 280, 200, 14]).await;
    portfolio::statement(running, &client, "FY2022", END_2022, [640, 60, 300, 220, 200, 18]).await;
    portfolio::statement(running, &client, "2026-H1", END_2026_H1, [410, 50, 230, 310, 200, 6]).await;
    portfolio::statement(running, &client, "FY2025", END_2025, [800, 96, 240, 300, 200, 12]).await;
    portfolio::statement(running, &client, "FY2023", END_2023, [700, 70, 280, 250, 200, 16]).await;

    let mut scoring = running.client(Role::RiskAnalyst, ValueScoringServiceClient::new);
    let record = ProfitabilityRecord {
        client: client.clone(),
        period: "2026-Q3".into(),
        net_interest_income: cny(4_200_000),
        fee_income: cny(900_000),
        cost_to_serve: cny(1_100_000),
        exposure_at_default: cny(120_000_000),
        ..Default::default()
    };
    scoring.record_profitability(RecordProfitabilityRequest { record: Some(record) }).await.expect("profitability");
    let name = format!("{client}/valueScore");
    let score = scoring.score_client(ScoreClientRequest { name }).await.expect("score").into_inner();

    let mut interactions = running.client(Role::ContactCentreAgent, InteractionServiceClient::new);
    let now = prost_types::Timestamp::from(std::time::SystemTime::now());
    interactions
        .log_interaction(LogInteractionRequest {
            parent: client.clone(),
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
            parent: client.clone(),
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
    Target { portfolio, score, case }
}

/// The target's view, by registration number, as a contact-centre agent.
async fn view(running: &Running, deadline: Option<Duration>) -> Client360 {
    let mut views = running.client(Role::ContactCentreAgent, ClientViewServiceClient::new);
    let by_key = GetClient360Request {
        registration_number: TARGET_REGISTRATION.into(),
        country_code: "CN".into(),
        ..Default::default()
    };
    let mut request = tonic::Request::new(by_key);
    if let Some(deadline) = deadline {
        request.set_timeout(deadline);
    }
    tokio::time::timeout(GUARD, views.get_client360(request))
        .await
        .expect("the view answers")
        .expect("the view of the target")
        .into_inner()
}

/// Segments: the target is a wholesaler without trade finance.
fn assert_segments(view: &Client360, target: &Target) {
    let scheme = &target.portfolio.scheme.name;
    let segments: Vec<(&str, &str, &str, i32)> = view
        .segments
        .iter()
        .map(|m| (m.scheme.as_str(), m.segment_display_name.as_str(), m.segment.as_str(), m.level))
        .collect();
    let wholesale = format!("{scheme}/segments/wholesale");
    let other = format!("{scheme}/segments/wholesale-other");
    assert_eq!(
        segments,
        [(scheme.as_str(), WHOLESALE, wholesale.as_str(), 1), (scheme.as_str(), OTHER_WHOLESALE, other.as_str(), 2)],
        "by scheme then level"
    );
    for membership in &view.segments {
        assert_eq!(membership.scheme_display_name, SCHEME_DISPLAY_NAME);
        assert_eq!(membership.client, target.portfolio.target.name);
        assert!(membership.assign_time.is_some(), "{membership:?}");
    }
}

/// The one next best action: trade finance, from the wholesale segment.
fn assert_recommendations(view: &Client360, target: &Target) {
    let scheme = &target.portfolio.scheme.name;
    assert_eq!(view.recommendations.len(), 1, "{:?}", view.recommendations);
    let advice = &view.recommendations[0];
    assert_eq!(advice.product_line, "TRADE_FINANCE");
    assert_eq!(advice.segment, format!("{scheme}/segments/wholesale"));
    assert_eq!(advice.segment_display_name, WHOLESALE);
    assert_eq!(&advice.scheme, scheme);
    assert!((advice.segment_penetration - 4.0 / 6.0).abs() < 1e-9, "{advice:?}");
    assert!((advice.portfolio_penetration - 0.4).abs() < 1e-9, "{advice:?}");
    assert!((advice.lift - (4.0 / 6.0) / 0.4).abs() < 1e-9, "{advice:?}");
    for part in ["67% of clients", WHOLESALE, "hold TRADE_FINANCE", "40% of the portfolio", "lift 1.67"] {
        assert!(advice.reason.contains(part), "{part:?} in the reason {:?}", advice.reason);
    }
    // No consent to marketing was ever given.
    assert!(!advice.contactable);
    assert_eq!(advice.contact_reason(), ContactabilityReason::NoConsent);
}

/// The four newest statements, newest first, with the ratios derived from them.
fn assert_statements(view: &Client360) {
    let periods: Vec<&str> = view.financial_statements.iter().map(|s| s.period.as_str()).collect();
    assert_eq!(periods, ["2026-H1", "FY2025", "FY2024", "FY2023"], "newest first, four by default");
    let fy2025 = &view.financial_statements[1];
    assert_eq!(fy2025.period_end_time.map(|t| t.seconds), Some(END_2025));
    assert_eq!(fy2025.revenue, cny(800_000_000));
    let ratios = fy2025.ratios.as_ref().expect("ratios are derived");
    let close = |got: Option<f64>, want: f64| got.is_some_and(|g| (g - want).abs() < 1e-9);
    assert!(close(ratios.leverage, 240.0 / 96.0), "debt / EBITDA: {ratios:?}");
    assert!(close(ratios.interest_cover, 96.0 / 12.0), "EBITDA / interest: {ratios:?}");
    assert!(close(ratios.current_ratio, 300.0 / 200.0), "current assets / liabilities: {ratios:?}");
    assert!(close(ratios.ebitda_margin, 96.0 / 800.0), "EBITDA / revenue: {ratios:?}");
    let provenance = ratios.provenance.as_ref().expect("ratios carry their provenance");
    assert_eq!(provenance.source_type(), SourceType::Derived);
    assert!(provenance.source_name.contains(&fy2025.name), "{provenance:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client360_shows_every_part_with_its_content() {
    let running = start().await;
    let target = set_up(&running).await;

    let view = view(&running, None).await;
    assert!(view.warnings.is_empty(), "every service is up: {:?}", view.warnings);
    assert_eq!(view.client.as_ref().map(|c| c.name.as_str()), Some(target.portfolio.target.name.as_str()));
    assert_eq!(view.holdings.len(), 1);
    assert_segments(&view, &target);
    assert_recommendations(&view, &target);
    assert_statements(&view);
    let score = view.value_score.as_ref().expect("scored");
    assert_eq!((score.composite_score, score.tier), (target.score.composite_score, target.score.tier));
    let summaries: Vec<&str> = view.recent_interactions.iter().map(|i| i.summary.as_str()).collect();
    assert_eq!(summaries, ["客户来电：一笔电子汇款未到账"]);
    assert_eq!(view.open_cases.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), [target.case.name.as_str()]);
    assert!(view.contactability.is_some(), "contactability is always answered");
    assert_eq!(target.portfolio.wholesalers.len(), 5);

    running.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client360_survives_the_scoring_service_stopping() {
    let mut running = start().await;
    let target = set_up(&running).await;
    running.suite.stop_service(Service::Scoring).await.expect("scoring stops cleanly");

    // A generous caller deadline: a stopped service refuses at once, so its part is reported
    // unavailable (not cut by a deadline) and nothing waits.
    let view = view(&running, Some(Duration::from_secs(20))).await;
    let missing: Vec<(Part, &str)> = view.warnings.iter().map(|w| (w.part(), w.reason.as_str())).collect();
    assert_eq!(missing, [(Part::ValueScore, "BACKEND_UNAVAILABLE")]);
    assert!(view.value_score.is_none());
    // Every other part is there, with the same content (but the credit offer, below).
    assert_eq!(view.client.as_ref().map(|c| c.name.as_str()), Some(target.portfolio.target.name.as_str()));
    assert_segments(&view, &target);
    assert_statements(&view);
    assert_eq!(view.recent_interactions.len(), 1);
    assert_eq!(view.open_cases.len(), 1);
    // Next best actions are answered, but trade finance is a credit product: without value
    // scoring its tier check cannot pass, so it is withheld rather than offered on a guess.
    assert!(view.recommendations.is_empty(), "{:?}", view.recommendations);

    running.finish().await;
}
