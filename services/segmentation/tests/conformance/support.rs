//! A real profile server and a segmentation server following it, each on port 0 over a fresh
//! database of the same backend, with typed clients and polling helpers.

use std::{future::Future, time::Duration};

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
    profile::v1::client_profile_service_client::ClientProfileServiceClient,
    segmentation::v1::segmentation_service_client::SegmentationServiceClient,
};
use crm_segmentation::SegmentationDeps;
pub use crm_testkit::{Backend, conformance, reason, violations};
use crm_testkit::{TestDb, TestKeys};
use tonic::{service::interceptor::InterceptedService, transport::Channel};

pub type Seg = SegmentationServiceClient<InterceptedService<Channel, Bearer>>;
pub type Profile = ClientProfileServiceClient<InterceptedService<Channel, Bearer>>;

/// How long a test waits for the feed to deliver a change.
pub const FEED_TIMEOUT: Duration = Duration::from_secs(20);

/// The two running services.
pub struct TestApp {
    pub profile_db: Db,
    pub seg_db: Db,
    profile: Channel,
    segmentation: Channel,
    keys: TestKeys,
    trigger: ShutdownTrigger,
    servers: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
    stores: Vec<TestDb>,
}

async fn listen() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    (listener, url)
}

impl TestApp {
    /// Starts both services and waits until health says SERVING.
    pub async fn spawn(backend: Backend) -> Self {
        let profile_store = TestDb::create(backend, "profile.db", crm_profile::store::migrations()).await;
        let seg_store = TestDb::create(backend, "segmentation.db", crm_segmentation::migrations()).await;
        let keys = TestKeys::new();
        let (trigger, shutdown) = Shutdown::new();

        let (listener, profile_url) = listen().await;
        let deps = ProfileDeps {
            db: profile_store.db.clone(),
            verifier: keys.verifier.clone(),
            page_tokens: PageTokens::new(uuid::Uuid::new_v4().as_bytes()),
            limits: Limits::default(),
        };
        let profile_server = tokio::spawn(crm_profile::serve(listener, deps, shutdown.clone()));
        let profile = crm_kit::peer::channel(&profile_url).expect("profile channel");
        crm_kit::server::wait_serving(profile.clone(), crm_profile::SERVICE_NAME, Duration::from_secs(30))
            .await
            .expect("profile became SERVING");

        let (listener, seg_url) = listen().await;
        let deps = SegmentationDeps {
            db: seg_store.db.clone(),
            verifier: keys.verifier.clone(),
            page_tokens: PageTokens::new(uuid::Uuid::new_v4().as_bytes()),
            limits: Limits::default(),
            profile: profile.clone(),
            scoring: None,
            peer_auth: PeerAuth::minted(&keys.secret, "segmentation").expect("peer auth"),
        };
        let seg_server = tokio::spawn(crm_segmentation::serve(listener, deps, shutdown));
        let segmentation = crm_kit::peer::channel(&seg_url).expect("segmentation channel");
        crm_kit::server::wait_serving(segmentation.clone(), crm_segmentation::SERVICE_NAME, Duration::from_secs(30))
            .await
            .expect("segmentation became SERVING");
        Self {
            profile_db: profile_store.db.clone(),
            seg_db: seg_store.db.clone(),
            profile,
            segmentation,
            keys,
            trigger,
            servers: vec![seg_server, profile_server],
            stores: vec![seg_store, profile_store],
        }
    }

    /// The segmentation service as `role`.
    pub fn seg_as(&self, role: Role, subject: &str) -> Seg {
        SegmentationServiceClient::with_interceptor(self.segmentation.clone(), self.keys.bearer(role, subject, None))
    }

    /// The segmentation service as a marketing analyst (who manages schemes).
    pub fn analyst(&self) -> Seg {
        self.seg_as(Role::MarketingAnalyst, "ma-1")
    }

    /// The profile service as an administrator.
    pub fn profile(&self) -> Profile {
        ClientProfileServiceClient::with_interceptor(
            self.profile.clone(),
            self.keys.bearer(Role::Admin, "admin-1", None),
        )
    }

    /// Stops both servers (draining) and removes the databases.
    pub async fn finish(self) {
        self.trigger.fire();
        for server in self.servers {
            server.await.expect("server task").expect("server ran cleanly");
        }
        for store in self.stores {
            store.remove().await;
        }
    }
}

/// Polls `probe` until it yields `Some`, or panics with `what` after [`FEED_TIMEOUT`].
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + FEED_TIMEOUT;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
