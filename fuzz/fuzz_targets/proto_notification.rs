//! Notification parsing from an arbitrary query and body: a value or a typed error; a
//! parsed notification always has a positive user and ordered dates, and turns into a
//! getmeas request that validates.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wbs_proto::wbs_oauth::Credentials;
use wbs_proto::{parse_notification, GetMeas, Session};

fuzz_target!(|input: (Option<&str>, &[u8])| {
    let (query, body) = input;
    if let Ok(n) = parse_notification(query, body) {
        assert!(n.userid.get() > 0);
        assert!(n.startdate <= n.enddate);
        let session = Session::new(Credentials::new("k", "s"), Credentials::new("t", "u"));
        session.request(&GetMeas::for_notification(&n), "nonce", 1).expect("a notification's getmeas is valid");
    }
});
