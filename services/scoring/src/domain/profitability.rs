//! Validation of profitability records: one currency the model accepts, signs, period.

use crm_kit::Violations;
use crm_proto::{crm::scoring::v1::ProfitabilityRecord, google::r#type::Money};

use super::{
    decimal::{Dec, MAX_UNITS},
    model::Params,
    names,
    period::Period,
};

/// Longest `source` label.
const MAX_SOURCE: usize = 200;

/// A record's figures as exact decimals, in the record's currency.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// The currency every amount is in.
    pub currency: String,
    pub net_interest_income: Dec,
    pub fee_income: Dec,
    pub cost_to_serve: Dec,
    pub exposure_at_default: Dec,
    /// Referred income (zero when absent).
    pub referred_income: Dec,
    /// Recognised collateral value (zero when absent).
    pub collateral_value: Dec,
    /// The bank's own LGD for this exposure, if it has one.
    pub lgd: Option<Dec>,
}

/// Reads the figures of a stored (already validated) record.
pub fn figures(record: &ProfitabilityRecord) -> Figures {
    let amount = |m: &Option<Money>| m.as_ref().and_then(Dec::from_money).unwrap_or_default();
    Figures {
        currency: record.net_interest_income.as_ref().map(|m| m.currency_code.clone()).unwrap_or_default(),
        net_interest_income: amount(&record.net_interest_income),
        fee_income: amount(&record.fee_income),
        cost_to_serve: amount(&record.cost_to_serve),
        exposure_at_default: amount(&record.exposure_at_default),
        referred_income: amount(&record.referred_income),
        collateral_value: amount(&record.collateral_value),
        lgd: record.lgd.and_then(Dec::from_f64),
    }
}

/// Validates `record` (field paths under `prefix`, e.g. `record` or `records[3]`): every
/// amount in the currency of `net_interest_income`, which the model must accept. On
/// success returns the client id and the canonical record (period label normalised,
/// output-only fields cleared, absent referred income set to zero).
pub fn validate(
    prefix: &str,
    record: &ProfitabilityRecord,
    model: &Params,
    v: &mut Violations,
) -> Option<(String, Period, ProfitabilityRecord)> {
    let currency = record.net_interest_income.as_ref().map_or("", |m| m.currency_code.as_str());
    let mut problems: Vec<(String, String)> = Vec::new();
    let mut add = |field: String, why: String| problems.push((field, why));
    let client_id = match names::client_id(&record.client) {
        Some(id) => Some(id.to_owned()),
        None => {
            add(format!("{prefix}.client"), "must be of the form clients/{client}".into());
            None
        }
    };
    let period = match Period::parse(&record.period) {
        Ok(p) => Some(p),
        Err(why) => {
            add(format!("{prefix}.period"), why);
            None
        }
    };
    let mut check = |field: &str, m: Option<&Money>, required: bool, may_be_negative: bool| {
        let path = format!("{prefix}.{field}");
        let Some(m) = m else {
            if required {
                add(path, "is required".into());
            }
            return;
        };
        match Dec::from_money(m) {
            None => add(path, "units and nanos must share a sign and nanos must be below 10^9".into()),
            Some(_) if m.units.abs() > MAX_UNITS => add(path, format!("must be within ±{MAX_UNITS} units")),
            Some(x) if x.is_negative() && !may_be_negative => add(path, "must not be negative".into()),
            Some(_) if field == "net_interest_income" && !model.accepts(currency) => add(
                format!("{path}.currency_code"),
                format!(
                    "must be {} or a currency with an exchange rate in the value model ({})",
                    model.currency,
                    model.exchange_rates.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            ),
            Some(_) if m.currency_code != currency => add(
                format!("{path}.currency_code"),
                format!("must be {currency}, the currency of net_interest_income: a record has one currency"),
            ),
            Some(_) => {}
        }
    };
    check("net_interest_income", record.net_interest_income.as_ref(), true, true);
    check("fee_income", record.fee_income.as_ref(), true, false);
    check("cost_to_serve", record.cost_to_serve.as_ref(), true, false);
    check("exposure_at_default", record.exposure_at_default.as_ref(), true, false);
    check("referred_income", record.referred_income.as_ref(), false, false);
    check("collateral_value", record.collateral_value.as_ref(), false, false);
    if let Some(lgd) = record.lgd
        && !(lgd.is_finite() && (0.0..=1.0).contains(&lgd))
    {
        add(format!("{prefix}.lgd"), "must be in [0, 1]".into());
    }
    if record.source.chars().count() > MAX_SOURCE {
        add(format!("{prefix}.source"), format!("must be at most {MAX_SOURCE} characters"));
    }
    let failed = !problems.is_empty();
    for (field, why) in problems {
        v.add(field, why);
    }
    let (Some(client_id), Some(period)) = (client_id, period) else { return None };
    if failed {
        return None;
    }
    let canonical = ProfitabilityRecord {
        name: String::new(),
        client: names::client_name(&client_id),
        period: period.to_string(),
        net_interest_income: record.net_interest_income.clone(),
        fee_income: record.fee_income.clone(),
        cost_to_serve: record.cost_to_serve.clone(),
        exposure_at_default: record.exposure_at_default.clone(),
        referred_income: Some(record.referred_income.clone().unwrap_or(Money {
            currency_code: currency.to_owned(),
            units: 0,
            nanos: 0,
        })),
        source: record.source.trim().to_owned(),
        collateral_value: record.collateral_value.clone(),
        lgd: record.lgd.and_then(Dec::from_f64).map(Dec::to_f64),
        ..Default::default()
    };
    Some((client_id, period, canonical))
}

/// Whether two records carry the same figures and source (what a replay must match).
pub fn same_content(a: &ProfitabilityRecord, b: &ProfitabilityRecord) -> bool {
    figures(a) == figures(b) && a.source == b.source
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cny(units: i64) -> Option<Money> {
        Some(Money { currency_code: "CNY".into(), units, nanos: 0 })
    }

    fn record() -> ProfitabilityRecord {
        ProfitabilityRecord {
            client: "clients/c1".into(),
            period: "2026-q3".into(),
            net_interest_income: cny(300_000),
            fee_income: cny(100_000),
            cost_to_serve: cny(50_000),
            exposure_at_default: cny(10_000_000),
            ..Default::default()
        }
    }

    fn model() -> Params {
        crate::domain::model::validate(&crate::domain::model::default_model()).expect("model")
    }

    #[test]
    fn a_valid_record_is_canonicalised() {
        let mut v = Violations::default();
        let (id, period, canonical) = validate("record", &record(), &model(), &mut v).expect("valid");
        assert!(v.is_empty());
        assert_eq!((id.as_str(), period.to_string().as_str()), ("c1", "2026-Q3"));
        assert_eq!(canonical.period, "2026-Q3");
        assert_eq!(canonical.referred_income, cny(0));
    }

    #[test]
    fn records_in_a_currency_with_a_rate_are_accepted_others_named() {
        let money = |code: &str| Some(Money { currency_code: code.into(), units: 1, nanos: 0 });
        let usd = ProfitabilityRecord {
            net_interest_income: money("USD"),
            fee_income: money("USD"),
            cost_to_serve: money("USD"),
            exposure_at_default: money("USD"),
            ..record()
        };
        let mut v = Violations::default();
        let (_, _, canonical) = validate("record", &usd, &model(), &mut v).expect("USD has a rate");
        assert_eq!(canonical.referred_income, money("USD").map(|m| Money { units: 0, ..m }));
        assert_eq!(figures(&canonical).currency, "USD");
        let chf = ProfitabilityRecord { net_interest_income: money("CHF"), ..usd };
        let mut v = Violations::default();
        assert!(validate("record", &chf, &model(), &mut v).is_none());
        let fields: Vec<_> = v.into_error().expect("invalid").violations().iter().map(|f| f.field.clone()).collect();
        assert_eq!(fields[0], "record.net_interest_income.currency_code");
    }

    #[test]
    fn bad_fields_are_named_under_the_prefix() {
        let mut bad = record();
        bad.fee_income = cny(-1);
        bad.cost_to_serve = Some(Money { currency_code: "USD".into(), units: 1, nanos: 0 });
        bad.exposure_at_default = None;
        let mut v = Violations::default();
        assert!(validate("records[3]", &bad, &model(), &mut v).is_none());
        let err = v.into_error().expect("violations");
        let fields: Vec<_> = err.violations().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["records[3].fee_income", "records[3].cost_to_serve.currency_code", "records[3].exposure_at_default"]
        );
    }
}
