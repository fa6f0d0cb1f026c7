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
            Case, CaseCategory, Channel as ContactChannel, ChannelPreference, ConsentStatus, ContactPurpose, Direction,
            Interaction, InteractionKind, LogInteractionRequest, OpenCaseRequest, SetChannelPreferenceRequest,
            interaction_service_client::InteractionServiceClient,
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
use tonic::{service::interceptor::InterceptedService, transport::Channel};

use crate::{
    progress,
    suite::{Service, Suite},
};

/// A typed client's transport: a channel carrying a bearer token.
pub type Authed = InterceptedService<Channel, Bearer>;

/// Reporting period of the demo profitability figures.
const PERIOD: &str = "2026-Q3";
/// The demo's interactions are dated before 2026-11-01T00:00:00Z.
const DEMO_ANCHOR_SECS: u64 = 1_793_491_200;
/// One in this many clients gets an interaction history.
const INTERACTION_EVERY: usize = 25;

/// Of the clients with a history, one in this many also gets an open case.
const CASE_EVERY: usize = 4;

/// The demo clients that get interactions and an open case, in portfolio order (the
/// portfolio is listed by name, which is the order of the generator's keys).
pub fn clients_with_a_case() -> impl Iterator<Item = String> {
    let seed = crm_synth::SeedConfig::default().seed;
    (0u64..)
        .step_by(INTERACTION_EVERY * CASE_EVERY)
        .map(move |key| format!("clients/{}", crate::seeding::seeded_id(seed, key)))
}

/// Profitability records per ImportProfitability call (the scoring service's limit).
const IMPORT_CHUNK: usize = 1000;

/// Clients per page of the portfolio walk (one profitability import each).
const PAGE: i32 = 500;

/// A channel to each running service of `suite` carrying an ADMIN token of `subject`, valid
/// for `ttl`, signed with the suite's key.
pub fn admin_channels<'s>(
    config: &Config,
    suite: &'s Suite,
    subject: &str,
    ttl: Duration,
) -> anyhow::Result<impl Fn(Service) -> anyhow::Result<Authed> + 's> {
    let secret = crm_kit::auth::load_or_create_secret(&config.data_dir)?;
    let token =
        TokenIssuer::new(&secret)?.with_audience(config.auth.audience.clone()).mint(subject, Role::Admin, None, ttl)?;
    // Loading is bulk work: it waits for a place rather than being shed.
    let bearer = Bearer::new(&token)?.batch();
    Ok(move |service: Service| -> anyhow::Result<Authed> {
        let addr = suite.addr(service).context("service not running")?;
        let channel = Channel::from_shared(format!("http://{addr}"))?.connect_lazy();
        Ok(InterceptedService::new(channel, bearer.clone()))
    })
}

/// Loads the demo data of segmentation, scoring and interaction once; `expected` is the size
/// of the portfolio, for the progress bar.
pub async fn ensure(config: &Config, suite: &Suite, expected: u64) -> anyhow::Result<()> {
    let channel = admin_channels(config, suite, "system:demo", Duration::from_secs(3600))?;
    let mut segmentation = SegmentationServiceClient::new(channel(Service::Segmentation)?);
    let schemes = segmentation.list_schemes(ListSchemesRequest { page_size: 1, ..Default::default() }).await?;
    if !schemes.into_inner().schemes.is_empty() {
        tracing::info!("demo segmentation, scores and interactions already present");
        return Ok(());
    }
    let mut profiles = ClientProfileServiceClient::new(channel(Service::Profile)?);
    let mut scoring = ValueScoringServiceClient::new(channel(Service::Scoring)?);
    let mut interactions = InteractionServiceClient::new(channel(Service::Interaction)?);
    // One page of the portfolio at a time: memory stays flat whatever its size.
    let progress = progress::bar(expected, "scores and interactions", "clients");
    let (mut page_token, mut seen) = (String::new(), 0usize);
    loop {
        let request = ListClientsRequest { page_size: PAGE, page_token, ..Default::default() };
        let page = profiles.list_clients(request).await?.into_inner();
        score(&mut scoring, &page.clients).await?;
        for (i, client) in page.clients.iter().enumerate() {
            if (seen + i) % INTERACTION_EVERY == 0 {
                history(&mut interactions, client, (seen + i) / INTERACTION_EVERY).await?;
            }
            consent(&mut interactions, client).await?;
        }
        seen += page.clients.len();
        progress.bar.set_length(progress.bar.length().unwrap_or(0).max(seen as u64));
        progress.bar.set_position(seen as u64);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    progress.finish();
    segment_scheme(segmentation).await
}

/// Share of the demo clients that signed a marketing consent for e-mail.
const MARKETING_CONSENT: f64 = 0.45;

/// Whether the demo client `name` signed a marketing consent (a stable [`MARKETING_CONSENT`]
/// share; the suffix spreads names that differ only in their last digits).
fn consents(name: &str) -> bool {
    unit(&format!("{name}#marketing-consent"), 7) < MARKETING_CONSENT
}

/// A stable share of the clients consents to marketing by e-mail (so segment accessibility
/// has consent to count); the others gave none, which the bank must respect.
async fn consent(service: &mut InteractionServiceClient<Authed>, client: &Client) -> anyhow::Result<()> {
    if !consents(&client.name) {
        return Ok(());
    }
    let preference = ChannelPreference {
        purpose: ContactPurpose::Marketing as i32,
        channel: ContactChannel::Email as i32,
        consent: ConsentStatus::Granted as i32,
        source: "signed marketing consent form".to_owned(),
        effective_time: Some(
            std::time::SystemTime::now().min(std::time::UNIX_EPOCH + Duration::from_secs(DEMO_ANCHOR_SECS)).into(),
        ),
        ..Default::default()
    };
    let request_id = format!("demo-consent-{}", client.name.replace('/', "-"));
    let request =
        SetChannelPreferenceRequest { parent: client.name.clone(), channel_preference: Some(preference), request_id };
    service.set_channel_preference(request).await.context("recording a demo consent")?;
    Ok(())
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

/// The quarter before [`PERIOD`]: value scoring compares revenue with it (growth), and so do
/// target markets.
const PREVIOUS_PERIOD: &str = "2026-Q2";

/// A client's quarterly figures for [`PREVIOUS_PERIOD`] and [`PERIOD`]: revenue grew by a
/// stable −10 % to +25 % between them.
fn profitability_history(client: &Client) -> [ProfitabilityRecord; 2] {
    let growth = -0.10 + 0.35 * unit(&client.name, 5);
    [profitability(client, PREVIOUS_PERIOD, 1.0 / (1.0 + growth)), profitability(client, PERIOD, 1.0)]
}

/// Quarterly figures in proportion to the client's turnover (revenue scaled by `scale`), in
/// the bank's reporting currency (CNY, at the seed's approximate rates).
fn profitability(client: &Client, period: &str, scale: f64) -> ProfitabilityRecord {
    let currency = "CNY";
    let turnover = match &client.annual_turnover {
        Some(m) if m.units > 0 => {
            let per_cny = crm_synth::units_per_cny(&m.currency_code).unwrap_or(1.0);
            m.units as f64 / per_cny
        }
        _ => 50_000_000.0,
    };
    let exposure = turnover * (0.05 + 0.25 * unit(&client.name, 1));
    let interest = scale * exposure * (0.004 + 0.006 * unit(&client.name, 2));
    let fees = scale * turnover * (0.0002 + 0.0015 * unit(&client.name, 3));
    let cost = (interest + fees) * (0.25 + 0.45 * unit(&client.name, 4));
    ProfitabilityRecord {
        client: client.name.clone(),
        period: period.to_owned(),
        net_interest_income: money(currency, interest),
        fee_income: money(currency, fees),
        cost_to_serve: money(currency, cost),
        exposure_at_default: money(currency, exposure),
        source: "demo".to_owned(),
        ..Default::default()
    }
}

/// Imports a page's profitability in one call, then scores its clients (8 at a time).
async fn score(scoring: &mut ValueScoringServiceClient<Authed>, clients: &[Client]) -> anyhow::Result<()> {
    let records: Vec<ProfitabilityRecord> = clients.iter().flat_map(profitability_history).collect();
    for chunk in records.chunks(IMPORT_CHUNK) {
        let request = ImportProfitabilityRequest { records: chunk.to_vec() };
        scoring.import_profitability(request).await.context("importing profitability")?;
    }
    futures::stream::iter(clients.iter().map(|client| {
        let mut scoring = scoring.clone();
        async move {
            let name = format!("{}/valueScore", client.name);
            scoring.score_client(ScoreClientRequest { name }).await.context("scoring a client")?;
            anyhow::Ok(())
        }
    }))
    .buffer_unordered(8)
    .try_collect::<()>()
    .await
}

const VISITS: [(ContactChannel, InteractionKind, &str); 4] = [
    (ContactChannel::RmVisit, InteractionKind::VisitReport, "年度授信回顾拜访：客户计划扩大华东地区产能"),
    (ContactChannel::Phone, InteractionKind::Sales, "Discussed FX hedging for next quarter's USD receivables"),
    (ContactChannel::ContactCentre, InteractionKind::ServiceRequest, "客户来电：一笔电子汇款未到账，已登记查询"),
    (ContactChannel::Email, InteractionKind::Feedback, "Treasurer confirmed satisfaction with the new cash pooling"),
];

/// The `i`-th chosen client's history: two interactions over different channels and, for
/// every fourth, an open payment case.
async fn history(service: &mut InteractionServiceClient<Authed>, client: &Client, i: usize) -> anyhow::Result<()> {
    // Fixed times: a demo interrupted and started again replays the same requests, which
    // the request ids then recognise (now would change the payload and be refused).
    let anchor = std::time::UNIX_EPOCH + Duration::from_secs(DEMO_ANCHOR_SECS);
    let now = std::time::SystemTime::now().min(anchor);
    for (n, (channel, kind, summary)) in VISITS.iter().enumerate().skip(i % 3).take(2) {
        let days = 3 + 17 * n as u64 + (i as u64 % 11);
        let when = now - Duration::from_secs(days * 86_400);
        let interaction = Interaction {
            channel: *channel as i32,
            direction: if *kind == InteractionKind::ServiceRequest { Direction::Inbound } else { Direction::Outbound }
                as i32,
            kind: *kind as i32,
            occur_time: Some(when.into()),
            summary: (*summary).to_owned(),
            staff: vec![client.relationship_manager.clone()],
            satisfaction: 3 + (i % 3) as i32,
            ..Default::default()
        };
        let request_id = format!("demo-{}-{n}", client.name.replace('/', "-"));
        let parent = client.name.clone();
        service.log_interaction(LogInteractionRequest { parent, interaction: Some(interaction), request_id }).await?;
    }
    if i.is_multiple_of(CASE_EVERY) {
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
                "client.customer_type == \"LARGE_CORPORATE\" || client.annual_turnover_reporting >= 2000000000",
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
    let progress = progress::bar(activation.total.max(1) as u64, "segment memberships", "clients");
    loop {
        let now = service.get_activation(GetActivationRequest { name: activation.name.clone() }).await?.into_inner();
        progress.bar.set_length(now.total.max(1) as u64);
        progress.bar.set_position(now.processed as u64);
        match now.state() {
            ActivationState::Succeeded => break,
            ActivationState::Failed => anyhow::bail!("activating the demo scheme failed: {}", now.error),
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    progress.finish();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_kit::{client_view::ClientFacts, expr::Budget};
    use crm_segmentation::domain::{
        scheme,
        view::{ClientRecord, ProfileFacts},
    };

    fn sme(turnover: i64, currency: &str) -> ClientRecord {
        ClientRecord {
            facts: ProfileFacts {
                client: ClientFacts {
                    customer_type: "SME".into(),
                    annual_turnover_units: turnover,
                    annual_turnover_currency: currency.into(),
                    ..Default::default()
                },
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn large_corporates_compare_turnover_in_the_reporting_currency() {
        let compiled = scheme::check(&demo_scheme(), "scheme").expect("the demo scheme is valid");
        let records = [
            sme(10_000_000_000, "KRW"), // ≈ CNY 51 m
            sme(50_000_000_000, "JPY"), // ≈ CNY 2.4 bn
            sme(500_000_000, "USD"),    // ≈ CNY 3.6 bn
            sme(300_000_000, "CNY"),
        ];
        let budget = Budget::until(std::time::Instant::now() + Duration::from_secs(60));
        let paths = scheme::assign_records(&[&compiled], &records, &budget).expect("assigned");
        let top: Vec<&str> = paths.iter().map(|p| p[0][0].as_str()).collect();
        assert_eq!(top, ["sme", "large-corporate", "large-corporate", "sme"]);
    }

    #[test]
    fn about_the_stated_share_of_demo_clients_consents_to_marketing() {
        let seed = crm_synth::SeedConfig::default().seed;
        let names: Vec<String> =
            (0..10_000u64).map(|key| format!("clients/{}", crate::seeding::seeded_id(seed, key))).collect();
        let share = names.iter().filter(|n| consents(n)).count() as f64 / names.len() as f64;
        assert!((share - MARKETING_CONSENT).abs() < 0.03, "{share}");
    }

    #[test]
    fn the_demo_history_has_two_comparable_periods() {
        let client = Client { name: "clients/x".into(), ..Default::default() };
        let [before, now] = profitability_history(&client);
        assert_eq!((before.period.as_str(), now.period.as_str()), (PREVIOUS_PERIOD, PERIOD));
        let revenue = |r: &ProfitabilityRecord| {
            r.net_interest_income.as_ref().map_or(0, |m| m.units) + r.fee_income.as_ref().map_or(0, |m| m.units)
        };
        let growth = revenue(&now) as f64 / revenue(&before) as f64 - 1.0;
        assert!((-0.11..=0.26).contains(&growth), "{growth}");
    }
}
