//! The client record's rules. A new client and a change to one are parsed from the request
//! once: every field it sets normalised and checked (all violations at once, each named by
//! its field path), with the sources it states for its facts. The parsed value is then
//! written onto the stored record, recording where each fact came from.

mod aliases;
mod facts;
mod field;
mod lifecycle;
mod values;

use crm_kit::{ApiError, ApiResult, Violations};
use crm_proto::crm::profile::v1::{Client, LifecycleStage};
use prost_types::FieldMask;

pub use crm_kit::names::{etag, revision_of};

use self::facts::{Facts, check_registration_country};
pub use self::{
    aliases::Aliases,
    field::{Field, changed_fields, merged, set_facts},
    lifecycle::check_transition,
    values::{
        ClientRef, CountryCode, CreditGrade, DisplayName, IndustryCode, Labels, Purchasing, RegistrationNumber,
        StaffId, Text,
    },
};
use super::{names, parse_whole, parsed};

/// A client to create: every writable field parsed, the facts it sets with their stated
/// sources. Its `name` and output-only fields are not part of it.
#[derive(Clone, Debug, PartialEq)]
pub struct NewClient(Facts);

impl NewClient {
    /// The client of a create request (violations at `client.*`).
    pub fn parse(client: Client) -> ApiResult<Self> {
        parse_whole("client", client, Self::parse_at)
    }

    /// Parses `client` recording violations at `{at}.*` (`clients[3].client.lei` in a batch).
    pub fn parse_at(v: &mut Violations, at: &str, client: Client) -> Option<Self> {
        let written: Vec<Field> = Field::ALL.into_iter().filter(|f| f.is_fact() && f.is_set(&client)).collect();
        let fields: Vec<Field> = Field::ALL.into_iter().filter(|f| *f != Field::Provenance).collect();
        Facts::parse(v, at, client, &fields, &written).map(Self)
    }

    /// The relationship manager asked for ("" for none).
    pub fn relationship_manager(&self) -> &str {
        self.0.relationship_manager().unwrap_or_default()
    }

    /// The record to store, in the portfolio of `manager` (the one asked for, or the one the
    /// policy assigned): each fact with its stated source, else `default_source`. A client
    /// without a lifecycle stage is a prospect. An assigned manager and the default stage are
    /// the service's doing and carry no source.
    pub fn into_client(self, manager: String, default_source: &str) -> Client {
        let mut client = Client::default();
        self.0.write(&mut client).record(&mut client, default_source);
        client.relationship_manager = manager;
        if client.lifecycle_stage == LifecycleStage::Unspecified as i32 {
            client.lifecycle_stage = LifecycleStage::Prospect as i32;
        }
        client
    }
}

/// A change to a client: the fields its update mask names, parsed, and the etag it expects.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientPatch {
    id: String,
    etag: String,
    facts: Facts,
}

impl ClientPatch {
    /// The change an UpdateClient request asks for.
    pub fn parse(client: Option<Client>, update_mask: Option<FieldMask>) -> ApiResult<Self> {
        let Some(client) = client else { return Err(ApiError::invalid("client", "is required")) };
        let id = names::client_id("client.name", &client.name)?.to_owned();
        let fields = Field::from_mask(&update_mask.map(|m| m.paths).unwrap_or_default())?;
        let etag = client.etag.clone();
        let mut v = Violations::default();
        let facts = Facts::parse(&mut v, "client", client, &fields, &fields);
        Ok(Self { id, etag, facts: parsed(v, facts)? })
    }

    /// The id of the client to change.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The etag the caller read ("" to change whatever is current).
    pub fn etag(&self) -> &str {
        &self.etag
    }

    /// The relationship manager `current` has once changed.
    pub fn relationship_manager<'a>(&'a self, current: &'a Client) -> &'a str {
        self.facts.relationship_manager().unwrap_or(&current.relationship_manager)
    }

    /// The next state of `current`, in the portfolio of `manager` (see
    /// [`ClientPatch::relationship_manager`]); every written fact with its stated source, else
    /// `default_source`. INVALID_ARGUMENT when the result has a registration number without
    /// its country; FAILED_PRECONDITION when it moves the lifecycle stage along a transition
    /// the lifecycle does not allow.
    pub fn apply(self, current: &Client, manager: String, default_source: &str) -> ApiResult<Client> {
        let mut next = current.clone();
        let sourcing = self.facts.write(&mut next);
        next.relationship_manager = manager;
        sourcing.record(&mut next, default_source);
        check_transition(&names::client_name(&self.id), current.lifecycle_stage, next.lifecycle_stage)?;
        let mut v = Violations::default();
        check_registration_country(&mut v, "client", &next);
        v.check()?;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use crm_proto::{
        crm::profile::v1::{Provenance, SourceType},
        google::r#type::Money,
    };

    use super::*;
    use crate::domain::violated as fields_of;

    fn valid() -> Client {
        Client {
            display_name: " 中国银行 ".into(),
            legal_name: "中国银行股份有限公司".into(),
            registration_number: "911000001000013428".into(),
            country_code: "cn".into(),
            lei: "5493001kjtiigc8y1r12".into(),
            industry_code: "6419".into(),
            annual_turnover: Some(Money { currency_code: "cny ".into(), units: 1_000, nanos: 0 }),
            ..Default::default()
        }
    }

    #[test]
    fn a_new_client_is_normalised_once() {
        let client = NewClient::parse(valid()).expect("valid").into_client("rm-1".into(), "ADMIN:a");
        assert_eq!((client.display_name.as_str(), client.country_code.as_str()), ("中国银行", "CN"));
        assert_eq!(client.lei, "5493001KJTIIGC8Y1R12");
        assert_eq!(client.annual_turnover.map(|m| m.currency_code).as_deref(), Some("CNY"));
        assert_eq!(client.lifecycle_stage, LifecycleStage::Prospect as i32);
        assert!(!client.provenance.contains_key("lifecycle_stage"), "the default stage is not a fact anyone stated");
        assert!(!client.provenance.contains_key("relationship_manager"));
    }

    #[test]
    fn each_rejection_names_its_field_in_the_order_fields_are_checked() {
        let mut c = valid();
        c.lei = "5493001KJTIIGC8Y1R13".into();
        c.country_code = "XX".into();
        c.industry_code = "64".into();
        c.employee_count = -1;
        c.annual_turnover = Some(Money { currency_code: "CNY".into(), units: -5, nanos: 0 });
        let fields = fields_of(NewClient::parse(c).expect_err("invalid"));
        assert_eq!(
            fields,
            [
                "client.country_code",
                "client.lei",
                "client.industry_code",
                "client.annual_turnover",
                "client.employee_count"
            ]
        );
        let orphan = Client { country_code: String::new(), ..valid() };
        assert_eq!(fields_of(NewClient::parse(orphan).expect_err("no country")), ["client.country_code"]);
    }

    #[test]
    fn a_batch_names_the_record() {
        let mut v = Violations::default();
        let bad = Client { lei: "X".into(), ..valid() };
        assert!(NewClient::parse_at(&mut v, "clients[3].client", bad).is_none());
        assert_eq!(crate::domain::recorded(v), ["clients[3].client.lei"]);
    }

    #[test]
    fn provenance_defaults_to_primary_from_the_writer_and_keeps_stated_sources() {
        let mut c = valid();
        let gleif =
            Provenance { source_type: SourceType::Secondary as i32, source_name: "gleif".into(), ..Default::default() };
        c.provenance.insert("lei".into(), gleif);
        let client = NewClient::parse(c).expect("valid").into_client(String::new(), "RELATIONSHIP_MANAGER:rm-1");
        assert_eq!(client.provenance["lei"].source_name, "gleif");
        assert_eq!(client.provenance["display_name"].source_type, SourceType::Primary as i32);
        assert_eq!(client.provenance["display_name"].source_name, "RELATIONSHIP_MANAGER:rm-1");
        assert!(!client.provenance.contains_key("tax_id"));

        // A rating is derived, not observed: without a stated source it is not PRIMARY.
        let rated = Client { credit_grade: "BBB".into(), ..valid() };
        let client = NewClient::parse(rated).expect("valid").into_client(String::new(), "ADMIN:a");
        assert_eq!(client.provenance["credit_grade"].source_type, SourceType::Derived as i32);
        let mut stated = Client { credit_grade: "BBB".into(), ..valid() };
        stated
            .provenance
            .insert("credit_grade".into(), Provenance { source_name: "rating-desk".into(), ..Default::default() });
        let client = NewClient::parse(stated).expect("valid").into_client(String::new(), "ADMIN:a");
        assert_eq!(client.provenance["credit_grade"].source_type, SourceType::Derived as i32, "type unstated");

        let mut claim = valid();
        claim.provenance.insert("tax_id".into(), Provenance::default());
        claim.lei = "bad".into();
        let err = NewClient::parse(claim).expect_err("a source for an unwritten field");
        assert_eq!(fields_of(err), ["client.provenance[tax_id]"], "reported alone");
    }

    #[test]
    fn a_patch_changes_only_its_fields_and_checks_the_result() {
        let current = NewClient::parse(valid()).expect("valid").into_client("rm-1".into(), "ADMIN:a");
        let mask = |paths: &[&str]| Some(FieldMask { paths: paths.iter().map(|p| (*p).to_owned()).collect() });
        let patch = Client { name: "clients/a".into(), city: " Leeds ".into(), ..Default::default() };
        let patch = ClientPatch::parse(Some(patch), mask(&["city"])).expect("valid");
        assert_eq!(patch.relationship_manager(&current), "rm-1");
        let next = patch.apply(&current, "rm-1".into(), "ADMIN:b").expect("applied");
        assert_eq!((next.city.as_str(), next.lei.as_str()), ("Leeds", current.lei.as_str()));
        assert_eq!(next.provenance["city"].source_name, "ADMIN:b");
        assert_eq!(changed_fields(&current, &next), ["city", "provenance"]);

        let clear = Client { name: "clients/a".into(), ..Default::default() };
        let clear = ClientPatch::parse(Some(clear), mask(&["country_code"])).expect("valid");
        let err = clear.apply(&current, "rm-1".into(), "ADMIN:b").expect_err("registration without country");
        assert_eq!(fields_of(err), ["client.country_code"]);

        let bad = Client { name: "clients/a".into(), employee_count: -3, ..Default::default() };
        let err = ClientPatch::parse(Some(bad), mask(&["employee_count", "etag"])).expect_err("output only");
        assert_eq!(fields_of(err), ["update_mask"]);
    }
}
