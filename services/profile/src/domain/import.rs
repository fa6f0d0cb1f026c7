//! A bulk import (ImportClients): many clients with their contacts, holdings and statements.
//! Every record is parsed as its create would be, and one invalid record rejects the whole
//! request with violations that name it (`clients[3].client.lei`).

use std::collections::HashMap;

use crm_kit::{ApiError, ApiResult, Violations};
use crm_proto::crm::profile::v1::ClientImport;

use super::{
    children::{NewContact, NewHolding, NewStatement},
    client::NewClient,
    names, parsed,
};

/// Most clients one request imports (one transaction).
pub const MAX_CLIENTS: usize = 1_000;

/// One client of an import, with what hangs off it.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientRecord {
    /// The id the caller chose (`client.name`, e.g. the source system's key), if any.
    pub id: Option<String>,
    pub client: NewClient,
    pub contacts: Vec<NewContact>,
    pub holdings: Vec<NewHolding>,
    pub statements: Vec<NewStatement>,
}

/// Parses the records of an import: between one and [`MAX_CLIENTS`], chosen ids well formed
/// and not repeated, at most one statement per period of a client.
pub fn parse(records: Vec<ClientImport>) -> ApiResult<Vec<ClientRecord>> {
    if records.is_empty() {
        return Err(ApiError::invalid("clients", "is required: at least one client"));
    }
    if records.len() > MAX_CLIENTS {
        return Err(ApiError::invalid("clients", format!("at most {MAX_CLIENTS} clients per request")));
    }
    let mut v = Violations::default();
    let mut chosen: HashMap<String, usize> = HashMap::new();
    let mut parsed_records = Vec::with_capacity(records.len());
    for (i, record) in records.into_iter().enumerate() {
        let at = format!("clients[{i}]");
        let Some(client) = record.client else {
            v.add(format!("{at}.client"), "is required");
            continue;
        };
        let id = chosen_id(&mut v, &at, i, &client.name, &mut chosen);
        let country = client.country_code.clone();
        let client = NewClient::parse_at(&mut v, &format!("{at}.client"), client);
        let contacts =
            each(record.contacts, |j, c| NewContact::parse_at(&mut v, &format!("{at}.contacts[{j}]"), c, &country));
        let holdings = each(record.holdings, |j, h| NewHolding::parse_at(&mut v, &format!("{at}.holdings[{j}]"), h));
        let statements =
            each(record.statements, |j, s| NewStatement::parse_at(&mut v, &format!("{at}.statements[{j}]"), s));
        if let Some(statements) = &statements {
            one_statement_per_period(&mut v, &at, statements);
        }
        if let (Some(id), Some(client), Some(contacts), Some(holdings), Some(statements)) =
            (id, client, contacts, holdings, statements)
        {
            parsed_records.push(ClientRecord { id, client, contacts, holdings, statements });
        }
    }
    parsed(v, Some(parsed_records))
}

/// Parses every item (so that every violation is seen); `None` if any is invalid.
fn each<T, U>(items: Vec<T>, mut parse: impl FnMut(usize, T) -> Option<U>) -> Option<Vec<U>> {
    let parsed: Vec<Option<U>> = items.into_iter().enumerate().map(|(j, item)| parse(j, item)).collect();
    parsed.into_iter().collect()
}

/// The id in a record's `client.name`: `Some(None)` when it has none.
fn chosen_id(
    v: &mut Violations,
    at: &str,
    i: usize,
    name: &str,
    chosen: &mut HashMap<String, usize>,
) -> Option<Option<String>> {
    let name = name.trim();
    if name.is_empty() {
        return Some(None);
    }
    let field = format!("{at}.client.name");
    let Ok(id) = names::client_id(&field, name) else {
        v.add(field, "must be a client name of the form clients/{client}");
        return None;
    };
    if let Some(first) = chosen.insert(id.to_owned(), i) {
        chosen.insert(id.to_owned(), first);
        v.add(field, format!("repeats clients[{first}].client.name"));
        return None;
    }
    Some(Some(id.to_owned()))
}

fn one_statement_per_period(v: &mut Violations, at: &str, statements: &[NewStatement]) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (j, statement) in statements.iter().enumerate() {
        if let Some(first) = seen.get(statement.period()) {
            v.add(format!("{at}.statements[{j}].period"), format!("repeats the period of {at}.statements[{first}]"));
        } else {
            seen.insert(statement.period(), j);
        }
    }
}

#[cfg(test)]
mod tests {
    use crm_proto::crm::profile::v1::{Client, Contact, FinancialStatement};

    use super::*;
    use crate::domain::violated as fields;

    fn record(name: &str, display: &str) -> ClientImport {
        ClientImport {
            client: Some(Client { name: name.into(), display_name: display.into(), ..Default::default() }),
            ..Default::default()
        }
    }

    #[test]
    fn every_bad_record_is_named() {
        let mut contact_less = record("", "B");
        contact_less.contacts.push(Contact::default());
        let statement = FinancialStatement {
            period: "FY2025".into(),
            period_end_time: Some(prost_types::Timestamp::default()),
            ..Default::default()
        };
        let mut twice = record("clients/c", "C");
        twice.statements = vec![statement.clone(), statement];
        let batch = vec![
            record("clients/a", "A"),
            contact_less,
            twice,
            record("clients/a", "A again"),
            record("nope", ""),
            ClientImport::default(),
        ];
        assert_eq!(
            fields(parse(batch).expect_err("invalid")),
            [
                "clients[1].contacts[0].display_name",
                "clients[2].statements[1].period",
                "clients[3].client.name",
                "clients[4].client.name",
                "clients[4].client.display_name",
                "clients[5].client",
            ]
        );
    }

    #[test]
    fn a_batch_is_bounded() {
        assert_eq!(fields(parse(Vec::new()).expect_err("empty")), ["clients"]);
        let many = (0..=MAX_CLIENTS).map(|_| record("", "X")).collect();
        assert_eq!(fields(parse(many).expect_err("too many")), ["clients"]);
        let ok = parse(vec![record("clients/a", "A"), record("", "B")]).expect("valid");
        assert_eq!(ok.iter().map(|r| r.id.as_deref()).collect::<Vec<_>>(), [Some("a"), None]);
    }
}
