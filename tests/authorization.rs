//! The authorisation matrix: every RPC of every service in the contract × every role × a
//! client in the caller's own portfolio and one in another's × gRPC and REST, all through
//! the gateway. Each cell asserts PERMISSION_DENIED (HTTP 403) where the table below denies,
//! and anything else where it allows.
//!
//! The RPCs come from the descriptor set, not from this file: an RPC added to the contract
//! without a row here fails the test, so its access rule has to be written down.

use std::{collections::BTreeMap, sync::atomic::AtomicU64, time::Duration};

use bytes::Bytes;
use crm_e2e::{Running, start};
use crm_gateway::backends::RawCodec;
use crm_kit::auth::Role;
use futures::StreamExt as _;
use http::{Method, StatusCode};
use http_body_util::Full;
use hyper_util::{client::legacy::Client as HttpClient, rt::TokioExecutor};
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, MethodDescriptor};
use serde_json::{Value, json};
use tonic::{Code, Status};

use Role::{
    Admin, Channel as Chan, ContactCentreAgent as Agent, KeyAccountManager as Kam, MarketingAnalyst as Marketing,
    RelationshipManager as Rm, RiskAnalyst as Risk,
};

/// The managers' book; every other client belongs to [`OTHER_BOOK`].
const OWN_BOOK: &str = "book-own";
const OTHER_BOOK: &str = "book-other";
/// Cells of one RPC called at once.
const CONCURRENT_CELLS: usize = 4;
/// How long a stream may stay silent before it counts as opened (not refused).
const STREAM_GRACE: Duration = Duration::from_millis(1500);

/// Who may call an RPC.
#[derive(Clone, Copy, Debug)]
enum Access {
    /// Every authenticated role.
    Everyone,
    /// Every role but these.
    AllBut(&'static [Role]),
    /// Only these roles.
    Only(&'static [Role]),
    /// These roles, managers (relationship and key-account) only for their own portfolio.
    Portfolio(&'static [Role]),
}

impl Access {
    fn allows(self, role: Role, own: bool) -> bool {
        match self {
            Access::Everyone => true,
            Access::AllBut(roles) => !roles.contains(&role),
            Access::Only(roles) => roles.contains(&role),
            Access::Portfolio(roles) => roles.contains(&role) && (own || !matches!(role, Rm | Kam)),
        }
    }
}

const PROFILE_WRITERS: &[Role] = &[Admin, Chan, Rm, Kam];
const SCORING_WRITERS: &[Role] = &[Admin, Risk, Chan, Rm, Kam];
const INTERACTION_WRITERS: &[Role] = &[Admin, Chan, Rm, Kam, Agent];
const FEED_READERS: &[Role] = &[Admin, Chan];
const SCHEME_MANAGERS: &[Role] = &[Marketing, Admin];

/// What a cell calls with: the client of its portfolio case and the resources made for it.
#[derive(Clone, Debug, Default)]
struct Subject {
    client: String,
    second: String,
    registration: String,
    contact: String,
    case: String,
    interaction: String,
    plan: String,
    book: &'static str,
}

/// Resources not tied to a portfolio.
#[derive(Clone, Debug, Default)]
struct Shared {
    scheme: String,
    activation: String,
    content: String,
    run: String,
    model: Value,
}

static UNIQUE: AtomicU64 = AtomicU64::new(0);

fn unique() -> u64 {
    UNIQUE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn money(units: i64) -> Value {
    json!({"currencyCode": "GBP", "units": units.to_string()})
}

fn new_client(book: &str) -> Value {
    let n = unique();
    json!({
        "displayName": format!("Matrix {n}"),
        "legalName": format!("Matrix {n} Limited"),
        "registrationNumber": format!("MX{n:06}"),
        "countryCode": "GB",
        "industryCode": "4690",
        "relationshipManager": book,
    })
}

fn scheme() -> Value {
    json!({
        "displayName": format!("Matrix scheme {}", unique()),
        "bases": ["SEGMENTATION_BASIS_INDUSTRY"],
        "segments": [{"segmentId": "all", "displayName": "All", "rule": "true"}],
    })
}

fn record(client: &str) -> Value {
    json!({
        "client": client, "period": "2025",
        "netInterestIncome": money(100_000), "feeIncome": money(20_000),
        "costToServe": money(30_000), "exposureAtDefault": money(1_000_000),
    })
}

/// The access rule and a valid request of every RPC, by `Service/Method`; `None` for an RPC
/// this table does not know.
fn row(method: &str, s: &Subject, sh: &Shared) -> Option<(Access, Value)> {
    use Access::*;
    let c = s.client.as_str();
    let (service, rpc) = method.split_once('/')?;
    let short = service.rsplit('.').next()?;
    Some(match (short, rpc) {
        ("ClientProfileService", rpc) => match rpc {
            "CreateClient" => (Portfolio(PROFILE_WRITERS), json!({"client": new_client(s.book)})),
            "ImportClients" => (Only(&[Admin, Chan]), json!({"clients": [{"client": new_client(s.book)}]})),
            "GetClient" => (Everyone, json!({"name": c})),
            "BatchGetClients" => (Everyone, json!({"names": [c]})),
            "ListClients" => (Everyone, json!({})),
            "UpdateClient" => (
                Portfolio(PROFILE_WRITERS),
                json!({"client": {"name": c, "displayName": format!("Renamed {}", unique())}, "updateMask": "displayName"}),
            ),
            "DeleteClient" => (Portfolio(PROFILE_WRITERS), json!({"name": c})),
            "UndeleteClient" => (Portfolio(PROFILE_WRITERS), json!({"name": c})),
            "EraseClient" => (Only(&[Admin]), json!({"name": c, "reason": "DSR-matrix"})),
            "LookupClient" => (Everyone, json!({"registrationNumber": s.registration, "countryCode": "GB"})),
            "SearchClients" => (Everyone, json!({"query": "Matrix"})),
            "FindDuplicateClients" => (Everyone, json!({})),
            "MergeClients" => (Portfolio(PROFILE_WRITERS), json!({"survivor": c, "duplicate": s.second})),
            "ListClientRevisions" => (Everyone, json!({"name": c})),
            "GetClientGroup" => (Everyone, json!({"name": c})),
            "CreateContact" => {
                (Portfolio(PROFILE_WRITERS), json!({"parent": c, "contact": {"displayName": "Ann Lee"}}))
            }
            "UpdateContact" => (
                Portfolio(PROFILE_WRITERS),
                json!({"contact": {"name": s.contact, "jobTitle": "CFO"}, "updateMask": "jobTitle"}),
            ),
            "DeleteContact" => (Portfolio(PROFILE_WRITERS), json!({"name": s.contact})),
            "ListContacts" => (Everyone, json!({"parent": c})),
            "UpsertHolding" => (
                Portfolio(PROFILE_WRITERS),
                json!({"parent": c, "holding": {
                    "productCode": "DEP-01", "productLine": "PRODUCT_LINE_DEPOSITS",
                    "accountNumber": format!("GB{:08}", unique()),
                }}),
            ),
            "ListHoldings" => (Everyone, json!({"parent": c})),
            "CreateFinancialStatement" => (
                Portfolio(PROFILE_WRITERS),
                json!({"parent": c, "financialStatement": {
                    "period": format!("FY{}", 1990 + unique() % 30), "periodEndTime": "2024-12-31T00:00:00Z",
                    "revenue": money(5_000_000),
                }}),
            ),
            "ListFinancialStatements" => (Everyone, json!({"parent": c})),
            "WatchChanges" => (Only(FEED_READERS), json!({})),
            _ => return None,
        },
        ("ValueScoringService", rpc) => match rpc {
            "GetValueModel" => (Everyone, json!({"name": "valueModels/current"})),
            "UpdateValueModel" => {
                let mut model = sh.model.clone();
                model["description"] = json!(format!("Matrix {}", unique()));
                (Only(&[Admin, Risk]), json!({"valueModel": model}))
            }
            "RecordProfitability" => (Portfolio(SCORING_WRITERS), json!({"record": record(c)})),
            "ImportProfitability" => (Portfolio(SCORING_WRITERS), json!({"records": [record(c)]})),
            "ListProfitabilityRecords" => (AllBut(&[Agent]), json!({"parent": c})),
            "ScoreClient" => (Portfolio(SCORING_WRITERS), json!({"name": format!("{c}/valueScore")})),
            "GetValueScore" => (Everyone, json!({"name": format!("{c}/valueScore")})),
            "ListValueScores" => (Everyone, json!({})),
            "ScorePortfolio" => (Only(&[Admin, Risk, Chan]), json!({})),
            "GetScoringRun" => (Everyone, json!({"name": sh.run})),
            "GetGroupValue" => (Everyone, json!({"name": format!("{c}/groupValue")})),
            "QuoteLoanPrice" => (AllBut(&[Agent]), json!({"client": c, "amount": money(1_000_000), "tenorMonths": 12})),
            "WatchChanges" => (Only(FEED_READERS), json!({})),
            _ => return None,
        },
        ("SegmentationService", rpc) => match rpc {
            "CreateScheme" => (Only(SCHEME_MANAGERS), json!({"scheme": scheme()})),
            "GetScheme" => (Everyone, json!({"name": sh.scheme})),
            "ListSchemes" => (Everyone, json!({})),
            "UpdateScheme" => (
                Only(SCHEME_MANAGERS),
                json!({"scheme": {"name": sh.scheme, "description": format!("d{}", unique())}, "updateMask": "description"}),
            ),
            "PreviewScheme" => (Only(SCHEME_MANAGERS), json!({"name": sh.scheme})),
            "ActivateScheme" => (Only(SCHEME_MANAGERS), json!({"name": sh.scheme})),
            "GetActivation" => (Everyone, json!({"name": sh.activation})),
            "RetireScheme" => (Only(SCHEME_MANAGERS), json!({"name": sh.scheme})),
            "GetClientSegments" => (Everyone, json!({"client": c})),
            "ListSegmentMembers" => (Everyone, json!({"segment": format!("{}/segments/all", sh.scheme)})),
            "GetSchemeReport" => (Everyone, json!({"name": sh.scheme})),
            "EvaluateTargetMarkets" => (AllBut(&[Agent]), json!({"name": sh.scheme})),
            "SelectTargetMarkets" => (
                Only(SCHEME_MANAGERS),
                json!({"name": sh.scheme, "segments": [format!("{}/segments/all", sh.scheme)], "rationale": "matrix",
                "marketingMixes": {format!("{}/segments/all", sh.scheme): {
                    "products": ["CASH_MANAGEMENT"], "price": "list", "promotion": "RM visits",
                    "channels": ["RM_VISIT"], "responsibleTeam": "Corporate desk",
                }}}),
            ),
            _ => return None,
        },
        ("InteractionService", rpc) => match rpc {
            "LogInteraction" => (
                Portfolio(INTERACTION_WRITERS),
                json!({"parent": c, "interaction": {
                    "channel": "CHANNEL_RM_VISIT", "direction": "DIRECTION_INBOUND",
                    "kind": "INTERACTION_KIND_VISIT_REPORT", "occurTime": "2026-01-05T10:00:00Z", "summary": "Met",
                }}),
            ),
            "GetInteraction" => (Everyone, json!({"name": s.interaction})),
            "ListInteractions" => (Everyone, json!({"parent": c})),
            "StreamTimeline" => (Everyone, json!({"parent": c})),
            "OpenCase" => (
                Portfolio(INTERACTION_WRITERS),
                json!({"parent": c, "case": {"title": "Card blocked", "category": "CASE_CATEGORY_PAYMENT_ISSUE"}}),
            ),
            "GetCase" => (Everyone, json!({"name": s.case})),
            "UpdateCase" => (
                Portfolio(INTERACTION_WRITERS),
                json!({"case": {"name": s.case, "description": format!("d{}", unique())}, "updateMask": "description"}),
            ),
            "ListCases" => (Everyone, json!({"parent": c})),
            "SetChannelPreference" => (
                Portfolio(INTERACTION_WRITERS),
                json!({"parent": c, "channelPreference": {
                    "allPurposes": true, "allChannels": true, "consent": "CONSENT_STATUS_GRANTED",
                }}),
            ),
            "ListChannelPreferences" => (Everyone, json!({"parent": c})),
            "GetContactability" => (Everyone, json!({"name": format!("{c}/contactability")})),
            "ListRecommendations" => (Everyone, json!({"parent": c})),
            "CreateContentItem" => (
                Only(&[Admin, Marketing]),
                json!({"contentItem": {"kind": "CONTENT_KIND_FACT_SHEET", "headline": "Deposit rates"}}),
            ),
            "GetContentItem" => (Everyone, json!({"name": sh.content})),
            "UpdateContentItem" => (
                Only(&[Admin, Marketing]),
                json!({"contentItem": {"name": sh.content, "body": format!("b{}", unique())}, "updateMask": "body"}),
            ),
            "RenderContent" => (Everyone, json!({"name": sh.content, "channel": "CHANNEL_EMAIL"})),
            "CreateAccountPlan" => (
                Portfolio(&[Admin, Kam]),
                json!({"parent": c, "accountPlan": {
                    "title": "Grow trade finance",
                    "objectives": [{"description": "Double trade finance volume"}],
                    "team": [{"staffId": "kam-1", "role": "lead"}],
                    "reviewTime": "2027-06-30T00:00:00Z",
                }}),
            ),
            "UpdateAccountPlan" => (
                Portfolio(&[Admin, Kam]),
                json!({"accountPlan": {"name": s.plan, "title": format!("t{}", unique())}, "updateMask": "title"}),
            ),
            "ListAccountPlans" => (Everyone, json!({"parent": c})),
            // No review is open for the matrix's clients: an allowed call is NOT_FOUND, a
            // refused one PERMISSION_DENIED (permission is decided before existence).
            "GetExitReview" => (Everyone, json!({"name": format!("{c}/exitReviews/none")})),
            "ListExitReviews" => (Everyone, json!({"parent": c})),
            "DecideExitReview" => (
                Portfolio(&[Admin, Rm, Kam]),
                json!({"name": format!("{c}/exitReviews/none"), "decision": "EXIT_DECISION_REPRICE", "reasons": ["r"]}),
            ),
            "WatchChanges" => (Only(FEED_READERS), json!({})),
            _ => return None,
        },
        ("ClientViewService", "GetClient360") => (Everyone, json!({"name": c})),
        // Each service keeps its trail; the calls go round all four.
        ("AuditService", "ListAuditEvents") => {
            let service = ["profile", "segmentation", "scoring", "interaction"][(unique() % 4) as usize];
            (Only(&[Admin]), json!({"service": service, "client": c}))
        }
        _ => return None,
    })
}

/// Every RPC of the suite's services in the descriptor set.
fn every_rpc(pool: &DescriptorPool) -> Vec<MethodDescriptor> {
    pool.services()
        .filter(|s| s.full_name().starts_with("crm."))
        .flat_map(|s| s.methods().collect::<Vec<_>>())
        .collect()
}

fn method_key(method: &MethodDescriptor) -> String {
    format!("{}/{}", method.parent_service().full_name(), method.name())
}

/// A caller of the matrix: its token per role.
struct Caller<'a> {
    running: &'a Running,
    pool: DescriptorPool,
    http: HttpClient<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    base: String,
}

/// What a call answered: a gRPC code, or an HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    Grpc(Code),
    Http(StatusCode),
}

impl Answer {
    fn denied(self) -> bool {
        matches!(self, Answer::Grpc(Code::PermissionDenied) | Answer::Http(StatusCode::FORBIDDEN))
    }
}

fn token(running: &Running, role: Role) -> String {
    let subject = format!("matrix-{}", role.as_str().to_lowercase());
    let portfolio = matches!(role, Rm | Kam).then_some(OWN_BOOK);
    running.keys().token(role, &subject, portfolio)
}

impl Caller<'_> {
    fn method(&self, key: &str) -> MethodDescriptor {
        let (service, name) = key.split_once('/').expect("Service/Method");
        let service = self.pool.get_service_by_name(service).expect("service");
        service.methods().find(|m| m.name() == name).expect("method")
    }

    /// A gRPC call through the gateway; the reply as JSON, or the refusal.
    async fn grpc(&self, method: &MethodDescriptor, role: Role, request: &Value) -> Result<Option<Value>, Status> {
        let message = DynamicMessage::deserialize(method.input(), request.clone())
            .unwrap_or_else(|err| panic!("{}: request {request} does not fit: {err}", method_key(method)));
        let mut grpc = tonic::client::Grpc::new(self.running.gateway.clone());
        grpc.ready().await.map_err(|err| Status::unavailable(err.to_string()))?;
        let mut call = tonic::Request::new(Bytes::from(message.encode_to_vec()));
        let bearer = format!("Bearer {}", token(self.running, role));
        call.metadata_mut().insert("authorization", bearer.parse().expect("header"));
        let path = format!("/{}", method_key(method)).parse().expect("path");
        let decode = |bytes: Bytes| {
            let reply = DynamicMessage::decode(method.output(), bytes).expect("reply decodes");
            serde_json::to_value(&reply).expect("reply as JSON")
        };
        if method.is_server_streaming() {
            let mut stream = grpc.server_streaming(call, path, RawCodec).await?.into_inner();
            return match tokio::time::timeout(STREAM_GRACE, stream.message()).await {
                Ok(Ok(first)) => Ok(first.map(decode)),
                Ok(Err(status)) => Err(status),
                Err(_) => Ok(None),
            };
        }
        Ok(Some(decode(grpc.unary(call, path, RawCodec).await?.into_inner())))
    }

    async fn grpc_answer(&self, method: &MethodDescriptor, role: Role, request: &Value) -> Answer {
        Answer::Grpc(self.grpc(method, role, request).await.map_or_else(|s| s.code(), |_| Code::Ok))
    }

    /// The same call over REST, transcoded by its `google.api.http` rule; only the status.
    async fn rest_answer(&self, method: &MethodDescriptor, role: Role, request: &Value) -> Answer {
        let rule = crm_gateway::descriptors::http_rule(&self.pool, method)
            .unwrap_or_else(|| panic!("{} has no REST binding", method_key(method)));
        let (verb, template) = rule_pattern(&rule);
        let mut rest = request.clone();
        let path = fill_template(&template, &mut rest);
        let body = match rule.body.as_str() {
            "" => None,
            "*" => Some(std::mem::take(&mut rest)),
            field => rest.as_object_mut().and_then(|o| o.remove(&camel(field))),
        };
        let query = query_string(&rest);
        let uri = format!("{}{path}{query}", self.base);
        let request = http::Request::builder()
            .method(verb)
            .uri(&uri)
            .header("authorization", format!("Bearer {}", token(self.running, role)))
            .header("content-type", "application/json")
            .body(Full::new(body.map(|b| Bytes::from(b.to_string())).unwrap_or_default()))
            .expect("request");
        match tokio::time::timeout(Duration::from_secs(20), self.http.request(request)).await {
            Ok(Ok(response)) => Answer::Http(response.status()),
            Ok(Err(err)) => panic!("{uri}: {err}"),
            Err(_) => panic!("{uri}: no answer within 20 s"),
        }
    }

    /// ADMIN (or `role`) makes something; its reply as JSON.
    async fn make(&self, key: &str, role: Role, request: Value) -> Value {
        let method = self.method(key);
        match self.grpc(&method, role, &request).await {
            Ok(Some(reply)) => reply,
            other => panic!("setting up with {key} {request}: {other:?}"),
        }
    }

    fn str_of(value: &Value, field: &str) -> String {
        value[field].as_str().unwrap_or_else(|| panic!("{field} in {value}")).to_owned()
    }

    /// A client in `book` with a second one (to merge), a contact, a case, an interaction and
    /// a key-account plan.
    async fn subject(&self, book: &'static str) -> Subject {
        let profile = "crm.profile.v1.ClientProfileService";
        let interaction = "crm.interaction.v1.InteractionService";
        let client = self.make(&format!("{profile}/CreateClient"), Admin, json!({"client": new_client(book)})).await;
        let name = Self::str_of(&client, "name");
        let second = self.make(&format!("{profile}/CreateClient"), Admin, json!({"client": new_client(book)})).await;
        let contact = self
            .make(
                &format!("{profile}/CreateContact"),
                Admin,
                json!({"parent": name, "contact": {"displayName": "Bo Chen"}}),
            )
            .await;
        let case = self
            .make(
                &format!("{interaction}/OpenCase"),
                Admin,
                json!({"parent": name, "case": {"title": "Statement missing", "category": "CASE_CATEGORY_PAYMENT_ISSUE"}}),
            )
            .await;
        let logged = self
            .make(
                &format!("{interaction}/LogInteraction"),
                Admin,
                json!({"parent": name, "interaction": {
                    "channel": "CHANNEL_RM_VISIT", "direction": "DIRECTION_INBOUND",
                    "kind": "INTERACTION_KIND_VISIT_REPORT", "occurTime": "2026-01-04T10:00:00Z", "summary": "Visit",
                }}),
            )
            .await;
        let plan = self
            .make(
                &format!("{interaction}/CreateAccountPlan"),
                Admin,
                json!({"parent": name, "accountPlan": {
                    "title": "Grow trade finance",
                    "objectives": [{"description": "Double trade finance volume"}],
                    "team": [{"staffId": "kam-1", "role": "lead"}],
                    "reviewTime": "2099-06-30T00:00:00Z",
                }}),
            )
            .await;
        Subject {
            plan: Self::str_of(&plan, "name"),
            registration: Self::str_of(&client, "registrationNumber"),
            client: name,
            second: Self::str_of(&second, "name"),
            contact: Self::str_of(&contact, "name"),
            case: Self::str_of(&case, "name"),
            interaction: Self::str_of(&logged, "name"),
            book,
        }
    }

    /// A draft scheme and an activation of another, a content item, a scoring run and the
    /// current value model.
    async fn shared(&self) -> Shared {
        let segmentation = "crm.segmentation.v1.SegmentationService";
        let draft = self.make(&format!("{segmentation}/CreateScheme"), Marketing, json!({"scheme": scheme()})).await;
        let active = self.make(&format!("{segmentation}/CreateScheme"), Marketing, json!({"scheme": scheme()})).await;
        let activation = self
            .make(&format!("{segmentation}/ActivateScheme"), Marketing, json!({"name": Self::str_of(&active, "name")}))
            .await;
        let content = self
            .make(
                "crm.interaction.v1.InteractionService/CreateContentItem",
                Admin,
                json!({"contentItem": {"kind": "CONTENT_KIND_FACT_SHEET", "headline": "Trade finance"}}),
            )
            .await;
        let run = self.make("crm.scoring.v1.ValueScoringService/ScorePortfolio", Admin, json!({})).await;
        let mut model = self
            .make("crm.scoring.v1.ValueScoringService/GetValueModel", Admin, json!({"name": "valueModels/current"}))
            .await;
        if let Some(fields) = model.as_object_mut() {
            for output_only in ["version", "etag", "createTime", "creator"] {
                fields.remove(output_only);
            }
        }
        Shared {
            scheme: Self::str_of(&draft, "name"),
            activation: Self::str_of(&activation, "name"),
            content: Self::str_of(&content, "name"),
            run: Self::str_of(&run, "name"),
            model,
        }
    }
}

/// The verb and path template of a rule.
fn rule_pattern(rule: &crm_proto::google::api::HttpRule) -> (Method, String) {
    use crm_proto::google::api::http_rule::Pattern;
    match rule.pattern.clone().expect("a pattern") {
        Pattern::Get(path) => (Method::GET, path),
        Pattern::Put(path) => (Method::PUT, path),
        Pattern::Post(path) => (Method::POST, path),
        Pattern::Delete(path) => (Method::DELETE, path),
        Pattern::Patch(path) => (Method::PATCH, path),
        Pattern::Custom(custom) => (custom.kind.parse().expect("verb"), custom.path),
    }
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for ch in snake.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// Replaces each `{field.path=...}` of `template` by the request's value there, which is
/// then removed from the request.
fn fill_template(template: &str, request: &mut Value) -> String {
    let mut path = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        path.push_str(&rest[..open]);
        let close = rest[open..].find('}').expect("closing brace") + open;
        let variable = &rest[open + 1..close];
        let field = variable.split('=').next().expect("field");
        let parts: Vec<String> = field.split('.').map(camel).collect();
        let (last, parents) = parts.split_last().expect("a field");
        let mut target = &mut *request;
        for part in parents {
            target = &mut target[part.as_str()];
        }
        let value = target.as_object_mut().and_then(|o| o.remove(last.as_str())).unwrap_or_default();
        path.push_str(value.as_str().unwrap_or_default());
        rest = &rest[close + 1..];
    }
    path.push_str(rest);
    path
}

/// The top-level scalar (and repeated scalar) fields left as a query string.
fn query_string(request: &Value) -> String {
    let mut pairs = Vec::new();
    for (key, value) in request.as_object().into_iter().flatten() {
        let values = match value {
            Value::Array(items) => items.clone(),
            Value::Object(_) | Value::Null => continue,
            scalar => vec![scalar.clone()],
        };
        for v in values {
            let text = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            pairs.push(format!("{key}={}", encode(&text)));
        }
    }
    if pairs.is_empty() { String::new() } else { format!("?{}", pairs.join("&")) }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_by_every_role_on_own_and_other_portfolio_over_grpc_and_rest() {
    let running = start().await;
    let pool = crm_gateway::descriptors::load().expect("descriptor pool");
    let gateway = running.suite.addr(crm_e2e::Service::Gateway).expect("gateway");
    let caller = Caller {
        running: &running,
        pool: pool.clone(),
        http: HttpClient::builder(TokioExecutor::new()).build_http(),
        base: format!("http://{gateway}"),
    };

    let rpcs = every_rpc(&pool);
    let unknown: Vec<String> =
        rpcs.iter().map(method_key).filter(|k| row(k, &Subject::default(), &Shared::default()).is_none()).collect();
    assert!(unknown.is_empty(), "RPCs without an access rule in the matrix: {unknown:?}");

    let mut cells = 0usize;
    let mut answers_seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut mismatches = BTreeMap::new();
    for method in &rpcs {
        let key = method_key(method);
        // Fresh resources for each RPC, so that one RPC's writes never decide another's cell.
        let (own, other, shared) =
            (caller.subject(OWN_BOOK).await, caller.subject(OTHER_BOOK).await, caller.shared().await);
        let (key_ref, shared_ref, caller_ref) = (&key, &shared, &caller);
        let calls = Role::ALL.into_iter().flat_map(|role| {
            [(role, true, &own), (role, false, &other)].into_iter().map(move |(role, is_own, subject)| {
                let (key, shared, caller) = (key_ref, shared_ref, caller_ref);
                let (access, request) = row(key, subject, shared).expect("a row");
                async move {
                    let grpc = caller.grpc_answer(method, role, &request).await;
                    // A fresh request (new unique names) for the second protocol.
                    let (_, request) = row(key, subject, shared).expect("a row");
                    let rest = caller.rest_answer(method, role, &request).await;
                    (role, is_own, access.allows(role, is_own), [grpc, rest])
                }
            })
        });
        // A few at a time: a burst of calls that fan out to peers would be shed by the
        // services' admission limits, and a refused peer call is not a refusal of the caller.
        let answered: Vec<_> = futures::stream::iter(calls).buffer_unordered(CONCURRENT_CELLS).collect().await;
        for (role, own, allowed, answers) in answered {
            for (protocol, answer) in ["gRPC", "REST"].into_iter().zip(answers) {
                cells += 1;
                let seen = match answer {
                    Answer::Grpc(code) => format!("{code:?}"),
                    Answer::Http(status) => status.as_u16().to_string(),
                };
                *answers_seen.entry(format!("{} {seen}", if allowed { "allowed" } else { "denied" })).or_default() += 1;
                if answer.denied() == allowed {
                    let case = if own { "own" } else { "other" };
                    let want = if allowed { "allowed" } else { "denied" };
                    let cell = format!("{key} {role} {case} {protocol}");
                    mismatches.insert(cell, format!("want {want}, got {answer:?}"));
                }
            }
        }
    }
    eprintln!(
        "authorisation matrix: {} RPCs × {} roles × own/other portfolio × gRPC/REST = {cells} cells",
        rpcs.len(),
        Role::ALL.len()
    );
    eprintln!("answers: {answers_seen:?}");
    assert!(mismatches.is_empty(), "{} cells disagree with the table:\n{mismatches:#?}", mismatches.len());
    running.finish().await;
}
