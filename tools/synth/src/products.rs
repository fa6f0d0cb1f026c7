//! Product holdings with usage, and yearly financial statements consistent with turnover.

use crm_proto::crm::profile::v1::{
    CustomerType, FinancialStatement, Holding, LifecycleStage, ProductLine, Provenance, SourceType,
};
use crm_proto::google::r#type::Money;
use prost_types::Timestamp;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::calendar::{FISCAL_YEARS, REFERENCE_TIME};
use crate::geo::Country;
use crate::identity::Core;
use crate::ids::{self, Salts};
use crate::industry::Kind;
use crate::profile::Profile;
use crate::random::log_normal;

/// Money in `currency`; cents kept when `cents`, otherwise whole units.
pub(crate) fn money(currency: &str, amount: f64, cents: bool) -> Money {
    let (units, nanos) = if cents {
        let total = (amount * 100.0).round() as i64;
        (total / 100, (total % 100) as i32 * 10_000_000)
    } else {
        (amount.round() as i64, 0)
    };
    Money { currency_code: currency.to_owned(), units, nanos }
}

/// Rounds large amounts to thousands, as reported figures are.
fn reported(amount: f64) -> f64 {
    if amount.abs() >= 1e6 { (amount / 1000.0).round() * 1000.0 } else { amount.round() }
}

/// Annual turnover in the country's currency, whole units.
pub(crate) fn turnover_money(country: &Country, turnover_cny: f64) -> Money {
    money(country.currency, reported(turnover_cny * country.per_cny).max(0.0), false)
}

/// How a product's balance and limit behave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Model {
    Current,
    Time,
    Loan,
    Overdraft,
    Contingent,
    FxLine,
    Card,
    Invest,
    Service,
}

use Model::*;
use ProductLine as L;

/// The bank's products: code, line, base weight, behaviour.
const PRODUCTS: [(&str, L, f64, Model); 32] = [
    ("DEP-CURRENT", L::Deposits, 0.0, Current),
    ("DEP-TIME-3M", L::Deposits, 40.0, Time),
    ("DEP-TIME-1Y", L::Deposits, 30.0, Time),
    ("DEP-CALL-7D", L::Deposits, 30.0, Time),
    ("LN-TERM", L::Lending, 50.0, Loan),
    ("LN-WORKING-CAPITAL", L::Lending, 60.0, Loan),
    ("LN-REVOLVER", L::Lending, 30.0, Loan),
    ("LN-OVERDRAFT", L::Lending, 30.0, Overdraft),
    ("LN-SYNDICATED", L::Lending, 5.0, Loan),
    ("LN-PROJECT", L::Lending, 5.0, Loan),
    ("TF-LC-IMPORT", L::TradeFinance, 25.0, Contingent),
    ("TF-LC-EXPORT", L::TradeFinance, 20.0, Contingent),
    ("TF-GUARANTEE", L::TradeFinance, 25.0, Contingent),
    ("TF-INVOICE-FINANCE", L::TradeFinance, 15.0, Contingent),
    ("TF-SCF", L::TradeFinance, 10.0, Contingent),
    ("CM-POOLING", L::CashManagement, 15.0, Service),
    ("CM-SWEEP", L::CashManagement, 15.0, Service),
    ("CM-VIRTUAL-ACCOUNTS", L::CashManagement, 10.0, Service),
    ("FX-SPOT", L::Fx, 30.0, Service),
    ("FX-FORWARD", L::Fx, 20.0, FxLine),
    ("FX-SWAP", L::Fx, 5.0, FxLine),
    ("PAY-DOMESTIC", L::Payments, 60.0, Service),
    ("PAY-CROSS-BORDER", L::Payments, 25.0, Service),
    ("PAY-PAYROLL", L::Payments, 40.0, Service),
    ("PAY-EBANKING", L::Payments, 50.0, Service),
    ("CARD-CORPORATE", L::Cards, 25.0, Card),
    ("CARD-PURCHASING", L::Cards, 8.0, Card),
    ("INV-MMF", L::Investment, 15.0, Invest),
    ("INV-WEALTH-MGMT", L::Investment, 20.0, Invest),
    ("INV-STRUCTURED-DEPOSIT", L::Investment, 12.0, Invest),
    ("INV-BOND", L::Investment, 5.0, Invest),
    ("DEP-NOTICE", L::Deposits, 8.0, Time),
];

/// How much more (or less) likely a product is for this client.
fn affinity(code: &str, line: L, core: &Core, p: &Profile) -> f64 {
    let mut w = 1.0;
    if core.class.theme.trade && matches!(line, L::TradeFinance | L::Fx) {
        w *= 3.0;
    }
    if core.class.theme.trade && code == "PAY-CROSS-BORDER" {
        w *= 2.0;
    }
    match p.customer_type {
        CustomerType::FinancialInstitution => match line {
            L::Investment => w *= 3.0,
            L::Fx | L::CashManagement => w *= 2.0,
            L::Lending | L::TradeFinance | L::Cards => w *= 0.3,
            _ => {}
        },
        CustomerType::PublicSector | CustomerType::NonProfit => match line {
            L::Lending => w *= 0.2,
            L::TradeFinance | L::Fx => w *= 0.1,
            L::Deposits => w *= 2.0,
            _ if code == "PAY-PAYROLL" => w *= 2.0,
            _ => {}
        },
        CustomerType::LargeCorporate if code == "LN-SYNDICATED" || line == L::CashManagement => w *= 5.0,
        CustomerType::Sme if code == "LN-SYNDICATED" || code == "LN-PROJECT" => w *= 0.05,
        CustomerType::Sme if line == L::CashManagement => w *= 0.3,
        _ => {}
    }
    if p.niche {
        match line {
            L::Deposits => w *= 4.0,
            L::Investment => w *= 3.0,
            L::Lending | L::Payments => w *= 0.4,
            _ => {}
        }
    }
    w
}

/// One to six holdings of client `key`; only drawn loans have negative balances.
pub(crate) fn holdings(core: &Core, key: u64, p: &Profile, salts: &Salts, rng: &mut ChaCha8Rng) -> Vec<Holding> {
    let extra = match p.lifecycle {
        LifecycleStage::Prospect => 0,
        _ if matches!(p.customer_type, CustomerType::LargeCorporate | CustomerType::FinancialInstitution) => {
            rng.random_range(2..=5)
        }
        _ if p.band == 1 || p.customer_type == CustomerType::PublicSector => rng.random_range(1..=3),
        _ => rng.random_range(0..=2),
    };
    let mut weights: Vec<f64> =
        PRODUCTS.iter().map(|&(code, line, base, _)| base * affinity(code, line, core, p)).collect();
    let mut chosen = vec![0usize];
    for _ in 0..extra {
        let total: f64 = weights.iter().sum();
        let mut x = rng.random::<f64>() * total;
        if let Some(i) = weights.iter().position(|&w| {
            x -= w;
            x < 0.0 && w > 0.0
        }) {
            chosen.push(i);
            weights[i] = 0.0;
        }
    }
    let country = core.country;
    let (currency, cents) = (country.currency, country.cents);
    let turnover = core.turnover_cny * country.per_cny;
    let monthly = turnover / 12.0;
    let staff = p.employees as f64;
    let dormant = p.lifecycle == LifecycleStage::Exited;
    let branch = if country.code == "CN" { u32::from(core.city.division) } else { 9000 + rng.random_range(0..1000) };
    let span = (REFERENCE_TIME - p.since).max(86_400);
    let mut out = Vec::with_capacity(chosen.len());
    for (index, &i) in chosen.iter().enumerate() {
        let (code, line, _, model) = PRODUCTS[i];
        let credit = |rng: &mut ChaCha8Rng, share: f64| reported(turnover * log_normal(rng, share, 0.6)).max(10_000.0);
        let (balance, limit) = match model {
            Current if p.niche => (turnover * rng.random_range(0.3..0.9), None),
            Current if dormant => (turnover * 0.001 * rng.random::<f64>(), None),
            Current => (turnover * log_normal(rng, 0.05, 0.8).min(2.0), None),
            Time | Invest if p.niche => (turnover * rng.random_range(0.2..0.6), None),
            Time | Invest => (turnover * log_normal(rng, 0.04, 0.8).min(1.5), None),
            Loan => {
                let limit = credit(rng, 0.15);
                (-limit * rng.random_range(0.3..1.0), Some(limit))
            }
            Overdraft => {
                let limit = credit(rng, 0.03);
                (-limit * rng.random_range(0.0..0.8), Some(limit))
            }
            Contingent => (0.0, Some(credit(rng, 0.08))),
            FxLine => (0.0, Some(credit(rng, 0.05))),
            Card => (0.0, Some(reported(turnover * log_normal(rng, 0.002, 0.5)).max(5_000.0))),
            Service => (0.0, None),
        };
        let activity = log_normal(rng, 1.0, 0.6);
        let (count, volume) = match model {
            _ if dormant => (f64::from(rng.random_range(0..3u8)), 0.0),
            Current | Service if p.niche => {
                (f64::from(rng.random_range(1..=12u8)), monthly * rng.random_range(0.02..0.1))
            }
            Current => ((staff.sqrt() * 8.0 + 20.0) * activity, monthly * 0.6 * activity),
            Service if code == "PAY-PAYROLL" => (staff * rng.random_range(1.0..1.2), monthly * 0.15 * activity),
            Service if line == L::CashManagement => ((staff.sqrt() * 4.0 + 20.0) * activity, monthly * activity),
            Service => ((staff.sqrt() * 3.0 + 5.0) * activity, monthly * 0.3 * activity),
            Time | Invest => (rng.random_range(0..=2) as f64, balance * 0.05 * rng.random::<f64>()),
            Loan => (rng.random_range(1..=3) as f64, -balance * 0.03),
            Overdraft => ((10.0 * activity).round(), limit.unwrap_or(0.0) * 0.5 * activity),
            Contingent | FxLine => (rng.random_range(0..=8) as f64, limit.unwrap_or(0.0) * 0.2 * activity),
            Card => ((staff.sqrt() * 5.0 + 5.0) * activity, monthly * 0.01 * activity),
        };
        let opened = if index == 0 { p.since } else { p.since + rng.random_range(0..span) };
        out.push(Holding {
            product_code: code.to_owned(),
            product_line: line as i32,
            account_number: ids::account(key, index as u64, branch, line as i32, salts),
            balance: Some(money(currency, balance, cents)),
            limit: limit.map(|l| money(currency, l, false)),
            open_time: Some(Timestamp { seconds: opened.min(REFERENCE_TIME - 3600), nanos: 0 }),
            monthly_transaction_count: count.round().max(0.0) as i64,
            monthly_transaction_volume: Some(money(currency, volume.max(0.0), cents)),
            ..Holding::default()
        });
    }
    out
}

/// Two or three yearly statements in the turnover's currency; revenue of the last year is
/// about the turnover, margins follow the industry, leverage and liquidity the credit grade.
pub(crate) fn statements(core: &Core, turnover: &Money, p: &Profile, rng: &mut ChaCha8Rng) -> Vec<FinancialStatement> {
    let theme = core.class.theme;
    let years = if rng.random_bool(0.6) { &FISCAL_YEARS[..] } else { &FISCAL_YEARS[1..] };
    let normal = |rng: &mut ChaCha8Rng| -> f64 { rng.sample(StandardNormal) };
    let distress = match p.grade {
        0..=5 => 0.0,
        6 => 0.05,
        _ => 0.12,
    };
    let fin = core.class.kind == Kind::Financial;
    let debt_ratio = ([0.10, 0.15, 0.22, 0.30, 0.38, 0.45, 0.55, 0.65, 0.72, 0.80][p.grade]
        + if fin { 0.3 } else { 0.0 }
        + 0.05 * normal(rng))
    .clamp(0.0, 0.95);
    let asset_intensity = theme.assets * log_normal(rng, 1.0, 0.25);
    let current_share = if fin { 0.6 } else { rng.random_range(0.25..0.55) };
    let current_ratio = log_normal(rng, 1.4, 0.25) * if p.grade >= 6 { 0.7 } else { 1.0 };
    let rate = 0.03 + 0.004 * p.grade as f64 + rng.random_range(0.0..0.01);
    let audited = !matches!(p.customer_type, CustomerType::Sme | CustomerType::NonProfit);
    let mut revenue = (turnover.units as f64 * rng.random_range(0.97..1.03)).max(0.0);
    let mut out: Vec<FinancialStatement> = Vec::with_capacity(years.len());
    for &(period, end) in years.iter().rev() {
        let margin = (theme.margin + 0.04 * normal(rng) - distress).clamp(-0.3, 0.8);
        let assets = revenue * asset_intensity * log_normal(rng, 1.0, 0.05);
        let debt = assets * debt_ratio;
        let current_assets = assets * current_share;
        let m = |amount: f64| money(&turnover.currency_code, reported(amount), false);
        let (source_type, source) = if audited {
            (SourceType::Secondary, "audited-accounts")
        } else {
            (SourceType::Primary, "client-provided")
        };
        out.push(FinancialStatement {
            period: period.to_owned(),
            period_end_time: Some(Timestamp { seconds: end, nanos: 0 }),
            revenue: Some(m(revenue)),
            ebitda: Some(m(revenue * margin)),
            total_assets: Some(m(assets)),
            total_debt: Some(m(debt)),
            current_assets: Some(m(current_assets)),
            current_liabilities: Some(m(current_assets / current_ratio)),
            interest_expense: Some(m(debt * rate)),
            provenance: Some(Provenance {
                source_type: source_type as i32,
                source_name: source.to_owned(),
                as_of_time: Some(Timestamp { seconds: end + rng.random_range(60..150) * 86_400, nanos: 0 }),
                verified: audited,
            }),
            ..FinancialStatement::default()
        });
        let growth = (0.06 + 0.08 * normal(rng)).clamp(-0.4, 0.8);
        revenue /= 1.0 + growth;
    }
    out.reverse();
    out
}
