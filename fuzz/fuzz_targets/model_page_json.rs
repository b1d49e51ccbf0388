//! A getmeas body from arbitrary bytes: a value or an error, never a panic; a decoded page
//! encoded again decodes equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wbs_model::{MeasurePage, Units};

fuzz_target!(|data: &[u8]| {
    let Ok(page) = serde_json::from_slice::<MeasurePage>(data) else {
        return;
    };
    let text = serde_json::to_string(&page).expect("a page encodes");
    let again: MeasurePage = serde_json::from_str(&text).expect("an encoded page decodes");
    assert_eq!(again, page);
    for group in &page.measuregrps {
        for m in &group.measures {
            let q = m.quantity();
            let _ = (q.to_string(), q.in_units(Units::Imperial), q.feet_and_inches());
        }
    }
});
