//! Holdings: the bank's products a client uses, each identified by its account number.

use crm_kit::{ApiResult, Violations};
use crm_proto::crm::profile::v1::{Holding, ProductLine};

use super::amount_ok;
use crate::domain::parse_whole;

/// A holding to record: product code upper case, account number without spaces and dashes,
/// amounts well-formed (a balance may be negative, limits and volumes not).
#[derive(Clone, Debug, PartialEq)]
pub struct NewHolding(Holding);

impl NewHolding {
    /// The holding of an upsert request (violations at `holding.*`).
    pub fn parse(holding: Holding) -> ApiResult<Self> {
        parse_whole("holding", holding, Self::parse_at)
    }

    /// Parses `h`, recording violations at `{at}.*`.
    pub fn parse_at(v: &mut Violations, at: &str, mut h: Holding) -> Option<Self> {
        h.product_code = h.product_code.trim().to_ascii_uppercase();
        h.account_number = h.account_number.trim().to_ascii_uppercase().replace([' ', '-'], "");
        let mut ok = true;
        if h.product_code.is_empty()
            || h.product_code.len() > 32
            || !h.product_code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            v.add(format!("{at}.product_code"), "is required: up to 32 letters, digits, '-' or '_'");
            ok = false;
        }
        if matches!(ProductLine::try_from(h.product_line), Err(_) | Ok(ProductLine::Unspecified)) {
            v.add(format!("{at}.product_line"), "is required");
            ok = false;
        }
        if h.account_number.is_empty()
            || h.account_number.len() > 34
            || !h.account_number.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            v.add(format!("{at}.account_number"), "is required: up to 34 letters or digits");
            ok = false;
        }
        ok &= amount_ok(v, at, "balance", h.balance.as_ref(), true);
        ok &= amount_ok(v, at, "limit", h.limit.as_ref(), false);
        ok &= amount_ok(v, at, "monthly_transaction_volume", h.monthly_transaction_volume.as_ref(), false);
        if h.monthly_transaction_count < 0 {
            v.add(format!("{at}.monthly_transaction_count"), "must not be negative");
            ok = false;
        }
        ok.then(|| Self(Holding { name: String::new(), etag: String::new(), update_time: None, ..h }))
    }

    /// The record to store (the store names and stamps it).
    pub fn into_holding(self) -> Holding {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::recorded;

    #[test]
    fn holdings_are_normalised_and_checked() {
        let h = Holding {
            product_code: "dep-current".into(),
            product_line: ProductLine::Deposits as i32,
            account_number: "6222 0000 1".into(),
            ..Default::default()
        };
        let h = NewHolding::parse(h).expect("valid").into_holding();
        assert_eq!((h.account_number.as_str(), h.product_code.as_str()), ("622200001", "DEP-CURRENT"));
        let mut v = Violations::default();
        assert!(NewHolding::parse_at(&mut v, "clients[0].holdings[2]", Holding::default()).is_none());
        assert_eq!(
            recorded(v),
            [
                "clients[0].holdings[2].product_code",
                "clients[0].holdings[2].product_line",
                "clients[0].holdings[2].account_number"
            ]
        );
    }
}
