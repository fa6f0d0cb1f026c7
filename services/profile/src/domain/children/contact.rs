//! Contacts: who at the client the bank deals with, and how to reach them.

use crm_kit::{ApiError, ApiResult, Violations};
use crm_proto::crm::profile::v1::{Contact, ContactRole, PreferredChannel};
use prost_types::FieldMask;

use crate::domain::{lookup::normalize_phone, names, parse_whole, parsed};

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
    fn parse(self, v: &mut Violations, at: &str, c: &mut Contact) -> bool {
        let path = format!("{at}.{}", self.name());
        let problem = match self {
            Self::DisplayName => {
                c.display_name = c.display_name.trim().to_owned();
                (c.display_name.is_empty() || c.display_name.chars().count() > 200)
                    .then_some("is required, at most 200 characters")
            }
            Self::JobTitle => (c.job_title.chars().count() > 100).then_some("must be at most 100 characters"),
            Self::Role => ContactRole::try_from(c.role).is_err().then_some("is not a known contact role"),
            Self::Phone => {
                if !c.phone.is_empty() {
                    c.phone = normalize_phone(&c.phone);
                }
                let digits = c.phone.trim_start_matches('+');
                (!c.phone.is_empty() && (!c.phone.starts_with('+') || !(8..=15).contains(&digits.len())))
                    .then_some("must be an international number: + then 8 to 15 digits")
            }
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

/// Parses `fields` of `from` into a contact holding only them, recording violations at `{at}.*`.
fn parse_contact(v: &mut Violations, at: &str, mut from: Contact, fields: &[ContactField]) -> Option<Contact> {
    let mut contact = Contact::default();
    let mut ok = true;
    for field in fields {
        ok &= field.parse(v, at, &mut from);
        field.take(&mut from, &mut contact);
    }
    ok.then_some(contact)
}

/// A contact to add: every field normalised and checked (a phone in international form, a
/// lower-case e-mail), output-only fields dropped.
#[derive(Clone, Debug, PartialEq)]
pub struct NewContact(Contact);

impl NewContact {
    /// The contact of a create request (violations at `contact.*`).
    pub fn parse(contact: Contact) -> ApiResult<Self> {
        parse_whole("contact", contact, Self::parse_at)
    }

    /// Parses `contact`, recording violations at `{at}.*`.
    pub fn parse_at(v: &mut Violations, at: &str, contact: Contact) -> Option<Self> {
        parse_contact(v, at, contact, &ContactField::ALL).map(Self)
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
    /// The change an UpdateContact request asks for.
    pub fn parse(contact: Option<Contact>, update_mask: Option<FieldMask>) -> ApiResult<Self> {
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
        let values = parse_contact(&mut v, "contact", contact, &fields);
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
        assert_eq!(NewContact::parse(c).expect("valid").into_contact().phone, "+8613800138000");
        let bad = Contact { display_name: "x".into(), email: "not-an-email".into(), ..Default::default() };
        assert_eq!(NewContact::parse(bad).expect_err("email").violations()[0].field, "contact.email");
    }

    #[test]
    fn a_contact_patch_changes_only_its_fields() {
        let current =
            NewContact::parse(Contact { display_name: "Wang".into(), email: "w@x.cn".into(), ..Default::default() })
                .expect("valid")
                .into_contact();
        let patch = Contact { name: "clients/a/contacts/b".into(), email: " Wang@X.CN ".into(), ..Default::default() };
        let mask = Some(FieldMask { paths: vec!["email".into()] });
        let patch = ContactPatch::parse(Some(patch), mask).expect("valid");
        assert_eq!((patch.client_id(), patch.contact_id()), ("a", "b"));
        let next = patch.apply(&current);
        assert_eq!((next.display_name.as_str(), next.email.as_str()), ("Wang", "wang@x.cn"));
        let unknown = Some(FieldMask { paths: vec!["etag".into()] });
        let err =
            ContactPatch::parse(Some(Contact { name: "clients/a/contacts/b".into(), ..Default::default() }), unknown);
        assert_eq!(err.expect_err("not writable").violations()[0].field, "update_mask");
    }
}
