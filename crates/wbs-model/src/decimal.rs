//! Exact decimal numbers: the API's `value × 10^unit`, never a float.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// An exact decimal number `mantissa × 10^exponent`.
///
/// This is how the API sends every measure ("real_value = value * 10^unit"). It is kept
/// normalised (no trailing zeros in the mantissa), so equal values are equal structurally:
/// `79300 × 10^-3 == 793 × 10^-1`. The exponent is an `i64`, so any `i64` value with any
/// `i32` unit is representable: construction never fails and never panics.
///
/// ```
/// use wbs_model::Decimal;
/// let w = Decimal::new(79300, -3);
/// assert_eq!(w.to_string(), "79.3");
/// assert_eq!(w, Decimal::new(793, -1));
/// assert!(w < Decimal::new(8, 1));
/// assert_eq!(w.to_f64(), 79.3);
/// assert_eq!("14.125".parse::<Decimal>().unwrap(), Decimal::new(14125, -3));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    mantissa: i64,
    exponent: i64,
}

/// Plain notation (`0.0001`, `12300`) is used while the exponent is within this range;
/// beyond it `Display` writes `1.23e45`, so that no value prints billions of zeros.
const PLAIN_RANGE: i64 = 40;

impl Decimal {
    /// Zero.
    pub const ZERO: Self = Self {
        mantissa: 0,
        exponent: 0,
    };

    /// `mantissa × 10^exponent`, as the API sends a measure (`value`, `unit`).
    pub fn new(mantissa: i64, exponent: i32) -> Self {
        Self::normalized(mantissa, i64::from(exponent))
    }

    /// For constants already normalised (no trailing zeros in `mantissa`).
    pub(crate) const fn from_parts_normalized(mantissa: i64, exponent: i64) -> Self {
        Self { mantissa, exponent }
    }

    fn normalized(mut mantissa: i64, mut exponent: i64) -> Self {
        if mantissa == 0 {
            return Self::ZERO;
        }
        while mantissa % 10 == 0 {
            mantissa /= 10;
            exponent += 1;
        }
        Self { mantissa, exponent }
    }

    /// Builds from an `i128` mantissa, stripping zeros first; fails if it still does not fit.
    fn from_wide(mut mantissa: i128, mut exponent: i64) -> Result<Self, ArithmeticError> {
        if mantissa == 0 {
            return Ok(Self::ZERO);
        }
        while mantissa % 10 == 0 {
            mantissa /= 10;
            exponent = exponent.checked_add(1).ok_or(ArithmeticError::Overflow)?;
        }
        let mantissa = i64::try_from(mantissa).map_err(|_| ArithmeticError::Overflow)?;
        Ok(Self { mantissa, exponent })
    }

    /// The significant digits, signed, without trailing zeros.
    pub fn mantissa(self) -> i64 {
        self.mantissa
    }

    /// The power of ten of [`Decimal::mantissa`].
    pub fn exponent(self) -> i64 {
        self.exponent
    }

    /// Whether this is zero.
    pub fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// Whether this is below zero.
    pub fn is_negative(self) -> bool {
        self.mantissa < 0
    }

    /// The nearest `f64` (correctly rounded; infinite or zero beyond `f64`'s range).
    pub fn to_f64(self) -> f64 {
        // Exact fast path: both factors are exact in f64 and one operation rounds once.
        const POW10: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        if self.mantissa.unsigned_abs() < (1 << 53) {
            let m = self.mantissa as f64;
            let e = usize::try_from(self.exponent.unsigned_abs()).ok();
            if let Some(p) = e.and_then(|e| POW10.get(e)) {
                return if self.exponent >= 0 { m * p } else { m / p };
            }
        }
        // Otherwise the standard library's correctly rounded decimal parser does it.
        format!("{}e{}", self.mantissa, self.exponent)
            .parse()
            .unwrap_or(f64::NAN)
    }

    /// `self + other`, exactly.
    pub fn checked_add(self, other: Self) -> Result<Self, ArithmeticError> {
        if self.is_zero() {
            return Ok(other);
        }
        if other.is_zero() {
            return Ok(self);
        }
        let (hi, lo) = if self.exponent >= other.exponent {
            (self, other)
        } else {
            (other, self)
        };
        let shift = hi
            .exponent
            .checked_sub(lo.exponent)
            .ok_or(ArithmeticError::Overflow)?;
        let scaled = pow10_i128(shift)
            .and_then(|p| i128::from(hi.mantissa).checked_mul(p))
            .ok_or(ArithmeticError::Overflow)?;
        let sum = scaled
            .checked_add(i128::from(lo.mantissa))
            .ok_or(ArithmeticError::Overflow)?;
        Self::from_wide(sum, lo.exponent)
    }

    /// `self - other`, exactly.
    pub fn checked_sub(self, other: Self) -> Result<Self, ArithmeticError> {
        let negated = other
            .mantissa
            .checked_neg()
            .ok_or(ArithmeticError::Overflow)?;
        self.checked_add(Self {
            mantissa: negated,
            exponent: other.exponent,
        })
    }

    /// `self × other`, exactly.
    pub fn checked_mul(self, other: Self) -> Result<Self, ArithmeticError> {
        let product = i128::from(self.mantissa) * i128::from(other.mantissa);
        let exponent = self
            .exponent
            .checked_add(other.exponent)
            .ok_or(ArithmeticError::Overflow)?;
        Self::from_wide(product, exponent)
    }

    /// `self ÷ other`, rounded half to even to a multiple of `10^scale` (for example
    /// `scale = -2` keeps two decimal places). Exact whenever the quotient is.
    ///
    /// ```
    /// use wbs_model::Decimal;
    /// let kg = Decimal::new(793, -1);
    /// let lb_per_kg = Decimal::new(45359237, -8);
    /// assert_eq!(kg.checked_div_rounded(lb_per_kg, -4).unwrap().to_string(), "174.8266");
    /// ```
    pub fn checked_div_rounded(self, other: Self, scale: i64) -> Result<Self, ArithmeticError> {
        if other.is_zero() {
            return Err(ArithmeticError::DivisionByZero);
        }
        if self.is_zero() {
            return Ok(Self::ZERO);
        }
        // q = (a × 10^ea) / (b × 10^eb) = (a / b) × 10^(ea - eb); we want round(q / 10^scale)
        // = round(a × 10^(ea - eb - scale) / b).
        let shift = self
            .exponent
            .checked_sub(other.exponent)
            .and_then(|s| s.checked_sub(scale))
            .ok_or(ArithmeticError::Overflow)?;
        let a = i128::from(self.mantissa);
        let b = i128::from(other.mantissa);
        let (num, den) = if shift >= 0 {
            let p = pow10_i128(shift).ok_or(ArithmeticError::Overflow)?;
            (a.checked_mul(p).ok_or(ArithmeticError::Overflow)?, b)
        } else {
            let p = pow10_i128(-shift).ok_or(ArithmeticError::Overflow);
            match p.and_then(|p| b.checked_mul(p).ok_or(ArithmeticError::Overflow)) {
                Ok(den) => (a, den),
                // The divisor is so large that the quotient rounds to zero at this scale.
                Err(_) => return Ok(Self::ZERO),
            }
        };
        let q = num / den;
        let r = num % den;
        // Half to even: compare 2|r| with |den|.
        let twice = r.unsigned_abs().saturating_mul(2);
        let rounded = match twice.cmp(&den.unsigned_abs()) {
            Ordering::Less => q,
            Ordering::Greater => q + if (num < 0) == (den < 0) { 1 } else { -1 },
            Ordering::Equal if q % 2 == 0 => q,
            Ordering::Equal => q + if (num < 0) == (den < 0) { 1 } else { -1 },
        };
        Self::from_wide(rounded, scale)
    }

    /// Rounds half to even to a multiple of `10^scale`.
    pub fn round_to(self, scale: i64) -> Self {
        if self.exponent >= scale {
            return self;
        }
        // Dividing by one only rounds; it cannot overflow as the result is no larger.
        self.checked_div_rounded(Self::new(1, 0), scale)
            .unwrap_or(self)
    }

    /// The adjusted exponent: the power of ten of the leading digit.
    fn magnitude(self) -> i64 {
        let digits = i64::from(self.mantissa.unsigned_abs().checked_ilog10().unwrap_or(0));
        self.exponent.saturating_add(digits)
    }
}

/// 10^n as an `i128`, when it fits.
fn pow10_i128(n: i64) -> Option<i128> {
    10i128.checked_pow(u32::try_from(n).ok()?)
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |d: &Self| d.mantissa.signum();
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
        if self.mantissa == 0 {
            return Ordering::Equal;
        }
        // Same sign: compare magnitudes, then flip for negatives.
        let magnitude_order = match self.magnitude().cmp(&other.magnitude()) {
            Ordering::Equal => {
                // Same leading power: the exponents differ by less than 19, so aligning the
                // mantissas in i128 is exact.
                let (a, b) = (
                    i128::from(self.mantissa.unsigned_abs()),
                    i128::from(other.mantissa.unsigned_abs()),
                );
                let diff = self.exponent - other.exponent;
                let (a, b) = if diff >= 0 {
                    (a * pow10_i128(diff).unwrap_or(1), b)
                } else {
                    (a, b * pow10_i128(-diff).unwrap_or(1))
                };
                a.cmp(&b)
            }
            unequal => unequal,
        };
        if self.mantissa < 0 {
            magnitude_order.reverse()
        } else {
            magnitude_order
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.unsigned_abs().to_string();
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let len = i64::try_from(digits.len()).unwrap_or(i64::MAX);
        if self.exponent >= 0 && self.exponent <= PLAIN_RANGE {
            let zeros = usize::try_from(self.exponent).unwrap_or(0);
            write!(f, "{sign}{digits}{}", "0".repeat(zeros))
        } else if self.exponent < 0 && self.exponent >= -PLAIN_RANGE {
            let point = len + self.exponent;
            if point > 0 {
                let (int, frac) = digits.split_at(usize::try_from(point).unwrap_or(0));
                write!(f, "{sign}{int}.{frac}")
            } else {
                let zeros = usize::try_from(-point).unwrap_or(0);
                write!(f, "{sign}0.{}{digits}", "0".repeat(zeros))
            }
        } else {
            // Scientific: d.ddde±x, the exponent of the leading digit.
            let (lead, rest) = digits.split_at(1);
            let exp = self.exponent.saturating_add(len - 1);
            if rest.is_empty() {
                write!(f, "{sign}{lead}e{exp}")
            } else {
                write!(f, "{sign}{lead}.{rest}e{exp}")
            }
        }
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({self})")
    }
}

impl FromStr for Decimal {
    type Err = ParseDecimalError;

    /// Parses `[-+]digits[.digits][e[-+]digits]` (what `Display` writes, and more).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = ParseDecimalError(());
        let (number, exp) = match s.find(['e', 'E']) {
            Some(i) => (
                s.get(..i).ok_or(err)?,
                s.get(i + 1..).ok_or(err)?.parse::<i64>().map_err(|_| err)?,
            ),
            None => (s, 0),
        };
        let (negative, number) = match number.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, number.strip_prefix('+').unwrap_or(number)),
        };
        let (int, frac) = number.split_once('.').unwrap_or((number, ""));
        if int.is_empty() && frac.is_empty() {
            return Err(err);
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(err);
        }
        // Zeros are held back as a count and multiplied in only when a non-zero digit
        // follows: "2867056833774750153" followed by 40 zeros has 19 significant digits,
        // however many zeros trail it.
        let mut mantissa: i128 = 0;
        let mut pending_zeros: u32 = 0;
        let mut exponent = exp;
        for (i, b) in int.bytes().chain(frac.bytes()).enumerate() {
            if i >= int.len() {
                exponent = exponent.checked_sub(1).ok_or(err)?;
            }
            let d = i128::from(b - b'0');
            if d == 0 {
                pending_zeros = pending_zeros.saturating_add(1);
                continue;
            }
            if mantissa == 0 {
                // Leading zeros carry no digits; the exponent already moved for fraction ones.
                mantissa = d;
            } else {
                let scale = 10i128
                    .checked_pow(pending_zeros.saturating_add(1))
                    .ok_or(err)?;
                mantissa = mantissa
                    .checked_mul(scale)
                    .and_then(|m| m.checked_add(d))
                    .ok_or(err)?;
            }
            pending_zeros = 0;
        }
        if mantissa == 0 {
            return Ok(Decimal::ZERO);
        }
        exponent = exponent.checked_add(i64::from(pending_zeros)).ok_or(err)?;
        let mantissa = if negative { -mantissa } else { mantissa };
        Decimal::from_wide(mantissa, exponent).map_err(|_| err)
    }
}

/// The text is not a decimal number this type can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a decimal number within range")]
pub struct ParseDecimalError(());

/// Why exact arithmetic has no result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArithmeticError {
    /// The exact result needs more than 19 significant digits or an exponent beyond `i64`.
    #[error("result out of the exact decimal range")]
    Overflow,
    /// Division by zero.
    #[error("division by zero")]
    DivisionByZero,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_examples_print_exactly() {
        assert_eq!(Decimal::new(79300, -3).to_string(), "79.3");
        assert_eq!(Decimal::new(652, -1).to_string(), "65.2");
        assert_eq!(Decimal::new(178, -1).to_string(), "17.8");
        assert_eq!(Decimal::new(14125, -3).to_string(), "14.125");
        assert_eq!(Decimal::new(173, -2).to_string(), "1.73");
        assert_eq!(Decimal::new(326, -2).to_string(), "3.26");
    }

    #[test]
    fn display_forms() {
        assert_eq!(Decimal::new(5, 2).to_string(), "500");
        assert_eq!(Decimal::new(-5, -3).to_string(), "-0.005");
        assert_eq!(Decimal::new(0, -7).to_string(), "0");
        assert_eq!(Decimal::new(123, 50).to_string(), "1.23e52");
        assert_eq!(
            Decimal::new(i64::MIN, i32::MIN).to_string(),
            "-9.223372036854775808e-2147483630"
        );
    }

    #[test]
    fn long_plain_forms_parse_back() {
        // Found by the model_decimal fuzz target: 19 digits and 39 zeros.
        let d = Decimal::new(2867056833774750153, 39);
        assert_eq!(d.to_string().parse::<Decimal>(), Ok(d));
        let small = Decimal::new(-2867056833774750153, -40);
        assert_eq!(small.to_string().parse::<Decimal>(), Ok(small));
        assert_eq!("000.000".parse::<Decimal>(), Ok(Decimal::ZERO));
        // Also found by fuzzing: 38 leading zeros before the first digit.
        let tiny = Decimal::new(1, -38);
        assert_eq!(tiny.to_string().parse::<Decimal>(), Ok(tiny));
        assert_eq!("0.0100".parse::<Decimal>(), Ok(Decimal::new(1, -2)));
    }

    #[test]
    fn extremes_never_panic() {
        for v in [i64::MIN, i64::MAX, 0, 10, -10] {
            for u in [i32::MIN, i32::MAX, 0] {
                let d = Decimal::new(v, u);
                let _ = d.to_f64();
                let _ = d.checked_add(d);
                let _ = d.checked_mul(d);
                let _ = d.checked_div_rounded(Decimal::new(3, 0), -2);
                let _ = d.round_to(0);
                assert_eq!(d.to_string().parse::<Decimal>(), Ok(d));
            }
        }
    }

    #[test]
    fn arithmetic() {
        let a = Decimal::new(18, -1);
        assert_eq!(
            a.checked_mul(Decimal::new(37, 0))
                .unwrap()
                .checked_add(Decimal::new(32, 0))
                .unwrap()
                .to_string(),
            "98.6"
        );
        assert_eq!(
            Decimal::new(1, 0)
                .checked_div_rounded(Decimal::new(3, 0), -3)
                .unwrap()
                .to_string(),
            "0.333"
        );
        assert_eq!(Decimal::new(25, -1).round_to(0).to_string(), "2");
        assert_eq!(Decimal::new(35, -1).round_to(0).to_string(), "4");
        assert_eq!(Decimal::new(-25, -1).round_to(0).to_string(), "-2");
        assert_eq!(
            Decimal::new(1, 0).checked_div_rounded(Decimal::ZERO, 0),
            Err(ArithmeticError::DivisionByZero)
        );
        assert_eq!(
            Decimal::new(i64::MAX, 0).checked_add(Decimal::new(1, -30)),
            Err(ArithmeticError::Overflow)
        );
    }

    #[test]
    fn ordering_is_exact() {
        assert!(Decimal::new(1, 0) > Decimal::new(999_999_999_999_999_999, -18));
        assert!(Decimal::new(-1, 0) < Decimal::new(-999_999_999_999_999_999, -18));
        assert!(Decimal::new(1, -100) > Decimal::ZERO);
        assert!(Decimal::new(-1, 100) < Decimal::new(1, -100));
    }
}
