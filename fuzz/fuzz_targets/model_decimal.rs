//! Decimal text: parsing never panics, and whatever parses prints and parses back equal;
//! the exact value's f64 and arithmetic never panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wbs_model::Decimal;

fuzz_target!(|input: (&str, i64, i32)| {
    let (text, value, unit) = input;
    if let Ok(d) = text.parse::<Decimal>() {
        assert_eq!(d.to_string().parse::<Decimal>(), Ok(d));
        let _ = d.to_f64();
    }
    let d = Decimal::new(value, unit);
    assert_eq!(d.to_string().parse::<Decimal>(), Ok(d));
    let _ = d.checked_div_rounded(Decimal::new(45_359_237, -8), -4);
});
