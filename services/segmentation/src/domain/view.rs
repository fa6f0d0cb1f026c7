//! The local projection of a client: the flat view segment rules read
//! (docs/architecture.md §6), built from the profile's client record, the client's holdings
//! and, when known, its value score.
//!
//! Rules see `client.<field>` for every field of [`RuleView`]; enums are their names without
//! prefix ("SME", "ACTIVE", "TRADE_FINANCE").

use std::{collections::BTreeSet, sync::LazyLock};

use super::fx::Fx;

use crm_kit::client_view::{CLIENT_FIELDS, ClientFacts, enum_name};
use crm_proto::crm::profile::v1::{Client, Holding, ProductLine, SourceType};
use serde::{Deserialize, Serialize};

/// Fields a rule may read beyond the profile's flat view: holdings and value score.
const SEGMENTATION_FIELDS: [&str; 15] = [
    "reporting_currency",
    "annual_turnover_reporting",
    "deposit_balance",
    "loan_balance",
    "monthly_transaction_volume_reporting",
    "revenue_reporting",
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
    /// Profile fields that are verified or sourced (PRIMARY or SECONDARY with a named source;
    /// DERIVED ones only once verified), by profile field name. Not a
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
            .filter(|(_, p)| p.verified || sourced(p))
            .map(|(field, _)| field.clone())
            .collect();
        Self { client: ClientFacts::of(client), trusted }
    }
}

/// Whether a fact names where it came from (a primary or secondary source): derived values
/// (ratings, estimates) count only once verified.
fn sourced(p: &crm_proto::crm::profile::v1::Provenance) -> bool {
    let kind = SourceType::try_from(p.source_type).unwrap_or(SourceType::Unspecified);
    matches!(kind, SourceType::Primary | SourceType::Secondary) && !p.source_name.trim().is_empty()
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
    /// ISO 4217 currency of the balance (else of the volume); empty when the profile gave none.
    pub currency: String,
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
            currency: [holding.balance.as_ref(), holding.monthly_transaction_volume.as_ref()]
                .into_iter()
                .flatten()
                .map(|m| m.currency_code.clone())
                .find(|c| !c.is_empty())
                .unwrap_or_default(),
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
    /// Risk-adjusted income (annual, whole units of `currency`), when the score carried it.
    #[serde(default)]
    pub risk_adjusted_income_units: Option<i64>,
    /// Economic value added (whole units of `currency`), when the score carried it.
    #[serde(default)]
    pub eva_units: Option<i64>,
    /// RAROC, when applicable.
    #[serde(default)]
    pub raroc: Option<f64>,
    /// Probability of default the client was scored with (from its credit grade).
    #[serde(default)]
    pub pd: Option<f64>,
    /// Annualised revenue of the previous period of the same length, when scoring had one
    /// (whole units of `currency`).
    #[serde(default)]
    pub previous_revenue_units: Option<i64>,
}

/// How the bank may reach a client for marketing, as the interaction service evaluates it
/// (consent, opt-outs, do-not-contact, contact details).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactFacts {
    /// Channels the client may be contacted on for marketing (enum names without prefix).
    pub marketing_channels: Vec<String>,
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
    reporting_currency: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    annual_turnover_reporting: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deposit_balance: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    loan_balance: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    monthly_transaction_volume_reporting: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revenue_reporting: Option<i64>,
}

/// Money of a client in the reporting currency; `None` where a currency has no rate.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Reported {
    pub annual_turnover: Option<i64>,
    /// Positive balances (deposits and other credit balances).
    pub deposit_balance: Option<i64>,
    /// Drawn loans: negative balances, as a positive amount.
    pub loan_balance: Option<i64>,
    pub transaction_volume: Option<i64>,
    pub revenue: Option<i64>,
    pub risk_adjusted_income: Option<i64>,
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
    /// Contactability, when the interaction service has told it.
    pub contact: Option<ContactFacts>,
}

impl ClientRecord {
    /// Whether the bank can reach the client: an assigned relationship manager and a channel
    /// the client consented to for marketing.
    pub fn reachable(&self) -> bool {
        !self.facts.client.relationship_manager.is_empty()
            && self.contact.as_ref().is_some_and(|c| !c.marketing_channels.is_empty())
    }

    /// Distinct product lines held, in name order.
    pub fn product_lines(&self) -> BTreeSet<&str> {
        self.holdings.iter().map(|h| h.product_line.as_str()).filter(|l| !l.is_empty()).collect()
    }

    /// This client's money in the reporting currency of `fx`.
    pub fn reported(&self, fx: &Fx) -> Reported {
        let f = &self.facts.client;
        let sum = |pick: &dyn Fn(&HoldingFacts) -> i64| -> Option<i64> {
            self.holdings.iter().try_fold(0i64, |acc, h| {
                let x = pick(h);
                if x == 0 { Some(acc) } else { fx.convert(x, &h.currency).map(|c| acc.saturating_add(c)) }
            })
        };
        let value = self.value.as_ref();
        Reported {
            annual_turnover: fx.convert(f.annual_turnover_units, &f.annual_turnover_currency),
            deposit_balance: sum(&|h| h.balance_units.max(0)),
            loan_balance: sum(&|h| h.balance_units.min(0).saturating_neg()),
            transaction_volume: sum(&|h| h.transaction_volume_units),
            revenue: value.and_then(|v| fx.convert(v.revenue_units, &v.currency)),
            risk_adjusted_income: value.and_then(|v| fx.convert(v.risk_adjusted_income_units?, &v.currency)),
        }
    }

    /// Currencies of this client's money that `fx` has no rate for.
    pub fn unconvertible(&self, fx: &Fx) -> BTreeSet<String> {
        let f = &self.facts.client;
        let turnover = Some(f.annual_turnover_currency.as_str()).filter(|c| !c.is_empty());
        let holdings = self
            .holdings
            .iter()
            .filter(|h| h.balance_units != 0 || h.transaction_volume_units != 0)
            .map(|h| if h.currency.is_empty() { "(none)" } else { h.currency.as_str() });
        let value = self.value.as_ref().map(|v| v.currency.as_str()).filter(|c| !c.is_empty());
        turnover.into_iter().chain(holdings).chain(value).filter(|c| fx.rate(c).is_none()).map(str::to_owned).collect()
    }

    /// The view rules read, money converted with `fx`.
    pub fn rule_view<'a>(&'a self, fx: &'a Fx) -> RuleView<'a> {
        let reported = self.reported(fx);
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
            reporting_currency: &fx.currency,
            annual_turnover_reporting: reported.annual_turnover,
            deposit_balance: reported.deposit_balance,
            loan_balance: reported.loan_balance,
            monthly_transaction_volume_reporting: reported.transaction_volume,
            revenue_reporting: reported.revenue,
        }
    }

    /// A numeric variable of the view by field name (see `quality::numeric_variables`);
    /// `None` for an unknown variable, and for a turnover the profile does not know (no
    /// currency: not a turnover of 0).
    pub fn numeric(&self, variable: &str, fx: &Fx) -> Option<f64> {
        let f = &self.facts.client;
        let sum = |part: fn(&HoldingFacts) -> i64| self.holdings.iter().map(part).fold(0, i64::saturating_add) as f64;
        let money = |x: Option<i64>| x.map(|x| x as f64);
        let n = match variable {
            "annual_turnover_reporting" => return money(self.reported(fx).annual_turnover),
            "deposit_balance" => return money(self.reported(fx).deposit_balance),
            "loan_balance" => return money(self.reported(fx).loan_balance),
            "monthly_transaction_volume_reporting" => return money(self.reported(fx).transaction_volume),
            "employee_count" => f.employee_count as f64,
            "branch_count" => f.branch_count as f64,
            "decision_cycle_days" => f.decision_cycle_days as f64,
            "product_count" => self.product_lines().len() as f64,
            "monthly_transaction_count" => sum(|h| h.transaction_count),
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
            "annual_turnover_units" | "annual_turnover_currency" | "annual_turnover_reporting" => {
                (!f.annual_turnover_currency.is_empty(), "annual_turnover")
            }
            "employee_count" => (f.employee_count > 0, "employee_count"),
            "branch_count" => (f.branch_count > 0, "branch_count"),
            "credit_grade" => (!f.credit_grade.is_empty(), "credit_grade"),
            "decision_style" | "decision_cycle_days" => {
                (!f.decision_style.is_empty() && f.decision_style != "UNSPECIFIED", "purchasing")
            }
            "has_value_score" | "value_score" | "value_tier" | "revenue_units" | "revenue_reporting" => {
                return self.value.is_some();
            }
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
                    Provenance {
                        source_type: SourceType::Primary as i32,
                        source_name: "onboarding".into(),
                        ..Default::default()
                    },
                ),
                (
                    "annual_turnover".to_owned(),
                    Provenance { source_type: SourceType::Secondary as i32, ..Default::default() },
                ),
                (
                    "credit_grade".to_owned(),
                    Provenance {
                        source_type: SourceType::Derived as i32,
                        source_name: "internal-rating".into(),
                        ..Default::default()
                    },
                ),
            ]
            .into(),
            credit_grade: "BBB".into(),
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
            contact: None,
        };
        let fx = Fx::default();
        let view = record.rule_view(&fx);
        assert_eq!(view.facts.client.customer_type, "SME");
        assert_eq!(view.product_lines, ["TRADE_FINANCE"]);
        assert_eq!(view.monthly_transaction_count, 12);
        assert!(record.identifiable("industry_code"));
        assert!(!record.identifiable("annual_turnover_units"), "no named source and unverified");
        assert!(!record.identifiable("credit_grade"), "derived and unverified");
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
        let fx = Fx::default();
        let turnover = "annual_turnover_reporting";
        assert_eq!(known.numeric(turnover, &fx), Some(0.0), "a stated turnover of 0 is a value");
        known.facts.client.annual_turnover_units = 5_000;
        assert_eq!(known.numeric(turnover, &fx), Some(47_619.0), "GBP in CNY");
        let unknown = ClientRecord {
            facts: ProfileFacts::of(&Client { name: "clients/c2".into(), ..Default::default() }),
            ..Default::default()
        };
        assert_eq!(unknown.numeric(turnover, &fx), None);
        assert_eq!(unknown.numeric("employee_count", &fx), Some(0.0), "other variables unchanged");
        assert_eq!(unknown.numeric("no_such_variable", &fx), None);
    }

    fn holding(line: &str, balance: i64, currency: &str) -> HoldingFacts {
        HoldingFacts {
            product_line: line.into(),
            balance_units: balance,
            currency: currency.into(),
            ..Default::default()
        }
    }

    #[test]
    fn money_is_in_the_reporting_currency_and_deposits_and_loans_stay_apart() {
        let fx = Fx::default();
        let record = ClientRecord {
            facts: ProfileFacts {
                client: ClientFacts {
                    annual_turnover_units: 10_000_000_000,
                    annual_turnover_currency: "KRW".into(),
                    ..Default::default()
                },
                ..Default::default()
            },
            holdings: vec![
                holding("DEPOSITS", 1_000_000, "EUR"),
                holding("DEPOSITS", 500_000, "CNY"),
                holding("LENDING", -2_000_000, "USD"),
            ],
            ..Default::default()
        };
        let r = record.reported(&fx);
        assert_eq!(r.annual_turnover, Some(51_280_000), "KRW 10 bn is CNY 51 m, not 10 bn");
        assert_eq!(r.deposit_balance, Some(8_500_000), "EUR 1 m + CNY 0.5 m");
        assert_eq!(r.loan_balance, Some(14_285_714), "USD 2 m drawn, not netted against deposits");
        let view = serde_json::to_value(record.rule_view(&fx)).expect("json");
        assert_eq!(view["annual_turnover_reporting"], 51_280_000);
        assert_eq!(view["reporting_currency"], "CNY");
        assert_eq!(view["loan_balance"], 14_285_714);
        // A currency without a rate leaves the amount out of the view (rules on it do not match).
        let mut odd = record.clone();
        odd.holdings.push(holding("DEPOSITS", 10, "XAU"));
        assert_eq!(odd.reported(&fx).deposit_balance, None);
        assert!(serde_json::to_value(odd.rule_view(&fx)).expect("json").get("deposit_balance").is_none());
        assert_eq!(odd.unconvertible(&fx), BTreeSet::from(["XAU".to_owned()]));
    }
}
