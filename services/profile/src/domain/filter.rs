//! CEL filters over a documented, flat view of a client (docs/architecture.md §6).
//!
//! Filters are parsed and checked before use by `crm_kit::expr`: only the variable
//! `client`, only the fields listed in [`FILTER_FIELDS`], bounded length, size and cost. They
//! are evaluated in the service over rows read in key order, never turned into SQL, on
//! blocking threads with the caller's deadline ([`ClientFilter::select`]).

use std::sync::Arc;

use cel::Value;
use crm_kit::{
    ApiResult,
    client_view::{CLIENT_FIELDS, ClientFacts},
    expr::{self, CheckedExpr, Evaluator, ExprRules},
};
use crm_proto::crm::profile::v1::Client;

/// Fields a filter may read, as `client.<field>`: the shared flat client view.
pub const FILTER_FIELDS: [&str; 22] = CLIENT_FIELDS;

/// A checked filter; the empty filter matches everything.
pub struct ClientFilter {
    expr: Option<Arc<CheckedExpr>>,
}

impl std::fmt::Debug for ClientFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.expr.is_some() { "ClientFilter(cel)" } else { "ClientFilter(all)" })
    }
}

impl ClientFilter {
    /// Parses and checks `source`; failures are INVALID_ARGUMENT on `filter` with the position.
    pub fn parse(source: &str, max_len: usize) -> ApiResult<Self> {
        if source.trim().is_empty() {
            return Ok(Self { expr: None });
        }
        let rules = ExprRules {
            field: "filter",
            variable: "client",
            fields: &FILTER_FIELDS,
            max_len,
            max_nodes: expr::DEFAULT_MAX_NODES,
        };
        Ok(Self { expr: Some(Arc::new(CheckedExpr::parse(source, &rules)?)) })
    }

    /// Whether the filter accepts everything.
    pub fn is_empty(&self) -> bool {
        self.expr.is_none()
    }

    /// Evaluates the filter on a client. A result that is not a boolean, or a runtime
    /// error such as comparing a string with a number, is INVALID_ARGUMENT.
    pub fn matches(&self, client: &Client) -> ApiResult<bool> {
        Ok(self.matches_each(std::slice::from_ref(client))?.first().copied().unwrap_or(false))
    }

    /// The clients of a batch with whether each matches, evaluated off the async workers
    /// and stopped at `deadline` (DEADLINE_EXCEEDED), see `crm_kit::expr::evaluate`.
    pub async fn select(
        &self,
        clients: Vec<Client>,
        deadline: Option<tokio::time::Instant>,
    ) -> ApiResult<Vec<(Client, bool)>> {
        let Some(expr) = self.expr.clone() else { return Ok(clients.into_iter().map(|c| (c, true)).collect()) };
        expr::evaluate(deadline, move |budget| {
            let evaluator = Evaluator::new();
            clients
                .into_iter()
                .map(|client| {
                    budget.check()?;
                    let matched =
                        evaluator.scope("client", view_of(&client)?).test(&expr).map_err(|e| e.into_api("filter"))?;
                    Ok((client, matched))
                })
                .collect()
        })
        .await
    }

    /// Evaluates the filter on each client of a batch, here and now. The standard CEL
    /// context (its function registry) is built once per batch; each client is bound in a
    /// child scope.
    pub fn matches_each(&self, clients: &[Client]) -> ApiResult<Vec<bool>> {
        let Some(expr) = &self.expr else { return Ok(vec![true; clients.len()]) };
        let evaluator = Evaluator::new();
        clients
            .iter()
            .map(|client| evaluator.scope("client", view_of(client)?).test(expr).map_err(|e| e.into_api("filter")))
            .collect()
    }
}

/// The flat view of a client, as a CEL value.
fn view_of(client: &Client) -> ApiResult<Value> {
    expr::to_value(ClientFacts::of(client))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_proto::{crm::profile::v1::CustomerType, google::r#type::Money};

    fn client() -> Client {
        Client {
            display_name: "华信精密".into(),
            country_code: "CN".into(),
            industry_code: "6419".into(),
            customer_type: CustomerType::Sme as i32,
            annual_turnover: Some(Money { currency_code: "CNY".into(), units: 80_000_000, nanos: 0 }),
            labels: [("segment".to_owned(), "niche".to_owned())].into(),
            ..Default::default()
        }
    }

    #[test]
    fn evaluates_documented_fields() {
        let c = client();
        for (src, expected) in [
            (r#"client.industry_code.startsWith("64") && client.annual_turnover_units > 50000000"#, true),
            (r#"client.customer_type == "SME""#, true),
            (r#"client.country_code in ["GB", "DE"]"#, false),
            (r#"client.labels["segment"] == "niche""#, true),
            (r#"!client.deleted"#, true),
        ] {
            let f = ClientFilter::parse(src, 2048).expect(src);
            assert_eq!(f.matches(&c).expect(src), expected, "{src}");
        }
    }

    #[test]
    fn rejects_bad_filters_with_position_or_field() {
        let err = ClientFilter::parse("client.country_code == ", 2048).expect_err("syntax");
        assert!(err.violations()[0].description.contains("line 1"), "{:?}", err.violations());
        let err = ClientFilter::parse("client.tax_id == 'x'", 2048).expect_err("unknown field");
        assert_eq!(err.violations()[0].field, "filter");
        assert!(ClientFilter::parse("other.x == 1", 2048).is_err());
        assert!(ClientFilter::parse(&"a".repeat(3000), 2048).is_err());
        assert!(ClientFilter::parse("client.labels.exists(k, k == 'segment')", 2048).is_ok());
    }

    #[test]
    fn non_boolean_or_type_errors_are_invalid_argument() {
        let c = client();
        assert!(ClientFilter::parse("client.employee_count", 2048).expect("parse").matches(&c).is_err());
        assert!(ClientFilter::parse("client.city > 3", 2048).expect("parse").matches(&c).is_err());
    }
}
