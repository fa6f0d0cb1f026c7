//! Calls on a client's history and group: ListClientRevisions, GetClientGroup.

use crm_kit::{ApiError, ApiResult, paging, time};
use crm_proto::crm::profile::v1::{
    ClientGroup, ClientRevision, GetClientGroupRequest, GroupMember, ListClientRevisionsRequest,
    ListClientRevisionsResponse,
};

use super::{Caller, ProfileApp, watch::change_kind};
use crate::domain::names;

impl ProfileApp {
    /// ListClientRevisions, newest first.
    pub async fn list_client_revisions(
        &self,
        caller: &Caller,
        req: ListClientRevisionsRequest,
    ) -> ApiResult<ListClientRevisionsResponse> {
        let id = names::client_id("name", &req.name)?;
        let size = paging::page_size(req.page_size)?;
        let query = format!("revisions|{}", req.name);
        let before: i64 = self.tokens.cursor(&query, &req.page_token)?.unwrap_or_default();
        let revisions = self.store.revisions(id, before, size).await?;
        let next_page_token = match revisions.last() {
            Some(last) if revisions.len() == size && last.revision > 1 => self.tokens.encode(&query, &last.revision),
            _ => String::new(),
        };
        let clients = self.present(caller, revisions.iter().map(|r| r.client.clone()).collect()).await?;
        let revisions = revisions
            .into_iter()
            .zip(clients)
            .map(|(r, client)| ClientRevision {
                revision: r.revision,
                kind: change_kind(&r.kind) as i32,
                change_time: Some(time::to_timestamp(r.change_time)),
                actor: r.actor,
                request_id: r.request_id,
                changed_fields: r.changed_fields,
                client: Some(client),
            })
            .collect();
        Ok(ListClientRevisionsResponse { revisions, next_page_token })
    }

    /// GetClientGroup: the ultimate parent and every live member below it.
    pub async fn get_client_group(&self, _caller: &Caller, req: GetClientGroupRequest) -> ApiResult<ClientGroup> {
        let id = names::client_id("name", &req.name)?;
        let group = self.store.group_of(id).await?.ok_or_else(|| ApiError::not_found(&req.name))?;
        let members = group
            .members
            .into_iter()
            .map(|(c, depth)| GroupMember {
                client: c.name,
                display_name: c.display_name,
                parent: c.parent,
                depth: i32::try_from(depth).unwrap_or(i32::MAX),
                customer_type: c.customer_type,
                country_code: c.country_code,
            })
            .collect();
        Ok(ClientGroup { ultimate_parent: names::client_name(&group.ultimate_parent), members })
    }
}
