//! Content management (docs/domain.md §4): one version of a fact sheet or offer, rendered for every
//! channel with the same facts, numbers and text; only the layout differs by channel.

use crm_kit::{ApiResult, Violations, idempotency::fingerprint, time::from_timestamp};
use crm_proto::crm::{
    interaction::v1::{Channel, ContentFact, ContentItem, ContentKind, RenderedContent, RenderedFact, content_fact},
    profile::v1::ProductLine,
};

use super::interaction::too_long;

/// Fields UpdateContentItem may change (`*` means all of them).
pub const WRITABLE_FIELDS: [&str; 6] = ["body", "disclaimer", "facts", "headline", "kind", "product_line"];
/// Most facts on one item.
const MAX_FACTS: usize = 50;

fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 40 && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Trims text fields.
fn normalize(item: &mut ContentItem) {
    for s in [&mut item.headline, &mut item.body, &mut item.disclaimer, &mut item.product_line] {
        *s = s.trim().to_owned();
    }
    for fact in &mut item.facts {
        fact.key = fact.key.trim().to_owned();
        fact.label = fact.label.trim().to_owned();
        fact.unit = fact.unit.trim().to_owned();
    }
}

/// Validates (after trimming) a content item as it will be stored.
pub fn prepare(item: &mut ContentItem) -> ApiResult<()> {
    normalize(item);
    let mut v = Violations::default();
    if ContentKind::try_from(item.kind).map_or(true, |k| k == ContentKind::Unspecified) {
        v.add("content_item.kind", "is required: FACT_SHEET, OFFER or NOTICE");
    }
    if item.headline.is_empty() {
        v.add("content_item.headline", "is required");
    }
    too_long(&mut v, "content_item.headline", &item.headline, 200);
    too_long(&mut v, "content_item.body", &item.body, 4_000);
    too_long(&mut v, "content_item.disclaimer", &item.disclaimer, 2_000);
    if !item.product_line.is_empty()
        && ProductLine::from_str_name(&format!("PRODUCT_LINE_{}", item.product_line)).is_none()
    {
        v.add("content_item.product_line", "is not a product line (e.g. TRADE_FINANCE)");
    }
    if item.facts.len() > MAX_FACTS {
        v.add("content_item.facts", format!("at most {MAX_FACTS} facts"));
    }
    for (i, fact) in item.facts.iter().enumerate() {
        check_fact(&mut v, &format!("content_item.facts[{i}]"), fact);
        if item.facts[..i].iter().any(|f| f.key == fact.key) {
            v.add(format!("content_item.facts[{i}].key"), "is used by an earlier fact");
        }
    }
    v.check()
}

fn check_fact(v: &mut Violations, field: &str, fact: &ContentFact) {
    if !valid_key(&fact.key) {
        v.add(format!("{field}.key"), "must be 1-40 lower-case letters, digits or underscores");
    }
    if fact.label.is_empty() {
        v.add(format!("{field}.label"), "is required");
    }
    too_long(v, &format!("{field}.label"), &fact.label, 100);
    too_long(v, &format!("{field}.unit"), &fact.unit, 20);
    if !(0..=6).contains(&fact.decimals) {
        v.add(format!("{field}.decimals"), "must be 0 to 6");
    }
    match &fact.value {
        None => v.add(format!("{field}.value"), "is required: text, money, number or date"),
        Some(content_fact::Value::Text(text)) => too_long(v, &format!("{field}.text"), text, 500),
        Some(content_fact::Value::Money(money)) => {
            let code_ok = money.currency_code.len() == 3 && money.currency_code.bytes().all(|b| b.is_ascii_uppercase());
            let sign_ok = !(money.units > 0 && money.nanos < 0 || money.units < 0 && money.nanos > 0);
            if !code_ok || !sign_ok || money.nanos.abs() >= 1_000_000_000 {
                v.add(format!("{field}.money"), "must have an ISO 4217 currency and nanos of the same sign below 1e9");
            }
        }
        Some(content_fact::Value::Number(n)) if !n.is_finite() => v.add(format!("{field}.number"), "must be finite"),
        Some(content_fact::Value::Number(_)) | Some(content_fact::Value::Date(_)) => {}
    }
}

/// Parses an update mask into the fields it names.
pub fn mask_fields(paths: &[String]) -> ApiResult<Vec<&'static str>> {
    super::mask::fields(paths, &WRITABLE_FIELDS)
}

/// Copies the masked fields from `patch` into `target`.
pub fn apply_mask(target: &mut ContentItem, patch: &ContentItem, fields: &[&str]) {
    for field in fields {
        match *field {
            "body" => target.body.clone_from(&patch.body),
            "disclaimer" => target.disclaimer.clone_from(&patch.disclaimer),
            "facts" => target.facts.clone_from(&patch.facts),
            "headline" => target.headline.clone_from(&patch.headline),
            "kind" => target.kind = patch.kind,
            "product_line" => target.product_line.clone_from(&patch.product_line),
            _ => {}
        }
    }
}

/// Groups digits by thousands: "1250000" → "1,250,000".
fn thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Civil date (year, month, day) of a day count since 1970-01-01 (Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The value of a fact as every channel shows it.
pub fn format_value(fact: &ContentFact) -> String {
    let with_unit = |s: String| if fact.unit.is_empty() { s } else { format!("{s} {}", fact.unit) };
    match &fact.value {
        None => String::new(),
        Some(content_fact::Value::Text(text)) => text.clone(),
        Some(content_fact::Value::Money(m)) => {
            let negative = m.units < 0 || m.nanos < 0;
            let cents = format!("{:09}", m.nanos.unsigned_abs());
            let fraction = cents.trim_end_matches('0');
            let fraction = if fraction.len() < 2 { &cents[..2] } else { fraction };
            let sign = if negative { "-" } else { "" };
            with_unit(format!(
                "{} {sign}{}.{fraction}",
                m.currency_code,
                thousands(&m.units.unsigned_abs().to_string())
            ))
        }
        Some(content_fact::Value::Number(n)) => {
            let decimals = usize::try_from(fact.decimals.clamp(0, 6)).unwrap_or(0);
            let text = format!("{:.*}", decimals, n.abs());
            let (whole, fraction) = text.split_once('.').map_or((text.as_str(), ""), |(w, f)| (w, f));
            let sign = if *n < 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b)) { "-" } else { "" };
            let dot = if fraction.is_empty() { "" } else { "." };
            with_unit(format!("{sign}{}{dot}{fraction}", thousands(whole)))
        }
        Some(content_fact::Value::Date(ts)) => {
            let (y, m, d) = civil(from_timestamp(ts).div_euclid(86_400_000_000));
            format!("{y:04}-{m:02}-{d:02}")
        }
    }
}

/// Renders `item` for `channel`: the same facts and digest everywhere, the layout per channel.
pub fn render(item: &ContentItem, channel: Channel) -> RenderedContent {
    let facts: Vec<RenderedFact> = item
        .facts
        .iter()
        .map(|f| RenderedFact { key: f.key.clone(), label: f.label.clone(), value: format_value(f) })
        .collect();
    let canonical = serde_json::json!([
        item.headline,
        item.body,
        facts.iter().map(|f| [&f.key, &f.label, &f.value]).collect::<Vec<_>>(),
        item.disclaimer,
    ]);
    let content_digest = fingerprint(canonical.to_string().as_bytes());
    let text = layout(item, &facts, channel);
    RenderedContent {
        content_item: item.name.clone(),
        version: item.version,
        channel: channel as i32,
        facts,
        content_digest,
        text,
    }
}

fn layout(item: &ContentItem, facts: &[RenderedFact], channel: Channel) -> String {
    let mut out = String::new();
    let paragraph = |out: &mut String, text: &str| {
        if !text.is_empty() {
            out.push_str(text);
            out.push_str("\n\n");
        }
    };
    match channel {
        Channel::Phone | Channel::ContactCentre => {
            out.push_str(&format!("Read to the client: {}\n\n", item.headline));
            paragraph(&mut out, &item.body);
            out.push_str("The key facts are:\n");
            for f in facts {
                out.push_str(&format!("  {} is {}.\n", f.label, f.value));
            }
            out.push('\n');
        }
        Channel::Mobile => {
            out.push_str(&format!("{}\n", item.headline));
            paragraph(&mut out, &item.body);
            for f in facts {
                out.push_str(&format!("{}: {}\n", f.label, f.value));
            }
            out.push('\n');
        }
        Channel::Online | Channel::Video => {
            out.push_str(&format!("## {}\n\n", item.headline));
            paragraph(&mut out, &item.body);
            out.push_str("| Fact | Value |\n|---|---|\n");
            for f in facts {
                out.push_str(&format!("| {} | {} |\n", f.label, f.value));
            }
            out.push('\n');
        }
        Channel::Email => {
            out.push_str(&format!("Subject: {}\n\n", item.headline));
            paragraph(&mut out, &item.body);
            for f in facts {
                out.push_str(&format!("- {}: {}\n", f.label, f.value));
            }
            out.push('\n');
        }
        Channel::Branch | Channel::RmVisit | Channel::Unspecified => {
            let rule = "=".repeat(item.headline.chars().count().clamp(10, 72));
            out.push_str(&format!("{}\n{rule}\n\n", item.headline.to_uppercase()));
            paragraph(&mut out, &item.body);
            let width = facts.iter().map(|f| f.label.chars().count()).max().unwrap_or(0);
            for f in facts {
                out.push_str(&format!("{:width$}  {}\n", f.label, f.value));
            }
            out.push('\n');
        }
    }
    out.push_str(&item.disclaimer);
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_kit::time::to_timestamp;
    use crm_proto::google::r#type::Money;

    fn fact(key: &str, label: &str, value: content_fact::Value) -> ContentFact {
        ContentFact { key: key.into(), label: label.into(), value: Some(value), ..Default::default() }
    }

    fn offer() -> ContentItem {
        let mut rate = fact("fee_rate", "Fee", content_fact::Value::Number(0.15));
        rate.decimals = 2;
        rate.unit = "% flat".into();
        ContentItem {
            name: "contentItems/lc-offer".into(),
            kind: ContentKind::Offer as i32,
            headline: "Import letters of credit from 0.15%".into(),
            body: "For importers with regular suppliers.".into(),
            facts: vec![
                rate,
                fact(
                    "minimum",
                    "Minimum amount",
                    content_fact::Value::Money(Money {
                        currency_code: "GBP".into(),
                        units: 1_250_000,
                        nanos: 500_000_000,
                    }),
                ),
                fact("valid_until", "Valid until", content_fact::Value::Date(to_timestamp(1_798_675_200_000_000))),
            ],
            disclaimer: "Subject to credit approval.".into(),
            version: 3,
            ..Default::default()
        }
    }

    #[test]
    fn values_are_formatted_once_for_every_channel() {
        let rendered = render(&offer(), Channel::Email);
        let values: Vec<_> = rendered.facts.iter().map(|f| f.value.as_str()).collect();
        assert_eq!(values, ["0.15 % flat", "GBP 1,250,000.50", "2026-12-31"]);
        assert_eq!(thousands("1000"), "1,000");
        assert_eq!(thousands("999"), "999");
    }

    #[test]
    fn every_channel_shows_the_same_facts_with_its_own_layout() {
        let item = offer();
        let renders: Vec<_> =
            [Channel::Email, Channel::ContactCentre, Channel::Mobile, Channel::Online, Channel::Branch]
                .into_iter()
                .map(|c| render(&item, c))
                .collect();
        for r in &renders {
            assert_eq!(r.facts, renders[0].facts);
            assert_eq!(r.content_digest, renders[0].content_digest);
            for f in &r.facts {
                assert!(r.text.contains(&f.value), "{:?} lacks {}", r.channel, f.value);
            }
            assert!(r.text.contains("Subject to credit approval.") && r.text.contains("For importers"));
        }
        let texts: std::collections::HashSet<_> = renders.iter().map(|r| r.text.clone()).collect();
        assert_eq!(texts.len(), renders.len(), "layouts differ by channel");
        let mut changed = item.clone();
        changed.facts[0].value = Some(content_fact::Value::Number(0.2));
        assert_ne!(render(&changed, Channel::Email).content_digest, renders[0].content_digest);
    }

    #[test]
    fn items_are_validated() {
        let mut bad = ContentItem {
            facts: vec![
                ContentFact { key: "Bad Key".into(), ..Default::default() },
                fact("a", "A", content_fact::Value::Number(f64::NAN)),
            ],
            product_line: "GOLD".into(),
            ..Default::default()
        };
        let err = prepare(&mut bad).expect_err("invalid");
        let fields: Vec<_> = err.violations().iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "content_item.kind",
                "content_item.headline",
                "content_item.product_line",
                "content_item.facts[0].key",
                "content_item.facts[0].label",
                "content_item.facts[0].value",
                "content_item.facts[1].number",
            ]
        );
        assert!(prepare(&mut offer()).is_ok());
    }
}
