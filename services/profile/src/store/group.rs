//! The group hierarchy (recursive queries, both backends).

use crm_kit::ApiResult;
use crm_proto::crm::profile::v1::Client;
use sqlx::Row;

use super::ProfileStore;
use super::sealed::decode;

/// Deepest level walked up or down a group.
const MAX_DEPTH: i64 = 64;
/// Most members returned for one group.
pub const MAX_GROUP_MEMBERS: i64 = 10_000;

/// A group of companies as stored.
#[derive(Clone, Debug)]
pub struct Group {
    /// Id of the ultimate parent.
    pub ultimate_parent: String,
    /// Live members with their depth below the ultimate parent, parents first.
    pub members: Vec<(Client, i64)>,
}

impl ProfileStore {
    /// The ultimate parent of `id` and every live member below it with its depth, parents
    /// first; `None` when `id` does not exist.
    pub async fn group_of(&self, id: &str) -> ApiResult<Option<Group>> {
        let top: Option<String> = sqlx::query_scalar(
            "WITH RECURSIVE up(id, parent_id, depth) AS ( \
               SELECT id, parent_id, CAST(0 AS BIGINT) FROM clients WHERE id = $1 \
               UNION ALL \
               SELECT c.id, c.parent_id, up.depth + 1 FROM clients c JOIN up ON c.id = up.parent_id \
               WHERE up.depth < $2) \
             SELECT id FROM up ORDER BY depth DESC LIMIT 1",
        )
        .bind(id)
        .bind(MAX_DEPTH)
        .fetch_optional(self.reader())
        .await?;
        let Some(top) = top else { return Ok(None) };
        let members = sqlx::query(
            // The documents ride along the recursion: joining `clients` again afterwards let
            // SQLite 3.51 plan a scan of the whole table for every group.
            "WITH RECURSIVE down(id, depth, doc, delete_time) AS ( \
               SELECT id, CAST(0 AS BIGINT), doc, delete_time FROM clients WHERE id = $1 \
               UNION ALL \
               SELECT c.id, down.depth + 1, c.doc, c.delete_time FROM clients c JOIN down ON c.parent_id = down.id \
               WHERE down.depth < $2) \
             SELECT doc, depth FROM down WHERE delete_time IS NULL ORDER BY depth, id LIMIT $3",
        )
        .bind(&top)
        .bind(MAX_DEPTH)
        .bind(MAX_GROUP_MEMBERS)
        .fetch_all(self.reader())
        .await?;
        let members = members
            .iter()
            .map(|row| Ok((decode::<Client>(&self.cipher, row)?, row.try_get::<i64, _>("depth")?)))
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(Some(Group { ultimate_parent: top, members }))
    }
}
