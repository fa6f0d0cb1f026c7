//! Amounts of money as the profile keeps them: an ISO 4217 currency, and units and nanos of
//! one sign.

use crm_kit::Violations;
use crm_proto::google::r#type::Money;

use super::codes;

/// A well-formed amount.
#[derive(Clone, Debug, PartialEq)]
pub struct Amount(Money);

impl Amount {
    /// Parses the amount at `field` (e.g. `holding.balance`); `signed` allows a negative one
    /// (balances, EBITDA).
    pub fn parse(v: &mut Violations, field: &str, money: Money, signed: bool) -> Option<Self> {
        let mut ok = true;
        if !codes::is_currency(&money.currency_code) {
            v.add(format!("{field}.currency_code"), "must be an ISO 4217 code such as CNY or USD");
            ok = false;
        }
        let Money { units, nanos, .. } = money;
        if !(-999_999_999..=999_999_999).contains(&nanos) || (units > 0 && nanos < 0) || (units < 0 && nanos > 0) {
            v.add(format!("{field}.nanos"), "must be within ±999,999,999 and have the sign of units");
            ok = false;
        }
        if !signed && (units < 0 || nanos < 0) {
            v.add(field.to_owned(), "must not be negative");
            ok = false;
        }
        ok.then_some(Self(money))
    }

    /// Parses an optional amount: absent stays absent.
    pub fn parse_opt(v: &mut Violations, field: &str, money: Option<Money>, signed: bool) -> Option<Option<Self>> {
        match money {
            None => Some(None),
            Some(money) => Self::parse(v, field, money, signed).map(Some),
        }
    }

    /// The stored form.
    pub fn into_money(self) -> Money {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::recorded as fields;

    #[test]
    fn amounts_have_a_currency_and_one_sign() {
        let mut v = Violations::default();
        let cny = |units, nanos| Money { currency_code: "CNY".into(), units, nanos };
        assert!(Amount::parse(&mut v, "a", cny(-1, -5), true).is_some());
        assert!(Amount::parse(&mut v, "b", cny(-1, 0), false).is_none());
        assert!(Amount::parse(&mut v, "c", cny(1, -5), true).is_none());
        assert!(Amount::parse(&mut v, "d", Money { currency_code: "RMB".into(), units: 1, nanos: 0 }, true).is_none());
        assert_eq!(fields(v), ["b", "c.nanos", "d.currency_code"]);
    }
}
