//! Client history: revisions and as-of reads.

use crm_kit::{ApiError, ApiResult, call::WriteCtx, crypto::FieldCipher, time};
use crm_proto::crm::profile::v1::Client;
use sqlx::{AnyConnection, Row};

use super::{
    ProfileStore,
    sealed::{decode, encode},
};
use crate::domain::client::revision_of;

/// One stored revision.
#[derive(Clone, Debug)]
pub struct Revision {
    pub revision: i64,
    /// Change kind as stored ("CREATED", "UPDATED", ...).
    pub kind: String,
    /// Commit time, microseconds.
    pub change_time: i64,
    /// Subject of the writer ("" when unrecorded).
    pub actor: String,
    /// Request id of the write.
    pub request_id: String,
    /// Fields that changed from the previous revision.
    pub changed_fields: Vec<String>,
    /// The record at this revision.
    pub client: Client,
}

/// Appends the revision `client` (its etag names the revision) inside a write made in `ctx`
/// (`None` for a backfilled revision nobody wrote just now).
pub(super) async fn append_revision(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    ctx: Option<WriteCtx<'_>>,
    kind: &str,
    changed: &[&str],
    client: &Client,
) -> ApiResult<()> {
    let id = client.name.trim_start_matches("clients/");
    let time = client.update_time.as_ref().map_or(0, time::from_timestamp);
    sqlx::query(
        "INSERT INTO client_revisions (client_id, revision, change_time, kind, actor, request_id, changed_fields, doc) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (client_id, revision) DO NOTHING",
    )
    .bind(id)
    .bind(revision_of(&client.etag))
    .bind(time)
    .bind(kind)
    .bind(ctx.map_or("", |c| c.principal.subject.as_str()))
    .bind(ctx.map_or("", |c| c.request_id))
    .bind(changed.join(","))
    .bind(encode(cipher, client))
    .execute(conn)
    .await?;
    Ok(())
}

impl ProfileStore {
    /// The record as it was at `at` (microseconds), if it existed then.
    pub async fn client_at(&self, id: &str, at: i64) -> ApiResult<Option<Client>> {
        let Some(current) = self.client(id).await? else { return Ok(None) };
        if current.update_time.as_ref().map_or(0, time::from_timestamp) <= at {
            return Ok(Some(current));
        }
        let row = sqlx::query(
            "SELECT doc FROM client_revisions WHERE client_id = $1 AND change_time <= $2 \
             ORDER BY revision DESC LIMIT 1",
        )
        .bind(id)
        .bind(at)
        .fetch_optional(self.reader())
        .await?;
        row.as_ref().map(|row| decode(&self.cipher, row)).transpose()
    }

    /// Revisions older than `before` (0: from the newest), newest first.
    pub async fn revisions(&self, id: &str, before: i64, limit: usize) -> ApiResult<Vec<Revision>> {
        let before = if before <= 0 { i64::MAX } else { before };
        let rows = sqlx::query(
            "SELECT revision, change_time, kind, actor, request_id, changed_fields, doc FROM client_revisions \
             WHERE client_id = $1 AND revision < $2 ORDER BY revision DESC LIMIT $3",
        )
        .bind(id)
        .bind(before)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.reader())
        .await?;
        let mut out = rows
            .iter()
            .map(|row| {
                let fields: String = row.try_get("changed_fields")?;
                Ok(Revision {
                    revision: row.try_get("revision")?,
                    kind: row.try_get("kind")?,
                    change_time: row.try_get("change_time")?,
                    actor: row.try_get("actor")?,
                    request_id: row.try_get("request_id")?,
                    changed_fields: fields.split(',').filter(|f| !f.is_empty()).map(str::to_owned).collect(),
                    client: decode(&self.cipher, row)?,
                })
            })
            .collect::<ApiResult<Vec<_>>>()?;
        // An imported record never changed since has no stored history yet: it is its own
        // first revision.
        if out.is_empty() && before == i64::MAX {
            let current = self.client(id).await?.ok_or_else(|| ApiError::not_found(format!("clients/{id}")))?;
            out.push(Revision {
                revision: revision_of(&current.etag),
                kind: "CREATED".into(),
                change_time: current.create_time.as_ref().map_or(0, time::from_timestamp),
                actor: String::new(),
                request_id: String::new(),
                changed_fields: Vec::new(),
                client: current,
            });
        }
        Ok(out)
    }
}
