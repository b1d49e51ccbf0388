//! Signing into a reused buffer makes no heap allocation (counted by a global allocator).
//!
//! Only the allocations of the thread that signs are counted: the test harness's own
//! thread (its channel, its timer) may allocate at any moment while a test runs, and a
//! process-wide count once saw 4 of those in a loop that made none.
//!
//! A global allocator needs an `unsafe impl`: this test crate, and only it, allows unsafe
//! code; every library crate forbids it.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use wbs_oauth::{OAuthParams, Secret, Signer, UrlBuffer};

struct Counting;

thread_local! {
    /// This thread's allocations. A `const` thread local of a `Cell<usize>` has no
    /// destructor and needs no lazy initialisation, so reading it never allocates.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: while a thread is torn down its slot may be gone; what it allocates
    // then is not the signing this test watches.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const CONSUMER_SECRET: &str = "0123456789abcdef0123456789abcdef01234567";
const TOKEN_SECRET: &str = "76543210fedcba9876543210fedcba9876543210";

#[test]
fn getmeas_signature_into_reused_buffer_does_not_allocate() {
    let signer = Signer::hmac_sha1(
        &Secret::new(CONSUMER_SECRET),
        Some(&Secret::new(TOKEN_SECRET)),
    );
    let params = [
        ("action", "getmeas"),
        ("userid", "1229"),
        ("startdate", "1222819200"),
        ("enddate", "1223190167"),
    ];
    let oauth = OAuthParams::new(
        "7e563166232c6821742b4c277350494a455f392b353e5d49712a34762a",
        "f22d74f2209ddf0c6558a47c02841fb1",
        "1309783586",
    )
    .token("c68567f1760552958d713e92088db9f5c5189754dfe4e92068971f4e25d64");
    let mut buf = UrlBuffer::new();
    let url = "http://wbsapi.withings.net/measure";
    let first = signer
        .sign_url_into("GET", url, &params, &oauth, &mut buf)
        .unwrap()
        .to_owned();
    assert!(first.contains("oauth_signature="));
    assert_no_allocation("signatures", || {
        signer
            .sign_url_into("GET", url, &params, &oauth, &mut buf)
            .map(|u| u == first)
    });

    // The same through an endpoint parsed once.
    let endpoint = wbs_oauth::Endpoint::parse(url).unwrap();
    assert_no_allocation("signatures to an endpoint", || {
        signer
            .sign_url_into("GET", &endpoint, &params, &oauth, &mut buf)
            .map(|u| u == first)
    });

    // And through a TokenSigner, its fixed parameters prepared once.
    let bound = wbs_oauth::TokenSigner::new(
        &wbs_oauth::Credentials::new(oauth.consumer_key, CONSUMER_SECRET),
        Some(&wbs_oauth::Credentials::new(
            oauth.token.unwrap_or_default(),
            TOKEN_SECRET,
        )),
    );
    assert_no_allocation("signatures of a TokenSigner", || {
        bound
            .sign_url_into(
                "GET",
                &endpoint,
                &params,
                oauth.nonce,
                oauth.timestamp,
                &mut buf,
            )
            .map(|u| u == first)
    });
}

/// Calls `sign` (which says whether it signed the expected URL) once to grow its buffer,
/// then 100 times, none of which may allocate.
fn assert_no_allocation(what: &str, mut sign: impl FnMut() -> Result<bool, wbs_oauth::Error>) {
    assert_eq!(sign(), Ok(true), "{what}: the first");
    let before = allocations();
    for _ in 0..100 {
        assert_eq!(sign(), Ok(true), "{what}");
    }
    let after = allocations();
    assert_eq!(after - before, 0, "allocations in 100 {what}");
}
