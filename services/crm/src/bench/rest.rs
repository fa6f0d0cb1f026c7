//! The REST caller: each [`Call`] as the gateway's REST/JSON binding of its RPC (the
//! `google.api.http` annotations), over pooled HTTP/1.1 keep-alive connections, as a
//! browser or a script would call it.

use bytes::Bytes;
use crm_proto::crm::interaction::v1::{
    Case, CaseCategory, CasePriority, Channel, Direction, Interaction, InteractionKind,
};
use http::Method;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::{Client as HttpClient, connect::HttpConnector};
use serde_json::{Value, json};

use super::call::{Call, Failure};

/// REST/JSON through the gateway, presenting one bearer token.
#[derive(Clone)]
pub struct RestCaller {
    http: HttpClient<HttpConnector, Full<Bytes>>,
    base: String,
    bearer: http::HeaderValue,
}

impl RestCaller {
    /// A caller of the gateway at `addr` (`host:port`) keeping up to `connections` idle.
    pub fn new(addr: &str, token: &str, connections: usize) -> anyhow::Result<Self> {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let http = HttpClient::builder(hyper_util::rt::TokioExecutor::new())
            .pool_max_idle_per_host(connections.max(1))
            .build(connector);
        Ok(Self { http, base: format!("http://{addr}"), bearer: format!("Bearer {token}").parse()? })
    }

    /// Sends `call`; the whole body is read, as a client would.
    pub async fn call(&self, call: Call) -> Result<(), Failure> {
        let (method, path, body) = binding(call)?;
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(http::header::AUTHORIZATION, self.bearer.clone());
        if body.is_some() {
            request = request.header(http::header::CONTENT_TYPE, "application/json");
        }
        let body = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        let request = request.body(Full::new(body)).map_err(|_| Failure::from("BAD_REQUEST_URI"))?;
        let response = self.http.request(request).await.map_err(|_| Failure::from("TRANSPORT"))?;
        let status = response.status();
        let body = response.into_body().collect().await.map_err(|_| Failure::from("TRANSPORT"))?.to_bytes();
        if status.is_success() { Ok(()) } else { Err(failure(status, &body)) }
    }
}

/// The AIP-193 error's canonical code name, else the HTTP status.
fn failure(status: http::StatusCode, body: &[u8]) -> Failure {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    match parsed.as_ref().and_then(|v| v.pointer("/error/status")).and_then(Value::as_str) {
        Some(code) => code.to_owned(),
        None => format!("HTTP {}", status.as_u16()),
    }
}

/// Method, path with query, and JSON body of a call's REST binding.
fn binding(call: Call) -> Result<(Method, String, Option<Value>), Failure> {
    Ok(match call {
        Call::Health => return Err("NO_REST_BINDING".into()),
        Call::GetClient(r) => (Method::GET, format!("/v1/{}", r.name), None),
        Call::Lookup(r) => {
            let pairs = [
                ("lei", &r.lei),
                ("registration_number", &r.registration_number),
                ("country_code", &r.country_code),
                ("tax_id", &r.tax_id),
                ("account_number", &r.account_number),
                ("contact_phone", &r.contact_phone),
                ("contact_email", &r.contact_email),
            ];
            (Method::GET, format!("/v1/clients:lookup?{}", query(&pairs)), None)
        }
        Call::Search(r) => {
            let size = r.page_size.to_string();
            (Method::GET, format!("/v1/clients:search?{}", query(&[("query", &r.query), ("page_size", &size)])), None)
        }
        Call::List(r) => {
            let size = r.page_size.to_string();
            let pairs = [("filter", &r.filter), ("order_by", &r.order_by), ("page_size", &size)];
            (Method::GET, format!("/v1/clients?{}", query(&pairs)), None)
        }
        Call::View360(r) => (Method::GET, format!("/v1/{}:view360", r.name), None),
        Call::LogInteraction(r) => {
            let body = r.interaction.as_ref().map(interaction_json);
            let path = format!("/v1/{}/interactions?{}", r.parent, query(&[("request_id", &r.request_id)]));
            (Method::POST, path, body)
        }
        Call::OpenCase(r) => {
            let body = r.case.as_ref().map(case_json);
            (Method::POST, format!("/v1/{}/cases?{}", r.parent, query(&[("request_id", &r.request_id)])), body)
        }
    })
}

/// `a=1&b=2` of the non-empty values, percent-encoded.
fn query(pairs: &[(&str, &String)]) -> String {
    let set = pairs.iter().filter(|(_, v)| !v.is_empty());
    set.map(|(k, v)| format!("{k}={}", encode(v))).collect::<Vec<_>>().join("&")
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The proto3 JSON of the fields the bench sets on an interaction.
fn interaction_json(i: &Interaction) -> Value {
    let name = |n: Option<&str>| n.unwrap_or_default().to_owned();
    json!({
        "channel": name(Channel::try_from(i.channel).ok().map(|c| c.as_str_name())),
        "direction": name(Direction::try_from(i.direction).ok().map(|d| d.as_str_name())),
        "kind": name(InteractionKind::try_from(i.kind).ok().map(|k| k.as_str_name())),
        "occurTime": i.occur_time.map(|t| t.to_string()),
        "summary": i.summary,
        "staff": i.staff,
    })
}

/// The proto3 JSON of the fields the bench sets on a case.
fn case_json(c: &Case) -> Value {
    let name = |n: Option<&str>| n.unwrap_or_default().to_owned();
    json!({
        "title": c.title,
        "description": c.description,
        "category": name(CaseCategory::try_from(c.category).ok().map(|x| x.as_str_name())),
        "priority": name(CasePriority::try_from(c.priority).ok().map(|x| x.as_str_name())),
        "channel": name(Channel::try_from(c.channel).ok().map(|x| x.as_str_name())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_proto::crm::profile::v1::LookupClientRequest;

    #[test]
    fn lookups_become_query_parameters_of_their_binding() {
        let call = Call::Lookup(LookupClientRequest {
            registration_number: "91310000 MA1".into(),
            country_code: "CN".into(),
            ..Default::default()
        });
        let (method, path, body) = binding(call).expect("bound");
        assert_eq!(method, Method::GET);
        assert_eq!(path, "/v1/clients:lookup?registration_number=91310000%20MA1&country_code=CN");
        assert!(body.is_none());
        assert_eq!(failure(http::StatusCode::NOT_FOUND, br#"{"error": {"status": "NOT_FOUND"}}"#), "NOT_FOUND");
        assert_eq!(failure(http::StatusCode::BAD_GATEWAY, b"<html>"), "HTTP 502");
    }
}
