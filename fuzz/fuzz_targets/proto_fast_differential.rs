//! Differential: whenever the getmeas fast path answers for arbitrary bytes, the general
//! decoder accepts the same bytes and gives the same page.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wbs_proto::http::StatusCode;
use wbs_proto::internal::{getmeas_fast, getmeas_general};

fuzz_target!(|body: &[u8]| {
    if let Some(fast) = getmeas_fast(body) {
        let general = getmeas_general(StatusCode::OK, body).expect("the general decoder accepts it too");
        assert_eq!(fast, general);
    }
});
