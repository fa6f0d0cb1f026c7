//! The request guard: before a call reaches its handler, its message is decoded against the
//! contract and every text in it is checked. A message that is not valid protobuf is
//! INVALID_ARGUMENT (tonic would answer INTERNAL); a text with a control character (NUL
//! included: PostgreSQL refuses it, SQLite would store it) or longer than any field of the
//! contract takes is refused with a field violation naming it — the same on every backend,
//! whatever the service's own validation says later.

use std::{
    pin::Pin,
    sync::{Arc, LazyLock},
    task::{Context, Poll},
};

use bytes::{Buf as _, Bytes};
use http::{Request, Response};
use http_body_util::BodyExt as _;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, Value};
use tonic::body::Body;
use tower::{Layer, Service};

use crate::{ApiError, Violations};

/// Longest text any field takes, in characters; fields have tighter limits of their own.
pub const MAX_TEXT_CHARS: usize = 65_536;

static POOL: LazyLock<Option<DescriptorPool>> =
    LazyLock::new(|| DescriptorPool::decode(crm_proto::FILE_DESCRIPTOR_SET).ok());

/// Guards the calls of the suite's services; see the module docs.
#[derive(Clone, Debug)]
pub struct GuardLayer {
    domain: &'static str,
    max_message_bytes: usize,
}

impl GuardLayer {
    /// Refusals in ErrorInfo `domain`; bodies larger than `max_message_bytes` are left to
    /// tonic's own limit.
    pub fn new(domain: &'static str, max_message_bytes: usize) -> Self {
        Self { domain, max_message_bytes }
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = Guard<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Guard { inner, layer: Arc::new(self.clone()) }
    }
}

/// Service produced by [`GuardLayer`].
#[derive(Clone, Debug)]
pub struct Guard<S> {
    inner: S,
    layer: Arc<GuardLayer>,
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S> Service<Request<Body>> for Guard<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let Some(input) = input_of(request.uri().path()) else { return Box::pin(inner.call(request)) };
        let layer = Arc::clone(&self.layer);
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let limited = http_body_util::Limited::new(body, layer.max_message_bytes.saturating_add(5));
            let bytes = match limited.collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(_) => {
                    return Ok(refuse(&layer, ApiError::exhausted("MESSAGE_TOO_LARGE", "the request is too large")));
                }
            };
            if let Err(err) = check_frames(&input, bytes.clone()) {
                return Ok(refuse(&layer, err));
            }
            inner.call(Request::from_parts(parts, Body::new(http_body_util::Full::new(bytes)))).await
        })
    }
}

fn refuse(layer: &GuardLayer, err: ApiError) -> Response<Body> {
    err.into_status(layer.domain).into_http()
}

/// The input message of a method of the suite's contract (`None` for health, reflection
/// and anything else outside it).
/// Whether `service` (fully qualified) has an RPC `method` in the suite's contract.
pub(crate) fn in_contract(service: &str, method: &str) -> bool {
    POOL.as_ref()
        .and_then(|pool| pool.get_service_by_name(service))
        .is_some_and(|service| service.methods().any(|m| m.name() == method))
}

fn input_of(path: &str) -> Option<MessageDescriptor> {
    let (service, method) = path.trim_start_matches('/').split_once('/')?;
    if !service.starts_with("crm.") {
        return None;
    }
    let service = POOL.as_ref()?.get_service_by_name(service)?;
    let method = service.methods().find(|m| m.name() == method)?;
    Some(method.input())
}

/// Checks each length-prefixed message of a gRPC body (compressed ones are left to tonic,
/// which refuses them: no service accepts compression).
fn check_frames(input: &MessageDescriptor, mut body: Bytes) -> Result<(), ApiError> {
    while body.has_remaining() {
        if body.remaining() < 5 {
            return Err(malformed());
        }
        let compressed = body.get_u8() != 0;
        let len = usize::try_from(body.get_u32()).map_err(|_| malformed())?;
        if body.remaining() < len {
            return Err(malformed());
        }
        let message = body.split_to(len);
        if compressed {
            continue;
        }
        let message = DynamicMessage::decode(input.clone(), message).map_err(|_| malformed())?;
        let mut v = Violations::default();
        check_message(&message, "", &mut v);
        v.check()?;
    }
    Ok(())
}

fn malformed() -> ApiError {
    ApiError::invalid_argument("MALFORMED_REQUEST", "the request is not a valid protobuf message of this method")
}

fn check_message(message: &DynamicMessage, prefix: &str, v: &mut Violations) {
    for (field, value) in message.fields() {
        let path = if prefix.is_empty() { field.name().to_owned() } else { format!("{prefix}.{}", field.name()) };
        check_value(value, &path, v);
    }
}

fn check_value(value: &Value, path: &str, v: &mut Violations) {
    match value {
        Value::String(text) => check_text(text, path, v),
        Value::Message(message) => check_message(message, path, v),
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                check_value(item, &format!("{path}[{i}]"), v);
            }
        }
        Value::Map(entries) => {
            for (key, item) in entries {
                let key_text = match key {
                    prost_reflect::MapKey::String(text) => {
                        check_text(text, &format!("{path} (a key)"), v);
                        shorten(text)
                    }
                    other => format!("{other:?}"),
                };
                check_value(item, &format!("{path}[{key_text}]"), v);
            }
        }
        _ => {}
    }
}

fn check_text(text: &str, path: &str, v: &mut Violations) {
    if let Some(bad) = text.chars().find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        v.add(path.to_owned(), format!("must not contain control characters (found U+{:04X})", u32::from(bad)));
    }
    if text.len() > MAX_TEXT_CHARS && text.chars().count() > MAX_TEXT_CHARS {
        v.add(path.to_owned(), format!("must be at most {MAX_TEXT_CHARS} characters"));
    }
}

/// A map key as it may appear in a field path: at most 32 characters.
fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(32).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use prost::Message as _;

    use super::*;

    fn frame(message: &[u8]) -> Bytes {
        let mut body = vec![0u8];
        body.extend_from_slice(&u32::try_from(message.len()).expect("small").to_be_bytes());
        body.extend_from_slice(message);
        Bytes::from(body)
    }

    fn input(method: &str) -> MessageDescriptor {
        input_of(&format!("/crm.profile.v1.ClientProfileService/{method}")).expect("a method of the contract")
    }

    #[test]
    fn control_characters_and_garbage_are_refused_naming_the_field() {
        use crm_proto::crm::profile::v1::{Client, CreateClientRequest, SearchClientsRequest};
        let nul = CreateClientRequest {
            client: Some(Client { display_name: "Hua\0xin".into(), ..Default::default() }),
            ..Default::default()
        };
        let err = check_frames(&input("CreateClient"), frame(&nul.encode_to_vec())).expect_err("NUL");
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
        assert_eq!(err.violations()[0].field, "client.display_name");
        let key = "k".repeat(10_000);
        let labels = CreateClientRequest {
            client: Some(Client { labels: [(key, "\u{1b}".to_owned())].into(), ..Default::default() }),
            ..Default::default()
        };
        let err = check_frames(&input("CreateClient"), frame(&labels.encode_to_vec())).expect_err("escape");
        assert!(err.violations()[0].field.len() < 64, "the key is not echoed whole: {:?}", err.violations());
        let fine = SearchClientsRequest { query: "华信\n精密".into(), ..Default::default() };
        check_frames(&input("SearchClients"), frame(&fine.encode_to_vec())).expect("new lines are text");
        let err = check_frames(&input("GetClient"), frame(&[0xff, 0xff, 0xff])).expect_err("garbage");
        assert_eq!(err.reason(), "MALFORMED_REQUEST");
        assert!(input_of("/grpc.health.v1.Health/Check").is_none(), "health is not guarded");
    }
}
