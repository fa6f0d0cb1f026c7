//! Profitability periods: a year "2026", a half "2026-H1", a quarter "2026-Q3" or a month
//! "2026-10". Periods order by when they end; of two ending together the longer is later
//! (it is the more complete figure).

use std::fmt;

/// Years accepted in a period label.
const YEARS: std::ops::RangeInclusive<i32> = 1990..=2100;

/// A reporting period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Period {
    year: i32,
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Year,
    Half(u8),
    Quarter(u8),
    Month(u8),
}

impl Period {
    /// Parses a label (case-insensitive); the error says what is accepted.
    pub fn parse(label: &str) -> Result<Self, String> {
        let bad = || format!("{label:?} is not a period; use 2026, 2026-H1, 2026-Q3 or 2026-10");
        let label = label.trim().to_ascii_uppercase();
        let (year, rest) = match label.split_once('-') {
            Some((year, rest)) => (year, Some(rest)),
            None => (label.as_str(), None),
        };
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        if !YEARS.contains(&year) {
            return Err(format!("year {year} is outside {}..={}", YEARS.start(), YEARS.end()));
        }
        let number = |s: &str, max: u8| -> Option<u8> {
            let n: u8 = s.parse().ok()?;
            (1..=max).contains(&n).then_some(n)
        };
        let kind = match rest {
            None => Kind::Year,
            Some(r) if r.len() == 2 && r.starts_with('H') => Kind::Half(number(&r[1..], 2).ok_or_else(bad)?),
            Some(r) if r.len() == 2 && r.starts_with('Q') => Kind::Quarter(number(&r[1..], 4).ok_or_else(bad)?),
            Some(r) if r.len() == 2 && r.bytes().all(|b| b.is_ascii_digit()) => {
                Kind::Month(number(r, 12).ok_or_else(bad)?)
            }
            Some(_) => return Err(bad()),
        };
        Ok(Self { year, kind })
    }

    /// Months the period spans: 12, 6, 3 or 1.
    pub fn months(self) -> i32 {
        match self.kind {
            Kind::Year => 12,
            Kind::Half(_) => 6,
            Kind::Quarter(_) => 3,
            Kind::Month(_) => 1,
        }
    }

    /// 12 / months: the factor that turns the period's figures into a year's.
    pub fn annualisation_factor(self) -> i32 {
        12 / self.months()
    }

    /// Index of the period's last month (year × 12 + month − 1): the stored sort key.
    pub fn end_index(self) -> i64 {
        let last_month = match self.kind {
            Kind::Year => 12,
            Kind::Half(h) => 6 * i32::from(h),
            Kind::Quarter(q) => 3 * i32::from(q),
            Kind::Month(m) => i32::from(m),
        };
        i64::from(self.year) * 12 + i64::from(last_month) - 1
    }

    /// The period of the same length just before this one.
    pub fn previous(self) -> Self {
        let (year, kind) = match self.kind {
            Kind::Year => (self.year - 1, Kind::Year),
            Kind::Half(1) => (self.year - 1, Kind::Half(2)),
            Kind::Half(h) => (self.year, Kind::Half(h - 1)),
            Kind::Quarter(1) => (self.year - 1, Kind::Quarter(4)),
            Kind::Quarter(q) => (self.year, Kind::Quarter(q - 1)),
            Kind::Month(1) => (self.year - 1, Kind::Month(12)),
            Kind::Month(m) => (self.year, Kind::Month(m - 1)),
        };
        Self { year, kind }
    }
}

impl fmt::Display for Period {
    /// The canonical label, e.g. `2026-Q3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::Year => write!(f, "{}", self.year),
            Kind::Half(h) => write!(f, "{}-H{h}", self.year),
            Kind::Quarter(q) => write!(f, "{}-Q{q}", self.year),
            Kind::Month(m) => write!(f, "{}-{m:02}", self.year),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(label: &str) -> Period {
        Period::parse(label).expect("period")
    }

    #[test]
    fn labels_parse_to_canonical_form() {
        for (given, canonical) in
            [("2026", "2026"), ("2026-h1", "2026-H1"), ("2026-Q3", "2026-Q3"), ("2026-10", "2026-10")]
        {
            assert_eq!(p(given).to_string(), canonical);
        }
        for bad in ["26", "2026-Q5", "2026-13", "2026-00", "2026-H3", "2026-1", "2026-W1", "1800", "Q3-2026", ""] {
            assert!(Period::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn lengths_ends_and_previous_periods() {
        assert_eq!(
            (p("2026").months(), p("2026-H2").months(), p("2026-Q3").months(), p("2026-10").months()),
            (12, 6, 3, 1)
        );
        assert_eq!(p("2026-Q3").annualisation_factor(), 4);
        assert_eq!(p("2026-Q3").end_index(), p("2026-09").end_index());
        assert!(p("2026-10").end_index() > p("2026-Q3").end_index());
        assert_eq!(p("2026-Q1").previous(), p("2025-Q4"));
        assert_eq!(p("2026-01").previous(), p("2025-12"));
        assert_eq!(p("2026-H2").previous(), p("2026-H1"));
        assert_eq!(p("2026").previous(), p("2025"));
    }
}
