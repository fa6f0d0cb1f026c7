//! The lookup-key index: every identifier that LookupClient accepts, normalised, with the
//! resource that owns it. Unique kinds (LEI, registration, tax id, account) are checked
//! here first so the caller hears which field clashes with which client.

use crm_kit::{ApiError, ApiResult, crypto::FieldCipher};
use crm_proto::crm::profile::v1::Client;
use sqlx::AnyConnection;

use super::sealed::key_value;
use crate::domain::lookup::LookupKey;

/// The keys a client record itself provides (owner: the client name), each with the path
/// of its field in a request whose client is at `at` (`client`).
pub fn client_keys(at: &str, client: &Client) -> Vec<(LookupKey, String)> {
    let mut keys = Vec::new();
    if !client.lei.is_empty() {
        keys.push((LookupKey::lei(&client.lei), format!("{at}.lei")));
    }
    if !client.registration_number.is_empty() {
        keys.push((
            LookupKey::registration(&client.country_code, &client.registration_number),
            format!("{at}.registration_number"),
        ));
    }
    if !client.tax_id.is_empty() {
        keys.push((LookupKey::tax(&client.tax_id), format!("{at}.tax_id")));
    }
    keys
}

fn is_unique(kind: &str) -> bool {
    matches!(kind, "lei" | "reg" | "tax" | "acct")
}

/// Moves the keys of record `owner` (a resource name) from `old` to `new`, rejecting clashes
/// with other clients. The index stores the owner's id only: ids are unique across collections.
pub async fn replace(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    client_id: &str,
    owner: &str,
    old: &[(LookupKey, String)],
    new: &[(LookupKey, String)],
) -> ApiResult<()> {
    let owner = owner.rsplit('/').next().unwrap_or(owner);
    for (key, _) in old.iter().filter(|(k, _)| !new.iter().any(|(n, _)| n == k)) {
        sqlx::query("DELETE FROM client_keys WHERE kind = $1 AND value = $2 AND client_id = $3 AND owner = $4")
            .bind(key.kind)
            .bind(key_value(cipher, key))
            .bind(client_id)
            .bind(owner)
            .execute(&mut *conn)
            .await?;
    }
    for (key, field) in new.iter().filter(|(k, _)| !old.iter().any(|(o, _)| o == k)) {
        if is_unique(key.kind) {
            let holder: Option<String> =
                sqlx::query_scalar("SELECT client_id FROM client_keys WHERE kind = $1 AND value = $2")
                    .bind(key.kind)
                    .bind(key_value(cipher, key))
                    .fetch_optional(&mut *conn)
                    .await?;
            if let Some(holder) = holder {
                return Err(taken(field, &holder));
            }
        }
        sqlx::query(
            "INSERT INTO client_keys (kind, value, client_id, owner) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(key.kind)
        .bind(key_value(cipher, key))
        .bind(client_id)
        .bind(owner)
        .execute(&mut *conn)
        .await
        .map_err(|err| match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => taken(field, "another client"),
            _ => err.into(),
        })?;
    }
    Ok(())
}

fn taken(field: &str, holder: &str) -> ApiError {
    let holder = if holder.contains(' ') { holder.to_owned() } else { format!("clients/{holder}") };
    ApiError::already_exists("IDENTIFIER_TAKEN", format!("{field} is already held by {holder}"))
        .with_metadata("field", field)
        .with_metadata("holder", holder)
}
