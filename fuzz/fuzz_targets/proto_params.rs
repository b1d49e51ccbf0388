//! The parameter contract from an arbitrary query: `form_pairs` and `AnyCall::from_params`
//! give a call or a typed refusal; a call read from parameters writes parameters that read
//! back to the same call (what the sandbox reads is what a client would send).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wbs_proto::wbs_oauth::form_pairs;
use wbs_proto::{
    AnyCall, Call, GetMeas, GetSubscription, GetUser, ListSubscriptions, Params, Probe, Revoke,
    Subscribe,
};

fn round_trip<C: Call + PartialEq + std::fmt::Debug>(call: &C) {
    let mut out = Vec::new();
    call.params(&mut out).expect("a call read from parameters writes them");
    let mut pairs: Vec<(&str, &str)> = vec![("action", C::ACTION)];
    pairs.extend(out.iter().map(|(n, v)| (*n, v.as_ref())));
    let params: Params = pairs.into_iter().collect();
    assert_eq!(&C::from_params(&params).expect("reads back"), call);
}

fuzz_target!(|input: (&str, &str)| {
    let (service, query) = input;
    let Ok(pairs) = form_pairs(query).collect::<Result<Vec<_>, _>>() else {
        return;
    };
    let params: Params = pairs.iter().map(|(n, v)| (n.as_ref(), v.as_ref())).collect();
    let Ok(call) = AnyCall::from_params(service, &params) else {
        return;
    };
    match &call {
        AnyCall::Probe(c) => round_trip::<Probe>(c),
        AnyCall::GetUser(c) => round_trip::<GetUser>(c),
        AnyCall::GetMeas(c) => round_trip::<GetMeas>(c),
        AnyCall::Subscribe(c) => round_trip::<Subscribe>(c),
        AnyCall::GetSubscription(c) => round_trip::<GetSubscription>(c),
        AnyCall::ListSubscriptions(c) => round_trip::<ListSubscriptions>(c),
        AnyCall::Revoke(c) => round_trip::<Revoke>(c),
        _ => {}
    }
});
