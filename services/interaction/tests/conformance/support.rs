//! An interaction server and a real profile server, each on port 0 over a fresh database of
//! the same backend, with typed clients. Segmentation is not running (its address refuses
//! connections) unless the app is spawned with it.

use std::{future::Future, time::Duration};

use crm_interaction::InteractionDeps;
use crm_kit::{
    auth::{Bearer, Role},
    config::Limits,
    db::Db,
};
use crm_proto::crm::{
    interaction::v1::{
        Channel as ContactChannel, ContactPurpose, Contactability, ContactabilityReason,
        interaction_service_client::InteractionServiceClient,
    },
    profile::v1::{Client, Contact, CreateClientRequest, CreateContactRequest},
};
pub use crm_testkit::{Backend, conformance, reason, violations};
use crm_testkit::{ProfileClient, TestDb, TestKeys, TestProfile, TestServer, page_tokens};
use tonic::{service::interceptor::InterceptedService, transport::Channel};

pub type Api = InteractionServiceClient<InterceptedService<Channel, Bearer>>;

/// A running interaction service with its profile service.
pub struct TestApp {
    pub db: Db,
    pub keys: TestKeys,
    /// The segmentation service, when spawned with it.
    pub segmentation: Option<Channel>,
    interaction: TestServer,
    profile: TestProfile,
    segmentation_server: Option<TestServer>,
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
        let profile = TestProfile::start(backend, &keys).await;
        let segmentation_server =
            if with_segmentation { Some(spawn_segmentation(backend, &keys, profile.channel()).await) } else { None };
        let segmentation = segmentation_server.as_ref().map(TestServer::channel);
        let store = TestDb::create(backend, "interaction.db", crm_interaction::migrations()).await;
        let db = store.db.clone();
        let deps = InteractionDeps {
            db: db.clone(),
            verifier: keys.verifier.clone(),
            page_tokens: page_tokens(),
            limits: Limits::default(),
            profile: profile.channel(),
            segmentation: match &segmentation {
                Some(channel) => channel.clone(),
                None => crm_testkit::nowhere().await,
            },
            peer_auth: keys.peer_auth("interaction"),
            stream: None,
        };
        let interaction =
            TestServer::start(crm_interaction::SERVICE_NAME, deps, crm_interaction::serve).await.owning(store);
        Self { db, keys, segmentation, interaction, profile, segmentation_server }
    }

    /// An interaction client acting as `role`/`subject`.
    pub fn client_as(&self, role: Role, subject: &str, portfolio: Option<&str>) -> Api {
        InteractionServiceClient::with_interceptor(
            self.interaction.channel(),
            self.keys.bearer(role, subject, portfolio),
        )
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
    pub fn profile(&self) -> ProfileClient {
        self.profile.client(self.keys.bearer(Role::Admin, "admin-1", None))
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
async fn spawn_segmentation(backend: Backend, keys: &TestKeys, profile: Channel) -> TestServer {
    let store = TestDb::create(backend, "segmentation.db", crm_segmentation::migrations()).await;
    let deps = crm_segmentation::SegmentationDeps {
        db: store.db.clone(),
        verifier: keys.verifier.clone(),
        page_tokens: page_tokens(),
        limits: Limits::default(),
        profile,
        scoring: None,
        peer_auth: keys.peer_auth("segmentation"),
        stream: None,
    };
    TestServer::start(crm_segmentation::SERVICE_NAME, deps, crm_segmentation::serve).await.owning(store)
}

/// The permission of one purpose and channel in a contactability view: (allowed, reason).
pub fn permission(
    view: &Contactability,
    purpose: ContactPurpose,
    channel: ContactChannel,
) -> (bool, ContactabilityReason) {
    let p = view
        .permissions
        .iter()
        .find(|p| p.purpose == purpose as i32 && p.channel == channel as i32)
        .expect("evaluated");
    (p.allowed, ContactabilityReason::try_from(p.reason).expect("reason"))
}

/// Polls `probe` until it yields `Some`; panics naming `what` after 30 s. Probes fail the
/// test at once on an unexpected error rather than waiting it out.
pub async fn eventually<T, F, Fut>(what: &str, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    crm_testkit::eventually(what, Duration::from_secs(30), probe).await
}
