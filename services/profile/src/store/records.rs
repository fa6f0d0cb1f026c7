//! How each record is read for a write and written: the row helpers every write shares
//! (a leaf: it uses only the key index, the search index and the history).

use crm_kit::{
    ApiError, ApiResult,
    call::WriteCtx,
    crypto::FieldCipher,
    db::Backend,
    time::{self, now_micros},
    write::Work,
};
use crm_proto::crm::profile::v1::{Client, Contact, FinancialStatement, Holding};
use sqlx::AnyConnection;

use super::{
    history, keys,
    sealed::{decode, encode},
    search,
};
use crate::domain::{
    children::ratios,
    client::{changed_fields, etag, revision_of},
    lookup::LookupKey,
    names,
};

/// Deepest group hierarchy walked when checking for cycles.
const MAX_GROUP_DEPTH: usize = 64;

/// `FOR UPDATE` on PostgreSQL: the row stays locked until the write commits (SQLite has one
/// writer).
fn locking(w: &Work<'_>, sql: &'static str, locked: &'static str) -> &'static str {
    match w.backend() {
        Backend::Sqlite => sql,
        Backend::Postgres => locked,
    }
}

/// Reads a client inside a write, locking it.
pub(super) async fn client_for_write(w: &mut Work<'_>, cipher: &FieldCipher, id: &str) -> ApiResult<Option<Client>> {
    let sql = locking(w, "SELECT doc FROM clients WHERE id = $1", "SELECT doc FROM clients WHERE id = $1 FOR UPDATE");
    let row = sqlx::query(sql).bind(id).fetch_optional(w.conn()).await?;
    row.as_ref().map(|row| decode(cipher, row)).transpose()
}

/// Reads a contact of `client_id` inside a write, locking it.
pub(super) async fn contact_for_write(
    w: &mut Work<'_>,
    cipher: &FieldCipher,
    client_id: &str,
    id: &str,
) -> ApiResult<Option<Contact>> {
    let sql = locking(
        w,
        "SELECT doc FROM contacts WHERE id = $1 AND client_id = $2",
        "SELECT doc FROM contacts WHERE id = $1 AND client_id = $2 FOR UPDATE",
    );
    let row = sqlx::query(sql).bind(id).bind(client_id).fetch_optional(w.conn()).await?;
    row.as_ref().map(|row| decode(cipher, row)).transpose()
}

/// The parent (`field` in the request) must exist, be live, and be neither the client itself
/// nor one of its descendants.
pub(super) async fn check_parent(conn: &mut AnyConnection, id: &str, parent: &str, field: &str) -> ApiResult<()> {
    let mut cursor = names::client_id(field, parent)?.to_owned();
    for depth in 0..MAX_GROUP_DEPTH {
        if cursor == id {
            return Err(ApiError::invalid(field, "would make the group hierarchy a cycle"));
        }
        let row: Option<(Option<String>, Option<i64>)> =
            sqlx::query_as("SELECT parent_id, delete_time FROM clients WHERE id = $1")
                .bind(&cursor)
                .fetch_optional(&mut *conn)
                .await?;
        match row {
            None if depth == 0 => return Err(ApiError::invalid(field, format!("{parent} does not exist"))),
            Some((_, Some(_))) if depth == 0 => return Err(ApiError::invalid(field, format!("{parent} is deleted"))),
            None | Some((None, _)) => return Ok(()),
            Some((Some(next), _)) => cursor = next,
        }
    }
    Err(ApiError::invalid(field, format!("the group hierarchy is deeper than {MAX_GROUP_DEPTH} levels")))
}

/// Inserts or updates the row of `client`, whose document is final.
pub(super) async fn write_client_row(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    client: &Client,
    revision: i64,
    insert: bool,
) -> ApiResult<()> {
    let id = client.name.trim_start_matches("clients/");
    let parent = (!client.parent.is_empty()).then(|| client.parent.trim_start_matches("clients/"));
    let sql = if insert {
        "INSERT INTO clients (display_key, create_time, update_time, delete_time, turnover_units, parent_id, \
         portfolio, revision, merged_into, doc, name_key, id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    } else {
        "UPDATE clients SET display_key = $1, create_time = $2, update_time = $3, delete_time = $4, \
         turnover_units = $5, parent_id = $6, portfolio = $7, revision = $8, merged_into = $9, doc = $10, \
         name_key = $11 WHERE id = $12"
    };
    sqlx::query(sql)
        .bind(client.display_name.to_lowercase())
        .bind(client.create_time.as_ref().map_or(0, time::from_timestamp))
        .bind(client.update_time.as_ref().map_or(0, time::from_timestamp))
        .bind(client.delete_time.as_ref().map(time::from_timestamp))
        .bind(client.annual_turnover.as_ref().map_or(0, |m| m.units))
        .bind(parent)
        .bind(&client.relationship_manager)
        .bind(revision)
        .bind((!client.merged_into.is_empty()).then_some(client.merged_into.as_str()))
        .bind(encode(cipher, client))
        .bind(search::record_key(client))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Inserts a new client, named and stamped, with its keys and search grams. Request field
/// paths start with `at` (`client`, or `clients[3].client` in an import).
pub(super) async fn insert_client(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    at: &str,
    client: &Client,
) -> ApiResult<()> {
    let id = client.name.trim_start_matches("clients/");
    if !client.parent.is_empty() {
        check_parent(conn, id, &client.parent, &format!("{at}.parent")).await?;
    }
    keys::replace(conn, cipher, id, &client.name, &[], &keys::client_keys(at, client)).await?;
    search::index_names(conn, id, None, client).await?;
    write_client_row(conn, cipher, client, 1, true).await
}

/// The lookup keys a contact provides: its phone and e-mail.
pub(super) fn contact_keys(c: &Contact) -> Vec<(LookupKey, String)> {
    let mut keys = Vec::new();
    if !c.phone.is_empty() {
        // Stored in E.164 already: read as such, in no region.
        keys.push((LookupKey::phone(&c.phone, ""), "contact.phone".to_owned()));
    }
    if !c.email.is_empty() {
        keys.push((LookupKey::email(&c.email), "contact.email".to_owned()));
    }
    keys
}

/// Inserts a new contact, named and stamped, with its lookup keys.
pub(super) async fn insert_contact(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    client_id: &str,
    contact: &Contact,
) -> ApiResult<()> {
    let id = contact.name.rsplit('/').next().unwrap_or_default();
    sqlx::query("INSERT INTO contacts (id, client_id, revision, delete_time, doc) VALUES ($1, $2, 1, NULL, $3)")
        .bind(id)
        .bind(client_id)
        .bind(encode(cipher, contact))
        .execute(&mut *conn)
        .await?;
    keys::replace(conn, cipher, client_id, &contact.name, &[], &contact_keys(contact)).await
}

/// The client holding an account number, and the holding's id and revision there.
pub(super) async fn holding_of_account(
    conn: &mut AnyConnection,
    account_number: &str,
) -> ApiResult<Option<(String, String, i64)>> {
    Ok(sqlx::query_as("SELECT client_id, id, revision FROM holdings WHERE account_number = $1")
        .bind(account_number)
        .fetch_optional(conn)
        .await?)
}

/// ALREADY_EXISTS: the account number (request field `field`) belongs to another client.
pub(super) fn account_taken(field: &str) -> ApiError {
    ApiError::already_exists("IDENTIFIER_TAKEN", format!("{field} is already held by another client"))
        .with_metadata("field", field)
}

/// Inserts or replaces the holding `id` of `client_id`; a new one's account becomes a
/// lookup key.
pub(super) async fn upsert_holding(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    client_id: &str,
    id: &str,
    revision: i64,
    holding: &Holding,
) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO holdings (id, client_id, account_number, revision, doc) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, doc = excluded.doc",
    )
    .bind(id)
    .bind(client_id)
    .bind(&holding.account_number)
    .bind(revision)
    .bind(encode(cipher, holding))
    .execute(&mut *conn)
    .await?;
    // A holding is identified by its account number: only a new one adds a key.
    if revision > 1 {
        return Ok(());
    }
    let key = [(LookupKey::account(&holding.account_number), "holding.account_number".to_owned())];
    keys::replace(conn, cipher, client_id, &holding.name, &[], &key).await
}

/// Names a new statement `id` of `client_id`, stamps it and derives its ratios.
pub(super) fn stamp_statement(client_id: &str, id: &str, statement: &mut FinancialStatement) {
    statement.name = names::child_name(client_id, "financialStatements", id);
    statement.create_time = Some(time::to_timestamp(now_micros()));
    statement.ratios = Some(ratios(statement));
}

/// Inserts a new statement (one per client and period).
pub(super) async fn insert_statement(
    conn: &mut AnyConnection,
    client_id: &str,
    statement: &FinancialStatement,
) -> ApiResult<()> {
    let id = statement.name.rsplit('/').next().unwrap_or_default();
    sqlx::query(
        "INSERT INTO financial_statements (id, client_id, period, period_end, doc) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(client_id)
    .bind(&statement.period)
    .bind(statement.period_end_time.as_ref().map_or(0, time::from_timestamp))
    .bind(prost::Message::encode_to_vec(statement))
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes the next revision of a client, `after` (the new state of `before`), inside a write
/// made in `ctx`: its row, search grams, history (the previous state backfilled when it was
/// imported) and its `client.{kind}` change event under `aggregate`. Keys are the caller's
/// business.
pub(super) async fn write_revision(
    w: &mut Work<'_>,
    cipher: &FieldCipher,
    ctx: WriteCtx<'_>,
    before: &Client,
    mut after: Client,
    kind: &str,
    aggregate: &str,
) -> ApiResult<Client> {
    let id = before.name.trim_start_matches("clients/");
    let revision = revision_of(&before.etag) + 1;
    after.etag = etag(revision);
    after.update_time = Some(time::to_timestamp(now_micros()));
    write_client_row(w.conn(), cipher, &after, revision, false).await?;
    search::index_names(w.conn(), id, Some(before), &after).await?;
    let previous = if revision == 2 { "CREATED" } else { "UPDATED" };
    history::append_revision(w.conn(), cipher, None, previous, &[], before).await?;
    history::append_revision(w.conn(), cipher, Some(ctx), kind, &changed_fields(before, &after), &after).await?;
    w.record(&format!("client.{kind}"), &after.name, aggregate, encode(cipher, &after)).await?;
    Ok(after)
}
