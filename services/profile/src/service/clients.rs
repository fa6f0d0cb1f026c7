//! Client calls: create, read, list, update, delete, undelete, erase, lookup.

use crm_kit::{ApiError, ApiResult, Violations, paging};
use crm_proto::crm::profile::v1::{
    BatchGetClientsRequest, BatchGetClientsResponse, Client, CreateClientRequest, DeleteClientRequest,
    EraseClientRequest, GetClientRequest, ListClientsRequest, ListClientsResponse, LookupClientRequest,
    UndeleteClientRequest, UpdateClientRequest,
};

use super::{Caller, MAX_SCAN_PER_PAGE, ProfileApp, source_of};
use crate::{
    domain::{
        client::{ClientPatch, NewClient},
        filter::ClientFilter,
        lookup, mask, names, policy, quality,
    },
    store::{ChangeKind, ClientOrder, ClientScan, Cursor, SortKey},
};
use crm_kit::{call::Idempotency, policy::check_portfolio};

/// Parses `order_by`: one of the supported fields, optionally followed by `desc`/`asc`.
fn parse_order(order_by: &str) -> ApiResult<(ClientOrder, bool)> {
    let mut words = order_by.split_whitespace();
    let field = words.next().unwrap_or("name");
    let descending = match words.next() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(ApiError::invalid("order_by", "direction must be asc or desc")),
    };
    if words.next().is_some() {
        return Err(ApiError::invalid("order_by", "order by one field only"));
    }
    let order = match field {
        "name" => ClientOrder::Name,
        "display_name" => ClientOrder::DisplayName,
        "create_time" => ClientOrder::CreateTime,
        "annual_turnover" => ClientOrder::AnnualTurnover,
        other => {
            return Err(ApiError::invalid(
                "order_by",
                format!("cannot order by {other}; use name, display_name, create_time or annual_turnover"),
            ));
        }
    };
    Ok((order, descending))
}

/// Attaches the data-quality summary a read returns.
pub(super) fn with_quality(client: &mut Client) {
    client.data_quality = Some(quality::summarize(client, crm_kit::time::now_micros()));
}

/// How many `merged_into` links a read follows.
const MAX_MERGE_HOPS: usize = 8;

fn cursor_of(client: &Client, order: ClientOrder) -> Cursor {
    let key = match order {
        ClientOrder::Name => SortKey::None,
        ClientOrder::DisplayName => SortKey::Text(client.display_name.to_lowercase()),
        ClientOrder::CreateTime => SortKey::Int(client.create_time.as_ref().map_or(0, crm_kit::time::from_timestamp)),
        ClientOrder::AnnualTurnover => SortKey::Int(client.annual_turnover.as_ref().map_or(0, |m| m.units)),
    };
    Cursor { key, id: client.name.trim_start_matches("clients/").to_owned() }
}

impl ProfileApp {
    /// Masks what the caller may not see and audits the sensitive values it reads unmasked.
    pub(super) async fn present(&self, caller: &Caller, mut clients: Vec<Client>) -> ApiResult<Vec<Client>> {
        if policy::sees_sensitive(&caller.principal) {
            let sensitive: Vec<&str> =
                clients.iter().filter(|c| !c.tax_id.is_empty()).map(|c| c.name.as_str()).collect();
            self.audit_sensitive_read(caller, &sensitive).await?;
        } else {
            clients.iter_mut().for_each(mask::client);
        }
        clients.iter_mut().for_each(with_quality);
        Ok(clients)
    }

    async fn present_one(&self, caller: &Caller, client: Client) -> ApiResult<Client> {
        let mut shown = self.present(caller, vec![client]).await?;
        shown.pop().ok_or_else(|| ApiError::internal(anyhow::anyhow!("presented no client")))
    }

    /// The result of a write: masked as for a read, but not audited again (the write is).
    pub(super) fn written(caller: &Caller, mut client: Client) -> Client {
        if !policy::sees_sensitive(&caller.principal) {
            mask::client(&mut client);
        }
        with_quality(&mut client);
        client
    }

    /// CreateClient: parsed, then placed in a portfolio the caller may write to.
    pub async fn create_client(&self, caller: &Caller, req: CreateClientRequest) -> ApiResult<Client> {
        let Some(client) = req.client else { return Err(ApiError::invalid("client", "is required")) };
        let key = Idempotency::of(&req.request_id, &client)?;
        let new = NewClient::parse(client)?;
        let manager = policy::assign_manager(&caller.principal, new.relationship_manager())
            .map_err(|err| err.with_resource("clients"))?;
        let client = new.into_client(manager, &source_of(caller));
        let created = self.store.create_client(caller.write().keyed(key.as_ref()), client).await?;
        Ok(Self::written(caller, created))
    }

    /// GetClient: a merged client resolves to its survivor; with `read_time`, the record
    /// as it was then.
    pub async fn get_client(&self, caller: &Caller, req: GetClientRequest) -> ApiResult<Client> {
        let id = names::client_id("name", &req.name)?;
        if let Some(read_time) = &req.read_time {
            let at = crm_kit::time::from_timestamp(read_time);
            let client = self.store.client_at(id, at).await?.ok_or_else(|| {
                ApiError::not_found(format!("{} as of {}", req.name, read_time))
                    .with_metadata("read_time", read_time.to_string())
            })?;
            return self.present_one(caller, client).await;
        }
        let mut client = self.store.client(id).await?.ok_or_else(|| ApiError::not_found(&req.name))?;
        // A merged record resolves to its survivor (old names keep working).
        for _ in 0..MAX_MERGE_HOPS {
            if client.merged_into.is_empty() {
                break;
            }
            let survivor = names::client_id("merged_into", &client.merged_into)?;
            client = self.store.client(survivor).await?.ok_or_else(|| ApiError::not_found(&client.merged_into))?;
        }
        self.present_one(caller, client).await
    }

    /// BatchGetClients: all or nothing, in request order.
    pub async fn batch_get_clients(
        &self,
        caller: &Caller,
        req: BatchGetClientsRequest,
    ) -> ApiResult<BatchGetClientsResponse> {
        if req.names.len() > paging::MAX_PAGE_SIZE {
            return Err(ApiError::invalid("names", format!("at most {} names", paging::MAX_PAGE_SIZE)));
        }
        let mut v = Violations::default();
        let mut ids = Vec::with_capacity(req.names.len());
        for (i, name) in req.names.iter().enumerate() {
            match names::client_id(&format!("names[{i}]"), name) {
                Ok(id) => ids.push(id.to_owned()),
                Err(_) => v.add(format!("names[{i}]"), "must be of the form clients/{client}"),
            }
        }
        v.check()?;
        let found = self.store.clients(&ids).await?;
        let mut by_name: std::collections::HashMap<&str, &Client> =
            found.iter().map(|c| (c.name.as_str(), c)).collect();
        let mut ordered = Vec::with_capacity(req.names.len());
        for name in &req.names {
            let client = by_name.remove(name.as_str()).or_else(|| found.iter().find(|c| &c.name == name));
            ordered.push(client.cloned().ok_or_else(|| ApiError::not_found(name))?);
        }
        Ok(BatchGetClientsResponse { clients: self.present(caller, ordered).await? })
    }

    /// ListClients: keyset pages, CEL filter evaluated on rows read in order.
    pub async fn list_clients(&self, caller: &Caller, req: ListClientsRequest) -> ApiResult<ListClientsResponse> {
        let size = paging::page_size(req.page_size)?;
        let filter = ClientFilter::parse(&req.filter, self.limits.max_filter_length)?;
        let (order, descending) = parse_order(&req.order_by)?;
        let query = format!("{:?}|{descending}|{}|{}", order, req.show_deleted, req.filter.trim());
        let mut after: Option<Cursor> = self.tokens.cursor(&query, &req.page_token)?;
        let batch = if filter.is_empty() { size + 1 } else { (size * 4).clamp(200, paging::MAX_PAGE_SIZE) };
        let (mut page, mut scanned, mut more) = (Vec::with_capacity(size), 0, false);
        'scan: loop {
            let scan =
                ClientScan { order, descending, after: after.clone(), show_deleted: req.show_deleted, limit: batch };
            let rows = self.store.scan_clients(&scan).await?;
            let exhausted = rows.len() < batch;
            for (client, matched) in filter.select(rows, caller.deadline).await? {
                if page.len() == size || scanned == MAX_SCAN_PER_PAGE {
                    more = true;
                    break 'scan;
                }
                scanned += 1;
                after = Some(cursor_of(&client, order));
                if matched {
                    page.push(client);
                }
            }
            if exhausted {
                break;
            }
        }
        let next_page_token = match (&after, more) {
            (Some(cursor), true) => self.tokens.encode(&query, cursor),
            _ => String::new(),
        };
        // List views never carry tax ids in clear: the full record is one audited Get away.
        for client in &mut page {
            mask::client(client);
            with_quality(client);
        }
        Ok(ListClientsResponse { clients: page, next_page_token })
    }

    /// UpdateClient: masked fields only, etag-checked, in the caller's portfolio.
    pub async fn update_client(&self, caller: &Caller, req: UpdateClientRequest) -> ApiResult<Client> {
        let patch = ClientPatch::parse(req.client, req.update_mask)?;
        let (principal, resource) = (&caller.principal, names::client_name(patch.id()));
        policy::can_write(principal).map_err(|err| err.with_resource(&resource))?;
        let source = source_of(caller);
        let id = patch.id().to_owned();
        let updated = self
            .store
            .update_client(caller.write(), &id, ChangeKind::Updated, |current| {
                check_portfolio(principal, &resource, current.map(|c| c.relationship_manager.as_str()))?;
                let current = current.ok_or_else(|| ApiError::not_found(&resource))?;
                if current.delete_time.is_some() {
                    return Err(ApiError::failed_precondition(
                        "CLIENT_DELETED",
                        format!("{resource} is deleted; undelete it first"),
                    ));
                }
                if !patch.etag().is_empty() && patch.etag() != current.etag {
                    return Err(ApiError::etag_mismatch(&resource));
                }
                let manager = policy::assign_manager(principal, patch.relationship_manager(current))
                    .map_err(|err| err.with_resource(&resource))?;
                patch.apply(current, manager, &source)
            })
            .await?;
        Ok(Self::written(caller, updated))
    }

    /// DeleteClient (soft) and UndeleteClient.
    async fn set_deleted(&self, caller: &Caller, name: &str, etag: &str, delete: bool) -> ApiResult<Client> {
        let id = names::client_id("name", name)?;
        let kind = if delete { ChangeKind::Deleted } else { ChangeKind::Undeleted };
        let (principal, resource) = (&caller.principal, names::client_name(id));
        policy::can_write(principal).map_err(|err| err.with_resource(&resource))?;
        let changed = self
            .store
            .update_client(caller.write(), id, kind, |current| {
                check_portfolio(principal, &resource, current.map(|c| c.relationship_manager.as_str()))?;
                let current = current.ok_or_else(|| ApiError::not_found(&resource))?;
                if !etag.is_empty() && etag != current.etag {
                    return Err(ApiError::etag_mismatch(&resource));
                }
                match (delete, current.delete_time.is_some()) {
                    (true, true) => {
                        Err(ApiError::failed_precondition("ALREADY_DELETED", format!("{resource} is already deleted")))
                    }
                    (false, false) => {
                        Err(ApiError::failed_precondition("NOT_DELETED", format!("{resource} is not deleted")))
                    }
                    (false, true) if current.erase_time.is_some() => Err(ApiError::failed_precondition(
                        "CLIENT_ERASED",
                        format!("{resource} was erased; an erased client cannot be undeleted"),
                    )),
                    _ => {
                        let now = crm_kit::time::to_timestamp(crm_kit::time::now_micros());
                        Ok(Client { delete_time: delete.then_some(now), ..current.clone() })
                    }
                }
            })
            .await?;
        Ok(Self::written(caller, changed))
    }

    /// DeleteClient: soft, `delete_time` is set and the record stays readable.
    pub async fn delete_client(&self, caller: &Caller, req: DeleteClientRequest) -> ApiResult<Client> {
        self.set_deleted(caller, &req.name, &req.etag, true).await
    }

    /// UndeleteClient: a soft-deleted client is live again.
    pub async fn undelete_client(&self, caller: &Caller, req: UndeleteClientRequest) -> ApiResult<Client> {
        self.set_deleted(caller, &req.name, "", false).await
    }

    /// EraseClient: the client's personal data gone for good, in every copy the profile keeps
    /// (docs/domain.md, erasure); other services erase theirs when they follow the change.
    pub async fn erase_client(&self, caller: &Caller, req: EraseClientRequest) -> ApiResult<Client> {
        let id = names::client_id("name", &req.name)?;
        let reason = req.reason.trim();
        if reason.is_empty() {
            return Err(ApiError::invalid("reason", "say why (for example the ticket of the erasure request)"));
        }
        let resource = names::client_name(id);
        policy::can_erase(&caller.principal).map_err(|err| err.with_resource(&resource))?;
        let erased = self.store.erase_client(caller.write(), id, reason).await?;
        Ok(Self::written(caller, erased))
    }

    /// LookupClient: exactly one identifier, one indexed query.
    pub async fn lookup_client(&self, caller: &Caller, req: LookupClientRequest) -> ApiResult<Client> {
        let key = lookup::from_request(&req, &self.phone_region)?;
        let mut found = self.store.lookup(&key).await?;
        match found.len() {
            0 => Err(ApiError::not_found(format!("client with that {}", key.kind))),
            1 => self.present_one(caller, found.remove(0)).await,
            _ => {
                let names: Vec<&str> = found.iter().map(|c| c.name.as_str()).collect();
                Err(ApiError::failed_precondition(
                    "AMBIGUOUS_LOOKUP",
                    format!("{} clients share that identifier; use a more specific key", found.len()),
                )
                .with_metadata("candidates", names.join(",")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_by_accepts_supported_fields_only() {
        assert_eq!(parse_order("").ok(), Some((ClientOrder::Name, false)));
        assert_eq!(parse_order("display_name desc").ok(), Some((ClientOrder::DisplayName, true)));
        assert!(parse_order("tax_id").is_err());
        assert!(parse_order("name sideways").is_err());
    }
}
