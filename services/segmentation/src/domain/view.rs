//! The local projection of a client: the flat view segment rules read
//! (docs/architecture.md §6), built from the profile's client record, the client's holdings
//! and, when known, its value score.
//!
//! Rules see `client.<field>` for every field of [`RuleView`]; enums are their names without
//! prefix ("SME", "ACTIVE", "TRADE_FINANCE").

use std::{collections::BTreeSet, sync::LazyLock};

use crm_kit::client_view::{CLIENT_FIELDS, ClientFacts, enum_name};
use crm_proto::crm::profile::v1::{Client, Holding, ProductLine, SourceType};
use serde::{Deserialize, Serialize};

/// Fields a rule may read beyond the profile's flat view: holdings and value score.
const SEGMENTATION_FIELDS: [&str; 9] = [
    "product_lines",
    "product_count",
    "total_balance_units",
    "monthly_transaction_count",
    "monthly_transaction_volume_units",
    "has_value_score",
    "value_score",
    "value_tier",
    "revenue_units",
];

/// Fields a rule may read, as `client.<field>`: the shared flat client view, then
/// segmentation's own.
pub static RULE_FIELDS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| CLIENT_FIELDS.iter().chain(SEGMENTATION_FIELDS.iter()).copied().collect());

/// Every product line name, without prefix, in enum order.
pub fn product_line_names() -> Vec<&'static str> {
    (1..)
        .map_while(|n| ProductLine::try_from(n).ok())
        .map(|line| line.as_str_name().trim_start_matches("PRODUCT_LINE_"))
        .collect()
}

/// The profile part of the view: facts of the client record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileFacts {
    /// The shared flat client view (rule fields `client.name` ... `client.deleted`).
    #[serde(flatten)]
    pub client: ClientFacts,
    /// Profile fields whose provenance is PRIMARY or verified (profile field names). Not a
    /// rule field (rules may read only [`RULE_FIELDS`]).
    #[serde(rename = "_trusted")]
    pub trusted: BTreeSet<String>,
}

impl ProfileFacts {
    /// The facts of a profile client record.
    pub fn of(client: &Client) -> Self {
        let trusted = client
            .provenance
            .iter()
            .filter(|(_, p)| p.verified || p.source_type == SourceType::Primary as i32)
            .map(|(field, _)| field.clone())
            .collect();
        Self { client: ClientFacts::of(client), trusted }
    }
}

/// One product holding as kept locally (only what segmentation uses).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HoldingFacts {
    /// Holding id (last segment of its name).
    pub holding_id: String,
    /// Product line name without prefix.
    pub product_line: String,
    /// Balance, whole units of its currency.
    pub balance_units: i64,
    /// Transactions last month.
    pub transaction_count: i64,
    /// Value moved last month, units.
    pub transaction_volume_units: i64,
}

impl HoldingFacts {
    /// The facts of a profile holding.
    pub fn of(holding: &Holding) -> Self {
        let line = ProductLine::try_from(holding.product_line).map(|l| l.as_str_name()).unwrap_or_default();
        Self {
            holding_id: holding.name.rsplit('/').next().unwrap_or_default().to_owned(),
            product_line: enum_name(line, "PRODUCT_LINE_"),
            balance_units: holding.balance.as_ref().map_or(0, |m| m.units),
            transaction_count: holding.monthly_transaction_count,
            transaction_volume_units: holding.monthly_transaction_volume.as_ref().map_or(0, |m| m.units),
        }
    }
}

/// A client's value score as received from the scoring service.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ValueFacts {
    /// Composite score 0..100.
    pub score: f64,
    /// Tier name without prefix, e.g. "KEY_ACCOUNT".
    pub tier: String,
    /// Revenue of the scored period, units.
    pub revenue_units: i64,
    /// Currency of the revenue.
    pub currency: String,
}

/// The flat view segment rules read (borrowing the record).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleView<'a> {
    #[serde(flatten)]
    facts: &'a ProfileFacts,
    product_lines: Vec<&'a str>,
    product_count: i64,
    total_balance_units: i64,
    monthly_transaction_count: i64,
    monthly_transaction_volume_units: i64,
    has_value_score: bool,
    value_score: f64,
    value_tier: &'a str,
    revenue_units: i64,
}

/// Everything known locally about one client.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientRecord {
    /// Client id (without `clients/`).
    pub id: String,
    pub facts: ProfileFacts,
    pub holdings: Vec<HoldingFacts>,
    /// Value score, when the scoring service has sent one.
    pub value: Option<ValueFacts>,
}

impl ClientRecord {
    /// Distinct product lines held, in name order.
    pub fn product_lines(&self) -> BTreeSet<&str> {
        self.holdings.iter().map(|h| h.product_line.as_str()).filter(|l| !l.is_empty()).collect()
    }

    /// The view rules read.
    pub fn rule_view(&self) -> RuleView<'_> {
        let lines: Vec<&str> = self.product_lines().into_iter().collect();
        let sum = |part: fn(&HoldingFacts) -> i64| self.holdings.iter().map(part).fold(0, i64::saturating_add);
        RuleView {
            facts: &self.facts,
            product_count: i64::try_from(lines.len()).unwrap_or(i64::MAX),
            product_lines: lines,
            total_balance_units: sum(|h| h.balance_units),
            monthly_transaction_count: sum(|h| h.transaction_count),
            monthly_transaction_volume_units: sum(|h| h.transaction_volume_units),
            has_value_score: self.value.is_some(),
            value_score: self.value.as_ref().map_or(0.0, |v| v.score),
            value_tier: self.value.as_ref().map_or("", |v| v.tier.as_str()),
            revenue_units: self.value.as_ref().map_or(0, |v| v.revenue_units),
        }
    }

    /// A numeric variable of the view by field name (see `quality::numeric_variables`);
    /// `None` for an unknown variable, and for a turnover the profile does not know (no
    /// currency: not a turnover of 0).
    pub fn numeric(&self, variable: &str) -> Option<f64> {
        let f = &self.facts.client;
        if variable == "annual_turnover_units" && f.annual_turnover_currency.is_empty() {
            return None;
        }
        let sum = |part: fn(&HoldingFacts) -> i64| self.holdings.iter().map(part).fold(0, i64::saturating_add) as f64;
        let n = match variable {
            "annual_turnover_units" => f.annual_turnover_units as f64,
            "employee_count" => f.employee_count as f64,
            "branch_count" => f.branch_count as f64,
            "decision_cycle_days" => f.decision_cycle_days as f64,
            "product_count" => self.product_lines().len() as f64,
            "total_balance_units" => sum(|h| h.balance_units),
            "monthly_transaction_count" => sum(|h| h.transaction_count),
            "monthly_transaction_volume_units" => sum(|h| h.transaction_volume_units),
            _ => return None,
        };
        Some(n)
    }

    /// A categorical variable of the view by name (see `quality::categorical_variables`).
    pub fn categorical(&self, variable: &str) -> String {
        let f = &self.facts.client;
        match variable {
            "customer_type" => f.customer_type.clone(),
            "industry_division" => f.industry_code.chars().take(2).collect(),
            "country_code" => f.country_code.clone(),
            "region" => f.region.clone(),
            "decision_style" => f.decision_style.clone(),
            _ => String::new(),
        }
    }

    /// Whether a rule field of this client is present and from a trusted source (PRIMARY
    /// or verified provenance). Holdings, names and value scores are the bank's own data.
    pub fn identifiable(&self, field: &str) -> bool {
        let f = &self.facts.client;
        let (present, provenance_key) = match field {
            "legal_name" => (!f.legal_name.is_empty(), "legal_name"),
            "registration_number" => (!f.registration_number.is_empty(), "registration_number"),
            "country_code" => (!f.country_code.is_empty(), "country_code"),
            "lei" => (!f.lei.is_empty(), "lei"),
            "customer_type" => (!f.customer_type.is_empty() && f.customer_type != "UNSPECIFIED", "customer_type"),
            "industry_code" => (!f.industry_code.is_empty(), "industry_code"),
            "region" => (!f.region.is_empty(), "region"),
            "city" => (!f.city.is_empty(), "city"),
            "annual_turnover_units" | "annual_turnover_currency" => {
                (!f.annual_turnover_currency.is_empty(), "annual_turnover")
            }
            "employee_count" => (f.employee_count > 0, "employee_count"),
            "branch_count" => (f.branch_count > 0, "branch_count"),
            "credit_grade" => (!f.credit_grade.is_empty(), "credit_grade"),
            "decision_style" | "decision_cycle_days" => {
                (!f.decision_style.is_empty() && f.decision_style != "UNSPECIFIED", "purchasing")
            }
            "has_value_score" | "value_score" | "value_tier" | "revenue_units" => return self.value.is_some(),
            _ => return true,
        };
        present && self.facts.trusted.contains(provenance_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_proto::{
        crm::profile::v1::{CustomerType, Provenance},
        google::r#type::Money,
    };

    #[test]
    fn builds_the_flat_view_from_client_and_holdings() {
        let client = Client {
            name: "clients/c1".into(),
            customer_type: CustomerType::Sme as i32,
            industry_code: "6419".into(),
            annual_turnover: Some(Money { currency_code: "CNY".into(), units: 80_000_000, nanos: 0 }),
            provenance: [
                (
                    "industry_code".to_owned(),
                    Provenance { source_type: SourceType::Primary as i32, ..Default::default() },
                ),
                (
                    "annual_turnover".to_owned(),
                    Provenance { source_type: SourceType::Secondary as i32, ..Default::default() },
                ),
            ]
            .into(),
            ..Default::default()
        };
        let holding = Holding {
            name: "clients/c1/holdings/h1".into(),
            product_line: ProductLine::TradeFinance as i32,
            monthly_transaction_count: 12,
            ..Default::default()
        };
        let record = ClientRecord {
            id: "c1".into(),
            facts: ProfileFacts::of(&client),
            holdings: vec![HoldingFacts::of(&holding)],
            value: None,
        };
        let view = record.rule_view();
        assert_eq!(view.facts.client.customer_type, "SME");
        assert_eq!(view.product_lines, ["TRADE_FINANCE"]);
        assert_eq!(view.monthly_transaction_count, 12);
        assert!(record.identifiable("industry_code"));
        assert!(!record.identifiable("annual_turnover_units"), "secondary and unverified");
        assert!(!record.identifiable("city"), "absent");
        assert!(record.identifiable("product_lines"));
        assert_eq!(product_line_names().first(), Some(&"DEPOSITS"));
        assert_eq!(product_line_names().len(), 8);
    }

    #[test]
    fn a_missing_turnover_is_no_number_not_zero() {
        let client = ClientFacts { annual_turnover_currency: "GBP".into(), ..Default::default() };
        let facts = ProfileFacts { client, ..Default::default() };
        let mut known = ClientRecord { facts, ..Default::default() };
        assert_eq!(known.numeric("annual_turnover_units"), Some(0.0), "a stated turnover of 0 is a value");
        known.facts.client.annual_turnover_units = 5_000;
        assert_eq!(known.numeric("annual_turnover_units"), Some(5_000.0));
        let unknown = ClientRecord {
            facts: ProfileFacts::of(&Client { name: "clients/c2".into(), ..Default::default() }),
            ..Default::default()
        };
        assert_eq!(unknown.numeric("annual_turnover_units"), None);
        assert_eq!(unknown.numeric("employee_count"), Some(0.0), "other variables unchanged");
        assert_eq!(unknown.numeric("no_such_variable"), None);
    }
}
