//! Exact fixed-point decimals with nine fractional digits (the precision of
//! `google.type.Money` nanos). Products and quotients round half-even to nine digits, so a
//! score recomputed from the decimal strings it shows gives the same digits.

use std::fmt;

use crm_proto::google::r#type::Money;

/// Nanos per unit.
const SCALE: i128 = 1_000_000_000;

/// Largest magnitude accepted from callers, in whole units (a quadrillion): keeps every
/// product of the scoring formulas far inside `i128`.
pub const MAX_UNITS: i64 = 1_000_000_000_000_000;

/// A decimal number stored as nanos (value × 10⁹).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dec(i128);

/// Arithmetic left the representable range (cannot happen for validated inputs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overflow;

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("decimal arithmetic overflow")
    }
}

impl std::error::Error for Overflow {}

/// Divides rounding half to even.
fn div_half_even(n: i128, d: i128) -> Result<i128, Overflow> {
    if d == 0 {
        return Err(Overflow);
    }
    let q = n / d;
    let r = n % d;
    if r == 0 {
        return Ok(q);
    }
    let twice = r.unsigned_abs().checked_mul(2).ok_or(Overflow)?;
    let away = match twice.cmp(&d.unsigned_abs()) {
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => q % 2 != 0,
    };
    if !away {
        return Ok(q);
    }
    // The exact quotient lies beyond q, on the side of the sign of n/d.
    if (n < 0) == (d < 0) { q.checked_add(1).ok_or(Overflow) } else { q.checked_sub(1).ok_or(Overflow) }
}

impl Dec {
    pub const ZERO: Dec = Dec(0);
    pub const ONE: Dec = Dec(SCALE);

    /// From a whole number.
    pub const fn from_int(n: i64) -> Self {
        Dec(n as i128 * SCALE)
    }

    /// From nanos (value × 10⁹).
    pub const fn from_nanos(nanos: i128) -> Self {
        Dec(nanos)
    }

    /// Value × 10⁹.
    pub const fn nanos(self) -> i128 {
        self.0
    }

    /// A double rounded half-even to nine fractional digits (`None` if not finite or huge).
    pub fn from_f64(x: f64) -> Option<Self> {
        if !x.is_finite() || x.abs() > MAX_UNITS as f64 {
            return None;
        }
        Some(Dec((x * SCALE as f64).round_ties_even() as i128))
    }

    /// The nearest double.
    pub fn to_f64(self) -> f64 {
        // Split so that whole units convert exactly and only the fraction rounds.
        (self.0 / SCALE) as f64 + (self.0 % SCALE) as f64 / SCALE as f64
    }

    /// From `google.type.Money` (`None` when units and nanos disagree in sign or nanos ≥ 10⁹).
    pub fn from_money(m: &Money) -> Option<Self> {
        let nanos = i128::from(m.nanos);
        if nanos.abs() >= SCALE || (m.units > 0 && nanos < 0) || (m.units < 0 && nanos > 0) {
            return None;
        }
        Some(Dec(i128::from(m.units) * SCALE + nanos))
    }

    /// To `google.type.Money` in `currency`.
    pub fn to_money(self, currency: &str) -> Money {
        Money {
            currency_code: currency.to_owned(),
            units: i64::try_from(self.0 / SCALE).unwrap_or(if self.0 < 0 { i64::MIN } else { i64::MAX }),
            nanos: i32::try_from(self.0 % SCALE).unwrap_or(0),
        }
    }

    /// `self + other`, exact.
    pub fn plus(self, other: Dec) -> Result<Dec, Overflow> {
        self.0.checked_add(other.0).map(Dec).ok_or(Overflow)
    }

    /// `self − other`, exact.
    pub fn minus(self, other: Dec) -> Result<Dec, Overflow> {
        self.0.checked_sub(other.0).map(Dec).ok_or(Overflow)
    }

    /// Product, rounded half-even to nine digits.
    pub fn times(self, other: Dec) -> Result<Dec, Overflow> {
        let product = self.0.checked_mul(other.0).ok_or(Overflow)?;
        div_half_even(product, SCALE).map(Dec)
    }

    /// Quotient, rounded half-even to nine digits (`Overflow` when dividing by zero).
    pub fn over(self, other: Dec) -> Result<Dec, Overflow> {
        let scaled = self.0.checked_mul(SCALE).ok_or(Overflow)?;
        div_half_even(scaled, other.0).map(Dec)
    }

    /// `self` limited to `lo..=hi`.
    pub fn clamp_to(self, lo: Dec, hi: Dec) -> Dec {
        Dec(self.0.clamp(lo.0, hi.0))
    }

    /// Whether the value is zero.
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The absolute value (saturating at the largest value).
    pub fn abs(self) -> Dec {
        Dec(self.0.checked_abs().unwrap_or(i128::MAX))
    }

    /// Whether the value is below zero.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Parses the form [`Dec`] displays: optional `-`, digits, optional `.` and up to nine digits.
    pub fn parse(text: &str) -> Option<Dec> {
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
        if whole.is_empty() || fraction.len() > 9 || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let whole: i128 = whole.parse().ok()?;
        let fraction: i128 = format!("{fraction:0<9}").parse().ok()?;
        let magnitude = whole.checked_mul(SCALE)?.checked_add(fraction)?;
        Some(Dec(if negative { -magnitude } else { magnitude }))
    }
}

impl fmt::Display for Dec {
    /// Always nine fractional digits, e.g. `-12.500000000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        let scale = SCALE.unsigned_abs();
        write!(f, "{sign}{}.{:09}", magnitude / scale, magnitude % scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Dec {
        Dec::parse(text).expect("decimal")
    }

    #[test]
    fn products_and_quotients_round_half_even() {
        assert_eq!(d("0.000000001").times(d("0.5")), Ok(d("0")), "half to even (0)");
        assert_eq!(d("0.000000003").times(d("0.5")), Ok(d("0.000000002")), "half to even (2)");
        assert_eq!(d("-0.000000003").times(d("0.5")), Ok(d("-0.000000002")));
        assert_eq!(d("1").over(d("3")), Ok(d("0.333333333")));
        assert_eq!(d("2").over(d("3")), Ok(d("0.666666667")));
        assert_eq!(d("-2").over(d("3")), Ok(d("-0.666666667")));
        assert_eq!(d("1").over(Dec::ZERO), Err(Overflow));
        assert_eq!(d("10000000").times(d("0.0025")).and_then(|x| x.times(d("0.45"))), Ok(d("11250")));
    }

    #[test]
    fn display_and_parse_round_trip() {
        for text in ["0.000000000", "-12.500000000", "90000.000000000", "0.000000001"] {
            assert_eq!(d(text).to_string(), text);
        }
        assert_eq!(d("1.5").to_string(), "1.500000000");
        assert!(Dec::parse("1.0000000001").is_none());
        assert!(Dec::parse("abc").is_none());
        assert!(Dec::parse("").is_none());
    }

    #[test]
    fn money_and_doubles_convert_exactly_where_they_can() {
        let m = Money { currency_code: "CNY".into(), units: -3, nanos: -250_000_000 };
        let v = Dec::from_money(&m).expect("valid money");
        assert_eq!(v.to_string(), "-3.250000000");
        assert_eq!(v.to_money("CNY"), m);
        assert!(Dec::from_money(&Money { currency_code: "CNY".into(), units: 1, nanos: -1 }).is_none());
        assert_eq!(Dec::from_f64(0.02), Some(d("0.02")));
        assert_eq!(Dec::from_f64(0.1 + 0.2), Some(d("0.3")));
        assert_eq!(d("0.0025").to_f64(), 0.0025);
        assert!(Dec::from_f64(f64::NAN).is_none());
    }
}
