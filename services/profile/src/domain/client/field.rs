//! The writable fields of a client record, by name: what an update mask and a provenance
//! entry name, and how each one reads and copies on a stored record.

use crm_kit::{ApiResult, Violations};
use crm_proto::crm::profile::v1::Client;

/// A field a caller may write (update masks name these; `*` means all of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    DisplayName,
    LegalName,
    RegistrationNumber,
    CountryCode,
    Lei,
    TaxId,
    CustomerType,
    IndustryCode,
    Region,
    City,
    AnnualTurnover,
    EmployeeCount,
    BranchCount,
    Parent,
    RelationshipManager,
    LifecycleStage,
    Purchasing,
    CreditGrade,
    Provenance,
    Labels,
    Aliases,
}

/// Fields the service owns: an update mask naming one is refused as output only.
const OUTPUT_ONLY: [&str; 6] = ["name", "etag", "create_time", "update_time", "delete_time", "merged_into"];

impl Field {
    /// Every writable field, in the contract's order (the order of changed and filled fields).
    pub const ALL: [Field; 21] = [
        Self::DisplayName,
        Self::LegalName,
        Self::RegistrationNumber,
        Self::CountryCode,
        Self::Lei,
        Self::TaxId,
        Self::CustomerType,
        Self::IndustryCode,
        Self::Region,
        Self::City,
        Self::AnnualTurnover,
        Self::EmployeeCount,
        Self::BranchCount,
        Self::Parent,
        Self::RelationshipManager,
        Self::LifecycleStage,
        Self::Purchasing,
        Self::CreditGrade,
        Self::Provenance,
        Self::Labels,
        Self::Aliases,
    ];

    /// The field's name in the contract (`client.<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Self::DisplayName => "display_name",
            Self::LegalName => "legal_name",
            Self::RegistrationNumber => "registration_number",
            Self::CountryCode => "country_code",
            Self::Lei => "lei",
            Self::TaxId => "tax_id",
            Self::CustomerType => "customer_type",
            Self::IndustryCode => "industry_code",
            Self::Region => "region",
            Self::City => "city",
            Self::AnnualTurnover => "annual_turnover",
            Self::EmployeeCount => "employee_count",
            Self::BranchCount => "branch_count",
            Self::Parent => "parent",
            Self::RelationshipManager => "relationship_manager",
            Self::LifecycleStage => "lifecycle_stage",
            Self::Purchasing => "purchasing",
            Self::CreditGrade => "credit_grade",
            Self::Provenance => "provenance",
            Self::Labels => "labels",
            Self::Aliases => "aliases",
        }
    }

    /// The writable field called `name`.
    pub fn named(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The source type recorded when a write states none: DERIVED for what the bank
    /// computes (the internal credit rating), PRIMARY for what is observed or declared.
    pub fn default_source_type(self) -> crm_proto::crm::profile::v1::SourceType {
        use crm_proto::crm::profile::v1::SourceType;
        if matches!(self, Self::CreditGrade) { SourceType::Derived } else { SourceType::Primary }
    }

    /// Whether the field is a fact about the client, and so carries provenance.
    pub fn is_fact(self) -> bool {
        !matches!(self, Self::Provenance | Self::Labels)
    }

    /// The fields an update mask names: `*` for all, a nested path (`purchasing.decision_style`)
    /// for its whole top-level field. INVALID_ARGUMENT on `update_mask` for anything else.
    pub fn from_mask(paths: &[String]) -> ApiResult<Vec<Self>> {
        let mut v = Violations::default();
        let mut fields = Vec::new();
        if paths.is_empty() {
            v.add("update_mask", "is required: name the fields to change, or * for all");
        }
        for path in paths {
            let top = path.split('.').next().unwrap_or_default();
            if path == "*" {
                fields.extend(Self::ALL);
            } else if let Some(field) = Self::named(top) {
                fields.push(field);
            } else if OUTPUT_ONLY.contains(&top) {
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

    /// Whether the field holds a value in `c` (provenance and labels never count).
    pub fn is_set(self, c: &Client) -> bool {
        match self {
            Self::DisplayName => !c.display_name.trim().is_empty(),
            Self::LegalName => !c.legal_name.trim().is_empty(),
            Self::RegistrationNumber => !c.registration_number.trim().is_empty(),
            Self::CountryCode => !c.country_code.trim().is_empty(),
            Self::Lei => !c.lei.trim().is_empty(),
            Self::TaxId => !c.tax_id.trim().is_empty(),
            Self::CustomerType => c.customer_type != 0,
            Self::IndustryCode => !c.industry_code.trim().is_empty(),
            Self::Region => !c.region.trim().is_empty(),
            Self::City => !c.city.trim().is_empty(),
            Self::AnnualTurnover => c.annual_turnover.is_some(),
            Self::EmployeeCount => c.employee_count != 0,
            Self::BranchCount => c.branch_count != 0,
            Self::Parent => !c.parent.trim().is_empty(),
            Self::RelationshipManager => !c.relationship_manager.trim().is_empty(),
            Self::LifecycleStage => c.lifecycle_stage != 0,
            Self::Purchasing => c.purchasing.is_some(),
            Self::CreditGrade => !c.credit_grade.trim().is_empty(),
            Self::Aliases => !c.aliases.is_empty(),
            Self::Provenance | Self::Labels => false,
        }
    }

    /// Copies the field's value from `from` into `to` (provenance entries are not values:
    /// they travel with the fact they describe).
    pub fn copy(self, from: &Client, to: &mut Client) {
        match self {
            Self::DisplayName => to.display_name.clone_from(&from.display_name),
            Self::LegalName => to.legal_name.clone_from(&from.legal_name),
            Self::RegistrationNumber => to.registration_number.clone_from(&from.registration_number),
            Self::CountryCode => to.country_code.clone_from(&from.country_code),
            Self::Lei => to.lei.clone_from(&from.lei),
            Self::TaxId => to.tax_id.clone_from(&from.tax_id),
            Self::CustomerType => to.customer_type = from.customer_type,
            Self::IndustryCode => to.industry_code.clone_from(&from.industry_code),
            Self::Region => to.region.clone_from(&from.region),
            Self::City => to.city.clone_from(&from.city),
            Self::AnnualTurnover => to.annual_turnover.clone_from(&from.annual_turnover),
            Self::EmployeeCount => to.employee_count = from.employee_count,
            Self::BranchCount => to.branch_count = from.branch_count,
            Self::Parent => to.parent.clone_from(&from.parent),
            Self::RelationshipManager => to.relationship_manager.clone_from(&from.relationship_manager),
            Self::LifecycleStage => to.lifecycle_stage = from.lifecycle_stage,
            Self::Purchasing => to.purchasing.clone_from(&from.purchasing),
            Self::CreditGrade => to.credit_grade.clone_from(&from.credit_grade),
            Self::Labels => to.labels.clone_from(&from.labels),
            Self::Aliases => to.aliases.clone_from(&from.aliases),
            Self::Provenance => {}
        }
    }

    /// Whether the field's value differs between two states of a record.
    fn differs(self, old: &Client, new: &Client) -> bool {
        if self == Self::Provenance {
            return old.provenance != new.provenance;
        }
        let (mut a, mut b) = (Client::default(), Client::default());
        self.copy(old, &mut a);
        self.copy(new, &mut b);
        a != b
    }
}

/// The facts a record holds (a new record's written fields, for its first revision).
pub fn set_facts(client: &Client) -> Vec<&'static str> {
    Field::ALL.into_iter().filter(|f| f.is_fact() && f.is_set(client)).map(Field::name).collect()
}

/// The fields whose values differ between two states of a record.
pub fn changed_fields(old: &Client, new: &Client) -> Vec<&'static str> {
    let mut changed: Vec<&'static str> =
        Field::ALL.into_iter().filter(|f| f.differs(old, new)).map(Field::name).collect();
    if old.delete_time.is_some() != new.delete_time.is_some() {
        changed.push("delete_time");
    }
    if old.merged_into != new.merged_into {
        changed.push("merged_into");
    }
    changed
}

/// The survivor of a merge: its own facts, plus every fact it lacks taken from the
/// duplicate with the duplicate's provenance, plus the duplicate's labels it lacks.
/// Returns the record and the fields it filled.
pub fn merged(survivor: &Client, duplicate: &Client) -> (Client, Vec<&'static str>) {
    let mut next = survivor.clone();
    let mut filled = Vec::new();
    for field in Field::ALL.into_iter().filter(|f| f.is_fact() && *f != Field::Parent) {
        if !field.is_set(survivor) && field.is_set(duplicate) {
            field.copy(duplicate, &mut next);
            if let Some(p) = duplicate.provenance.get(field.name()) {
                next.provenance.insert(field.name().to_owned(), p.clone());
            }
            filled.push(field.name());
        }
    }
    for (key, value) in &duplicate.labels {
        next.labels.entry(key.clone()).or_insert_with(|| value.clone());
    }
    (next, filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_reject_output_only_and_unknown_fields() {
        assert!(Field::from_mask(&["etag".into()]).is_err());
        assert!(Field::from_mask(&["nonsense".into()]).is_err());
        assert!(Field::from_mask(&[]).is_err());
        assert_eq!(Field::from_mask(&["city".into(), "city".into()]).ok(), Some(vec![Field::City]));
        assert_eq!(Field::from_mask(&["purchasing.decision_style".into()]).ok(), Some(vec![Field::Purchasing]));
        assert_eq!(Field::from_mask(&["*".into()]).map(|f| f.len()).ok(), Some(Field::ALL.len()));
    }

    #[test]
    fn a_merge_fills_only_what_the_survivor_lacks_and_never_the_parent() {
        let survivor = Client { display_name: "A".into(), ..Default::default() };
        let duplicate = Client {
            display_name: "B".into(),
            city: "Leeds".into(),
            parent: "clients/p".into(),
            labels: [("k".to_owned(), "v".to_owned())].into(),
            ..Default::default()
        };
        let (next, filled) = merged(&survivor, &duplicate);
        assert_eq!((next.display_name.as_str(), next.city.as_str(), next.parent.as_str()), ("A", "Leeds", ""));
        assert_eq!(filled, ["city"]);
        assert_eq!(changed_fields(&survivor, &next), ["city", "labels"]);
    }
}
