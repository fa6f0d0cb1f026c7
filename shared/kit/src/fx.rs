//! The bank's reference exchange rates: the defaults the value model and segmentation
//! schemes start from when no table of their own is given (both can be changed through
//! their APIs). Money is compared in one reporting currency; these rates convert into it.

/// The reporting currency of the reference rates.
pub const REPORTING_CURRENCY: &str = "CNY";

/// The date the reference rates are as of.
pub const REFERENCE_AS_OF: &str = "2025-12-31";

/// Approximate year-end 2025 reference rates, CNY per unit of each currency: a bank setting,
/// to be replaced by the bank's own fixing.
pub const REFERENCE_RATES: [(&str, f64); 8] = [
    ("AUD", 4.651163),
    ("EUR", 8.0),
    ("GBP", 9.52381),
    ("HKD", 0.917431),
    ("JPY", 0.047619),
    ("KRW", 0.005128),
    ("SGD", 5.555556),
    ("USD", 7.142857),
];
