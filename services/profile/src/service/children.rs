//! Calls on what hangs off a client: contacts, holdings, financial statements.

use crm_kit::{ApiError, ApiResult, paging};
use crm_proto::crm::profile::v1::{
    Contact, CreateContactRequest, CreateFinancialStatementRequest, DeleteContactRequest, FinancialStatement, Holding,
    ListContactsRequest, ListContactsResponse, ListFinancialStatementsRequest, ListFinancialStatementsResponse,
    ListHoldingsRequest, ListHoldingsResponse, UpdateContactRequest, UpsertHoldingRequest,
};

use super::{Caller, ProfileApp};
use crate::{
    domain::{children as rules, mask, names, policy},
    store::{Guard, ProfileStore},
};
use crm_kit::call::Idempotency;

impl<S: ProfileStore> ProfileApp<S> {
    /// The guard for writes under `client_id`: role, portfolio, existence (in that order).
    fn child_guard(caller: &Caller, client_id: &str) -> impl Guard + use<S> {
        let principal = caller.principal.clone();
        let resource = names::client_name(client_id);
        move |current| policy::check_write(&principal, &resource, current)
    }

    /// Decodes the id cursor of a child page.
    fn child_cursor(&self, collection: &str, parent: &str, token: &str) -> ApiResult<String> {
        Ok(self.tokens.cursor(&format!("{collection}|{parent}"), token)?.unwrap_or_default())
    }

    fn child_token(&self, collection: &str, parent: &str, last: Option<&str>, full: bool) -> String {
        match last {
            Some(name) if full => {
                let id = name.rsplit('/').next().unwrap_or_default();
                self.tokens.encode(&format!("{collection}|{parent}"), &id)
            }
            _ => String::new(),
        }
    }

    /// CreateContact.
    pub async fn create_contact(&self, caller: &Caller, req: CreateContactRequest) -> ApiResult<Contact> {
        let client_id = names::client_id("parent", &req.parent)?.to_owned();
        let Some(mut contact) = req.contact else { return Err(ApiError::invalid("contact", "is required")) };
        let idempotency = Idempotency::of(
            &req.request_id,
            &CreateContactRequest {
                parent: req.parent.clone(),
                contact: Some(contact.clone()),
                request_id: String::new(),
            },
        )?;
        rules::contact(&mut contact)?;
        policy::can_write(&caller.principal)?;
        let guard = Self::child_guard(caller, &client_id);
        match self.store.create_contact(caller.ctx("CreateContact"), &client_id, guard, contact, idempotency).await {
            Ok(contact) => Ok(contact),
            Err(err) => Err(self.audit.denied(caller, "CreateContact", &req.parent, err).await),
        }
    }

    /// UpdateContact: masked fields, etag-checked, in the caller's portfolio.
    pub async fn update_contact(&self, caller: &Caller, req: UpdateContactRequest) -> ApiResult<Contact> {
        let Some(mut patch) = req.contact else { return Err(ApiError::invalid("contact", "is required")) };
        let (client_id, contact_id) = names::child_id("contact.name", &patch.name, "contacts")?;
        let (client_id, contact_id) = (client_id.to_owned(), contact_id.to_owned());
        let paths = req.update_mask.map(|m| m.paths).unwrap_or_default();
        let fields = rules::contact_mask(&paths)?;
        policy::can_write(&caller.principal)?;
        let guard = Self::child_guard(caller, &client_id);
        let name = patch.name.clone();
        let result = self
            .store
            .change_contact(caller.ctx("UpdateContact"), &client_id, &contact_id, guard, move |current| {
                if !patch.etag.is_empty() && patch.etag != current.etag {
                    return Err(ApiError::etag_mismatch(&current.name));
                }
                let mut next = current.clone();
                rules::apply_contact_mask(&mut next, &mut patch, &fields);
                rules::contact(&mut next)?;
                Ok(next)
            })
            .await;
        self.contact_result(caller, "UpdateContact", &name, result).await
    }

    /// DeleteContact: removes it from the live record (history and feed keep it).
    pub async fn delete_contact(&self, caller: &Caller, req: DeleteContactRequest) -> ApiResult<Contact> {
        let (client_id, contact_id) = names::child_id("name", &req.name, "contacts")?;
        policy::can_write(&caller.principal)?;
        let guard = Self::child_guard(caller, client_id);
        let etag = req.etag.clone();
        let result = self
            .store
            .change_contact(caller.ctx("DeleteContact"), client_id, contact_id, guard, move |current| {
                if !etag.is_empty() && etag != current.etag {
                    return Err(ApiError::etag_mismatch(&current.name));
                }
                let mut next = current.clone();
                next.delete_time = Some(crm_kit::time::to_timestamp(crm_kit::time::now_micros()));
                Ok(next)
            })
            .await;
        self.contact_result(caller, "DeleteContact", &req.name, result).await
    }

    /// Masks a written contact for the caller, or audits a refusal.
    async fn contact_result(
        &self,
        caller: &Caller,
        action: &'static str,
        resource: &str,
        result: ApiResult<Contact>,
    ) -> ApiResult<Contact> {
        match result {
            Ok(mut contact) => {
                if !policy::sees_contact_details(&caller.principal) {
                    mask::contact(&mut contact);
                }
                Ok(contact)
            }
            Err(err) => Err(self.audit.denied(caller, action, resource, err).await),
        }
    }

    /// ListContacts (details masked for contact-centre agents).
    pub async fn list_contacts(&self, caller: &Caller, req: ListContactsRequest) -> ApiResult<ListContactsResponse> {
        let client_id = names::client_id("parent", &req.parent)?;
        let size = paging::page_size(req.page_size)?;
        let after = self.child_cursor("contacts", &req.parent, &req.page_token)?;
        let mut contacts = self.store.list_contacts(client_id, &after, size).await?;
        let next_page_token =
            self.child_token("contacts", &req.parent, contacts.last().map(|c| c.name.as_str()), contacts.len() == size);
        if !policy::sees_contact_details(&caller.principal) {
            contacts.iter_mut().for_each(mask::contact);
        }
        Ok(ListContactsResponse { contacts, next_page_token })
    }

    /// UpsertHolding.
    pub async fn upsert_holding(&self, caller: &Caller, req: UpsertHoldingRequest) -> ApiResult<Holding> {
        let client_id = names::client_id("parent", &req.parent)?.to_owned();
        let Some(mut holding) = req.holding else { return Err(ApiError::invalid("holding", "is required")) };
        rules::holding(&mut holding)?;
        policy::can_write(&caller.principal)?;
        let guard = Self::child_guard(caller, &client_id);
        match self.store.upsert_holding(caller.ctx("UpsertHolding"), &client_id, guard, holding).await {
            Ok(holding) => Ok(holding),
            Err(err) => Err(self.audit.denied(caller, "UpsertHolding", &req.parent, err).await),
        }
    }

    /// ListHoldings.
    pub async fn list_holdings(&self, _caller: &Caller, req: ListHoldingsRequest) -> ApiResult<ListHoldingsResponse> {
        let client_id = names::client_id("parent", &req.parent)?;
        let size = paging::page_size(req.page_size)?;
        let after = self.child_cursor("holdings", &req.parent, &req.page_token)?;
        let holdings = self.store.list_holdings(client_id, &after, size).await?;
        let next_page_token =
            self.child_token("holdings", &req.parent, holdings.last().map(|h| h.name.as_str()), holdings.len() == size);
        Ok(ListHoldingsResponse { holdings, next_page_token })
    }

    /// CreateFinancialStatement (ratios derived by the store from the stored amounts).
    pub async fn create_statement(
        &self,
        caller: &Caller,
        req: CreateFinancialStatementRequest,
    ) -> ApiResult<FinancialStatement> {
        let client_id = names::client_id("parent", &req.parent)?.to_owned();
        let Some(mut statement) = req.financial_statement else {
            return Err(ApiError::invalid("financial_statement", "is required"));
        };
        rules::statement(&mut statement)?;
        policy::can_write(&caller.principal)?;
        let guard = Self::child_guard(caller, &client_id);
        match self.store.create_statement(caller.ctx("CreateFinancialStatement"), &client_id, guard, statement).await {
            Ok(statement) => Ok(statement),
            Err(err) => Err(self.audit.denied(caller, "CreateFinancialStatement", &req.parent, err).await),
        }
    }

    /// ListFinancialStatements, newest period first.
    pub async fn list_statements(
        &self,
        _caller: &Caller,
        req: ListFinancialStatementsRequest,
    ) -> ApiResult<ListFinancialStatementsResponse> {
        let client_id = names::client_id("parent", &req.parent)?;
        let size = paging::page_size(req.page_size)?;
        let query = format!("financialStatements|{}", req.parent);
        let after: Option<(i64, String)> = self.tokens.cursor(&query, &req.page_token)?;
        let statements = self.store.list_statements(client_id, after, size).await?;
        let next_page_token = match statements.last() {
            Some(last) if statements.len() == size => {
                let end = last.period_end_time.as_ref().map_or(0, crm_kit::time::from_timestamp);
                let id = last.name.rsplit('/').next().unwrap_or_default().to_owned();
                self.tokens.encode(&query, &(end, id))
            }
            _ => String::new(),
        };
        Ok(ListFinancialStatementsResponse { financial_statements: statements, next_page_token })
    }
}
