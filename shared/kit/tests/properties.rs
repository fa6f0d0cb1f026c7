//! Bounded property-based runs over the kit's entry points for untrusted input: CEL filters
//! and rules (parsing, the static cost bound, evaluation), page tokens, bearer tokens, and
//! the request guard in front of every handler. Each property runs a fixed number of cases
//! so that the whole file takes seconds; `PROPTEST_CASES` raises it for a longer run.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use crm_kit::{
    auth::{AuthConfig, Role, SecretKey, TokenIssuer, TokenVerifier},
    expr::{CheckedExpr, Evaluator, ExprRules, MAX_COST, to_value},
    paging::PageTokens,
    server::GuardLayer,
};
use proptest::prelude::*;
use tonic::Code;

fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------------------------------
// CEL

const FIELDS: [&str; 5] = ["industry_code", "country_code", "employee_count", "labels", "display_name"];

fn rules() -> ExprRules<'static> {
    ExprRules { field: "filter", variable: "client", fields: &FIELDS, max_len: 2_000, max_nodes: 256 }
}

fn row() -> cel::Value {
    #[derive(serde::Serialize)]
    struct Row {
        industry_code: &'static str,
        country_code: &'static str,
        employee_count: i64,
        labels: Vec<&'static str>,
        display_name: &'static str,
    }
    to_value(Row {
        industry_code: "4690",
        country_code: "GB",
        employee_count: 120,
        labels: vec!["a", "b", "c"],
        display_name: "Harbour Logistics",
    })
    .expect("row")
}

/// CEL source built from a small grammar: literals, fields of `client`, comparisons,
/// logic, list literals and comprehensions (`all`, `exists`, `map`, `filter`) nested over
/// literal lists and the record's own list — the shapes of the filter that stalled the suite.
fn cel_source() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (0i64..1000).prop_map(|n| n.to_string()),
        "[a-z]{0,6}".prop_map(|s| format!("'{s}'")),
        Just("true".to_owned()),
        Just("false".to_owned()),
        proptest::sample::select(FIELDS.to_vec()).prop_map(|f| format!("client.{f}")),
        Just("x".to_owned()),
        Just("y".to_owned()),
    ];
    leaf.prop_recursive(5, 96, 8, |inner| {
        let list = prop_oneof![
            proptest::collection::vec(0i64..100, 0..10)
                .prop_map(|v| format!("[{}]", v.iter().map(i64::to_string).collect::<Vec<_>>().join(", "))),
            Just("client.labels".to_owned()),
            proptest::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
        ];
        let var = proptest::sample::select(vec!["x", "y"]);
        prop_oneof![
            (
                inner.clone(),
                proptest::sample::select(vec!["==", "!=", "<", ">=", "&&", "||", "+", "in"]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            inner.clone().prop_map(|a| format!("!{a}")),
            inner.clone().prop_map(|a| format!("size({a})")),
            (list, proptest::sample::select(vec!["all", "exists", "exists_one", "map", "filter"]), var, inner)
                .prop_map(|(l, m, v, body)| format!("{l}.{m}({v}, {body})")),
        ]
    })
}

/// Comprehensions nested 1 to 5 deep over literal lists of 2 to 12 elements around a
/// generated body: the shape whose cost grows tenfold per level.
fn nested_comprehensions() -> impl Strategy<Value = String> {
    let level = (2usize..12, proptest::sample::select(vec!["all", "exists", "map", "filter"]));
    (proptest::collection::vec(level, 1..6), cel_source()).prop_map(|(levels, body)| {
        // The innermost level binds `x`, the next `y` (the body's free variables).
        let vars = ["x", "y", "a", "b", "c"];
        levels.iter().enumerate().fold(body, |inner, (i, (n, kind))| {
            let list = (0..*n).map(|k| k.to_string()).collect::<Vec<_>>().join(", ");
            match *kind {
                "map" | "filter" => format!("size([{list}].{kind}({}, {inner})) > 0", vars[i]),
                _ => format!("[{list}].{kind}({}, {inner})", vars[i]),
            }
        })
    })
}

proptest! {
    #![proptest_config(config(256))]

    /// Any text at all is either accepted or refused as INVALID_ARGUMENT on the field.
    #[test]
    fn any_text_is_accepted_or_refused_on_the_field(source in "\\PC{0,200}|[()\\[\\]{}.,!&|a-z0-9 '\"\\\\]{0,200}") {
        if let Err(err) = CheckedExpr::parse(&source, &rules()) {
            prop_assert_eq!(err.code(), Code::InvalidArgument);
            prop_assert!(err.violations().iter().all(|v| v.field == "filter"), "{:?}", err);
        }
    }

    /// An accepted expression is within the cost bound and evaluates quickly, whatever it
    /// nests; one over the bound is refused before it runs.
    #[test]
    fn accepted_expressions_stay_within_the_cost_bound(source in prop_oneof![cel_source(), nested_comprehensions()]) {
        match CheckedExpr::parse(&source, &rules()) {
            Ok(expr) => {
                prop_assert!(expr.cost() <= MAX_COST, "accepted at cost {}: {source}", expr.cost());
                let evaluator = Evaluator::new();
                let scope = evaluator.scope("client", row());
                let started = Instant::now();
                let _ = scope.test(&expr);
                let took = started.elapsed();
                prop_assert!(took < Duration::from_secs(2), "{source} (cost {}) took {took:?}", expr.cost());
            }
            Err(err) => prop_assert_eq!(err.code(), Code::InvalidArgument),
        }
    }

    /// Wrapping an expression in a comprehension over a list of n elements multiplies its
    /// estimated cost by at least n: nesting cannot slip under the bound.
    #[test]
    fn nesting_multiplies_the_estimate(source in cel_source(), n in 2usize..40) {
        let Ok(inner) = CheckedExpr::parse(&source, &rules()) else { return Ok(()) };
        let list = (0..n).map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
        let wrapped = format!("[{list}].all(z, {source})");
        if let Ok(outer) = CheckedExpr::parse(&wrapped, &rules()) {
            prop_assert!(outer.cost() >= inner.cost().saturating_mul(n as u64), "{} < {n} × {}", outer.cost(), inner.cost());
        }
    }
}

/// The filter of the stall report (comprehensions nested over literal lists) is refused.
#[test]
fn the_stall_filter_is_refused_for_its_cost() {
    let ten = "[0,1,2,3,4,5,6,7,8,9]";
    let source =
        format!("{ten}.all(a, {ten}.all(b, {ten}.all(c, {ten}.all(d, {ten}.exists(e, a + b + c + d + e < 0)))))");
    let err = CheckedExpr::parse(&source, &rules()).expect_err("too costly");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.violations().iter().any(|v| v.field == "filter" && v.description.contains("too costly")), "{err:?}");
}

// ---------------------------------------------------------------------------------------
// Page tokens

proptest! {
    #![proptest_config(config(512))]

    /// Any text as a page token is refused as INVALID_ARGUMENT on `page_token`.
    #[test]
    fn any_page_token_is_refused_cleanly(token in "\\PC{0,120}|[A-Za-z0-9_.-]{0,160}") {
        let tokens = PageTokens::new(b"a key of at least thirty-two bytes!!");
        if let Err(err) = tokens.decode::<(i64, String)>("q", &token) {
            prop_assert_eq!(err.code(), Code::InvalidArgument);
            prop_assert!(err.violations().iter().all(|v| v.field == "page_token"));
        } else {
            prop_assert!(false, "a token not issued by this key was accepted: {token}");
        }
    }

    /// A token decodes to its cursor for its own query only, only under its own key, and any
    /// change to it is refused.
    #[test]
    fn page_tokens_round_trip_and_resist_tampering(
        query in "\\PC{0,40}", other in "\\PC{0,40}", cursor in (any::<i64>(), "\\PC{0,30}"),
        at in any::<prop::sample::Index>(), with in "[A-Za-z0-9_.-]",
    ) {
        let tokens = PageTokens::new(b"a key of at least thirty-two bytes!!");
        let token = tokens.encode(&query, &cursor);
        prop_assert_eq!(tokens.decode::<(i64, String)>(&query, &token).ok(), Some(cursor.clone()));
        if other != query {
            prop_assert!(tokens.decode::<(i64, String)>(&other, &token).is_err());
        }
        let foreign = PageTokens::new(b"another key, also thirty-two bytes!");
        prop_assert!(foreign.decode::<(i64, String)>(&query, &token).is_err());

        let i = at.index(token.len());
        let mut tampered = token.clone();
        tampered.replace_range(i..=i, &with);
        if tampered != token && same_bytes(&tampered, &token).is_none() {
            prop_assert!(tokens.decode::<(i64, String)>(&query, &tampered).is_err(), "{tampered}");
        }
    }
}

/// `Some(())` when two dotted base64url tokens decode to the same bytes (a change in the
/// unused low bits of the last character).
fn same_bytes(a: &str, b: &str) -> Option<()> {
    use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
    let parts = |t: &str| t.split('.').map(|p| URL_SAFE_NO_PAD.decode(p).ok()).collect::<Option<Vec<_>>>();
    (parts(a)? == parts(b)?).then_some(())
}

// ---------------------------------------------------------------------------------------
// Bearer tokens

const SECRET: &[u8] = b"property tests sign with this 32+ byte key";

fn verifier() -> TokenVerifier {
    TokenVerifier::from_secret(&SecretKey::from_bytes(SECRET.to_vec()).expect("key"), &AuthConfig::default())
        .expect("verifier")
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs()
}

fn role_text() -> impl Strategy<Value = String> {
    let canonical: Vec<String> = Role::ALL.iter().map(|r| r.as_str().to_owned()).collect();
    prop_oneof![
        proptest::sample::select(canonical.clone()),
        proptest::sample::select(canonical.clone()).prop_map(|r| r.to_lowercase()),
        proptest::sample::select(canonical).prop_map(|r| format!(" {r}")),
        "[A-Za-z_]{0,24}",
    ]
}

proptest! {
    #![proptest_config(config(256))]

    /// Any text as a token is UNAUTHENTICATED, never a panic or another code.
    #[test]
    fn any_bearer_text_is_unauthenticated(token in "\\PC{0,300}|[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,80}\\.[A-Za-z0-9_-]{0,50}") {
        let err = verifier().verify(&token).expect_err("not a token of this key");
        prop_assert_eq!(err.code(), Code::Unauthenticated);
    }

    /// Correctly signed claims are accepted exactly when every rule holds: a non-blank
    /// subject, a role written exactly as defined, this issuer and audience, not expired,
    /// and a lifetime within the maximum.
    #[test]
    fn signed_claims_are_accepted_only_when_every_rule_holds(
        sub in prop_oneof!["[a-z0-9:-]{1,16}", Just(String::new()), Just("  ".to_owned())],
        role in role_text(),
        iss in prop_oneof![Just("crm".to_owned()), Just("CRM".to_owned()), "[a-z]{0,6}"],
        aud in prop_oneof![Just("crm".to_owned()), "[a-z]{0,6}"],
        issued_ago in 0u64..100_000,
        lifetime in 0u64..(2 * 12 * 3600),
    ) {
        let iat = now() - issued_ago;
        let exp = iat + lifetime;
        let claims = serde_json::json!({"sub": sub, "role": role, "iss": iss, "aud": aud, "iat": iat, "exp": exp});
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(SECRET).expect("key"),
        ).expect("signed");
        let config = AuthConfig::default();
        let valid_role = Role::ALL.iter().any(|r| r.as_str() == role);
        // Within a second of the leeway either answer is right (the clock moves on).
        let expiry_clear = exp.abs_diff(now().saturating_sub(config.leeway_seconds)) > 1;
        let should = !sub.trim().is_empty() && valid_role && iss == "crm" && aud == "crm"
            && exp + config.leeway_seconds > now() && lifetime <= config.max_lifetime_seconds;
        let verdict = verifier().verify(&token);
        if expiry_clear {
            prop_assert_eq!(verdict.is_ok(), should, "{} -> {:?}", claims, verdict.as_ref().err());
        }
        if let Err(err) = verdict {
            prop_assert_eq!(err.code(), Code::Unauthenticated);
        }
    }

    /// Any one-character change to a valid token is refused (unless it only touches the
    /// unused bits of a segment's last character, which leaves the token the same bytes).
    #[test]
    fn a_changed_token_is_refused(at in any::<prop::sample::Index>(), with in "[A-Za-z0-9_.-]") {
        let issuer = TokenIssuer::new(&SecretKey::from_bytes(SECRET.to_vec()).expect("key")).expect("issuer");
        let token = issuer.mint("rm-1", Role::RelationshipManager, Some("book"), Duration::from_secs(600)).expect("token");
        prop_assert!(verifier().verify(&token).is_ok());
        let i = at.index(token.len());
        let mut changed = token.clone();
        changed.replace_range(i..=i, &with);
        if changed != token && same_bytes(&changed, &token).is_none() {
            prop_assert_eq!(verifier().verify(&changed).expect_err("changed").code(), Code::Unauthenticated);
        }
    }
}

// ---------------------------------------------------------------------------------------
// The request guard

/// What the guard did with a body: passed it to the handler, or refused it with a code.
fn guarded(path: &str, body: Vec<u8>) -> Option<i32> {
    use tower::{Layer as _, Service as _, ServiceExt as _};
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    runtime.block_on(async {
        let inner = tower::service_fn(|_req: http::Request<tonic::body::Body>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(tonic::body::Body::empty()))
        });
        let mut guard = GuardLayer::new("crm.test", 4 << 20).layer(inner);
        let request = http::Request::builder()
            .uri(format!("http://guarded{path}"))
            .header("content-type", "application/grpc")
            .body(tonic::body::Body::new(http_body_util::Full::new(Bytes::from(body))))
            .expect("request");
        let response = guard.ready().await.expect("ready").call(request).await.expect("infallible");
        response.headers().get("grpc-status").map(|s| s.to_str().expect("text").parse().expect("a number"))
    })
}

fn frame(message: &[u8]) -> Vec<u8> {
    let mut body = vec![0];
    body.extend_from_slice(&u32::try_from(message.len()).expect("small").to_be_bytes());
    body.extend_from_slice(message);
    body
}

proptest! {
    #![proptest_config(config(256))]

    /// Any bytes as a call's body either reach the handler or are INVALID_ARGUMENT.
    #[test]
    fn any_body_reaches_the_handler_or_is_invalid_argument(body in proptest::collection::vec(any::<u8>(), 0..200), framed in any::<bool>()) {
        let body = if framed { frame(&body) } else { body };
        let answer = guarded("/crm.profile.v1.ClientProfileService/CreateClient", body);
        prop_assert!(answer.is_none() || answer == Some(Code::InvalidArgument as i32), "{answer:?}");
    }

    /// A request with text fields is refused exactly when one holds a control character
    /// (other than tab, CR and LF).
    #[test]
    fn texts_with_control_characters_are_refused(display in "\\PC{0,20}|.{0,20}", city in "\\PC{0,20}|.{0,20}", reg in any::<String>()) {
        use crm_proto::crm::profile::v1::{Client, CreateClientRequest};
        use prost::Message as _;
        let request = CreateClientRequest {
            client: Some(Client { display_name: display.clone(), city: city.clone(), registration_number: reg.clone(), ..Default::default() }),
            request_id: String::new(),
        };
        let answer = guarded("/crm.profile.v1.ClientProfileService/CreateClient", frame(&request.encode_to_vec()));
        let control = [&display, &city, &reg].iter().any(|t| t.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')));
        prop_assert_eq!(answer, control.then_some(Code::InvalidArgument as i32));
    }
}
