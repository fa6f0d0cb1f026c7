//! A real profile service and a scoring service on port 0, each over a fresh database of
//! the same backend, sharing one signing key, with typed clients and fixtures.

use crm_kit::{
    auth::{Bearer, Role},
    config::Limits,
};
use crm_proto::{
    crm::{
        profile::v1::{Client, CreateClientRequest},
        scoring::v1::{
            ChangeEvent, ProfitabilityRecord, RecordProfitabilityRequest, ScoreClientRequest, ValueScore,
            WatchChangesRequest, value_scoring_service_client::ValueScoringServiceClient,
        },
    },
    google::r#type::Money,
};
use crm_scoring::ScoringDeps;
pub use crm_testkit::{Backend, conformance, eventually, reason, violations};
use crm_testkit::{ProfileClient, TestDb, TestKeys, TestProfile, TestServer, page_tokens};
use tonic::{service::interceptor::InterceptedService, transport::Channel};

pub type Scoring = ValueScoringServiceClient<InterceptedService<Channel, Bearer>>;

/// A running profile and scoring service.
pub struct TestApp {
    /// The scoring service's database (audit checks).
    pub scoring_db: crm_kit::db::Db,
    keys: TestKeys,
    profile: TestProfile,
    scoring: TestServer,
}

impl TestApp {
    /// Starts both services and waits until each reports SERVING.
    pub async fn spawn(backend: Backend) -> Self {
        let keys = TestKeys::new();
        let profile = TestProfile::start(backend, &keys).await;
        let store = TestDb::create(backend, "scoring.db", crm_scoring::migrations()).await;
        let scoring_db = store.db.clone();
        let deps = ScoringDeps {
            db: scoring_db.clone(),
            verifier: keys.verifier.clone(),
            page_tokens: page_tokens(),
            limits: Limits::default(),
            profile: crm_kit::peer::channel(&profile.url()).expect("profile channel"),
            peer_auth: keys.peer_auth("scoring"),
            stream: None,
        };
        let scoring = TestServer::start(crm_scoring::SERVICE_NAME, deps, crm_scoring::serve).await.owning(store);
        Self { scoring_db, keys, profile, scoring }
    }

    /// A scoring client acting as `role`/`subject`.
    pub fn scoring_as(&self, role: Role, subject: &str, portfolio: Option<&str>) -> Scoring {
        ValueScoringServiceClient::with_interceptor(self.scoring.channel(), self.keys.bearer(role, subject, portfolio))
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

    /// The scoring change feed from the start, read as the segmentation peer reads it.
    pub async fn changes(&self) -> tonic::Streaming<ChangeEvent> {
        self.scoring_as(Role::Channel, "svc:segmentation", None)
            .watch_changes(WatchChangesRequest { after_sequence: 0 })
            .await
            .expect("watch")
            .into_inner()
    }

    /// A profile client as ADMIN.
    pub fn profile(&self) -> ProfileClient {
        self.profile.client(self.keys.bearer(Role::Admin, "admin-1", None))
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

    /// Stops both servers (draining), scoring first, and removes both databases.
    pub async fn finish(self) {
        self.scoring.stop().await;
        self.profile.stop().await;
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
