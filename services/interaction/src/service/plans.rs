//! Key-account plan calls: make a plan, review (update) it, list a client's plans.

use crm_kit::{
    ApiError, ApiResult,
    call::Idempotency,
    time::{now_micros, to_timestamp},
};
use crm_proto::crm::interaction::v1::{
    AccountPlan, CreateAccountPlanRequest, ListAccountPlansRequest, ListAccountPlansResponse, UpdateAccountPlanRequest,
};

use super::{Caller, InteractionApp};
use crate::domain::{names, plan as rules, policy};

impl InteractionApp {
    /// Makes a key-account plan: KEY_ACCOUNT_MANAGER (own portfolio) or ADMIN.
    pub async fn create_account_plan(&self, caller: &Caller, req: CreateAccountPlanRequest) -> ApiResult<AccountPlan> {
        let client_id = names::client_id("parent", &req.parent)?.to_owned();
        let key = Idempotency::of(&req.request_id, &req)?;
        let Some(given) = req.account_plan else { return Err(ApiError::invalid("account_plan", "is required")) };
        let now = now_micros();
        let mut plan = AccountPlan {
            title: given.title,
            objectives: given.objectives,
            team: given.team,
            actions: given.actions,
            review_time: given.review_time,
            owner: given.owner,
            ..Default::default()
        };
        rules::prepare(&mut plan, now)?;
        self.authorize_for(caller, &client_id, policy::can_plan).await?;
        plan.value_tier = self.key_account_tier(caller, &client_id).await?;
        if plan.owner.is_empty() {
            plan.owner.clone_from(&caller.principal.subject);
        }
        plan.name = names::child_name(&client_id, names::ACCOUNT_PLANS, &names::new_id());
        plan.client = names::client_name(&client_id);
        plan.creator.clone_from(&caller.principal.subject);
        plan.create_time = Some(to_timestamp(now));
        plan.update_time = plan.create_time;
        plan.etag = names::etag(1);
        self.store.add_plan(caller.write().keyed(key.as_ref()), plan).await
    }

    /// The client's value tier, when it has a score; FAILED_PRECONDITION NOT_A_KEY_ACCOUNT
    /// when that tier is not KEY_ACCOUNT.
    async fn key_account_tier(&self, caller: &Caller, client_id: &str) -> ApiResult<String> {
        let tier = self.peers(caller).value_tier(client_id).await?;
        rules::check_tier(&names::client_name(client_id), tier.as_deref())?;
        Ok(tier.unwrap_or_default())
    }

    /// Reviews a key-account plan: the masked fields change (actions and their status, the
    /// next review time, ...). KEY_ACCOUNT_MANAGER (own portfolio) or ADMIN, as for making one.
    pub async fn update_account_plan(&self, caller: &Caller, req: UpdateAccountPlanRequest) -> ApiResult<AccountPlan> {
        let Some(patch) = req.account_plan else { return Err(ApiError::invalid("account_plan", "is required")) };
        let (client_id, id) = names::child_id("account_plan.name", &patch.name, names::ACCOUNT_PLANS)?;
        let (client_id, id) = (client_id.to_owned(), id.to_owned());
        let fields = rules::mask_fields(&req.update_mask.map(|m| m.paths).unwrap_or_default())?;
        self.authorize_for(caller, &client_id, policy::can_plan).await?;
        let tier = self.key_account_tier(caller, &client_id).await?;
        let (resource, subject) = (patch.name.clone(), caller.principal.subject.clone());
        let now = now_micros();
        let mut updated = self
            .store
            .update_plan(caller.write(), &client_id, &id, move |current| {
                if !patch.etag.is_empty() && patch.etag != current.etag {
                    return Err(ApiError::etag_mismatch(&resource));
                }
                let mut next = rules::apply_update(current, patch, &fields, now)?;
                if next.owner.is_empty() {
                    next.owner = subject;
                }
                next.value_tier = tier;
                Ok(next)
            })
            .await?;
        rules::mark_review_due(&mut updated, now_micros());
        Ok(updated)
    }

    /// A client's account plans (and those of clients merged into it), newest first.
    pub async fn list_account_plans(
        &self,
        _caller: &Caller,
        req: ListAccountPlansRequest,
    ) -> ApiResult<ListAccountPlansResponse> {
        let client_id = names::client_id("parent", &req.parent)?;
        let page = self.page("plans", client_id, "", req.page_size, &req.page_token).await?;
        let found = self.store.list_plans(&page.clients, page.after.as_ref(), page.limit()).await?;
        let (mut account_plans, next_page_token) = page.finish(found, |p| (&p.name, p.create_time.as_ref()));
        let now = now_micros();
        account_plans.iter_mut().for_each(|plan| rules::mark_review_due(plan, now));
        Ok(ListAccountPlansResponse { account_plans, next_page_token })
    }
}
