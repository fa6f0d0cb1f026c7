//! Imports: many new clients with their contacts, holdings and statements in one write.

use crm_kit::{
    ApiError, ApiResult,
    call::WriteCtx,
    crypto::FieldCipher,
    time::{self, now_micros},
    write::Work,
};
use crm_proto::crm::profile::v1::{Client, Contact, FinancialStatement, Holding};

use super::{ProfileStore, records};
use crate::domain::{client::etag, names};

/// A new client with what hangs off it, as an import stores it.
#[derive(Clone, Debug, Default)]
pub struct ClientBundle {
    /// The client, named (`clients/{id}`, an unused id); a parent must come earlier in the
    /// import or be stored already.
    pub client: Client,
    pub contacts: Vec<Contact>,
    pub holdings: Vec<Holding>,
    pub statements: Vec<FinancialStatement>,
}

/// The id of the `n`th child of kind `tag` of client `id` (`{id}-c0`, `-h1`, `-s2`), so that
/// a deterministic import gives deterministic names; a fresh id where that would be too long.
fn child_id(id: &str, tag: char, n: usize) -> String {
    let derived = format!("{id}-{tag}{n}");
    if crm_kit::names::valid_id(&derived) { derived } else { names::new_id() }
}

impl ProfileStore {
    /// Stores `bundles` in one write and returns their names. Each client gets one thin
    /// change event (no state: consumers read the client and its children; full-state events
    /// would double the size of an import) and its keys and search grams; its history starts
    /// when it first changes. With an idempotency key in `ctx`, a replay returns the names
    /// the first request imported. Request field paths name the bundle (`clients[3]...`).
    pub async fn import_clients(&self, ctx: WriteCtx<'_>, bundles: Vec<ClientBundle>) -> ApiResult<Vec<String>> {
        let names: Vec<String> = bundles.iter().map(|b| b.client.name.clone()).collect();
        let claim = names.join(",");
        self.writer
            .create(
                ctx,
                &claim,
                async move |w| {
                    let stamp = Some(time::to_timestamp(now_micros()));
                    for (i, bundle) in bundles.into_iter().enumerate() {
                        import_one(w, &self.cipher, &format!("clients[{i}]"), bundle, stamp).await?;
                    }
                    Ok(names)
                },
                async |prior| Ok(prior.split(',').map(str::to_owned).collect()),
            )
            .await
    }
}

async fn import_one(
    w: &mut Work<'_>,
    cipher: &FieldCipher,
    at: &str,
    bundle: ClientBundle,
    stamp: Option<prost_types::Timestamp>,
) -> ApiResult<()> {
    let ClientBundle { mut client, contacts, holdings, statements } = bundle;
    let id = names::client_id(&format!("{at}.client.name"), &client.name)?.to_owned();
    let taken: Option<String> =
        sqlx::query_scalar("SELECT id FROM clients WHERE id = $1").bind(&id).fetch_optional(w.conn()).await?;
    if taken.is_some() {
        return Err(ApiError::already_exists("CLIENT_EXISTS", format!("{} already exists", client.name))
            .with_metadata("field", format!("{at}.client.name")));
    }
    client.etag = etag(1);
    (client.create_time, client.update_time) = (stamp, stamp);
    records::insert_client(w.conn(), cipher, &format!("{at}.client"), &client).await?;
    for (n, mut contact) in contacts.into_iter().enumerate() {
        contact.name = names::child_name(&id, "contacts", &child_id(&id, 'c', n));
        contact.etag = etag(1);
        (contact.create_time, contact.update_time) = (stamp, stamp);
        records::insert_contact(w.conn(), cipher, &id, &contact).await?;
    }
    for (n, mut holding) in holdings.into_iter().enumerate() {
        if records::holding_of_account(w.conn(), &holding.account_number).await?.is_some() {
            return Err(records::account_taken(&format!("{at}.holdings[{n}].account_number")));
        }
        let holding_id = child_id(&id, 'h', n);
        holding.name = names::child_name(&id, "holdings", &holding_id);
        holding.etag = etag(1);
        holding.update_time = stamp;
        records::upsert_holding(w.conn(), cipher, &id, &holding_id, 1, &holding).await?;
    }
    for (n, mut statement) in statements.into_iter().enumerate() {
        records::stamp_statement(&id, &child_id(&id, 's', n), &mut statement);
        records::insert_statement(w.conn(), &id, &statement).await?;
    }
    w.record("client.CREATED", &client.name, &client.name, Vec::new()).await?;
    Ok(())
}
