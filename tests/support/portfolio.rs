//! A small portfolio set up as `crm up --demo` sets up its own, through the gateway and the
//! services' own APIs: clients with holdings, an active industry scheme with a sub-segment
//! level, and the numbers that make one next best action.
//!
//! Six wholesalers (industry 51xx) of which four hold trade finance, and four steelworks
//! (2410) holding deposits and lending: trade finance is held by 4/6 of the wholesale segment
//! against 4/10 of the portfolio. The target is the wholesaler without trade finance, so it
//! is advised trade finance from the wholesale segment.

use crm_kit::auth::Role;
use crm_proto::{
    crm::{
        profile::v1::{
            Client, CreateClientRequest, CreateFinancialStatementRequest, FinancialStatement, Holding, ProductLine,
            UpsertHoldingRequest, client_profile_service_client::ClientProfileServiceClient,
        },
        segmentation::v1::{
            ActivateSchemeRequest, ActivationState, CreateSchemeRequest, GetActivationRequest, PreviewSchemeRequest,
            Scheme, Segment, SegmentationBasis, preview_scheme_request::Target,
            segmentation_service_client::SegmentationServiceClient,
        },
    },
    google::r#type::Money,
};
use crm_testkit::poll_until;

use crate::{FEED_TIMEOUT, Running};

/// Registration number (CN) of the target client.
pub const TARGET_REGISTRATION: &str = "91310000E2E360001X";
/// Display name of the scheme.
pub const SCHEME_DISPLAY_NAME: &str = "Industry 2026";
/// Display name of the target's top-level segment.
pub const WHOLESALE: &str = "Wholesale trade";
/// Display name of the target's second-level segment.
pub const OTHER_WHOLESALE: &str = "Other wholesalers";

/// An amount in CNY.
pub fn cny(units: i64) -> Option<Money> {
    Some(Money { currency_code: "CNY".into(), units, nanos: 0 })
}

/// The portfolio as set up.
#[derive(Debug)]
pub struct Portfolio {
    /// The wholesaler without trade finance.
    pub target: Client,
    /// The other wholesalers; the first four hold trade finance.
    pub wholesalers: Vec<String>,
    /// The active scheme.
    pub scheme: Scheme,
}

/// The industry scheme: wholesale (split by trade finance use) and manufacturing.
pub fn industry_scheme() -> Scheme {
    let segment = |id: &str, display: &str, rule: &str, sub_segments: Vec<Segment>| Segment {
        segment_id: id.into(),
        display_name: display.into(),
        rule: rule.into(),
        sub_segments,
        ..Default::default()
    };
    let wholesale = vec![
        segment("wholesale-trade", "Trade finance users", r#""TRADE_FINANCE" in client.product_lines"#, vec![]),
        segment("wholesale-other", OTHER_WHOLESALE, "true", vec![]),
    ];
    Scheme {
        display_name: SCHEME_DISPLAY_NAME.into(),
        description: "Wholesale and manufacturing, wholesale by trade finance use".into(),
        bases: vec![SegmentationBasis::Industry as i32, SegmentationBasis::Product as i32],
        segments: vec![
            segment("wholesale", WHOLESALE, r#"client.industry_code.startsWith("51")"#, wholesale),
            segment("manufacturing", "Basic metals", r#"client.industry_code.startsWith("24")"#, vec![]),
        ],
        ..Default::default()
    }
}

/// Creates a client through the gateway (as an admin).
pub async fn create_client(running: &Running, client: Client) -> Client {
    let mut profiles = running.client(Role::Admin, ClientProfileServiceClient::new);
    let request = CreateClientRequest { client: Some(client), request_id: String::new() };
    profiles.create_client(request).await.expect("create client").into_inner()
}

/// Gives `client` one holding per product line.
pub async fn hold(running: &Running, client: &str, lines: &[ProductLine]) {
    let mut profiles = running.client(Role::Admin, ClientProfileServiceClient::new);
    for line in lines {
        let holding = Holding {
            product_code: format!("P-{}", line.as_str_name()),
            product_line: *line as i32,
            account_number: uuid::Uuid::new_v4().simple().to_string(),
            ..Default::default()
        };
        let request = UpsertHoldingRequest { parent: client.into(), holding: Some(holding) };
        profiles.upsert_holding(request).await.expect("holding");
    }
}

/// A statement of `client` for `period`, ending at `end` (unix seconds), with
/// revenue / EBITDA / debt / current assets / current liabilities / interest in millions.
pub async fn statement(running: &Running, client: &str, period: &str, end: i64, millions: [i64; 6]) {
    let [revenue, ebitda, debt, current_assets, current_liabilities, interest] = millions.map(|m| cny(m * 1_000_000));
    let statement = FinancialStatement {
        period: period.into(),
        period_end_time: Some(prost_types::Timestamp { seconds: end, nanos: 0 }),
        revenue,
        ebitda,
        total_assets: cny(2_000_000_000),
        total_debt: debt,
        current_assets,
        current_liabilities,
        interest_expense: interest,
        ..Default::default()
    };
    let mut profiles = running.client(Role::Admin, ClientProfileServiceClient::new);
    let request = CreateFinancialStatementRequest { parent: client.into(), financial_statement: Some(statement) };
    profiles.create_financial_statement(request).await.expect("financial statement");
}

/// The target client's record.
pub fn target_client() -> Client {
    Client {
        display_name: "华信国际贸易".into(),
        legal_name: "华信国际贸易有限公司".into(),
        registration_number: TARGET_REGISTRATION.into(),
        country_code: "CN".into(),
        industry_code: "5179".into(),
        region: "East China".into(),
        credit_grade: "BBB".into(),
        annual_turnover: cny(800_000_000),
        relationship_manager: "rm-e2e".into(),
        ..Default::default()
    }
}

/// Sets the portfolio up and activates the scheme over it (see the module documentation).
pub async fn wholesale_portfolio(running: &Running) -> Portfolio {
    use ProductLine::{Deposits, Lending, TradeFinance};
    let target = create_client(running, target_client()).await;
    hold(running, &target.name, &[Deposits]).await;
    let mut wholesalers = Vec::new();
    for i in 0..5 {
        let client = Client {
            display_name: format!("Wholesaler {i}"),
            country_code: "CN".into(),
            industry_code: "5171".into(),
            relationship_manager: "rm-e2e".into(),
            ..Default::default()
        };
        let client = create_client(running, client).await.name;
        let lines: &[ProductLine] = if i < 4 { &[Deposits, TradeFinance] } else { &[Deposits] };
        hold(running, &client, lines).await;
        wholesalers.push(client);
    }
    for i in 0..4 {
        let client = Client {
            display_name: format!("Steelworks {i}"),
            country_code: "CN".into(),
            industry_code: "2410".into(),
            relationship_manager: "rm-e2e".into(),
            ..Default::default()
        };
        let client = create_client(running, client).await.name;
        hold(running, &client, &[Deposits, Lending]).await;
    }

    let analyst = running.client(Role::MarketingAnalyst, SegmentationServiceClient::new);
    poll_until("segmentation to see the whole portfolio and its holdings", FEED_TIMEOUT, || {
        let mut analyst = analyst.clone();
        async move {
            let preview = PreviewSchemeRequest { target: Some(Target::Scheme(industry_scheme())) };
            let report = analyst.preview_scheme(preview).await?.into_inner();
            let trade = report.product_penetration.get("TRADE_FINANCE").copied().unwrap_or_default();
            Ok::<_, tonic::Status>((report.population == 10 && (trade - 0.4).abs() < 1e-9).then_some(()))
        }
    })
    .await;
    let mut analyst = analyst;
    let request = CreateSchemeRequest { scheme: Some(industry_scheme()), request_id: String::new() };
    let scheme = analyst.create_scheme(request).await.expect("create scheme").into_inner();
    let activation = analyst
        .activate_scheme(ActivateSchemeRequest { name: scheme.name.clone(), etag: scheme.etag.clone() })
        .await
        .expect("activate scheme")
        .into_inner();
    let done = poll_until("the activation to finish", FEED_TIMEOUT, || {
        let (mut analyst, name) = (analyst.clone(), activation.name.clone());
        async move {
            let now = analyst.get_activation(GetActivationRequest { name }).await?.into_inner();
            Ok::<_, tonic::Status>((now.state != ActivationState::Running as i32).then_some(now))
        }
    })
    .await;
    assert_eq!(done.state(), ActivationState::Succeeded, "{}", done.error);
    Portfolio { target, wholesalers, scheme }
}
