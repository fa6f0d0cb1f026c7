//! Value scoring service: value models, profitability, risk-adjusted value scores, loan pricing.
