//! An interaction server and a real profile server, each on port 0 over a fresh database of
//! the same backend, with typed clients. Segmentation is not running (its address refuses
//! connections) unless the app is spawned with it; value scoring likewise.

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
    profile::v1::{Client, Contact, CreateClientRequest, CreateContactRequest, UpdateClientRequest},
    scoring::v1::{
        ProfitabilityRecord, RecordProfitabilityRequest, ScoreClientRequest, Tier,
        value_scoring_service_client::ValueScoringServiceClient,
    },
};
use crm_proto::google::r#type::Money;
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
    /// The value scoring service, when spawned with it.
    pub scoring: Option<TestServer>,
}

impl TestApp {
    /// Starts profile and interaction servers and waits until both say SERVING.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, false).await
    }

    /// Like [`TestApp::spawn`], with a real segmentation service following the profile when
    /// `with_segmentation`.
    pub async fn spawn_with(backend: Backend, with_segmentation: bool) -> Self {
        Self::spawn_full(backend, with_segmentation, false).await
    }

    /// Like [`TestApp::spawn_with`], with a real value scoring service when `with_scoring`
    /// (the interaction service then follows its feed and reads tiers from it).
    pub async fn spawn_full(backend: Backend, with_segmentation: bool, with_scoring: bool) -> Self {
        let keys = TestKeys::new();
        let profile = TestProfile::start(backend, &keys).await;
        let segmentation_server =
            if with_segmentation { Some(spawn_segmentation(backend, &keys, profile.channel()).await) } else { None };
        let segmentation = segmentation_server.as_ref().map(TestServer::channel);
        let scoring = if with_scoring { Some(spawn_scoring(backend, &keys, profile.channel()).await) } else { None };
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
            scoring: scoring.as_ref().map(TestServer::channel),
            peer_auth: keys.peer_auth("interaction"),
            stream: None,
        };
        let interaction =
            TestServer::start(crm_interaction::SERVICE_NAME, deps, crm_interaction::serve).await.owning(store);
        Self { db, keys, segmentation, interaction, profile, segmentation_server, scoring }
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

    /// Sets the client's credit grade, records one period of `figures` (net interest income,
    /// fees, cost to serve, exposure at default; CNY) and scores it; returns the tier.
    pub async fn score(&self, client: &str, grade: &str, period: &str, figures: [i64; 4]) -> Tier {
        let graded = Client { name: client.into(), credit_grade: grade.into(), ..Default::default() };
        let update_mask = Some(prost_types::FieldMask { paths: vec!["credit_grade".into()] });
        self.profile().update_client(UpdateClientRequest { client: Some(graded), update_mask }).await.expect("grade");
        let channel = self.scoring.as_ref().expect("scoring runs").channel();
        let mut scoring =
            ValueScoringServiceClient::with_interceptor(channel, self.keys.bearer(Role::Admin, "admin-1", None));
        let cny = |units| Some(Money { currency_code: "CNY".into(), units, nanos: 0 });
        let record = ProfitabilityRecord {
            client: client.into(),
            period: period.into(),
            net_interest_income: cny(figures[0]),
            fee_income: cny(figures[1]),
            cost_to_serve: cny(figures[2]),
            exposure_at_default: cny(figures[3]),
            source: "test".into(),
            ..Default::default()
        };
        scoring.record_profitability(RecordProfitabilityRequest { record: Some(record) }).await.expect("recorded");
        let request = ScoreClientRequest { name: format!("{client}/valueScore") };
        let score = scoring.score_client(request).await.expect("scored").into_inner();
        Tier::try_from(score.tier).expect("a tier")
    }

    /// Scores `client` into REVIEW_FOR_EXIT: grade B, a month earning below the hurdle rate.
    pub async fn score_below_hurdle(&self, client: &str) {
        let tier = self.score(client, "B", "2026-10", [20_000, 5_000, 15_000, 5_000_000]).await;
        assert_eq!(tier, Tier::ReviewForExit);
    }

    /// Stops the servers (draining) and removes their databases.
    pub async fn finish(self) {
        self.interaction.stop().await;
        if let Some(server) = self.segmentation_server {
            server.stop().await;
        }
        if let Some(server) = self.scoring {
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
        interaction: None,
        peer_auth: keys.peer_auth("segmentation"),
        stream: None,
    };
    TestServer::start(crm_segmentation::SERVICE_NAME, deps, crm_segmentation::serve).await.owning(store)
}

/// Starts a value scoring service reading clients from `profile`.
async fn spawn_scoring(backend: Backend, keys: &TestKeys, profile: Channel) -> TestServer {
    let store = TestDb::create(backend, "scoring.db", crm_scoring::migrations()).await;
    let deps = crm_scoring::ScoringDeps {
        db: store.db.clone(),
        verifier: keys.verifier.clone(),
        page_tokens: page_tokens(),
        limits: Limits::default(),
        profile,
        peer_auth: keys.peer_auth("scoring"),
        stream: None,
    };
    TestServer::start(crm_scoring::SERVICE_NAME, deps, crm_scoring::serve).await.owning(store)
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
