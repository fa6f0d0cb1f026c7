//! A real profile server and a segmentation server following it (and, for the scenarios that
//! need them, a real scoring or interaction server it follows too), each on port 0 over a
//! fresh database of the same backend, with typed clients and polling helpers.

use std::{future::Future, time::Duration};

use crm_interaction::InteractionDeps;
use crm_kit::{
    auth::{Bearer, Role},
    config::Limits,
    db::Db,
};
use crm_proto::crm::{
    interaction::v1::interaction_service_client::InteractionServiceClient,
    scoring::v1::value_scoring_service_client::ValueScoringServiceClient,
    segmentation::v1::segmentation_service_client::SegmentationServiceClient,
};
use crm_scoring::ScoringDeps;
use crm_segmentation::SegmentationDeps;
pub use crm_testkit::{Backend, conformance, reason, violations};
use crm_testkit::{ProfileClient, TestDb, TestKeys, TestProfile, TestServer, page_tokens};
use tonic::{service::interceptor::InterceptedService, transport::Channel};

pub type Seg = SegmentationServiceClient<InterceptedService<Channel, Bearer>>;
pub type Scoring = ValueScoringServiceClient<InterceptedService<Channel, Bearer>>;
pub type Interaction = InteractionServiceClient<InterceptedService<Channel, Bearer>>;

/// How long a test waits for the feed to deliver a change.
pub const FEED_TIMEOUT: Duration = Duration::from_secs(20);

/// The running services.
pub struct TestApp {
    pub profile_db: Db,
    pub seg_db: Db,
    keys: TestKeys,
    profile: TestProfile,
    scoring: Option<TestServer>,
    interaction: Option<TestServer>,
    segmentation: TestServer,
}

impl TestApp {
    /// Starts the profile and segmentation services and waits until health says SERVING.
    pub async fn spawn(backend: Backend) -> Self {
        Self::start(backend, false, false).await
    }

    /// Starts the interaction service too, whose feed (and contactability) segmentation
    /// then follows.
    pub async fn spawn_with_interaction(backend: Backend) -> Self {
        Self::start(backend, false, true).await
    }

    /// Starts the scoring service too, whose feed segmentation then follows.
    pub async fn spawn_with_scoring(backend: Backend) -> Self {
        Self::start(backend, true, false).await
    }

    async fn start(backend: Backend, with_scoring: bool, with_interaction: bool) -> Self {
        let keys = TestKeys::new();
        let profile = TestProfile::start(backend, &keys).await;
        let scoring = if with_scoring { Some(start_scoring(backend, &keys, &profile).await) } else { None };
        // Interaction and segmentation are each other's peers: segmentation's port is bound first.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let seg_url = format!("http://{}", listener.local_addr().expect("addr"));
        let interaction =
            if with_interaction { Some(start_interaction(backend, &keys, &profile, &seg_url).await) } else { None };
        let store = TestDb::create(backend, "segmentation.db", crm_segmentation::migrations()).await;
        let seg_db = store.db.clone();
        let deps = SegmentationDeps {
            db: seg_db.clone(),
            verifier: keys.verifier.clone(),
            page_tokens: page_tokens(),
            limits: Limits::default(),
            profile: crm_kit::peer::channel(&profile.url()).expect("profile channel"),
            scoring: scoring.as_ref().map(|s| crm_kit::peer::channel(&s.url()).expect("scoring channel")),
            interaction: interaction.as_ref().map(|s| crm_kit::peer::channel(&s.url()).expect("interaction channel")),
            peer_auth: keys.peer_auth("segmentation"),
            stream: None,
        };
        let segmentation =
            TestServer::start_on(listener, crm_segmentation::SERVICE_NAME, deps, crm_segmentation::serve)
                .await
                .owning(store);
        Self { profile_db: profile.db.clone(), seg_db, keys, profile, scoring, interaction, segmentation }
    }

    /// The segmentation service as `role`.
    pub fn seg_as(&self, role: Role, subject: &str) -> Seg {
        SegmentationServiceClient::with_interceptor(self.segmentation.channel(), self.keys.bearer(role, subject, None))
    }

    /// The segmentation service as a marketing analyst (who manages schemes).
    pub fn analyst(&self) -> Seg {
        self.seg_as(Role::MarketingAnalyst, "ma-1")
    }

    /// The profile service as an administrator.
    pub fn profile(&self) -> ProfileClient {
        self.profile.client(self.keys.bearer(Role::Admin, "admin-1", None))
    }

    /// The scoring service as `role` (only when started with [`TestApp::spawn_with_scoring`]).
    pub fn scoring_as(&self, role: Role, subject: &str) -> Scoring {
        let scoring = self.scoring.as_ref().expect("started with the scoring service");
        ValueScoringServiceClient::with_interceptor(scoring.channel(), self.keys.bearer(role, subject, None))
    }

    /// The interaction service as `role` (only when started with
    /// [`TestApp::spawn_with_interaction`]).
    pub fn interaction_as(&self, role: Role, subject: &str) -> Interaction {
        let interaction = self.interaction.as_ref().expect("started with the interaction service");
        InteractionServiceClient::with_interceptor(interaction.channel(), self.keys.bearer(role, subject, None))
    }

    /// Stops the servers (draining), the followers first, and removes the databases.
    pub async fn finish(self) {
        self.segmentation.stop().await;
        if let Some(interaction) = self.interaction {
            interaction.stop().await;
        }
        if let Some(scoring) = self.scoring {
            scoring.stop().await;
        }
        self.profile.stop().await;
    }
}

/// The real scoring service over a fresh database, reading clients from `profile`.
async fn start_scoring(backend: Backend, keys: &TestKeys, profile: &TestProfile) -> TestServer {
    let store = TestDb::create(backend, "scoring.db", crm_scoring::migrations()).await;
    let deps = ScoringDeps {
        db: store.db.clone(),
        verifier: keys.verifier.clone(),
        page_tokens: page_tokens(),
        limits: Limits::default(),
        profile: crm_kit::peer::channel(&profile.url()).expect("profile channel"),
        peer_auth: keys.peer_auth("scoring"),
        stream: None,
    };
    TestServer::start(crm_scoring::SERVICE_NAME, deps, crm_scoring::serve).await.owning(store)
}

/// The real interaction service over a fresh database, reading clients from `profile` and
/// recommendations from segmentation at `segmentation`.
async fn start_interaction(backend: Backend, keys: &TestKeys, profile: &TestProfile, segmentation: &str) -> TestServer {
    let store = TestDb::create(backend, "interaction.db", crm_interaction::migrations()).await;
    let deps = InteractionDeps {
        db: store.db.clone(),
        verifier: keys.verifier.clone(),
        page_tokens: page_tokens(),
        limits: Limits::default(),
        profile: crm_kit::peer::channel(&profile.url()).expect("profile channel"),
        segmentation: crm_kit::peer::channel(segmentation).expect("segmentation channel"),
        scoring: None,
        peer_auth: keys.peer_auth("interaction"),
        stream: None,
    };
    TestServer::start(crm_interaction::SERVICE_NAME, deps, crm_interaction::serve).await.owning(store)
}

/// Polls `probe` until it yields `Some`, or panics with `what` after [`FEED_TIMEOUT`].
pub async fn eventually<T, F, Fut>(what: &str, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    crm_testkit::eventually(what, FEED_TIMEOUT, probe).await
}
