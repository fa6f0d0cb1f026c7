//! The name-search index and duplicate blocking.

use std::collections::{BTreeSet, HashMap};

use crm_kit::ApiResult;
use crm_proto::crm::profile::v1::Client;
use sqlx::AnyConnection;

use super::ProfileStore;
use super::sealed::decode_all;
use crate::domain::{ranking, text};

/// Grams of a record: from its legal and display names (what duplicate finding compares).
pub fn record_grams(client: &Client) -> BTreeSet<String> {
    let mut grams = text::grams(&client.legal_name);
    grams.extend(text::grams(&client.display_name));
    grams
}

/// What the search index holds for a record: the grams of every name it is known by
/// (legal, display, aliases), each CJK character of them and their initials.
pub fn search_keys(client: &Client) -> BTreeSet<String> {
    let mut keys: BTreeSet<String> = ranking::names(client).flat_map(text::grams).collect();
    keys.extend(ranking::extra_keys(client));
    keys
}

/// Blocking key of a record: the core of its legal name (else display name) without its city.
pub fn record_key(client: &Client) -> String {
    let name = if client.legal_name.is_empty() { &client.display_name } else { &client.legal_name };
    text::name_key_in(name, &client.city)
}

/// Moves the search keys of client `id` from `old` to `new` inside a write.
pub(super) async fn index_names(
    conn: &mut AnyConnection,
    id: &str,
    old: Option<&Client>,
    new: &Client,
) -> ApiResult<()> {
    let before = old.map(search_keys).unwrap_or_default();
    let after = if new.delete_time.is_some() { BTreeSet::new() } else { search_keys(new) };
    for gram in before.difference(&after) {
        sqlx::query("DELETE FROM search_grams WHERE gram = $1 AND client_id = $2")
            .bind(gram)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    for gram in after.difference(&before) {
        sqlx::query("INSERT INTO search_grams (gram, client_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(gram)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

impl ProfileStore {
    /// Clients sharing grams with a query: id and number of shared grams, most first.
    ///
    /// A gram with more than `per_gram` postings is too common to select on; it only
    /// counts when every gram is that common.
    pub async fn gram_candidates(
        &self,
        grams: &BTreeSet<String>,
        per_gram: usize,
        limit: usize,
    ) -> ApiResult<Vec<(String, usize)>> {
        let cap = i64::try_from(per_gram + 1).unwrap_or(i64::MAX);
        let mut postings = Vec::with_capacity(grams.len());
        for gram in grams {
            let ids: Vec<String> = sqlx::query_scalar("SELECT client_id FROM search_grams WHERE gram = $1 LIMIT $2")
                .bind(gram)
                .bind(cap)
                .fetch_all(self.reader())
                .await?;
            postings.push(ids);
        }
        let rare: Vec<&Vec<String>> = postings.iter().filter(|p| p.len() <= per_gram).collect();
        let selective: Vec<&Vec<String>> = if rare.is_empty() { postings.iter().collect() } else { rare };
        let mut hits: HashMap<&str, usize> = HashMap::new();
        for list in &selective {
            for id in *list {
                *hits.entry(id.as_str()).or_default() += 1;
            }
        }
        // Common grams still add to the count of candidates already found.
        for list in postings.iter().filter(|p| p.len() > per_gram) {
            for id in list {
                if let Some(n) = hits.get_mut(id.as_str()) {
                    *n += 1;
                }
            }
        }
        let mut ranked: Vec<(String, usize)> = hits.into_iter().map(|(id, n)| (id.to_owned(), n)).collect();
        ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked.truncate(limit);
        Ok(ranked)
    }

    /// Blocking keys shared by more than one live record, after `after`, in key order.
    pub async fn shared_name_keys(&self, after: &str, limit: usize) -> ApiResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT name_key FROM clients WHERE name_key > $1 AND delete_time IS NULL \
             GROUP BY name_key HAVING COUNT(*) > 1 ORDER BY name_key LIMIT $2",
        )
        .bind(after)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.reader())
        .await?)
    }

    /// Live records with a blocking key (at most 50).
    pub async fn clients_with_key(&self, key: &str) -> ApiResult<Vec<Client>> {
        let rows =
            sqlx::query("SELECT doc FROM clients WHERE name_key = $1 AND delete_time IS NULL ORDER BY id LIMIT 50")
                .bind(key)
                .fetch_all(self.reader())
                .await?;
        decode_all(&self.cipher, &rows)
    }
}
