//! Calls on what hangs off a client: contacts, holdings, financial statements.

use crm_kit::{ApiError, ApiResult, paging};
use crm_proto::crm::profile::v1::{
    Client, Contact, CreateContactRequest, CreateFinancialStatementRequest, DeleteContactRequest, FinancialStatement,
    Holding, ListContactsRequest, ListContactsResponse, ListFinancialStatementsRequest,
    ListFinancialStatementsResponse, ListHoldingsRequest, ListHoldingsResponse, UpdateContactRequest,
    UpsertHoldingRequest,
};

use super::{Caller, ProfileApp};
use crate::{
    domain::{
        children::{ContactPatch, NewContact, NewHolding, NewStatement},
        mask, names, policy,
    },
    store::Guard,
};
use crm_kit::{call::Idempotency, policy::check_portfolio};

impl ProfileApp {
    /// Who may write under client `client_id`: a role that writes (checked now) and, inside
    /// the write, a portfolio that holds the client (without revealing whether it exists).
    fn child_guard<'a>(caller: &'a Caller, client_id: &str) -> ApiResult<impl Guard + use<'a>> {
        let resource = names::client_name(client_id);
        policy::can_write(&caller.principal).map_err(|err| err.with_resource(&resource))?;
        Ok(move |current: Option<&Client>| {
            check_portfolio(&caller.principal, &resource, current.map(|c| c.relationship_manager.as_str()))
        })
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

    /// CreateContact: a replay of the same request returns the first contact.
    pub async fn create_contact(&self, caller: &Caller, req: CreateContactRequest) -> ApiResult<Contact> {
        let client_id = names::client_id("parent", &req.parent)?;
        let Some(contact) = req.contact.clone() else { return Err(ApiError::invalid("contact", "is required")) };
        let key = Idempotency::of(&req.request_id, &CreateContactRequest { request_id: String::new(), ..req.clone() })?;
        let contact = NewContact::parse(contact, &self.client_country(caller, client_id).await?)?.into_contact();
        let guard = Self::child_guard(caller, client_id)?;
        self.store.create_contact(caller.write().keyed(key.as_ref()), client_id, guard, contact).await
    }

    /// UpdateContact: masked fields, etag-checked, in the caller's portfolio.
    pub async fn update_contact(&self, caller: &Caller, req: UpdateContactRequest) -> ApiResult<Contact> {
        let parent = req.contact.as_ref().and_then(|c| names::child_id("contact.name", &c.name, "contacts").ok());
        let country = match parent {
            Some((client_id, _)) => self.client_country(caller, client_id).await?,
            None => String::new(),
        };
        let patch = ContactPatch::parse(req.contact, req.update_mask, &country)?;
        let (client_id, contact_id) = (patch.client_id().to_owned(), patch.contact_id().to_owned());
        let guard = Self::child_guard(caller, &client_id)?;
        let updated = self
            .store
            .change_contact(caller.write(), &client_id, &contact_id, guard, |current| {
                if !patch.etag().is_empty() && patch.etag() != current.etag {
                    return Err(ApiError::etag_mismatch(&current.name));
                }
                Ok(patch.apply(current))
            })
            .await?;
        Ok(Self::shown_contact(caller, updated))
    }

    /// DeleteContact: removes it from the live record (history and feed keep it).
    pub async fn delete_contact(&self, caller: &Caller, req: DeleteContactRequest) -> ApiResult<Contact> {
        let (client_id, contact_id) = names::child_id("name", &req.name, "contacts")?;
        let guard = Self::child_guard(caller, client_id)?;
        let deleted = self
            .store
            .change_contact(caller.write(), client_id, contact_id, guard, |current| {
                if !req.etag.is_empty() && req.etag != current.etag {
                    return Err(ApiError::etag_mismatch(&current.name));
                }
                let now = crm_kit::time::to_timestamp(crm_kit::time::now_micros());
                Ok(Contact { delete_time: Some(now), ..current.clone() })
            })
            .await?;
        Ok(Self::shown_contact(caller, deleted))
    }

    /// A written contact as the caller may see it.
    fn shown_contact(caller: &Caller, mut contact: Contact) -> Contact {
        if !policy::sees_contact_details(&caller.principal) {
            mask::contact(&mut contact);
        }
        contact
    }

    /// ListContacts (details masked for contact-centre agents).
    pub async fn list_contacts(&self, caller: &Caller, req: ListContactsRequest) -> ApiResult<ListContactsResponse> {
        let client_id = names::client_id("parent", &req.parent)?;
        let size = paging::page_size(req.page_size)?;
        let after = self.child_cursor("contacts", &req.parent, &req.page_token)?;
        // One more than the page tells whether another page follows.
        let mut contacts = self.store.list_contacts(client_id, &after, size + 1).await?;
        let more = contacts.len() > size;
        contacts.truncate(size);
        let next_page_token = self.child_token("contacts", &req.parent, contacts.last().map(|c| c.name.as_str()), more);
        if !policy::sees_contact_details(&caller.principal) {
            contacts.iter_mut().for_each(mask::contact);
        }
        Ok(ListContactsResponse { contacts, next_page_token })
    }

    /// UpsertHolding: a holding is identified by its account number.
    pub async fn upsert_holding(&self, caller: &Caller, req: UpsertHoldingRequest) -> ApiResult<Holding> {
        let client_id = names::client_id("parent", &req.parent)?;
        let Some(holding) = req.holding else { return Err(ApiError::invalid("holding", "is required")) };
        let holding = NewHolding::parse(holding)?.into_holding();
        let guard = Self::child_guard(caller, client_id)?;
        self.store.upsert_holding(caller.write(), client_id, guard, holding).await
    }

    /// ListHoldings, in id order.
    pub async fn list_holdings(&self, _caller: &Caller, req: ListHoldingsRequest) -> ApiResult<ListHoldingsResponse> {
        let client_id = names::client_id("parent", &req.parent)?;
        let size = paging::page_size(req.page_size)?;
        let after = self.child_cursor("holdings", &req.parent, &req.page_token)?;
        let mut holdings = self.store.list_holdings(client_id, &after, size + 1).await?;
        let more = holdings.len() > size;
        holdings.truncate(size);
        let next_page_token = self.child_token("holdings", &req.parent, holdings.last().map(|h| h.name.as_str()), more);
        Ok(ListHoldingsResponse { holdings, next_page_token })
    }

    /// CreateFinancialStatement (ratios derived by the store from the stored amounts).
    pub async fn create_statement(
        &self,
        caller: &Caller,
        req: CreateFinancialStatementRequest,
    ) -> ApiResult<FinancialStatement> {
        let client_id = names::client_id("parent", &req.parent)?;
        let Some(statement) = req.financial_statement else {
            return Err(ApiError::invalid("financial_statement", "is required"));
        };
        let statement = NewStatement::parse(statement)?.into_statement();
        let guard = Self::child_guard(caller, client_id)?;
        self.store.create_statement(caller.write(), client_id, guard, statement).await
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
        let mut statements = self.store.list_statements(client_id, after, size + 1).await?;
        let more = statements.len() > size;
        statements.truncate(size);
        let next_page_token = match statements.last() {
            Some(last) if more => {
                let end = last.period_end_time.as_ref().map_or(0, crm_kit::time::from_timestamp);
                let id = last.name.rsplit('/').next().unwrap_or_default().to_owned();
                self.tokens.encode(&query, &(end, id))
            }
            _ => String::new(),
        };
        Ok(ListFinancialStatementsResponse { financial_statements: statements, next_page_token })
    }
}
