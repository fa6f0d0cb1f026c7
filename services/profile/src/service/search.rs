//! SearchClients and FindDuplicateClients.

use std::collections::{BTreeSet, HashMap};

use crm_kit::{ApiError, ApiResult, paging, policy::check_portfolio};
use crm_proto::crm::profile::v1::{
    Client, DuplicatePair, FindDuplicateClientsRequest, FindDuplicateClientsResponse, MergeClientsRequest,
    MergeClientsResponse, SearchClientsRequest, SearchClientsResponse, SearchResult,
};

use super::{Caller, ProfileApp, clients::with_quality};
use crate::{
    domain::{duplicates, lei::Lei, lookup::LookupKey, mask, names, policy, ranking, text},
    store::{record_grams, record_key},
};

/// A gram with more postings than this is too common to select candidates on.
const POSTINGS_PER_GRAM: usize = 5_000;
/// Candidates scored per search.
const CANDIDATES: usize = 300;
/// Lowest score a name match needs to be returned.
const MIN_SEARCH_SCORE: f64 = 0.3;
/// Blocking keys read per duplicate page.
const KEYS_PER_PAGE: usize = 200;

/// Identifier lookups a query may be (exact, normalised like LookupClient; a phone without
/// its country code read in `region`).
fn identifier_keys(query: &str, region: &str) -> Vec<LookupKey> {
    if is_phone_like(query) {
        return vec![LookupKey::phone(query, region)];
    }
    if query.contains(char::is_whitespace) || query.chars().count() < 5 {
        return Vec::new();
    }
    let mut keys = vec![LookupKey::tax(query), LookupKey::account(query)];
    if Lei::parse(query).is_ok() {
        keys.push(LookupKey::lei(query));
    }
    if query.contains('@') {
        keys.push(LookupKey::email(query));
    }
    if query.starts_with('+') || query.chars().filter(char::is_ascii_digit).count() >= 7 {
        keys.push(LookupKey::phone(query, region));
    }
    if let Some((country, number)) = query.split_once(':') {
        keys.push(LookupKey::registration(country, number));
    }
    keys
}

/// A query written as phone numbers are, with spaces, dashes or brackets (`010-6543 2100`,
/// `+44 20 7946 0018`): only digits and those, seven digits at least.
fn is_phone_like(query: &str) -> bool {
    query.contains([' ', '-', '(', ')'])
        && query.chars().all(|c| c.is_ascii_digit() || " -+()./".contains(c))
        && query.chars().filter(char::is_ascii_digit).count() >= 7
}

impl ProfileApp {
    /// MergeClients: both records in the caller's portfolio; audited, never loses a fact.
    pub async fn merge_clients(&self, caller: &Caller, req: MergeClientsRequest) -> ApiResult<MergeClientsResponse> {
        let survivor = names::client_id("survivor", &req.survivor)?;
        let duplicate = names::client_id("duplicate", &req.duplicate)?;
        if survivor == duplicate {
            return Err(ApiError::invalid("duplicate", "must differ from survivor"));
        }
        let principal = &caller.principal;
        policy::can_write(principal).map_err(|err| err.with_resource(&req.duplicate))?;
        let check = |name: &str, current: Option<&Client>| {
            check_portfolio(principal, name, current.map(|c| c.relationship_manager.as_str()))
        };
        let outcome = self.store.merge_clients(caller.write(), survivor, duplicate, &req.etag, check).await?;
        Ok(MergeClientsResponse {
            survivor: Some(Self::written(caller, outcome.survivor)),
            merged: outcome.merged.name,
            filled_fields: outcome.filled.iter().map(|f| (*f).to_owned()).collect(),
            moved_contacts: outcome.contacts,
            moved_holdings: outcome.holdings,
            moved_statements: outcome.statements,
            kept_statements: outcome.kept_statements,
        })
    }

    /// SearchClients: identifiers exactly, names ranked by similarity.
    pub async fn search_clients(
        &self,
        _caller: &Caller,
        req: SearchClientsRequest,
    ) -> ApiResult<SearchClientsResponse> {
        let query = req.query.trim();
        if query.is_empty() || query.chars().count() > 200 {
            return Err(ApiError::invalid("query", "is required, at most 200 characters"));
        }
        let size = match paging::page_size(req.page_size)? {
            paging::DEFAULT_PAGE_SIZE => 10,
            n => n.min(100),
        };
        let mut best: HashMap<String, (f64, String, Client)> = HashMap::new();
        let region = if req.phone_region.is_empty() { self.phone_region.as_str() } else { req.phone_region.as_str() };
        if !req.phone_region.is_empty() && crate::domain::phone::region(region).is_none() {
            return Err(ApiError::invalid(
                "phone_region",
                "must be an ISO 3166-1 alpha-2 code with a telephone numbering plan",
            ));
        }
        for key in identifier_keys(query, region) {
            for client in self.store.lookup(&key).await? {
                best.insert(client.name.clone(), (1.0, key.kind.to_owned(), client));
            }
        }
        let mut grams = text::grams(query);
        grams.extend(ranking::query_keys(query));
        if !grams.is_empty() {
            let candidates = self.store.gram_candidates(&grams, POSTINGS_PER_GRAM, CANDIDATES).await?;
            let clients = self.store.clients(&candidates.into_iter().map(|(id, _)| id).collect::<Vec<_>>()).await?;
            for client in clients.into_iter().filter(|c| c.delete_time.is_none()) {
                let score = ranking::client_score(query, &client);
                if score >= MIN_SEARCH_SCORE && best.get(&client.name).is_none_or(|(s, _, _)| *s < score) {
                    best.insert(client.name.clone(), (score, "name".to_owned(), client));
                }
            }
        }
        let mut ranked: Vec<(f64, String, Client)> = best.into_values().collect();
        ranked.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| a.2.display_name.len().cmp(&b.2.display_name.len()))
                .then_with(|| a.2.name.cmp(&b.2.name))
        });
        ranked.truncate(size);
        let results = ranked
            .into_iter()
            .map(|(score, matched_on, mut client)| {
                mask::client(&mut client);
                with_quality(&mut client);
                SearchResult { client: Some(client), score, matched_on }
            })
            .collect();
        Ok(SearchClientsResponse { results })
    }

    /// FindDuplicateClients: for one client, or portfolio-wide by blocking key.
    pub async fn find_duplicate_clients(
        &self,
        _caller: &Caller,
        req: FindDuplicateClientsRequest,
    ) -> ApiResult<FindDuplicateClientsResponse> {
        let size = paging::page_size(req.page_size)?;
        if !(0.0..=1.0).contains(&req.min_score) {
            return Err(ApiError::invalid("min_score", "must be between 0 and 1"));
        }
        let min_score = if req.min_score == 0.0 { 0.75 } else { req.min_score };
        let keep = |a: &Client, b: &Client, out: &mut Vec<DuplicatePair>| {
            let (first, second) = if a.name <= b.name { (a, b) } else { (b, a) };
            if let Some((score, reasons)) = duplicates::score(first, second)
                && score >= min_score
            {
                out.push(DuplicatePair {
                    client: first.name.clone(),
                    other: second.name.clone(),
                    score,
                    reasons,
                    client_display_name: first.display_name.clone(),
                    other_display_name: second.display_name.clone(),
                });
            }
        };
        let mut pairs = Vec::new();
        if !req.name.is_empty() {
            let id = names::client_id("name", &req.name)?;
            let client = self.store.client(id).await?.ok_or_else(|| ApiError::not_found(&req.name))?;
            let mut ids: BTreeSet<String> = self
                .store
                .gram_candidates(&record_grams(&client), POSTINGS_PER_GRAM, CANDIDATES)
                .await?
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            ids.extend(
                self.store
                    .clients_with_key(&record_key(&client))
                    .await?
                    .into_iter()
                    .map(|c| c.name.trim_start_matches("clients/").to_owned()),
            );
            for other in self
                .store
                .clients(&ids.into_iter().collect::<Vec<_>>())
                .await?
                .iter()
                .filter(|c| c.delete_time.is_none())
            {
                keep(&client, other, &mut pairs);
            }
            pairs.sort_by(|a, b| b.score.total_cmp(&a.score));
            pairs.truncate(size);
            return Ok(FindDuplicateClientsResponse { pairs, next_page_token: String::new() });
        }
        let query = format!("duplicates|{min_score}");
        let mut after: String = self.tokens.cursor(&query, &req.page_token)?.unwrap_or_default();
        loop {
            let keys = self.store.shared_name_keys(&after, KEYS_PER_PAGE).await?;
            let exhausted = keys.len() < KEYS_PER_PAGE;
            for key in keys {
                let members = self.store.clients_with_key(&key).await?;
                for (i, a) in members.iter().enumerate() {
                    for b in &members[i + 1..] {
                        keep(a, b, &mut pairs);
                    }
                }
                after = key;
                if pairs.len() >= size {
                    // A page ends with a whole group of records.
                    return Ok(FindDuplicateClientsResponse {
                        pairs,
                        next_page_token: self.tokens.encode(&query, &after),
                    });
                }
            }
            if exhausted {
                return Ok(FindDuplicateClientsResponse { pairs, next_page_token: String::new() });
            }
        }
    }
}
