//! Fetching the parts of a client 360 view concurrently, each under its own deadline, and
//! turning every failure into a [`Warning`] that names the part and why it is missing.

use std::{future::Future, pin::Pin, time::Duration};

use crm_proto::crm::gateway::v1::{Part, Warning};
use tonic::{Code, Status};

use crate::rest::error::code_name;

/// A part's fetch: resolves to its value or the status it failed with.
pub type PartFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Status>> + Send + 'a>>;

/// Runs every part concurrently, each cut at `timeout` (DEADLINE_EXCEEDED), and returns
/// each part's outcome in the order given.
pub async fn gather<'a, T: Send + 'a>(
    parts: Vec<(Part, PartFuture<'a, T>)>,
    timeout: Duration,
) -> Vec<(Part, Result<T, Status>)> {
    let runs = parts.into_iter().map(|(part, fetch)| async move {
        let outcome = match tokio::time::timeout(timeout, fetch).await {
            Ok(result) => result,
            Err(_) => Err(Status::deadline_exceeded(format!("no answer within {} ms", timeout.as_millis()))),
        };
        (part, outcome)
    });
    futures::future::join_all(runs).await
}

/// The warning for a part that failed with `status`.
pub fn warning(part: Part, status: &Status) -> Warning {
    let reason = match status.code() {
        Code::Unavailable => {
            use tonic_types::StatusExt as _;
            match status.get_error_details().error_info() {
                Some(info) if info.reason == "BACKEND_NOT_CONFIGURED" => "BACKEND_NOT_CONFIGURED",
                _ => "BACKEND_UNAVAILABLE",
            }
        }
        // tonic reports its own client-side timeout as CANCELLED "Timeout expired"
        // (docs/architecture.md §9).
        Code::Cancelled if status.message().contains("Timeout expired") => "DEADLINE_EXCEEDED",
        // Otherwise CANCELLED here means the backend's connection went away under the call
        // (e.g. it shut down and sent GOAWAY): the backend is unavailable. The suite's
        // services never answer CANCELLED themselves.
        Code::Cancelled => "BACKEND_UNAVAILABLE",
        code => code_name(code),
    };
    tracing::info!(part = part.as_str_name(), reason, message = status.message(), "client 360 part missing");
    metrics::counter!("crm_client360_part_warnings_total", "part" => part.as_str_name(), "reason" => reason)
        .increment(1);
    Warning { part: part as i32, reason: reason.to_owned(), message: status.message().to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hanging_part_becomes_a_warning_and_the_rest_is_returned_in_time() {
        let parts: Vec<(Part, PartFuture<'_, u32>)> = vec![
            (Part::Profile, Box::pin(async { Ok(1) })),
            (Part::Contacts, Box::pin(futures::future::pending())),
            (Part::Holdings, Box::pin(async { Err(Status::unavailable("connection refused")) })),
            (Part::FinancialStatements, Box::pin(async { Ok(4) })),
        ];
        let started = std::time::Instant::now();
        let outcomes = gather(parts, Duration::from_millis(50)).await;
        assert!(started.elapsed() < Duration::from_secs(2));
        let mut values = Vec::new();
        let mut warnings = Vec::new();
        for (part, outcome) in outcomes {
            match outcome {
                Ok(v) => values.push((part, v)),
                Err(status) => warnings.push(warning(part, &status)),
            }
        }
        assert_eq!(values, [(Part::Profile, 1), (Part::FinancialStatements, 4)]);
        let named: Vec<_> = warnings.iter().map(|w| (w.part(), w.reason.as_str())).collect();
        assert_eq!(named, [(Part::Contacts, "DEADLINE_EXCEEDED"), (Part::Holdings, "BACKEND_UNAVAILABLE")]);
    }
}
