//! A real profile server and a segmentation server following it (and, for the scenarios that
//! need it, a real scoring server it follows too), each on port 0 over a fresh database of
//! the same backend, with typed clients and polling helpers.

use std::{future::Future, time::Duration};

use crm_kit::{
    auth::{Bearer, Role},
    config::Limits,
    db::Db,
};
use crm_proto::crm::{
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

/// How long a test waits for the feed to deliver a change.
pub const FEED_TIMEOUT: Duration = Duration::from_secs(20);

/// The running services.
pub struct TestApp {
    pub profile_db: Db,
    pub seg_db: Db,
    keys: TestKeys,
    profile: TestProfile,
    scoring: Option<TestServer>,
    segmentation: TestServer,
}

impl TestApp {
    /// Starts the profile and segmentation services and waits until health says SERVING.
    pub async fn spawn(backend: Backend) -> Self {
        Self::start(backend, false).await
    }

    /// Starts the scoring service too, whose feed segmentation then follows.
    pub async fn spawn_with_scoring(backend: Backend) -> Self {
        Self::start(backend, true).await
    }

    async fn start(backend: Backend, with_scoring: bool) -> Self {
        let keys = TestKeys::new();
        let profile = TestProfile::start(backend, &keys).await;
        let scoring = if with_scoring { Some(start_scoring(backend, &keys, &profile).await) } else { None };
        let store = TestDb::create(backend, "segmentation.db", crm_segmentation::migrations()).await;
        let seg_db = store.db.clone();
        let deps = SegmentationDeps {
            db: seg_db.clone(),
            verifier: keys.verifier.clone(),
            page_tokens: page_tokens(),
            limits: Limits::default(),
            profile: crm_kit::peer::channel(&profile.url()).expect("profile channel"),
            scoring: scoring.as_ref().map(|s| crm_kit::peer::channel(&s.url()).expect("scoring channel")),
            peer_auth: keys.peer_auth("segmentation"),
            stream: None,
        };
        let segmentation =
            TestServer::start(crm_segmentation::SERVICE_NAME, deps, crm_segmentation::serve).await.owning(store);
        Self { profile_db: profile.db.clone(), seg_db, keys, profile, scoring, segmentation }
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

    /// Stops the servers (draining), the followers first, and removes the databases.
    pub async fn finish(self) {
        self.segmentation.stop().await;
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

/// Polls `probe` until it yields `Some`, or panics with `what` after [`FEED_TIMEOUT`].
pub async fn eventually<T, F, Fut>(what: &str, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    crm_testkit::eventually(what, FEED_TIMEOUT, probe).await
}
