//! `crm up --demo`, beyond the profile portfolio: profitability and value scores, an active
//! segmentation scheme, and a history of interactions and cases, loaded through the services'
//! own APIs (so every rule, audit record and feed event is as in real use). Runs once: a
//! suite that already has a segmentation scheme is left alone.

use std::time::Duration;

use anyhow::Context as _;
use crm_kit::{
    auth::{Bearer, Role, TokenIssuer},
    config::Config,
};
use crm_proto::{
    crm::{
        interaction::v1::{
            Case, CaseCategory, Channel as ContactChannel, Direction, Interaction, InteractionKind,
            LogInteractionRequest, OpenCaseRequest, interaction_service_client::InteractionServiceClient,
        },
        profile::v1::{Client, ListClientsRequest, client_profile_service_client::ClientProfileServiceClient},
        scoring::v1::{
            ImportProfitabilityRequest, ProfitabilityRecord, ScoreClientRequest,
            value_scoring_service_client::ValueScoringServiceClient,
        },
        segmentation::v1::{
            ActivateSchemeRequest, ActivationState, CreateSchemeRequest, GetActivationRequest, ListSchemesRequest,
            Scheme, Segment, SegmentationBasis, segmentation_service_client::SegmentationServiceClient,
        },
    },
    google::r#type::Money,
};
use futures::{StreamExt as _, TryStreamExt as _};
use indicatif::{ProgressBar, ProgressStyle};
use tonic::{service::interceptor::InterceptedService, transport::Channel};

use crate::{
    seed::geo::COUNTRIES,
    suite::{Service, Suite},
};

type Authed = InterceptedService<Channel, Bearer>;

/// Reporting period of the demo profitability figures.
const PERIOD: &str = "2026-Q3";
/// One in this many clients gets an interaction history.
const INTERACTION_EVERY: usize = 25;

/// Loads the demo data of segmentation, scoring and interaction once.
pub async fn ensure(config: &Config, suite: &Suite) -> anyhow::Result<()> {
    let secret = crm_kit::auth::load_or_create_secret(&config.data_dir)?;
    let token = TokenIssuer::new(&secret)?.with_audience(config.auth.audience.clone()).mint(
        "system:demo",
        Role::Admin,
        None,
        Duration::from_secs(3600),
    )?;
    let bearer = Bearer::new(&token)?;
    let channel = |service: Service| -> anyhow::Result<Authed> {
        let addr = suite.addr(service).context("service not running")?;
        let channel = Channel::from_shared(format!("http://{addr}"))?.connect_lazy();
        Ok(InterceptedService::new(channel, bearer.clone()))
    };
    let mut segmentation = SegmentationServiceClient::new(channel(Service::Segmentation)?);
    let schemes = segmentation.list_schemes(ListSchemesRequest { page_size: 1, ..Default::default() }).await?;
    if !schemes.into_inner().schemes.is_empty() {
        tracing::info!("demo segmentation, scores and interactions already present");
        return Ok(());
    }
    let clients = all_clients(ClientProfileServiceClient::new(channel(Service::Profile)?)).await?;
    score(ValueScoringServiceClient::new(channel(Service::Scoring)?), &clients).await?;
    interactions(InteractionServiceClient::new(channel(Service::Interaction)?), &clients).await?;
    segment_scheme(segmentation).await
}

async fn all_clients(mut profiles: ClientProfileServiceClient<Authed>) -> anyhow::Result<Vec<Client>> {
    let mut clients = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = profiles
            .list_clients(ListClientsRequest { page_size: 1000, page_token, ..Default::default() })
            .await?
            .into_inner();
        clients.extend(page.clients);
        if page.next_page_token.is_empty() {
            return Ok(clients);
        }
        page_token = page.next_page_token;
    }
}

fn bar(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    let style = ProgressStyle::with_template("{msg:>24} [{bar:30}] {pos}/{len} ({eta})")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    bar.set_message(what.to_owned());
    bar
}

/// A stable pseudo-random number in 0..1 for a client and a purpose (FNV-1a).
fn unit(client: &str, salt: u64) -> f64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
    for byte in client.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

fn money(currency: &str, amount: f64) -> Option<Money> {
    Some(Money { currency_code: currency.to_owned(), units: amount.round() as i64, nanos: 0 })
}

/// Quarterly figures in proportion to the client's turnover, in the bank's reporting
/// currency (CNY, at the seed's approximate rates).
fn profitability(client: &Client) -> ProfitabilityRecord {
    let currency = "CNY";
    let turnover = match &client.annual_turnover {
        Some(m) if m.units > 0 => {
            let per_cny = COUNTRIES.iter().find(|c| c.currency == m.currency_code).map_or(1.0, |c| c.per_cny);
            m.units as f64 / per_cny
        }
        _ => 50_000_000.0,
    };
    let exposure = turnover * (0.05 + 0.25 * unit(&client.name, 1));
    let interest = exposure * (0.004 + 0.006 * unit(&client.name, 2));
    let fees = turnover * (0.0002 + 0.0015 * unit(&client.name, 3));
    let cost = (interest + fees) * (0.25 + 0.45 * unit(&client.name, 4));
    ProfitabilityRecord {
        client: client.name.clone(),
        period: PERIOD.to_owned(),
        net_interest_income: money(currency, interest),
        fee_income: money(currency, fees),
        cost_to_serve: money(currency, cost),
        exposure_at_default: money(currency, exposure),
        source: "demo".to_owned(),
        ..Default::default()
    }
}

async fn score(mut scoring: ValueScoringServiceClient<Authed>, clients: &[Client]) -> anyhow::Result<()> {
    let progress = bar(clients.len(), "profitability");
    for chunk in clients.chunks(500) {
        let records = chunk.iter().map(profitability).collect();
        scoring
            .import_profitability(ImportProfitabilityRequest { records })
            .await
            .context("importing profitability")?;
        progress.inc(chunk.len() as u64);
    }
    progress.finish();
    let progress = bar(clients.len(), "value scores");
    futures::stream::iter(clients.iter().map(|client| {
        let mut scoring = scoring.clone();
        let progress = progress.clone();
        async move {
            let name = format!("{}/valueScore", client.name);
            scoring.score_client(ScoreClientRequest { name }).await.context("scoring a client")?;
            progress.inc(1);
            anyhow::Ok(())
        }
    }))
    .buffer_unordered(8)
    .try_collect::<()>()
    .await?;
    progress.finish();
    Ok(())
}

const VISITS: [(ContactChannel, InteractionKind, &str); 4] = [
    (ContactChannel::RmVisit, InteractionKind::VisitReport, "年度授信回顾拜访：客户计划扩大华东地区产能"),
    (ContactChannel::Phone, InteractionKind::Sales, "Discussed FX hedging for next quarter's USD receivables"),
    (ContactChannel::ContactCentre, InteractionKind::ServiceRequest, "客户来电：一笔电子汇款未到账，已登记查询"),
    (ContactChannel::Email, InteractionKind::Feedback, "Treasurer confirmed satisfaction with the new cash pooling"),
];

async fn interactions(mut service: InteractionServiceClient<Authed>, clients: &[Client]) -> anyhow::Result<()> {
    let chosen: Vec<&Client> = clients.iter().step_by(INTERACTION_EVERY).collect();
    let progress = bar(chosen.len(), "interactions");
    let now = std::time::SystemTime::now();
    for (i, client) in chosen.iter().enumerate() {
        for (n, (channel, kind, summary)) in VISITS.iter().enumerate().skip(i % 3).take(2) {
            let days = 3 + 17 * n as u64 + (i as u64 % 11);
            let when = now - Duration::from_secs(days * 86_400);
            let interaction = Interaction {
                channel: *channel as i32,
                direction: if *kind == InteractionKind::ServiceRequest {
                    Direction::Inbound
                } else {
                    Direction::Outbound
                } as i32,
                kind: *kind as i32,
                occur_time: Some(when.into()),
                summary: (*summary).to_owned(),
                staff: vec![client.relationship_manager.clone()],
                satisfaction: 3 + (i % 3) as i32,
                ..Default::default()
            };
            let request_id = format!("demo-{}-{n}", client.name.replace('/', "-"));
            let parent = client.name.clone();
            service
                .log_interaction(LogInteractionRequest { parent, interaction: Some(interaction), request_id })
                .await?;
        }
        if i % 4 == 0 {
            let case = Case {
                title: "电子汇款未到账 / Missing electronic payment".to_owned(),
                description: "Outgoing payment not credited to the beneficiary; trace requested".to_owned(),
                category: CaseCategory::PaymentIssue as i32,
                channel: ContactChannel::ContactCentre as i32,
                ..Default::default()
            };
            let request_id = format!("demo-case-{}", client.name.replace('/', "-"));
            service.open_case(OpenCaseRequest { parent: client.name.clone(), case: Some(case), request_id }).await?;
        }
        progress.inc(1);
    }
    progress.finish();
    Ok(())
}

fn segment(id: &str, display: &str, rule: &str, sub: Vec<Segment>) -> Segment {
    Segment {
        segment_id: id.to_owned(),
        display_name: display.to_owned(),
        rule: rule.to_owned(),
        sub_segments: sub,
        ..Default::default()
    }
}

/// The bank's corporate segmentation: by customer type and size, large corporates split by
/// whether they use trade finance.
fn demo_scheme() -> Scheme {
    let large = vec![
        segment("trade-active", "Trade-active large corporates", "\"TRADE_FINANCE\" in client.product_lines", vec![]),
        segment("other-large", "Other large corporates", "true", vec![]),
    ];
    Scheme {
        display_name: "Corporate segments 2026".to_owned(),
        description: "Customer type and size, large corporates by trade finance usage".to_owned(),
        bases: vec![SegmentationBasis::CustomerType as i32, SegmentationBasis::Size as i32],
        segments: vec![
            segment(
                "large-corporate",
                "Large corporates",
                "client.customer_type == \"LARGE_CORPORATE\" || client.annual_turnover_units >= 2000000000",
                large,
            ),
            segment("mid-market", "Mid-market", "client.customer_type == \"MID_MARKET\"", vec![]),
            segment("sme", "SME", "client.customer_type == \"SME\"", vec![]),
            segment(
                "institutions",
                "Financial institutions and public sector",
                "client.customer_type in [\"FINANCIAL_INSTITUTION\", \"PUBLIC_SECTOR\", \"NON_PROFIT\"]",
                vec![],
            ),
        ],
        ..Default::default()
    }
}

async fn segment_scheme(mut service: SegmentationServiceClient<Authed>) -> anyhow::Result<()> {
    let request = CreateSchemeRequest { scheme: Some(demo_scheme()), request_id: "demo-scheme".to_owned() };
    let scheme = service.create_scheme(request).await.context("creating the demo scheme")?.into_inner();
    let activation = service
        .activate_scheme(ActivateSchemeRequest { name: scheme.name.clone(), etag: String::new() })
        .await
        .context("activating the demo scheme")?
        .into_inner();
    let progress = bar(activation.total.max(1) as usize, "segment memberships");
    loop {
        let now = service.get_activation(GetActivationRequest { name: activation.name.clone() }).await?.into_inner();
        progress.set_length(now.total.max(1) as u64);
        progress.set_position(now.processed as u64);
        match now.state() {
            ActivationState::Succeeded => break,
            ActivationState::Failed => anyhow::bail!("activating the demo scheme failed: {}", now.error),
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    progress.finish();
    Ok(())
}
