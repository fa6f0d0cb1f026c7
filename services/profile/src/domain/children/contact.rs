//! Contacts: who at the client the bank deals with, and how to reach them.

use crm_kit::{ApiError, ApiResult, Violations};
use crm_proto::crm::profile::v1::{Contact, ContactRole, PreferredChannel};
use prost_types::FieldMask;

use crate::domain::{names, parsed, phone};

/// A writable field of a contact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum ContactField {
    DisplayName,
    JobTitle,
    Role,
    Phone,
    Email,
    PreferredChannel,
}

impl ContactField {
    const ALL: [Self; 6] =
        [Self::DisplayName, Self::JobTitle, Self::Role, Self::Phone, Self::Email, Self::PreferredChannel];

    fn name(self) -> &'static str {
        match self {
            Self::DisplayName => "display_name",
            Self::JobTitle => "job_title",
            Self::Role => "role",
            Self::Phone => "phone",
            Self::Email => "email",
            Self::PreferredChannel => "preferred_channel",
        }
    }

    /// Moves the field's value from `from` to `to`.
    fn take(self, from: &mut Contact, to: &mut Contact) {
        match self {
            Self::DisplayName => to.display_name = std::mem::take(&mut from.display_name),
            Self::JobTitle => to.job_title = std::mem::take(&mut from.job_title),
            Self::Role => to.role = from.role,
            Self::Phone => to.phone = std::mem::take(&mut from.phone),
            Self::Email => to.email = std::mem::take(&mut from.email),
            Self::PreferredChannel => to.preferred_channel = from.preferred_channel,
        }
    }

    /// Normalises the field of `c` in place and checks it, recording violations at `{at}.*`.
    /// A phone without its country code is read in `country`, the client's.
    fn parse(self, v: &mut Violations, at: &str, c: &mut Contact, country: &str) -> bool {
        let path = format!("{at}.{}", self.name());
        let problem = match self {
            Self::DisplayName => {
                c.display_name = c.display_name.trim().to_owned();
                (c.display_name.is_empty() || c.display_name.chars().count() > 200)
                    .then_some("is required, at most 200 characters")
            }
            Self::JobTitle => (c.job_title.chars().count() > 100).then_some("must be at most 100 characters"),
            Self::Role => ContactRole::try_from(c.role).is_err().then_some("is not a known contact role"),
            Self::Phone if c.phone.trim().is_empty() => {
                c.phone.clear();
                None
            }
            Self::Phone => match phone::e164(&c.phone, country) {
                Some(e164) => {
                    c.phone = e164;
                    None
                }
                None => Some(
                    "must be a phone number: international (+ and country code) or national in the client's country",
                ),
            },
            Self::Email => {
                c.email = c.email.trim().to_lowercase();
                (!c.email.is_empty() && !is_email(&c.email)).then_some("must be an e-mail address")
            }
            Self::PreferredChannel => {
                PreferredChannel::try_from(c.preferred_channel).is_err().then_some("is not a known channel")
            }
        };
        if let Some(problem) = problem {
            v.add(path, problem);
        }
        problem.is_none()
    }
}

/// Parses `fields` of `from` into a contact holding only them, recording violations at `{at}.*`
/// (`country` is the client's: phones without a country code are read there).
fn parse_contact(
    v: &mut Violations,
    at: &str,
    mut from: Contact,
    fields: &[ContactField],
    country: &str,
) -> Option<Contact> {
    let mut contact = Contact::default();
    let mut ok = true;
    for field in fields {
        ok &= field.parse(v, at, &mut from, country);
        field.take(&mut from, &mut contact);
    }
    ok.then_some(contact)
}

/// A contact to add: every field normalised and checked (a phone in E.164 form, a
/// lower-case e-mail), output-only fields dropped.
#[derive(Clone, Debug, PartialEq)]
pub struct NewContact(Contact);

impl NewContact {
    /// The contact of a create request for a client in `country` (violations at `contact.*`).
    pub fn parse(contact: Contact, country: &str) -> ApiResult<Self> {
        let mut v = Violations::default();
        let contact = Self::parse_at(&mut v, "contact", contact, country);
        parsed(v, contact)
    }

    /// Parses `contact` of a client in `country`, recording violations at `{at}.*`.
    pub fn parse_at(v: &mut Violations, at: &str, contact: Contact, country: &str) -> Option<Self> {
        parse_contact(v, at, contact, &ContactField::ALL, country).map(Self)
    }

    /// The record to store (the store names and stamps it).
    pub fn into_contact(self) -> Contact {
        self.0
    }
}

/// A change to a contact: the fields its update mask names, parsed, and the etag it expects.
#[derive(Clone, Debug, PartialEq)]
pub struct ContactPatch {
    client_id: String,
    contact_id: String,
    etag: String,
    fields: Vec<ContactField>,
    values: Contact,
}

impl ContactPatch {
    /// The change an UpdateContact request asks for, on a contact of a client in `country`.
    pub fn parse(contact: Option<Contact>, update_mask: Option<FieldMask>, country: &str) -> ApiResult<Self> {
        let Some(contact) = contact else { return Err(ApiError::invalid("contact", "is required")) };
        let (client_id, contact_id) = names::child_id("contact.name", &contact.name, "contacts")?;
        let (client_id, contact_id) = (client_id.to_owned(), contact_id.to_owned());
        let paths = update_mask.map(|m| m.paths).unwrap_or_default();
        let mut v = Violations::default();
        if paths.is_empty() {
            v.add("update_mask", "is required: name the fields to change, or * for all");
        }
        let mut fields = Vec::new();
        for path in &paths {
            match ContactField::ALL.into_iter().find(|f| f.name() == path.as_str()) {
                Some(field) => fields.push(field),
                None if path == "*" => fields.extend(ContactField::ALL),
                None => v.add("update_mask", format!("{path} is not a writable field of Contact")),
            }
        }
        v.check()?;
        fields.sort_unstable();
        fields.dedup();
        let etag = contact.etag.clone();
        let mut v = Violations::default();
        let values = parse_contact(&mut v, "contact", contact, &fields, country);
        Ok(Self { client_id, contact_id, etag, fields, values: parsed(v, values)? })
    }

    /// The client the contact belongs to.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The contact's own id.
    pub fn contact_id(&self) -> &str {
        &self.contact_id
    }

    /// The etag the caller read ("" to change whatever is current).
    pub fn etag(&self) -> &str {
        &self.etag
    }

    /// The next state of `current`.
    pub fn apply(mut self, current: &Contact) -> Contact {
        let mut next = current.clone();
        for field in self.fields {
            field.take(&mut self.values, &mut next);
        }
        next
    }
}

fn is_email(s: &str) -> bool {
    s.len() <= 254
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        && !s.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_normalised_and_checked() {
        let c = Contact { display_name: "王建国".into(), phone: "0086 138 0013 8000".into(), ..Default::default() };
        assert_eq!(NewContact::parse(c, "GB").expect("valid").into_contact().phone, "+8613800138000");
        let bad = Contact { display_name: "x".into(), email: "not-an-email".into(), ..Default::default() };
        assert_eq!(NewContact::parse(bad, "CN").expect_err("email").violations()[0].field, "contact.email");
    }

    #[test]
    fn national_phones_are_read_in_the_clients_country() {
        let c = Contact { display_name: "王建国".into(), phone: "010-6543 2100".into(), ..Default::default() };
        assert_eq!(NewContact::parse(c.clone(), "CN").expect("valid").into_contact().phone, "+861065432100");
        let err = NewContact::parse(c, "").expect_err("no country to read it in");
        assert_eq!(err.violations()[0].field, "contact.phone");
    }

    #[test]
    fn a_contact_patch_changes_only_its_fields() {
        let current = NewContact::parse(
            Contact { display_name: "Wang".into(), email: "w@x.cn".into(), ..Default::default() },
            "CN",
        )
        .expect("valid")
        .into_contact();
        let patch = Contact { name: "clients/a/contacts/b".into(), email: " Wang@X.CN ".into(), ..Default::default() };
        let mask = Some(FieldMask { paths: vec!["email".into()] });
        let patch = ContactPatch::parse(Some(patch), mask, "CN").expect("valid");
        assert_eq!((patch.client_id(), patch.contact_id()), ("a", "b"));
        let next = patch.apply(&current);
        assert_eq!((next.display_name.as_str(), next.email.as_str()), ("Wang", "wang@x.cn"));
        let unknown = Some(FieldMask { paths: vec!["etag".into()] });
        let err = ContactPatch::parse(
            Some(Contact { name: "clients/a/contacts/b".into(), ..Default::default() }),
            unknown,
            "",
        );
        assert_eq!(err.expect_err("not writable").violations()[0].field, "update_mask");
    }
}
