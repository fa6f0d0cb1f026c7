//! A real profile service and a scoring service on port 0, each over a fresh database of
//! the same backend, sharing one signing key, with typed clients and fixtures.

use std::time::Duration;

use crm_kit::{
    auth::{Bearer, Role},
    config::Limits,
    paging::PageTokens,
    peer::PeerAuth,
    server::{Shutdown, ShutdownTrigger},
};
use crm_profile::ProfileDeps;
use crm_proto::{
    crm::{
        profile::v1::{Client, CreateClientRequest, client_profile_service_client::ClientProfileServiceClient},
        scoring::v1::{
            ProfitabilityRecord, RecordProfitabilityRequest, ScoreClientRequest, ValueScore,
            value_scoring_service_client::ValueScoringServiceClient,
        },
    },
    google::r#type::Money,
};
use crm_scoring::ScoringDeps;
pub use crm_testkit::{Backend, conformance, reason, violations};
use crm_testkit::{TestDb, TestKeys};
use tonic::{service::interceptor::InterceptedService, transport::Channel};

pub type Scoring = ValueScoringServiceClient<InterceptedService<Channel, Bearer>>;
pub type Profile = ClientProfileServiceClient<InterceptedService<Channel, Bearer>>;

type Server = tokio::task::JoinHandle<anyhow::Result<()>>;

/// A running profile and scoring service.
pub struct TestApp {
    /// The scoring service's database (audit checks).
    pub scoring_db: crm_kit::db::Db,
    profile_channel: Channel,
    scoring_channel: Channel,
    keys: TestKeys,
    trigger: ShutdownTrigger,
    servers: Vec<Server>,
    stores: Vec<TestDb>,
}

async fn listener() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    (listener, url)
}

async fn serving(url: &str, service: &str) -> Channel {
    let channel = Channel::from_shared(url.to_owned()).expect("uri").connect_lazy();
    crm_kit::server::wait_serving(channel.clone(), service, Duration::from_secs(30)).await.expect("SERVING");
    channel
}

impl TestApp {
    /// Starts both services and waits until each reports SERVING.
    pub async fn spawn(backend: Backend) -> Self {
        let profile_db = TestDb::create(backend, "profile.db", crm_profile::store::migrations()).await;
        let scoring_db = TestDb::create(backend, "scoring.db", crm_scoring::migrations()).await;
        let keys = TestKeys::new();
        let (trigger, shutdown) = Shutdown::new();
        let (profile_listener, profile_url) = listener().await;
        let profile = ProfileDeps {
            db: profile_db.db.clone(),
            verifier: keys.verifier.clone(),
            page_tokens: PageTokens::new(uuid::Uuid::new_v4().as_bytes()),
            limits: Limits::default(),
        };
        let mut servers = vec![tokio::spawn(crm_profile::serve(profile_listener, profile, shutdown.clone()))];
        let profile_channel = serving(&profile_url, crm_profile::SERVICE_NAME).await;
        let (scoring_listener, scoring_url) = listener().await;
        let scoring = ScoringDeps {
            db: scoring_db.db.clone(),
            verifier: keys.verifier.clone(),
            page_tokens: PageTokens::new(uuid::Uuid::new_v4().as_bytes()),
            limits: Limits::default(),
            profile: crm_kit::peer::channel(&profile_url).expect("profile channel"),
            peer_auth: PeerAuth::minted(&keys.secret, "scoring").expect("peer auth"),
        };
        servers.push(tokio::spawn(crm_scoring::serve(scoring_listener, scoring, shutdown)));
        let scoring_channel = serving(&scoring_url, crm_scoring::SERVICE_NAME).await;
        Self {
            scoring_db: scoring_db.db.clone(),
            profile_channel,
            scoring_channel,
            keys,
            trigger,
            servers,
            stores: vec![profile_db, scoring_db],
        }
    }

    /// A scoring client acting as `role`/`subject`.
    pub fn scoring_as(&self, role: Role, subject: &str, portfolio: Option<&str>) -> Scoring {
        ValueScoringServiceClient::with_interceptor(
            self.scoring_channel.clone(),
            self.keys.bearer(role, subject, portfolio),
        )
    }

    pub fn admin(&self) -> Scoring {
        self.scoring_as(Role::Admin, "admin-1", None)
    }

    pub fn analyst(&self) -> Scoring {
        self.scoring_as(Role::RiskAnalyst, "ra-1", None)
    }

    pub fn rm(&self, subject: &str) -> Scoring {
        self.scoring_as(Role::RelationshipManager, subject, None)
    }

    /// A profile client as ADMIN.
    pub fn profile(&self) -> Profile {
        ClientProfileServiceClient::with_interceptor(
            self.profile_channel.clone(),
            self.keys.bearer(Role::Admin, "admin-1", None),
        )
    }

    /// Creates a client in the profile service; returns its name.
    pub async fn client(
        &self,
        display: &str,
        manager: &str,
        grade: &str,
        industry: &str,
        region: &str,
        parent: &str,
    ) -> String {
        let client = Client {
            display_name: display.into(),
            legal_name: format!("{display} Co., Ltd."),
            country_code: "CN".into(),
            industry_code: industry.into(),
            region: region.into(),
            relationship_manager: manager.into(),
            credit_grade: grade.into(),
            parent: parent.into(),
            ..Default::default()
        };
        let request = CreateClientRequest { client: Some(client), request_id: String::new() };
        self.profile().create_client(request).await.expect("client created").into_inner().name
    }

    /// Records profitability as ADMIN.
    pub async fn record(
        &self,
        client: &str,
        period: &str,
        nii: i64,
        fee: i64,
        cost: i64,
        ead: i64,
    ) -> ProfitabilityRecord {
        let request = RecordProfitabilityRequest { record: Some(record(client, period, nii, fee, cost, ead)) };
        self.admin().record_profitability(request).await.expect("recorded").into_inner()
    }

    /// Scores a client as RISK_ANALYST.
    pub async fn score(&self, client: &str) -> ValueScore {
        let request = ScoreClientRequest { name: format!("{client}/valueScore") };
        self.analyst().score_client(request).await.expect("scored").into_inner()
    }

    /// Stops both servers (draining) and removes both databases.
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

/// An amount in the default model's currency.
pub fn cny(units: i64) -> Option<Money> {
    Some(Money { currency_code: "CNY".into(), units, nanos: 0 })
}

/// A profitability record.
pub fn record(client: &str, period: &str, nii: i64, fee: i64, cost: i64, ead: i64) -> ProfitabilityRecord {
    ProfitabilityRecord {
        client: client.into(),
        period: period.into(),
        net_interest_income: cny(nii),
        fee_income: cny(fee),
        cost_to_serve: cny(cost),
        exposure_at_default: cny(ead),
        source: "test".into(),
        ..Default::default()
    }
}

/// The value of a named component.
pub fn component(score: &ValueScore, name: &str) -> String {
    score.components.iter().find(|c| c.name == name).map(|c| c.value.clone()).unwrap_or_default()
}
