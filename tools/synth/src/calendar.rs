//! The synthetic portfolio's calendar: its "now" and the fiscal years its statements cover.

/// "Now" of the synthetic portfolio: 2026-06-30T00:00:00Z. Every time lies before it.
pub(crate) const REFERENCE_TIME: i64 = 1_782_777_600;

/// Fiscal years and their last day (Dec 31, 00:00 UTC), oldest first.
pub(crate) const FISCAL_YEARS: [(&str, i64); 3] =
    [("FY2023", 1_703_980_800), ("FY2024", 1_735_603_200), ("FY2025", 1_767_139_200)];
