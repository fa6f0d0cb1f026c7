//! ImportClients: many clients with what hangs off them, in one write.

use crm_kit::{ApiResult, call::Idempotency};
use crm_proto::crm::profile::v1::{ImportClientsRequest, ImportClientsResponse};

use super::{Caller, ProfileApp, source_of};
use crate::{
    domain::{
        children::{NewContact, NewHolding, NewStatement},
        import::{self, ClientRecord},
        names, policy,
    },
    store::ClientBundle,
};

impl ProfileApp {
    /// ImportClients: every record parsed as its create would be, then all stored in one
    /// write (ADMIN and CHANNEL only). A replay of the same request returns the first result.
    pub async fn import_clients(
        &self,
        caller: &Caller,
        mut req: ImportClientsRequest,
    ) -> ApiResult<ImportClientsResponse> {
        let request_id = std::mem::take(&mut req.request_id);
        let key = Idempotency::of(&request_id, &req)?;
        let records = import::parse(req.clients)?;
        policy::can_import(&caller.principal).map_err(|err| err.with_resource("clients"))?;
        let source = source_of(caller);
        let bundles = records.into_iter().map(|record| bundle(record, &source)).collect();
        let names = self.store.import_clients(caller.write().keyed(key.as_ref()), bundles).await?;
        Ok(ImportClientsResponse { imported_count: i32::try_from(names.len()).unwrap_or(i32::MAX), names })
    }
}

/// The stored form of a parsed record: named by the id the caller chose, else a new one, in
/// the portfolio it asks for (an import is not bound to one).
fn bundle(record: ClientRecord, default_source: &str) -> ClientBundle {
    let ClientRecord { id, client, contacts, holdings, statements } = record;
    let manager = client.relationship_manager().to_owned();
    let mut client = client.into_client(manager, default_source);
    client.name = names::client_name(&id.unwrap_or_else(names::new_id));
    ClientBundle {
        client,
        contacts: contacts.into_iter().map(NewContact::into_contact).collect(),
        holdings: holdings.into_iter().map(NewHolding::into_holding).collect(),
        statements: statements.into_iter().map(NewStatement::into_statement).collect(),
    }
}
