//! The relationship side of a client: size in staff and sites, credit grade, lifecycle,
//! relationship manager, purchasing system, labels and the provenance of the main facts.

use std::collections::BTreeMap;

use crm_proto::crm::profile::v1::{CustomerType, DecisionStyle, LifecycleStage, Provenance, Purchasing, SourceType};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::calendar::REFERENCE_TIME;
use crate::identity::{Core, size_band};
use crate::industry::Kind;
use crate::random::{log_normal, pick};

/// Credit grades, best first.
pub(crate) const GRADES: [&str; 10] = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D"];

/// Share of each grade (per mille) before adjusting for size: most BBB to B, few D.
const GRADE_WEIGHTS: [(usize, u32); 10] =
    [(0, 10), (1, 30), (2, 90), (3, 220), (4, 280), (5, 220), (6, 80), (7, 35), (8, 20), (9, 15)];

/// Relationship managers serving key accounts (large corporates and institutions).
const KEY_ACCOUNT_RMS: u32 = 40;
/// All relationship managers.
const RMS: u32 = 400;

/// Derived relationship facts of one client.
#[derive(Debug)]
pub(crate) struct Profile {
    pub customer_type: CustomerType,
    /// Size band: 0 SME, 1 mid-market, 2 large.
    pub band: usize,
    pub employees: i64,
    /// Branches or sites.
    pub branches: i32,
    /// Index into [`GRADES`].
    pub grade: usize,
    pub lifecycle: LifecycleStage,
    /// When the relationship began (Unix seconds).
    pub since: i64,
    /// The niche of docs/domain.md §2: high balances, few transactions.
    pub niche: bool,
    /// Relationship manager's staff id.
    pub rm: String,
    pub purchasing: Purchasing,
    pub labels: BTreeMap<String, String>,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Derives the relationship facts of a client from its core identity.
pub(crate) fn derive(core: &Core, customer_type: CustomerType, duplicate: bool, rng: &mut ChaCha8Rng) -> Profile {
    use CustomerType as T;
    let theme = core.class.theme;
    let band = size_band(core.turnover_cny);
    let employees = (core.turnover_cny / (theme.rpe * 1000.0) * log_normal(rng, 1.0, 0.5)).round().max(1.0);
    let branches = 1.0 + (employees / theme.site * log_normal(rng, 1.0, 0.8)).floor();
    let shift = match customer_type {
        T::LargeCorporate => -1.2,
        T::FinancialInstitution => -1.0,
        T::PublicSector => -2.0,
        T::NonProfit => -0.5,
        T::MidMarket => -0.4,
        _ => 0.3,
    };
    let z: f64 = rng.sample(StandardNormal);
    let grade = (pick(rng, &GRADE_WEIGHTS, |g| g.1).0 as f64 + shift + 0.6 * z).round().clamp(0.0, 9.0) as usize;
    let stages: [(LifecycleStage, u32); 5] = if duplicate {
        use LifecycleStage::*;
        [(Prospect, 45), (Onboarding, 30), (Active, 25), (AtRisk, 0), (Exited, 0)]
    } else {
        use LifecycleStage::*;
        let distressed = grade >= 6;
        [
            (Active, 780),
            (Prospect, 80),
            (Onboarding, 40),
            (AtRisk, if distressed { 300 } else { 60 }),
            (Exited, if distressed { 80 } else { 40 }),
        ]
    };
    let lifecycle = pick(rng, &stages, |s| s.1).0;
    let days = match lifecycle {
        LifecycleStage::Prospect => rng.random_range(1..180),
        LifecycleStage::Onboarding => rng.random_range(1..90),
        _ => (365.0 * (0.5 - 6.0 * (1.0 - rng.random::<f64>()).ln()).min(30.0)) as i64,
    };
    let since = REFERENCE_TIME - days * 86_400 - rng.random_range(0..86_400);
    let niche = matches!(customer_type, T::Sme | T::MidMarket)
        && matches!(lifecycle, LifecycleStage::Active | LifecycleStage::AtRisk)
        && rng.random_bool(0.07);
    let rm = if matches!(customer_type, T::LargeCorporate | T::FinancialInstitution) {
        rng.random_range(1..=KEY_ACCOUNT_RMS)
    } else {
        rng.random_range(KEY_ACCOUNT_RMS + 1..=RMS)
    };
    let styles: &[(DecisionStyle, u32)] = {
        use DecisionStyle::*;
        match customer_type {
            T::Sme => &[(OwnerManaged, 70), (Centralised, 25), (Committee, 5)],
            T::MidMarket => &[(OwnerManaged, 20), (Centralised, 50), (Decentralised, 15), (Committee, 15)],
            T::LargeCorporate => &[(Centralised, 25), (Decentralised, 35), (Committee, 40)],
            T::FinancialInstitution => &[(Committee, 70), (Centralised, 30)],
            T::PublicSector => &[(Committee, 85), (Centralised, 15)],
            _ => &[(Committee, 60), (Centralised, 40)],
        }
    };
    let style = pick(rng, styles, |s| s.1).0;
    let median_days = match customer_type {
        T::Sme => 14.0,
        T::MidMarket => 35.0,
        T::LargeCorporate => 75.0,
        T::FinancialInstitution => 90.0,
        T::PublicSector => 120.0,
        _ => 45.0,
    };
    let cycle = log_normal(rng, median_days, 0.5).round().clamp(5.0, 180.0) as i32;
    let makers = match style {
        DecisionStyle::OwnerManaged if rng.random_bool(0.4) => strings(&["Owner", "CFO"]),
        DecisionStyle::OwnerManaged => strings(&["Owner"]),
        DecisionStyle::Centralised => {
            strings([&["CEO", "CFO"][..], &["CFO"], &["Group Treasurer"]][rng.random_range(0..3)])
        }
        DecisionStyle::Decentralised => {
            strings([&["Treasurer", "Business Unit Head"][..], &["Regional CFO", "Treasurer"]][rng.random_range(0..2)])
        }
        _ => match customer_type {
            T::FinancialInstitution => strings(&["Board", "Asset-Liability Committee"]),
            T::PublicSector => strings(&["Procurement Committee", "Head of Finance"]),
            _ => strings(&["Board", "CFO", "Treasurer"]),
        },
    };
    let mut labels = BTreeMap::new();
    labels.insert("data_origin".to_owned(), "synthetic-seed".to_owned());
    if !duplicate && core.head {
        labels.insert("group_role".to_owned(), "head".to_owned());
    } else if !duplicate && core.parent.is_some() {
        labels.insert("group_role".to_owned(), "member".to_owned());
    }
    if niche {
        labels.insert("usage_pattern".to_owned(), "high-balance-low-activity".to_owned());
    }
    if theme.trade && core.class.kind == Kind::Corporate && rng.random_bool(0.4) {
        labels.insert("export_oriented".to_owned(), "true".to_owned());
    }
    if band == 2 && grade <= 3 && lifecycle == LifecycleStage::Active {
        labels.insert("key_account".to_owned(), "true".to_owned());
    }
    Profile {
        customer_type,
        band,
        employees: employees.min(5e6) as i64,
        branches: branches.min(20_000.0) as i32,
        grade,
        lifecycle,
        since,
        niche,
        rm: format!("rm-{rm:04}"),
        purchasing: Purchasing { decision_style: style as i32, decision_cycle_days: cycle, decision_makers: makers },
        labels,
    }
}

/// Where the main facts came from.
pub(crate) fn provenance(
    core: &Core,
    lei: &str,
    tax_id: &str,
    customer_type: CustomerType,
    duplicate: bool,
    rng: &mut ChaCha8Rng,
) -> BTreeMap<String, Provenance> {
    let as_of = |rng: &mut ChaCha8Rng| prost_types::Timestamp {
        seconds: REFERENCE_TIME - rng.random_range(1..730) * 86_400,
        nanos: 0,
    };
    let entry = |rng: &mut ChaCha8Rng, source_type: SourceType, source: &str, verified: bool| Provenance {
        source_type: source_type as i32,
        source_name: source.to_owned(),
        as_of_time: Some(as_of(rng)),
        verified,
    };
    let mut out = BTreeMap::new();
    if duplicate {
        out.insert("legal_name".to_owned(), entry(rng, SourceType::Primary, "branch-onboarding", false));
        out.insert("annual_turnover".to_owned(), entry(rng, SourceType::Primary, "rm-estimate", false));
        return out;
    }
    if !core.registration.is_empty() {
        out.insert("registration_number".to_owned(), entry(rng, SourceType::Secondary, "national-registry", true));
    }
    let audited = !matches!(customer_type, CustomerType::Sme | CustomerType::NonProfit);
    let turnover = if audited {
        entry(rng, SourceType::Secondary, "audited-accounts", true)
    } else {
        // Small firms publish no accounts: the relationship manager's figure, confirmed from
        // documents seen at a visit in 40% of cases, else the manager's own estimate (derived,
        // unverified: segmentation does not count it as identifying).
        let verified = rng.random_bool(0.4);
        if verified {
            entry(rng, SourceType::Primary, "rm-visit", true)
        } else {
            entry(rng, SourceType::Derived, "rm-estimate", false)
        }
    };
    out.insert("annual_turnover".to_owned(), turnover);
    out.insert("credit_grade".to_owned(), entry(rng, SourceType::Derived, "internal-rating", true));
    if !lei.is_empty() {
        out.insert("lei".to_owned(), entry(rng, SourceType::Secondary, "gleif", true));
    }
    if !tax_id.is_empty() {
        let verified = rng.random_bool(0.7);
        out.insert("tax_id".to_owned(), entry(rng, SourceType::Primary, "client-declaration", verified));
    }
    out
}
