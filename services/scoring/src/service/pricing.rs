//! QuoteLoanPrice: a risk-based rate for a client with the current model; nothing stored.

use crm_kit::{ApiError, ApiResult, time};
use crm_proto::crm::scoring::v1::{LoanPriceQuote, QuoteLoanPriceRequest};

use super::{Caller, ScoringApp, is_sme};
use crate::domain::{names, policy, pricing};

impl ScoringApp {
    /// QuoteLoanPrice: every role that sees money may ask for a quote.
    pub async fn quote_loan_price(&self, caller: &Caller, req: QuoteLoanPriceRequest) -> ApiResult<LoanPriceQuote> {
        policy::can_read_profitability(&caller.principal).map_err(|e| e.with_resource(&req.client))?;
        let client_id = names::client_id(&req.client)
            .ok_or_else(|| ApiError::invalid("client", "must be of the form clients/{client}"))?;
        let terms = pricing::validate(&req)?;
        let client = self.peers.client(client_id).await?.ok_or_else(|| ApiError::not_found(&req.client))?;
        let (_, params) = self.current_params().await?;
        let quote = pricing::quote(&params, &client.credit_grade, is_sme(&client), &terms)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?;
        Ok(LoanPriceQuote {
            client: client.name,
            credit_grade: quote.grade,
            model_version: params.version,
            amount: req.amount,
            tenor_months: terms.tenor_months,
            rate: quote.rate.to_f64(),
            terms: quote.terms,
            annual_interest: Some(quote.annual_interest.to_money(&terms.currency)),
            quote_time: Some(time::to_timestamp(time::now_micros())),
            floor_rate: quote.floor.to_f64(),
            margin_rate: quote.margin.to_f64(),
        })
    }
}
