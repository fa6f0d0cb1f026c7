//! The flat view of a client record that expressions read (docs/architecture.md §6): the
//! profile's list filters (`client.<field>`) and, with more fields of its own,
//! segmentation's rules. Enums are their names without prefix ("SME", "ACTIVE").

use std::collections::BTreeMap;

use crm_proto::crm::profile::v1::{Client, CustomerType, DecisionStyle, LifecycleStage};
use serde::{Deserialize, Serialize};

/// The fields of [`ClientFacts`], as expressions name them.
pub const CLIENT_FIELDS: [&str; 22] = [
    "name",
    "display_name",
    "legal_name",
    "registration_number",
    "country_code",
    "lei",
    "customer_type",
    "industry_code",
    "region",
    "city",
    "annual_turnover_units",
    "annual_turnover_currency",
    "employee_count",
    "branch_count",
    "parent",
    "relationship_manager",
    "lifecycle_stage",
    "credit_grade",
    "decision_style",
    "decision_cycle_days",
    "labels",
    "deleted",
];

/// The flat facts of one client record. A field without a note holds what the field of the
/// same name of `crm.profile.v1.Client` holds ("" or 0 when the record has none).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientFacts {
    /// `clients/{client}`.
    pub name: String,
    pub display_name: String,
    pub legal_name: String,
    pub registration_number: String,
    /// Country of registration.
    pub country_code: String,
    pub lei: String,
    /// Customer type without prefix, e.g. "SME".
    pub customer_type: String,
    pub industry_code: String,
    pub region: String,
    pub city: String,
    /// Annual turnover, whole units (0 when unknown: see the currency).
    pub annual_turnover_units: i64,
    /// Currency of the turnover; empty when the turnover is unknown.
    pub annual_turnover_currency: String,
    pub employee_count: i64,
    pub branch_count: i64,
    /// Parent company, `clients/{client}`.
    pub parent: String,
    /// Relationship manager (portfolio).
    pub relationship_manager: String,
    /// Lifecycle stage without prefix, e.g. "ACTIVE".
    pub lifecycle_stage: String,
    /// Internal credit grade.
    pub credit_grade: String,
    /// Purchasing decision style without prefix.
    pub decision_style: String,
    /// Purchasing decision cycle, days.
    pub decision_cycle_days: i64,
    /// Free labels.
    pub labels: BTreeMap<String, String>,
    /// Soft-deleted or merged away.
    pub deleted: bool,
}

/// An enum value name without its type prefix (`CUSTOMER_TYPE_SME` → `SME`).
pub fn enum_name(full: &str, prefix: &str) -> String {
    full.strip_prefix(prefix).unwrap_or(full).to_owned()
}

impl ClientFacts {
    /// The facts of a client record.
    pub fn of(client: &Client) -> Self {
        let turnover = client.annual_turnover.as_ref();
        let purchasing = client.purchasing.as_ref();
        let customer_type = CustomerType::try_from(client.customer_type).map(|t| t.as_str_name()).unwrap_or_default();
        let stage = LifecycleStage::try_from(client.lifecycle_stage).map(|t| t.as_str_name()).unwrap_or_default();
        let style = purchasing
            .and_then(|p| DecisionStyle::try_from(p.decision_style).ok())
            .map(|s| s.as_str_name())
            .unwrap_or_default();
        Self {
            name: client.name.clone(),
            display_name: client.display_name.clone(),
            legal_name: client.legal_name.clone(),
            registration_number: client.registration_number.clone(),
            country_code: client.country_code.clone(),
            lei: client.lei.clone(),
            customer_type: enum_name(customer_type, "CUSTOMER_TYPE_"),
            industry_code: client.industry_code.clone(),
            region: client.region.clone(),
            city: client.city.clone(),
            annual_turnover_units: turnover.map_or(0, |m| m.units),
            annual_turnover_currency: turnover.map_or_else(String::new, |m| m.currency_code.clone()),
            employee_count: client.employee_count,
            branch_count: i64::from(client.branch_count),
            parent: client.parent.clone(),
            relationship_manager: client.relationship_manager.clone(),
            lifecycle_stage: enum_name(stage, "LIFECYCLE_STAGE_"),
            credit_grade: client.credit_grade.clone(),
            decision_style: enum_name(style, "DECISION_STYLE_"),
            decision_cycle_days: purchasing.map_or(0, |p| i64::from(p.decision_cycle_days)),
            labels: client.labels.clone().into_iter().collect(),
            // A merge also sets the duplicate's delete time; either marks it gone.
            deleted: client.delete_time.is_some() || !client.merged_into.is_empty(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_named_and_enums_lose_their_prefix() {
        let client = Client {
            name: "clients/c1".into(),
            customer_type: CustomerType::Sme as i32,
            lifecycle_stage: LifecycleStage::Active as i32,
            merged_into: "clients/c2".into(),
            ..Default::default()
        };
        let facts = ClientFacts::of(&client);
        assert_eq!((facts.customer_type.as_str(), facts.lifecycle_stage.as_str()), ("SME", "ACTIVE"));
        assert!(facts.deleted, "merged away");
        let serde_json::Value::Object(fields) = serde_json::to_value(&facts).expect("json") else { panic!("object") };
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        let mut expected = CLIENT_FIELDS.to_vec();
        expected.sort_unstable();
        assert_eq!(names, expected, "CLIENT_FIELDS lists exactly the serialised fields");
    }
}
