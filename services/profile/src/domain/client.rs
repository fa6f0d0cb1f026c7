//! Rules of the client record: normalisation, validation, field masks and provenance.

use std::collections::BTreeMap;

use crm_kit::{ApiResult, Violations, time};
use crm_proto::{
    crm::profile::v1::{Client, CustomerType, DecisionStyle, LifecycleStage, Provenance, SourceType},
    google::r#type::Money,
};

pub use crm_kit::names::{etag, revision_of};

use super::{codes, lei, names};

/// Fields a caller may write (update masks name these; `*` means all of them).
pub const WRITABLE_FIELDS: [&str; 20] = [
    "display_name",
    "legal_name",
    "registration_number",
    "country_code",
    "lei",
    "tax_id",
    "customer_type",
    "industry_code",
    "region",
    "city",
    "annual_turnover",
    "employee_count",
    "branch_count",
    "parent",
    "relationship_manager",
    "lifecycle_stage",
    "purchasing",
    "credit_grade",
    "provenance",
    "labels",
];

/// Fields the service owns.
const OUTPUT_ONLY_FIELDS: [&str; 6] = ["name", "etag", "create_time", "update_time", "delete_time", "merged_into"];

/// Whether a writable field is a fact about the client, and so carries provenance.
fn is_fact(field: &str) -> bool {
    WRITABLE_FIELDS.contains(&field) && !matches!(field, "provenance" | "labels")
}

fn too_long(v: &mut Violations, field: &str, value: &str, max: usize) {
    if value.chars().count() > max {
        v.add(format!("client.{field}"), format!("must be at most {max} characters"));
    }
}

/// Trims and upper-cases identifiers so that equal facts compare equal.
pub fn normalize(client: &mut Client) {
    for s in [&mut client.display_name, &mut client.legal_name, &mut client.region, &mut client.city] {
        let trimmed = s.trim();
        if trimmed.len() != s.len() {
            *s = trimmed.to_owned();
        }
    }
    client.registration_number = client.registration_number.trim().to_owned();
    client.country_code = client.country_code.trim().to_ascii_uppercase();
    client.lei = client.lei.trim().to_ascii_uppercase();
    client.tax_id = client.tax_id.trim().to_owned();
    client.industry_code = client.industry_code.trim().to_owned();
    client.parent = client.parent.trim().to_owned();
    client.relationship_manager = client.relationship_manager.trim().to_owned();
    client.credit_grade = client.credit_grade.trim().to_ascii_uppercase();
    if let Some(money) = client.annual_turnover.as_mut() {
        money.currency_code = money.currency_code.trim().to_ascii_uppercase();
    }
}

/// Validates a whole (normalised) record; every failure names its field.
pub fn validate(client: &Client) -> ApiResult<()> {
    let mut v = Violations::default();
    if client.display_name.is_empty() {
        v.add("client.display_name", "is required");
    }
    too_long(&mut v, "display_name", &client.display_name, 200);
    too_long(&mut v, "legal_name", &client.legal_name, 300);
    too_long(&mut v, "region", &client.region, 100);
    too_long(&mut v, "city", &client.city, 100);
    too_long(&mut v, "tax_id", &client.tax_id, 64);
    too_long(&mut v, "registration_number", &client.registration_number, 64);
    if !client.registration_number.is_empty() {
        if client.country_code.is_empty() {
            v.add("client.country_code", "is required with registration_number");
        }
        if !client.registration_number.chars().all(|c| c.is_alphanumeric() || " -/.".contains(c)) {
            v.add("client.registration_number", "may hold only letters, digits, space, '-', '/' and '.'");
        }
    }
    if !client.country_code.is_empty() && !codes::is_country(&client.country_code) {
        v.add("client.country_code", "must be an ISO 3166-1 alpha-2 code such as CN or GB");
    }
    if !client.lei.is_empty()
        && let Err(err) = lei::validate(&client.lei)
    {
        v.add("client.lei", err.to_string());
    }
    if CustomerType::try_from(client.customer_type).is_err() {
        v.add("client.customer_type", "is not a known customer type");
    }
    if !client.industry_code.is_empty() && !codes::is_isic_class(&client.industry_code) {
        v.add("client.industry_code", "must be an ISIC Rev.4 class: four digits, e.g. 6419");
    }
    validate_money(&mut v, "client.annual_turnover", client.annual_turnover.as_ref(), false);
    if client.employee_count < 0 {
        v.add("client.employee_count", "must not be negative");
    }
    if client.branch_count < 0 {
        v.add("client.branch_count", "must not be negative");
    }
    if !client.parent.is_empty() && names::client_id("client.parent", &client.parent).is_err() {
        v.add("client.parent", "must be a client name of the form clients/{client}");
    }
    if client.relationship_manager.len() > 64
        || !client.relationship_manager.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.@".contains(&b))
    {
        v.add("client.relationship_manager", "must be a staff id of at most 64 letters, digits, '-', '_', '.', '@'");
    }
    if LifecycleStage::try_from(client.lifecycle_stage).is_err() {
        v.add("client.lifecycle_stage", "is not a known lifecycle stage");
    }
    if let Some(p) = &client.purchasing {
        if DecisionStyle::try_from(p.decision_style).is_err() {
            v.add("client.purchasing.decision_style", "is not a known decision style");
        }
        if !(0..=3650).contains(&p.decision_cycle_days) {
            v.add("client.purchasing.decision_cycle_days", "must be between 0 and 3650");
        }
        if p.decision_makers.len() > 20 || p.decision_makers.iter().any(|m| m.chars().count() > 100) {
            v.add("client.purchasing.decision_makers", "at most 20 entries of at most 100 characters");
        }
    }
    if !client.credit_grade.is_empty() && !codes::is_credit_grade(&client.credit_grade) {
        v.add("client.credit_grade", format!("must be one of {}", codes::CREDIT_GRADES.join(", ")));
    }
    for (field, p) in &client.provenance {
        if !is_fact(field) {
            v.add(format!("client.provenance[{field}]"), "names no fact field of a client");
        }
        validate_provenance(&mut v, &format!("client.provenance[{field}]"), p);
    }
    if client.labels.len() > 64 {
        v.add("client.labels", "at most 64 labels");
    }
    for (key, value) in &client.labels {
        let key_ok = key.len() <= 63
            && key.starts_with(|c: char| c.is_ascii_lowercase())
            && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !key_ok {
            v.add(format!("client.labels[{key}]"), "keys are lower-case letters, digits, '_' or '-' (max 63)");
        }
        if value.chars().count() > 256 {
            v.add(format!("client.labels[{key}]"), "values are at most 256 characters");
        }
    }
    v.check()
}

/// Validates a Money value; `allow_negative` for balances.
pub fn validate_money(v: &mut Violations, field: &str, money: Option<&Money>, allow_negative: bool) {
    let Some(m) = money else { return };
    if !codes::is_currency(&m.currency_code) {
        v.add(format!("{field}.currency_code"), "must be an ISO 4217 code such as CNY or USD");
    }
    if !(-999_999_999..=999_999_999).contains(&m.nanos) || (m.units > 0 && m.nanos < 0) || (m.units < 0 && m.nanos > 0)
    {
        v.add(format!("{field}.nanos"), "must be within ±999,999,999 and have the sign of units");
    }
    if !allow_negative && (m.units < 0 || m.nanos < 0) {
        v.add(field.to_owned(), "must not be negative");
    }
}

fn validate_provenance(v: &mut Violations, field: &str, p: &Provenance) {
    if SourceType::try_from(p.source_type).is_err() {
        v.add(format!("{field}.source_type"), "is not a known source type");
    }
    if p.source_name.chars().count() > 100 {
        v.add(format!("{field}.source_name"), "must be at most 100 characters");
    }
}

/// Expands and checks an update mask; returns the writable fields it names.
pub fn mask_fields(paths: &[String]) -> ApiResult<Vec<&'static str>> {
    let mut v = Violations::default();
    let mut fields = Vec::new();
    if paths.is_empty() {
        v.add("update_mask", "is required: name the fields to change, or * for all");
    }
    for path in paths {
        let top = path.split('.').next().unwrap_or_default();
        if path == "*" {
            fields.extend(WRITABLE_FIELDS);
        } else if let Some(field) = WRITABLE_FIELDS.iter().find(|f| **f == top) {
            fields.push(*field);
        } else if OUTPUT_ONLY_FIELDS.contains(&top) {
            v.add("update_mask", format!("{path} is output only"));
        } else {
            v.add("update_mask", format!("{path} is not a field of Client"));
        }
    }
    v.check()?;
    fields.sort_unstable();
    fields.dedup();
    Ok(fields)
}

/// Copies the masked fields from `patch` into `target`.
pub fn apply_mask(target: &mut Client, patch: &Client, fields: &[&str]) {
    for field in fields {
        match *field {
            "display_name" => target.display_name.clone_from(&patch.display_name),
            "legal_name" => target.legal_name.clone_from(&patch.legal_name),
            "registration_number" => target.registration_number.clone_from(&patch.registration_number),
            "country_code" => target.country_code.clone_from(&patch.country_code),
            "lei" => target.lei.clone_from(&patch.lei),
            "tax_id" => target.tax_id.clone_from(&patch.tax_id),
            "customer_type" => target.customer_type = patch.customer_type,
            "industry_code" => target.industry_code.clone_from(&patch.industry_code),
            "region" => target.region.clone_from(&patch.region),
            "city" => target.city.clone_from(&patch.city),
            "annual_turnover" => target.annual_turnover.clone_from(&patch.annual_turnover),
            "employee_count" => target.employee_count = patch.employee_count,
            "branch_count" => target.branch_count = patch.branch_count,
            "parent" => target.parent.clone_from(&patch.parent),
            "relationship_manager" => target.relationship_manager.clone_from(&patch.relationship_manager),
            "lifecycle_stage" => target.lifecycle_stage = patch.lifecycle_stage,
            "purchasing" => target.purchasing.clone_from(&patch.purchasing),
            "credit_grade" => target.credit_grade.clone_from(&patch.credit_grade),
            "labels" => target.labels.clone_from(&patch.labels),
            // Provenance entries are merged by `stamp_provenance`.
            _ => {}
        }
    }
}

/// Whether a fact field holds a value.
pub fn is_set(client: &Client, field: &str) -> bool {
    match field {
        "display_name" => !client.display_name.is_empty(),
        "legal_name" => !client.legal_name.is_empty(),
        "registration_number" => !client.registration_number.is_empty(),
        "country_code" => !client.country_code.is_empty(),
        "lei" => !client.lei.is_empty(),
        "tax_id" => !client.tax_id.is_empty(),
        "customer_type" => client.customer_type != 0,
        "industry_code" => !client.industry_code.is_empty(),
        "region" => !client.region.is_empty(),
        "city" => !client.city.is_empty(),
        "annual_turnover" => client.annual_turnover.is_some(),
        "employee_count" => client.employee_count != 0,
        "branch_count" => client.branch_count != 0,
        "parent" => !client.parent.is_empty(),
        "relationship_manager" => !client.relationship_manager.is_empty(),
        "lifecycle_stage" => client.lifecycle_stage != 0,
        "purchasing" => client.purchasing.is_some(),
        "credit_grade" => !client.credit_grade.is_empty(),
        _ => false,
    }
}

/// Records where each written fact came from.
///
/// For every written fact field: the provenance the caller stated for it, else
/// PRIMARY from `default_source` as of now, unverified. Cleared fields lose their entry.
pub fn stamp_provenance(
    client: &mut Client,
    written: &[&str],
    stated: &BTreeMap<String, Provenance>,
    default_source: &str,
) {
    let now = time::to_timestamp(time::now_micros());
    for field in written.iter().copied().filter(|f| is_fact(f)) {
        if !is_set(client, field) {
            client.provenance.remove(field);
            continue;
        }
        let mut p = stated.get(field).cloned().unwrap_or_else(|| Provenance {
            source_type: SourceType::Primary as i32,
            source_name: default_source.to_owned(),
            as_of_time: None,
            verified: false,
        });
        if p.source_type == SourceType::Unspecified as i32 {
            p.source_type = SourceType::Primary as i32;
        }
        if p.source_name.is_empty() {
            p.source_name = default_source.to_owned();
        }
        p.as_of_time.get_or_insert(now);
        client.provenance.insert(field.to_owned(), p);
    }
}

/// The fact fields a new record sets (all of them carry provenance from creation on).
pub fn written_on_create(client: &Client) -> Vec<&'static str> {
    WRITABLE_FIELDS.iter().copied().filter(|f| is_fact(f) && is_set(client, f)).collect()
}

/// A stated provenance for a field not being written is an error (it would be a false claim).
pub fn check_stated_provenance(stated: &BTreeMap<String, Provenance>, written: &[&str]) -> ApiResult<()> {
    let mut v = Violations::default();
    for field in stated.keys() {
        if !written.contains(&field.as_str()) {
            v.add(format!("client.provenance[{field}]"), "states a source for a field this request does not write");
        }
    }
    v.check()
}

/// The survivor of a merge: its own facts, plus every fact it lacks taken from the
/// duplicate with the duplicate's provenance, plus the duplicate's labels it lacks.
/// Returns the record and the fields it filled.
pub fn merged(survivor: &Client, duplicate: &Client) -> (Client, Vec<&'static str>) {
    let mut next = survivor.clone();
    let mut filled = Vec::new();
    for field in WRITABLE_FIELDS.iter().copied().filter(|f| is_fact(f)) {
        if !is_set(survivor, field) && is_set(duplicate, field) && field != "parent" {
            apply_mask(&mut next, duplicate, &[field]);
            if let Some(p) = duplicate.provenance.get(field) {
                next.provenance.insert(field.to_owned(), p.clone());
            }
            filled.push(field);
        }
    }
    for (key, value) in &duplicate.labels {
        next.labels.entry(key.clone()).or_insert_with(|| value.clone());
    }
    (next, filled)
}

/// The fields whose values differ between two states of a record.
pub fn changed_fields(old: &Client, new: &Client) -> Vec<&'static str> {
    let mut changed: Vec<&'static str> = WRITABLE_FIELDS
        .iter()
        .copied()
        .filter(|field| {
            let (mut a, mut b) = (Client::default(), Client::default());
            apply_mask(&mut a, old, &[field]);
            apply_mask(&mut b, new, &[field]);
            a != b || (*field == "provenance" && old.provenance != new.provenance)
        })
        .collect();
    if old.delete_time.is_some() != new.delete_time.is_some() {
        changed.push("delete_time");
    }
    if old.merged_into != new.merged_into {
        changed.push("merged_into");
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Client {
        Client {
            display_name: "中国银行".into(),
            legal_name: "中国银行股份有限公司".into(),
            registration_number: "911000001000013428".into(),
            country_code: "cn".into(),
            lei: "5493001KJTIIGC8Y1R12".into(),
            industry_code: "6419".into(),
            annual_turnover: Some(Money { currency_code: "CNY".into(), units: 1_000, nanos: 0 }),
            ..Default::default()
        }
    }

    fn fields_of(err: crm_kit::ApiError) -> Vec<String> {
        err.violations().iter().map(|v| v.field.clone()).collect()
    }

    #[test]
    fn normalised_valid_record_passes() {
        let mut c = valid();
        normalize(&mut c);
        assert_eq!(c.country_code, "CN");
        validate(&c).expect("valid");
    }

    #[test]
    fn each_rejection_names_its_field() {
        let mut c = valid();
        c.lei = "5493001KJTIIGC8Y1R13".into();
        c.country_code = "XX".into();
        c.industry_code = "64".into();
        c.employee_count = -1;
        c.annual_turnover = Some(Money { currency_code: "CNY".into(), units: -5, nanos: 0 });
        let fields = fields_of(validate(&c).expect_err("invalid"));
        for f in [
            "client.lei",
            "client.country_code",
            "client.industry_code",
            "client.employee_count",
            "client.annual_turnover",
        ] {
            assert!(fields.iter().any(|x| x == f), "{f} missing in {fields:?}");
        }
    }

    #[test]
    fn masks_reject_output_only_and_unknown_fields() {
        assert!(mask_fields(&["etag".into()]).is_err());
        assert!(mask_fields(&["nonsense".into()]).is_err());
        assert!(mask_fields(&[]).is_err());
        assert_eq!(mask_fields(&["city".into(), "city".into()]).ok(), Some(vec!["city"]));
        assert_eq!(mask_fields(&["*".into()]).map(|f| f.len()).ok(), Some(WRITABLE_FIELDS.len()));
    }

    #[test]
    fn provenance_defaults_to_primary_from_the_writer_and_keeps_stated_sources() {
        let mut c = valid();
        let stated = BTreeMap::from([(
            "lei".to_owned(),
            Provenance { source_type: SourceType::Secondary as i32, source_name: "gleif".into(), ..Default::default() },
        )]);
        let written = written_on_create(&c);
        stamp_provenance(&mut c, &written, &stated, "RELATIONSHIP_MANAGER:rm-1");
        assert_eq!(c.provenance["lei"].source_name, "gleif");
        assert_eq!(c.provenance["display_name"].source_type, SourceType::Primary as i32);
        assert_eq!(c.provenance["display_name"].source_name, "RELATIONSHIP_MANAGER:rm-1");
        assert!(!c.provenance.contains_key("tax_id"));
    }
}
