//! Rules of the records under a client: contacts, holdings and financial statements.

use crm_kit::{ApiResult, Violations};
use crm_proto::{
    crm::profile::v1::{
        Contact, ContactRole, FinancialRatios, FinancialStatement, Holding, PreferredChannel, ProductLine, Provenance,
        SourceType,
    },
    google::r#type::Money,
};

use super::{client::validate_money, lookup::normalize_phone};

/// Normalises and validates a contact.
pub fn contact(c: &mut Contact) -> ApiResult<()> {
    c.display_name = c.display_name.trim().to_owned();
    c.email = c.email.trim().to_lowercase();
    if !c.phone.is_empty() {
        c.phone = normalize_phone(&c.phone);
    }
    let mut v = Violations::default();
    if c.display_name.is_empty() || c.display_name.chars().count() > 200 {
        v.add("contact.display_name", "is required, at most 200 characters");
    }
    if c.job_title.chars().count() > 100 {
        v.add("contact.job_title", "must be at most 100 characters");
    }
    if ContactRole::try_from(c.role).is_err() {
        v.add("contact.role", "is not a known contact role");
    }
    if PreferredChannel::try_from(c.preferred_channel).is_err() {
        v.add("contact.preferred_channel", "is not a known channel");
    }
    let digits = c.phone.trim_start_matches('+');
    if !c.phone.is_empty() && (!c.phone.starts_with('+') || !(8..=15).contains(&digits.len())) {
        v.add("contact.phone", "must be an international number: + then 8 to 15 digits");
    }
    if !c.email.is_empty() && !is_email(&c.email) {
        v.add("contact.email", "must be an e-mail address");
    }
    v.check()
}

/// Contact fields an update mask may name.
const CONTACT_FIELDS: [&str; 6] = ["display_name", "job_title", "role", "phone", "email", "preferred_channel"];

/// Expands and checks a contact update mask.
pub fn contact_mask(paths: &[String]) -> ApiResult<Vec<&'static str>> {
    let mut v = Violations::default();
    if paths.is_empty() {
        v.add("update_mask", "is required: name the fields to change, or * for all");
    }
    let mut fields = Vec::new();
    for path in paths {
        match CONTACT_FIELDS.iter().find(|f| **f == path.as_str()) {
            Some(field) => fields.push(*field),
            None if path == "*" => fields.extend(CONTACT_FIELDS),
            None => v.add("update_mask", format!("{path} is not a writable field of Contact")),
        }
    }
    v.check()?;
    fields.sort_unstable();
    fields.dedup();
    Ok(fields)
}

/// Moves the masked fields of `patch` into `target`.
pub fn apply_contact_mask(target: &mut Contact, patch: &mut Contact, fields: &[&str]) {
    for field in fields {
        match *field {
            "display_name" => target.display_name = std::mem::take(&mut patch.display_name),
            "job_title" => target.job_title = std::mem::take(&mut patch.job_title),
            "role" => target.role = patch.role,
            "phone" => target.phone = std::mem::take(&mut patch.phone),
            "email" => target.email = std::mem::take(&mut patch.email),
            "preferred_channel" => target.preferred_channel = patch.preferred_channel,
            _ => {}
        }
    }
}

fn is_email(s: &str) -> bool {
    s.len() <= 254
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        && !s.contains(char::is_whitespace)
}

/// Normalises and validates a holding.
pub fn holding(h: &mut Holding) -> ApiResult<()> {
    h.product_code = h.product_code.trim().to_ascii_uppercase();
    h.account_number = h.account_number.trim().to_ascii_uppercase().replace([' ', '-'], "");
    let mut v = Violations::default();
    if h.product_code.is_empty()
        || h.product_code.len() > 32
        || !h.product_code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        v.add("holding.product_code", "is required: up to 32 letters, digits, '-' or '_'");
    }
    if matches!(ProductLine::try_from(h.product_line), Err(_) | Ok(ProductLine::Unspecified)) {
        v.add("holding.product_line", "is required");
    }
    if h.account_number.is_empty()
        || h.account_number.len() > 34
        || !h.account_number.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        v.add("holding.account_number", "is required: up to 34 letters or digits");
    }
    validate_money(&mut v, "holding.balance", h.balance.as_ref(), true);
    validate_money(&mut v, "holding.limit", h.limit.as_ref(), false);
    validate_money(&mut v, "holding.monthly_transaction_volume", h.monthly_transaction_volume.as_ref(), false);
    if h.monthly_transaction_count < 0 {
        v.add("holding.monthly_transaction_count", "must not be negative");
    }
    v.check()
}

fn amounts(s: &FinancialStatement) -> [(&'static str, Option<&Money>); 7] {
    [
        ("revenue", s.revenue.as_ref()),
        ("ebitda", s.ebitda.as_ref()),
        ("total_assets", s.total_assets.as_ref()),
        ("total_debt", s.total_debt.as_ref()),
        ("current_assets", s.current_assets.as_ref()),
        ("current_liabilities", s.current_liabilities.as_ref()),
        ("interest_expense", s.interest_expense.as_ref()),
    ]
}

/// Validates a financial statement (one currency; amounts non-negative except EBITDA).
pub fn statement(s: &mut FinancialStatement) -> ApiResult<()> {
    s.period = s.period.trim().to_owned();
    let mut v = Violations::default();
    if s.period.is_empty() || s.period.chars().count() > 16 {
        v.add("financial_statement.period", "is required, at most 16 characters (e.g. FY2025)");
    }
    if s.period_end_time.is_none() {
        v.add("financial_statement.period_end_time", "is required");
    }
    let mut currency: Option<&str> = None;
    for (field, money) in amounts(s) {
        let path = format!("financial_statement.{field}");
        validate_money(&mut v, &path, money, field == "ebitda");
        if let Some(m) = money {
            match currency {
                None => currency = Some(&m.currency_code),
                Some(c) if c != m.currency_code => {
                    v.add(format!("{path}.currency_code"), "all amounts must share one currency")
                }
                Some(_) => {}
            }
        }
    }
    if let Some(p) = &s.provenance
        && SourceType::try_from(p.source_type).is_err()
    {
        v.add("financial_statement.provenance.source_type", "is not a known source type");
    }
    v.check()
}

fn amount(m: Option<&Money>) -> f64 {
    m.map_or(0.0, |m| m.units as f64 + f64::from(m.nanos) / 1e9)
}

fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    (denominator > 0.0).then(|| numerator / denominator)
}

/// The operating ratios the service derives from a statement.
pub fn ratios(s: &FinancialStatement) -> FinancialRatios {
    let ebitda = amount(s.ebitda.as_ref());
    FinancialRatios {
        leverage: ratio(amount(s.total_debt.as_ref()), ebitda),
        interest_cover: ratio(ebitda, amount(s.interest_expense.as_ref())),
        current_ratio: ratio(amount(s.current_assets.as_ref()), amount(s.current_liabilities.as_ref())),
        ebitda_margin: ratio(ebitda, amount(s.revenue.as_ref())),
        provenance: Some(Provenance {
            source_type: SourceType::Derived as i32,
            source_name: format!("derived from {}", s.name),
            as_of_time: s.period_end_time,
            verified: s.provenance.as_ref().is_some_and(|p| p.verified),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cny(units: i64) -> Option<Money> {
        Some(Money { currency_code: "CNY".into(), units, nanos: 0 })
    }

    #[test]
    fn ratios_match_hand_computation() {
        let s = FinancialStatement {
            revenue: cny(1_000),
            ebitda: cny(200),
            total_debt: cny(500),
            current_assets: cny(300),
            current_liabilities: cny(150),
            interest_expense: cny(40),
            ..Default::default()
        };
        let r = ratios(&s);
        assert_eq!(r.leverage, Some(2.5));
        assert_eq!(r.interest_cover, Some(5.0));
        assert_eq!(r.current_ratio, Some(2.0));
        assert_eq!(r.ebitda_margin, Some(0.2));
        let none = ratios(&FinancialStatement { ebitda: cny(-5), ..Default::default() });
        assert_eq!((none.leverage, none.interest_cover, none.current_ratio), (None, None, None));
    }

    #[test]
    fn statement_amounts_share_one_currency() {
        let mut s = FinancialStatement {
            period: "FY2025".into(),
            period_end_time: Some(prost_types::Timestamp::default()),
            revenue: cny(1),
            ebitda: Some(Money { currency_code: "USD".into(), units: 1, nanos: 0 }),
            ..Default::default()
        };
        let err = statement(&mut s).expect_err("mixed currency");
        assert_eq!(err.violations()[0].field, "financial_statement.ebitda.currency_code");
    }

    #[test]
    fn contacts_and_holdings_validate_their_fields() {
        let mut c =
            Contact { display_name: "王建国".into(), phone: "0086 138 0013 8000".into(), ..Default::default() };
        contact(&mut c).expect("valid");
        assert_eq!(c.phone, "+8613800138000");
        let mut bad = Contact { display_name: "x".into(), email: "not-an-email".into(), ..Default::default() };
        assert_eq!(contact(&mut bad).expect_err("email").violations()[0].field, "contact.email");
        let mut h =
            Holding { product_code: "dep-current".into(), account_number: "6222 0000 1".into(), ..Default::default() };
        let err = holding(&mut h).expect_err("no product line");
        assert_eq!(err.violations()[0].field, "holding.product_line");
        assert_eq!(h.account_number, "622200001");
    }
}
