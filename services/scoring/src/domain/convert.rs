//! Profitability amounts in the model's currency: recorded amounts in another currency are
//! converted with the model's exchange rate, each conversion recorded as a component.

use std::collections::BTreeMap;

use super::{
    decimal::{Dec, Overflow},
    model::Params,
    profitability::Figures,
    sheet::{Sheet, from, x},
};

/// Every amount of a profitability record.
pub const ALL: [&str; 6] = [
    "net_interest_income",
    "fee_income",
    "cost_to_serve",
    "exposure_at_default",
    "referred_income",
    "collateral_value",
];

/// Amounts in the model's currency, each with the source a later term cites.
#[derive(Debug)]
pub struct Reported {
    amounts: BTreeMap<&'static str, (Dec, String)>,
}

impl Reported {
    /// The amount of `field` (zero when it was not converted).
    pub fn value(&self, field: &str) -> Dec {
        self.amounts.get(field).map_or(Dec::ZERO, |a| a.0)
    }

    /// Where the amount of `field` comes from.
    pub fn source(&self, field: &str) -> String {
        self.amounts.get(field).map(|a| a.1.clone()).unwrap_or_default()
    }
}

fn recorded(f: &Figures, field: &str) -> Dec {
    match field {
        "net_interest_income" => f.net_interest_income,
        "fee_income" => f.fee_income,
        "cost_to_serve" => f.cost_to_serve,
        "exposure_at_default" => f.exposure_at_default,
        "collateral_value" => f.collateral_value,
        _ => f.referred_income,
    }
}

/// `fields` of `f` (recorded under `label`, e.g. "profitability 2026-Q3") in the model's
/// currency. A conversion is recorded as the component `{prefix}{field}`.
pub fn reported(
    s: &mut Sheet,
    m: &Params,
    f: &Figures,
    label: &str,
    prefix: &str,
    fields: &[&'static str],
) -> Result<Reported, Overflow> {
    let mut amounts = BTreeMap::new();
    if f.currency == m.currency {
        for field in fields {
            amounts.insert(*field, (recorded(f, field), label.to_owned()));
        }
        return Ok(Reported { amounts });
    }
    let rate = *m.exchange_rates.get(&f.currency).ok_or(Overflow)?;
    let rate_src = format!("value model v{} exchange_rates[{}]", m.version, f.currency);
    for field in fields {
        let name = format!("{prefix}{field}");
        let value = s.term(
            &name,
            "recorded_amount × exchange_rate",
            "money",
            vec![
                x("recorded_amount", recorded(f, field), format!("{label} {field} in {}", f.currency)),
                x("exchange_rate", rate, &rate_src),
            ],
            recorded(f, field).times(rate)?,
        );
        amounts.insert(*field, (value, from(&name)));
    }
    Ok(Reported { amounts })
}
