//! An interaction server and a real profile server, each on port 0 over a fresh database of
//! the same backend, with typed clients. Segmentation is not running (its address refuses
//! connections) unless the app is spawned with it.

use std::{future::Future, time::Duration};

use crm_interaction::InteractionDeps;
use crm_kit::{
    auth::{Bearer, Role},
    config::Limits,
    db::Db,
    paging::PageTokens,
    peer::PeerAuth,
    server::{Shutdown, ShutdownTrigger},
};
use crm_profile::ProfileDeps;
use crm_proto::crm::{
    interaction::v1::interaction_service_client::InteractionServiceClient,
    profile::v1::{
        Client, Contact, CreateClientRequest, CreateContactRequest,
        client_profile_service_client::ClientProfileServiceClient,
    },
};
pub use crm_testkit::{Backend, conformance, reason, violations};
use crm_testkit::{TestDb, TestKeys};
use tonic::{service::interceptor::InterceptedService, transport::Channel};

pub type Api = InteractionServiceClient<InterceptedService<Channel, Bearer>>;
pub type Profile = ClientProfileServiceClient<InterceptedService<Channel, Bearer>>;

struct Server {
    trigger: ShutdownTrigger,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    store: TestDb,
}

impl Server {
    async fn stop(self) {
        self.trigger.fire();
        self.task.await.expect("server task").expect("server ran cleanly");
        self.store.remove().await;
    }
}

/// A running interaction service with its profile service.
pub struct TestApp {
    pub channel: Channel,
    pub profile_channel: Channel,
    pub db: Db,
    pub keys: TestKeys,
    /// The segmentation service, when spawned with it.
    pub segmentation: Option<Channel>,
    interaction: Server,
    profile: Server,
    segmentation_server: Option<Server>,
}

async fn listen() -> (tokio::net::TcpListener, Channel) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let addr = listener.local_addr().expect("addr");
    (listener, Channel::from_shared(format!("http://{addr}")).expect("uri").connect_lazy())
}

/// A channel to an address where nothing listens (the port was bound, then released).
async fn nowhere() -> Channel {
    let (listener, channel) = listen().await;
    drop(listener);
    channel
}

impl TestApp {
    /// Starts profile and interaction servers and waits until both say SERVING.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, false).await
    }

    /// Like [`TestApp::spawn`], with a real segmentation service following the profile when
    /// `with_segmentation`.
    pub async fn spawn_with(backend: Backend, with_segmentation: bool) -> Self {
        let keys = TestKeys::new();
        let profile_store = TestDb::create(backend, "profile.db", crm_profile::store::migrations()).await;
        let (listener, profile_channel) = listen().await;
        let deps = ProfileDeps {
            db: profile_store.db.clone(),
            verifier: keys.verifier.clone(),
            page_tokens: PageTokens::new(uuid::Uuid::new_v4().as_bytes()),
            limits: Limits::default(),
        };
        let (trigger, shutdown) = Shutdown::new();
        let task = tokio::spawn(crm_profile::serve(listener, deps, shutdown));
        let profile = Server { trigger, task, store: profile_store };

        let (segmentation, segmentation_server) = if with_segmentation {
            let (channel, server) = spawn_segmentation(backend, &keys, profile_channel.clone()).await;
            (Some(channel), Some(server))
        } else {
            (None, None)
        };
        let store = TestDb::create(backend, "interaction.db", crm_interaction::migrations()).await;
        let (listener, channel) = listen().await;
        let deps = InteractionDeps {
            db: store.db.clone(),
            verifier: keys.verifier.clone(),
            page_tokens: PageTokens::new(uuid::Uuid::new_v4().as_bytes()),
            limits: Limits::default(),
            profile: profile_channel.clone(),
            segmentation: match &segmentation {
                Some(channel) => channel.clone(),
                None => nowhere().await,
            },
            peer_auth: PeerAuth::minted(&keys.secret, "interaction").expect("peer auth"),
        };
        let db = store.db.clone();
        let (trigger, shutdown) = Shutdown::new();
        let task = tokio::spawn(crm_interaction::serve(listener, deps, shutdown));
        let interaction = Server { trigger, task, store };
        let timeout = Duration::from_secs(30);
        crm_kit::server::wait_serving(profile_channel.clone(), crm_profile::SERVICE_NAME, timeout)
            .await
            .expect("profile SERVING");
        crm_kit::server::wait_serving(channel.clone(), crm_interaction::SERVICE_NAME, timeout)
            .await
            .expect("interaction SERVING");
        Self { channel, profile_channel, db, keys, segmentation, interaction, profile, segmentation_server }
    }

    /// An interaction client acting as `role`/`subject`.
    pub fn client_as(&self, role: Role, subject: &str, portfolio: Option<&str>) -> Api {
        InteractionServiceClient::with_interceptor(self.channel.clone(), self.keys.bearer(role, subject, portfolio))
    }

    pub fn admin(&self) -> Api {
        self.client_as(Role::Admin, "admin-1", None)
    }

    pub fn rm(&self, subject: &str) -> Api {
        self.client_as(Role::RelationshipManager, subject, None)
    }

    pub fn agent(&self) -> Api {
        self.client_as(Role::ContactCentreAgent, "cc-1", None)
    }

    /// A profile client acting as ADMIN.
    pub fn profile(&self) -> Profile {
        ClientProfileServiceClient::with_interceptor(
            self.profile_channel.clone(),
            self.keys.bearer(Role::Admin, "admin-1", None),
        )
    }

    /// Creates a client in `rm`'s portfolio; returns its name.
    pub async fn new_client(&self, display: &str, rm: &str) -> String {
        self.new_client_in(display, rm, "4690").await
    }

    /// Creates a client of ISIC class `industry` in `rm`'s portfolio; returns its name.
    pub async fn new_client_in(&self, display: &str, rm: &str, industry: &str) -> String {
        let client = Client {
            display_name: display.into(),
            legal_name: format!("{display} Limited"),
            registration_number: uuid::Uuid::new_v4().simple().to_string()[..10].to_uppercase(),
            country_code: "GB".into(),
            industry_code: industry.into(),
            relationship_manager: rm.into(),
            ..Default::default()
        };
        let request = CreateClientRequest { client: Some(client), request_id: String::new() };
        self.profile().create_client(request).await.expect("create client").into_inner().name
    }

    /// Adds a contact with an e-mail address and a phone number; returns its name.
    pub async fn new_contact(&self, client: &str, email: &str, phone: &str) -> String {
        let contact = Contact {
            display_name: "Li Wei".into(),
            job_title: "CFO".into(),
            email: email.into(),
            phone: phone.into(),
            ..Default::default()
        };
        let request = CreateContactRequest { parent: client.into(), contact: Some(contact), request_id: String::new() };
        self.profile().create_contact(request).await.expect("create contact").into_inner().name
    }

    /// Stops the servers (draining) and removes their databases.
    pub async fn finish(self) {
        self.interaction.stop().await;
        if let Some(server) = self.segmentation_server {
            server.stop().await;
        }
        self.profile.stop().await;
    }
}

/// Starts a segmentation service that follows the profile at `profile`.
async fn spawn_segmentation(backend: Backend, keys: &TestKeys, profile: Channel) -> (Channel, Server) {
    let store = TestDb::create(backend, "segmentation.db", crm_segmentation::migrations()).await;
    let (listener, channel) = listen().await;
    let deps = crm_segmentation::SegmentationDeps {
        db: store.db.clone(),
        verifier: keys.verifier.clone(),
        page_tokens: PageTokens::new(uuid::Uuid::new_v4().as_bytes()),
        limits: Limits::default(),
        profile,
        scoring: None,
        peer_auth: PeerAuth::minted(&keys.secret, "segmentation").expect("peer auth"),
    };
    let (trigger, shutdown) = Shutdown::new();
    let task = tokio::spawn(crm_segmentation::serve(listener, deps, shutdown));
    crm_kit::server::wait_serving(channel.clone(), crm_segmentation::SERVICE_NAME, Duration::from_secs(30))
        .await
        .expect("segmentation SERVING");
    (channel, Server { trigger, task, store })
}

/// Polls `probe` until it yields `Some`; panics naming `what` after 30 s.
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
