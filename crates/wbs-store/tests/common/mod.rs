//! What the store's tests share.

/// The PostgreSQL server the tests may use (`WBS_TEST_POSTGRES`); `None` (with a notice)
/// when none is given, which CI (`CI` set) never allows.
pub fn postgres_url(what: &str) -> Option<String> {
    match std::env::var("WBS_TEST_POSTGRES") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must give WBS_TEST_POSTGRES"
            );
            eprintln!("note: WBS_TEST_POSTGRES is not set: {what} is skipped");
            None
        }
    }
}
