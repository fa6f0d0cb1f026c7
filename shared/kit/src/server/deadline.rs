//! Deadlines: every unary call runs under the shorter of the client's `grpc-timeout` and
//! the configured ceiling, and an expired call answers DEADLINE_EXCEEDED (tonic's own
//! timeout answers CANCELLED "Timeout expired", grpc-rust #606, and runs outside custom
//! layers, so this layer answers just before the caller's deadline).
//!
//! Streaming calls (server streams such as WatchChanges) are not cut by the ceiling: only
//! by a client deadline, which the client itself enforces.

use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use http::{Request, Response};
use tonic::{Status, body::Body};
use tower::{Layer, Service};

/// Applies deadlines; see the module docs.
#[derive(Clone, Debug)]
pub struct DeadlineLayer {
    ceiling: Duration,
}

impl DeadlineLayer {
    /// Unary calls never run longer than `ceiling`.
    pub fn new(ceiling: Duration) -> Self {
        Self { ceiling }
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Deadline { inner, ceiling: self.ceiling }
    }
}

/// Service produced by [`DeadlineLayer`].
#[derive(Clone, Debug)]
pub struct Deadline<S> {
    inner: S,
    ceiling: Duration,
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, B> Service<Request<B>> for Deadline<S>
where
    S: Service<Request<B>, Response = Response<Body>> + Send,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    type Response = Response<Body>;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let client = request.headers().get("grpc-timeout").and_then(|v| v.to_str().ok()).and_then(parse_grpc_timeout);
        let limit = match client {
            // Answer a little before the caller's deadline so the status reaches it in time
            // (tonic's own grpc-timeout timer, outside this layer, is only a backstop).
            Some(client) => client.saturating_sub(margin(client)).min(self.ceiling),
            None if is_streaming(request.uri().path()) => Duration::MAX,
            None => self.ceiling,
        };
        let fut = self.inner.call(request);
        Box::pin(async move {
            let outcome = if limit == Duration::MAX { Ok(fut.await) } else { tokio::time::timeout(limit, fut).await };
            match outcome {
                Ok(Ok(response)) => Ok(response),
                Ok(Err(err)) => {
                    let err: Box<dyn std::error::Error + Send + Sync> = err.into();
                    if err.is::<tonic::TimeoutExpired>() { Ok(expired()) } else { Err(err) }
                }
                Err(_) => Ok(expired()),
            }
        })
    }
}

/// Time kept back from a client deadline: a tenth of it, at most 5 ms.
fn margin(deadline: Duration) -> Duration {
    (deadline / 10).min(Duration::from_millis(5))
}

fn expired() -> Response<Body> {
    Status::deadline_exceeded("deadline exceeded before the call completed").into_http()
}

/// Server-streaming methods of the suite (named Watch* or Stream*).
fn is_streaming(path: &str) -> bool {
    path.rsplit('/').next().is_some_and(|m| m.starts_with("Watch") || m.starts_with("Stream"))
}

/// Parses a `grpc-timeout` value: digits then one of H M S m u n.
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    #[test]
    fn parses_grpc_timeouts() {
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("10x"), None);
        assert_eq!(parse_grpc_timeout("1234567890S"), None);
    }

    #[tokio::test]
    async fn slow_unary_call_answers_deadline_exceeded() {
        let slow = tower::service_fn(|_req: Request<Body>| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<_, Infallible>(Response::new(Body::empty()))
        });
        let mut svc = DeadlineLayer::new(Duration::from_secs(30)).layer(slow);
        let request = Request::builder()
            .uri("/crm.profile.v1.ClientProfileService/GetClient")
            .header("grpc-timeout", "20m")
            .body(Body::empty())
            .expect("request");
        let response = svc.call(request).await.expect("response");
        let status = Status::from_header_map(response.headers()).expect("grpc-status");
        assert_eq!(status.code(), tonic::Code::DeadlineExceeded);
    }
}
