//! Property tests: exact scaling against an independent reference, ordering, Display/parse,
//! serde round trips, and no panic anywhere in the i64 × i32 range.

use std::cmp::Ordering;

use proptest::prelude::*;
use wbs_model::{
    Decimal, GroupExtra, Measure, MeasureExtra, MeasureGroup, MeasurePage, MeasureType, More,
    Quantity, Timestamp, Units,
};

/// The reference: `value × 10^unit` computed on the digit string alone, as
/// (negative, significant digits without trailing zeros, exponent of the last digit).
fn reference(value: i64, unit: i32) -> (bool, String, i64) {
    let text = value.to_string();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d.to_owned()),
        None => (false, text),
    };
    let trimmed = digits.trim_end_matches('0');
    if trimmed.is_empty() {
        return (false, "0".to_owned(), 0);
    }
    let zeros = (digits.len() - trimmed.len()) as i64;
    (negative, trimmed.to_owned(), i64::from(unit) + zeros)
}

/// The reference in plain notation: insert the point into the digit string.
fn reference_plain(value: i64, unit: i32) -> String {
    let (negative, digits, exp) = reference(value, unit);
    let sign = if negative { "-" } else { "" };
    if digits == "0" {
        return "0".to_owned();
    }
    if exp >= 0 {
        format!("{sign}{digits}{}", "0".repeat(exp as usize))
    } else {
        let point = digits.len() as i64 + exp;
        if point > 0 {
            let (a, b) = digits.split_at(point as usize);
            format!("{sign}{a}.{b}")
        } else {
            format!("{sign}0.{}{digits}", "0".repeat((-point) as usize))
        }
    }
}

/// Compares two (value, unit) pairs by aligning their digit strings.
fn reference_cmp(a: (i64, i32), b: (i64, i32)) -> Ordering {
    let (na, da, ea) = reference(a.0, a.1);
    let (nb, db, eb) = reference(b.0, b.1);
    let sign = |n: bool, d: &str| {
        if d == "0" {
            0
        } else if n {
            -1
        } else {
            1
        }
    };
    let (sa, sb) = (sign(na, &da), sign(nb, &db));
    if sa != sb || sa == 0 {
        return sa.cmp(&sb);
    }
    let low = ea.min(eb);
    let pad = |d: &str, e: i64| format!("{d}{}", "0".repeat((e - low) as usize));
    let (pa, pb) = (pad(&da, ea), pad(&db, eb));
    let magnitude = pa.len().cmp(&pb.len()).then_with(|| pa.cmp(&pb));
    if sa < 0 {
        magnitude.reverse()
    } else {
        magnitude
    }
}

fn unit_in_range() -> impl Strategy<Value = i32> {
    -30i32..=30
}

fn code() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(1i64),
        Just(4),
        Just(88),
        Just(130),
        Just(229),
        any::<i64>(),
        0i64..100_000
    ]
}

fn group() -> impl Strategy<Value = MeasureGroup> {
    let measure = (
        code(),
        any::<i64>(),
        any::<i32>(),
        proptest::option::of(any::<i64>()),
    )
        .prop_map(|(c, v, u, position)| Measure {
            extra: position.map(|position| {
                Box::new(MeasureExtra {
                    position: Some(position),
                    ..MeasureExtra::default()
                })
            }),
            ..Measure::new(MeasureType::from_code(c), v, u)
        });
    (
        any::<i64>(),
        prop_oneof![Just(0i64), Just(2), any::<i64>()],
        any::<i64>(),
        prop_oneof![Just(1i64), Just(2), any::<i64>()],
        prop::collection::vec(measure, 0..5),
        proptest::option::of("[a-zA-Z/_]{0,20}"),
        proptest::option::of(any::<i64>()),
    )
        .prop_map(
            |(id, attrib, date, category, measures, timezone, modified)| {
                let extra = GroupExtra {
                    timezone,
                    modified: modified.map(Timestamp::from_secs),
                    ..GroupExtra::default()
                };
                MeasureGroup::from_wire(id, attrib, date, category, measures, extra)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn exact_value_agrees_with_the_reference(value in any::<i64>(), unit in unit_in_range()) {
        let d = Decimal::new(value, unit);
        let (negative, digits, exp) = reference(value, unit);
        prop_assert_eq!(d.mantissa().unsigned_abs().to_string(), digits);
        prop_assert_eq!(d.is_negative(), negative);
        if !d.is_zero() {
            prop_assert_eq!(d.exponent(), exp);
        }
        if (-40..=40).contains(&d.exponent()) {
            prop_assert_eq!(d.to_string(), reference_plain(value, unit));
        }
        // f64: std's correctly rounded decimal parser is the reference.
        let expected: f64 = format!("{value}e{unit}").parse().unwrap();
        prop_assert_eq!(d.to_f64(), expected);
    }

    #[test]
    fn ordering_agrees_with_the_reference(a in any::<i64>(), ua in unit_in_range(), b in any::<i64>(), ub in unit_in_range()) {
        let (x, y) = (Decimal::new(a, ua), Decimal::new(b, ub));
        prop_assert_eq!(x.cmp(&y), reference_cmp((a, ua), (b, ub)));
        prop_assert_eq!(x == y, reference_cmp((a, ua), (b, ub)) == Ordering::Equal);
    }

    #[test]
    fn equal_values_at_other_scales_are_equal(v in -1_000_000i64..1_000_000, unit in unit_in_range(), k in 0u32..10) {
        let scaled = v * 10i64.pow(k);
        prop_assert_eq!(Decimal::new(scaled, unit - k as i32), Decimal::new(v, unit));
    }

    #[test]
    fn display_then_parse_is_identity(value in any::<i64>(), unit in any::<i32>()) {
        let d = Decimal::new(value, unit);
        prop_assert_eq!(d.to_string().parse::<Decimal>(), Ok(d));
    }

    #[test]
    fn display_then_parse_is_identity_in_plain_range(value in any::<i64>(), unit in -60i32..60) {
        let d = Decimal::new(value, unit);
        prop_assert_eq!(d.to_string().parse::<Decimal>(), Ok(d));
    }

    #[test]
    fn nothing_panics_over_the_whole_range(value in any::<i64>(), unit in any::<i32>(), other in any::<i64>(), ou in any::<i32>(), code in any::<i64>()) {
        let (d, e) = (Decimal::new(value, unit), Decimal::new(other, ou));
        let _ = (d.to_f64(), d.checked_add(e), d.checked_sub(e), d.checked_mul(e), d.checked_div_rounded(e, -4), d.round_to(-2));
        let m = Measure::new(MeasureType::from_code(code), value, unit);
        let q: Quantity = m.quantity();
        let _ = (q.to_string(), q.in_units(Units::Imperial), q.in_units(Units::Si), q.feet_and_inches());
    }

    #[test]
    fn exact_addition_and_multiplication(a in -1_000_000i64..1_000_000, ua in -6i32..6, b in -1_000_000i64..1_000_000, ub in -6i32..6) {
        // These ranges keep every exact sum and product within 18 significant digits.
        // Reference in i128 at a common scale of 10^-18.
        let scale = |v: i64, u: i32| i128::from(v) * 10i128.pow((u + 18) as u32);
        let sum = Decimal::new(a, ua).checked_add(Decimal::new(b, ub)).unwrap();
        let expected = scale(a, ua) + scale(b, ub);
        prop_assert_eq!(sum.to_string().parse::<Decimal>().unwrap(), sum);
        let (neg, digits, exp) = (expected < 0, expected.unsigned_abs().to_string(), -18i64);
        let reference = format!("{}{}e{}", if neg { "-" } else { "" }, digits, exp).parse::<Decimal>().unwrap();
        prop_assert_eq!(sum, reference);
        let product = Decimal::new(a, ua).checked_mul(Decimal::new(b, ub)).unwrap();
        let p = i128::from(a) * i128::from(b);
        prop_assert_eq!(product, format!("{p}e{}", ua + ub).parse::<Decimal>().unwrap());
    }

    #[test]
    fn sums_beyond_nineteen_digits_are_a_typed_error(a in 1i64..1_000_000_000, b in 1i64..1_000_000_000) {
        // a × 10^10 + b × 10^-10 needs at least 21 significant digits.
        let r = Decimal::new(a, 10).checked_add(Decimal::new(b * 10 + 1, -11));
        prop_assert_eq!(r, Err(wbs_model::ArithmeticError::Overflow));
    }

    #[test]
    fn serde_round_trips_groups_with_unknown_codes(groups in prop::collection::vec(group(), 0..4), more in prop_oneof![any::<u64>().prop_map(More::Remaining), any::<bool>().prop_map(More::Flag)]) {
        let page = MeasurePage { updatetime: Timestamp::from_secs(1_700_000_000), more, offset: None, timezone: None, measuregrps: groups };
        let text = serde_json::to_string(&page).unwrap();
        let back: MeasurePage = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back, page);
    }
}
