//! Data-quality summary of a client record: completeness of key fields, share of verified
//! facts, and the stalest fact (docs/domain.md §4: useful information is complete, accurate,
//! reliable and timely).

use crm_kit::time;

use super::client::Field;
use crm_proto::crm::profile::v1::{Client, DataQuality};

/// Fields every corporate record should have.
const KEY_FIELDS: [Field; 12] = [
    Field::LegalName,
    Field::RegistrationNumber,
    Field::CountryCode,
    Field::Lei,
    Field::TaxId,
    Field::CustomerType,
    Field::IndustryCode,
    Field::City,
    Field::AnnualTurnover,
    Field::EmployeeCount,
    Field::RelationshipManager,
    Field::CreditGrade,
];

/// Computes the summary at `now` (microseconds since the epoch).
pub fn summarize(c: &Client, now: i64) -> DataQuality {
    let missing: Vec<String> = KEY_FIELDS.iter().filter(|f| !f.is_set(c)).map(|f| f.name().to_owned()).collect();
    let completeness = (KEY_FIELDS.len() - missing.len()) as f64 / KEY_FIELDS.len() as f64;
    let verified = c.provenance.values().filter(|p| p.verified).count();
    let verified_share = if c.provenance.is_empty() { 0.0 } else { verified as f64 / c.provenance.len() as f64 };
    let stalest = c
        .provenance
        .iter()
        .filter_map(|(field, p)| p.as_of_time.as_ref().map(|t| (field, time::from_timestamp(t), *t)))
        .min_by_key(|(field, micros, _)| (*micros, (*field).clone()));
    let (stalest_field, stalest_as_of_time, stalest_age_days) = match stalest {
        Some((field, micros, ts)) => (field.clone(), Some(ts), (now - micros).max(0) / 86_400_000_000),
        None => (String::new(), None, 0),
    };
    DataQuality {
        completeness,
        missing_fields: missing,
        verified_share,
        stalest_field,
        stalest_as_of_time,
        stalest_age_days,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_proto::crm::profile::v1::Provenance;

    #[test]
    fn summarises_completeness_verification_and_staleness() {
        let day = 86_400_000_000_i64;
        let at = |d: i64| Some(time::to_timestamp(d * day));
        let c = Client {
            legal_name: "Acme Ltd".into(),
            country_code: "GB".into(),
            city: "Leeds".into(),
            provenance: [
                ("legal_name".to_owned(), Provenance { verified: true, as_of_time: at(100), ..Default::default() }),
                ("city".to_owned(), Provenance { verified: false, as_of_time: at(10), ..Default::default() }),
            ]
            .into(),
            ..Default::default()
        };
        let q = summarize(&c, 110 * day);
        assert!((q.completeness - 3.0 / 12.0).abs() < 1e-9);
        assert!(q.missing_fields.contains(&"lei".to_owned()));
        assert!((q.verified_share - 0.5).abs() < 1e-9);
        assert_eq!((q.stalest_field.as_str(), q.stalest_age_days), ("city", 100));
    }
}
