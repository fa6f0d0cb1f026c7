//! The rules of value scoring, free of storage and transport: exact decimals, periods,
//! the value model, profitability validation, the score itself and who may do what.

pub mod convert;
pub mod decimal;
pub mod model;
pub mod model_update;
pub mod names;
pub mod period;
pub mod policy;
pub mod pricing;
pub mod profitability;
pub mod score;
pub mod sheet;

#[cfg(test)]
mod score_tests;
