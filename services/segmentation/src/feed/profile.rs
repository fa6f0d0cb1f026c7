//! Following the profile's change feed (DESIGN §5) with a cursor stored in this database.
//!
//! Interactive writes carry the resource state: client records and holdings are applied as
//! they come. Bulk-load events carry none, and a merge moves holdings without events of
//! their own: for those the client and all its holdings are read back from the profile API
//! (as CHANNEL). Applying is idempotent, so a batch re-applied after a crash does no harm.

use std::collections::BTreeSet;

use crm_kit::{follow, peer::PeerAuth, server::Shutdown};
use crm_proto::crm::profile::v1::{
    BatchGetClientsRequest, ChangeEvent, ChangeKind, Client, GetClientRequest, ListHoldingsRequest,
    WatchChangesRequest, change_event::ResourceState, client_profile_service_client::ClientProfileServiceClient,
};
use futures::{StreamExt, TryStreamExt};
use std::sync::Arc;
use tonic::{service::interceptor::InterceptedService, transport::Channel};

use crate::store::{ProfileChange, SegmentationStore};

/// Cursor name of the profile feed.
pub const SOURCE: &str = "profile";
/// Clients read back from the profile at once.
const READ_CONCURRENCY: usize = 8;

type Profile = ClientProfileServiceClient<InterceptedService<Channel, PeerAuth>>;

/// Follows the profile feed until `shutdown`.
pub async fn follow_profile<S: SegmentationStore>(store: Arc<S>, channel: Channel, auth: PeerAuth, shutdown: Shutdown) {
    let profile: Profile = ClientProfileServiceClient::with_interceptor(channel, auth);
    let db = store.db().clone();
    let open = |after: i64| {
        let mut profile = profile.clone();
        async move {
            profile.watch_changes(WatchChangesRequest { after_sequence: after }).await.map(tonic::Response::into_inner)
        }
    };
    let apply = |batch: Vec<ChangeEvent>| {
        let store = Arc::clone(&store);
        let profile = profile.clone();
        async move { apply_batch(store.as_ref(), profile, batch).await }
    };
    follow::follow(db, SOURCE, open, apply, shutdown).await;
}

fn id_of(name: &str) -> String {
    name.trim_start_matches("clients/").split('/').next().unwrap_or_default().to_owned()
}

async fn apply_batch<S: SegmentationStore>(store: &S, profile: Profile, batch: Vec<ChangeEvent>) -> anyhow::Result<()> {
    let mut changes = Vec::with_capacity(batch.len());
    let mut reread = BTreeSet::new();
    for event in batch {
        let merged = event.kind == ChangeKind::Merged as i32;
        match event.resource_state {
            Some(ResourceState::ClientState(client)) => changes.push(ProfileChange::Client(client)),
            Some(ResourceState::HoldingState(holding)) => {
                changes.push(ProfileChange::Holding { client_id: id_of(&event.client), holding });
            }
            Some(ResourceState::ContactState(_) | ResourceState::FinancialStatementState(_)) => {}
            None => {
                reread.insert(id_of(&event.resource));
            }
        }
        if merged {
            // The survivor (the event's client) received the duplicate's holdings.
            reread.insert(id_of(&event.client));
        }
    }
    let clients = read_clients(&mut profile.clone(), &reread).await?;
    let snapshots: Vec<ProfileChange> = futures::stream::iter(reread.into_iter().zip(clients))
        .map(|(id, client)| snapshot(profile.clone(), id, client))
        .buffer_unordered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    changes.extend(snapshots);
    store.apply_profile(changes).await.map_err(|e| anyhow::anyhow!("applying profile changes: {e}"))
}

/// The current records of `ids` (in order): one BatchGetClients call per 1000 clients;
/// when some no longer exist, each is read on its own (`None` when it is gone).
async fn read_clients(profile: &mut Profile, ids: &BTreeSet<String>) -> anyhow::Result<Vec<Option<Client>>> {
    let names: Vec<String> = ids.iter().map(|id| format!("clients/{id}")).collect();
    let mut out = Vec::with_capacity(names.len());
    for chunk in names.chunks(1000) {
        match profile.batch_get_clients(BatchGetClientsRequest { names: chunk.to_vec() }).await {
            Ok(reply) => out.extend(reply.into_inner().clients.into_iter().map(Some)),
            Err(status) if status.code() == tonic::Code::NotFound => {
                for name in chunk {
                    out.push(read_client(profile, name).await?);
                }
            }
            Err(status) => return Err(status.into()),
        }
    }
    Ok(out)
}

async fn read_client(profile: &mut Profile, name: &str) -> anyhow::Result<Option<Client>> {
    match profile.get_client(GetClientRequest { name: name.to_owned(), read_time: None }).await {
        // A merged record resolves to its survivor: this id is gone from the portfolio.
        Ok(reply) => Ok(Some(reply.into_inner()).filter(|c| c.name == name)),
        Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
        Err(status) => Err(status.into()),
    }
}

/// The client with all its holdings (none when it is gone, deleted or merged away).
async fn snapshot(mut profile: Profile, client_id: String, client: Option<Client>) -> anyhow::Result<ProfileChange> {
    let mut holdings = Vec::new();
    if let Some(c) = client.as_ref().filter(|c| c.delete_time.is_none() && c.merged_into.is_empty()) {
        let mut page_token = String::new();
        loop {
            let request = ListHoldingsRequest { parent: c.name.clone(), page_size: 1000, page_token };
            let page = profile.list_holdings(request).await?.into_inner();
            holdings.extend(page.holdings);
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
    }
    Ok(ProfileChange::Snapshot { client_id, client, holdings })
}
