//! Case calls: open, get, update (state machine, etag), list.

use crm_kit::{
    ApiError, ApiResult, Violations,
    call::Idempotency,
    paging,
    time::{now_micros, to_timestamp},
};
use crm_proto::crm::interaction::v1::{
    Case, CaseState, GetCaseRequest, ListCasesRequest, ListCasesResponse, OpenCaseRequest, UpdateCaseRequest,
};

use super::{Caller, InteractionApp, is_staff};
use crate::domain::{case as rules, names};

impl InteractionApp {
    /// Opens a case for a client: OPEN, its SLA clock started, owned by the caller when on
    /// staff and no owner is given.
    pub async fn open_case(&self, caller: &Caller, req: OpenCaseRequest) -> ApiResult<Case> {
        let client_id = names::client_id("parent", &req.parent)?.to_owned();
        let key = Idempotency::of(&req.request_id, &req)?;
        let Some(given) = req.case else { return Err(ApiError::invalid("case", "is required")) };
        // Only what a caller may write on creation is kept.
        let mut case = Case {
            title: given.title,
            description: given.description,
            category: given.category,
            priority: given.priority,
            owner: given.owner,
            channel: given.channel,
            ..Default::default()
        };
        rules::prepare_new(&mut case)?;
        self.authorize_write(caller, &client_id).await?;
        if case.owner.is_empty() && is_staff(caller) {
            case.owner.clone_from(&caller.principal.subject);
        }
        let now = now_micros();
        rules::start_sla(&mut case, now);
        case.name = names::child_name(&client_id, names::CASES, &names::new_id());
        case.client = names::client_name(&client_id);
        case.opened_by.clone_from(&caller.principal.subject);
        case.create_time = Some(to_timestamp(now));
        case.update_time = case.create_time;
        case.etag = names::etag(1);
        let mut opened = self.store.open_case(caller.write().keyed(key.as_ref()), case).await?;
        rules::mark_breach(&mut opened, now_micros());
        Ok(opened)
    }

    /// One case, with whether its SLA is breached now.
    pub async fn get_case(&self, _caller: &Caller, req: GetCaseRequest) -> ApiResult<Case> {
        let (client_id, id) = names::child_id("name", &req.name, names::CASES)?;
        let mut case = self.store.get_case(client_id, id).await?.ok_or_else(|| ApiError::not_found(&req.name))?;
        rules::mark_breach(&mut case, now_micros());
        Ok(case)
    }

    /// Changes a case: masked fields only, legal state moves only, etag-checked.
    pub async fn update_case(&self, caller: &Caller, req: UpdateCaseRequest) -> ApiResult<Case> {
        let Some(patch) = req.case else { return Err(ApiError::invalid("case", "is required")) };
        let (client_id, id) = names::child_id("case.name", &patch.name, names::CASES)?;
        let (client_id, id) = (client_id.to_owned(), id.to_owned());
        let paths = req.update_mask.map(|m| m.paths).unwrap_or_default();
        let fields = rules::mask_fields(&paths)?;
        // A case of a client merged into another is progressed in the survivor's name.
        self.authorize_history_write(caller, &client_id).await?;
        let resource = patch.name.clone();
        let mut updated = self
            .store
            .update_case(caller.write(), &client_id, &id, move |current| {
                if !patch.etag.is_empty() && patch.etag != current.etag {
                    return Err(ApiError::etag_mismatch(&resource));
                }
                rules::apply_update(current, &patch, &fields, now_micros())
            })
            .await?;
        rules::mark_breach(&mut updated, now_micros());
        Ok(updated)
    }

    /// A client's cases (and those of clients merged into it), newest first, optionally only
    /// in some states.
    pub async fn list_cases(&self, _caller: &Caller, req: ListCasesRequest) -> ApiResult<ListCasesResponse> {
        let client_id = names::client_id("parent", &req.parent)?;
        // A bad page size is reported before bad states.
        paging::page_size(req.page_size)?;
        let mut v = Violations::default();
        for (i, state) in req.states.iter().enumerate() {
            if CaseState::try_from(*state).map_or(true, |s| s == CaseState::Unspecified) {
                v.add(format!("states[{i}]"), "is not a case state");
            }
        }
        v.check()?;
        let mut states = req.states.clone();
        states.sort_unstable();
        states.dedup();
        let page = self.page("cases", client_id, &format!("|{states:?}"), req.page_size, &req.page_token).await?;
        let found = self.store.list_cases(&page.clients, &states, page.after.as_ref(), page.limit()).await?;
        let (mut cases, next_page_token) = page.finish(found, |c| (&c.name, c.create_time.as_ref()));
        let now = now_micros();
        cases.iter_mut().for_each(|case| rules::mark_breach(case, now));
        Ok(ListCasesResponse { cases, next_page_token })
    }
}
