//! Keeping a user's token set: the hook a client calls after each refresh, before it uses
//! the new access token. No I/O here: implementations bring their own.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;

use crate::TokenSet;

/// A boxed future, for [`TokenSink`] (a trait object).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a [`TokenSink`] could not keep or read a set (its own error, boxed).
pub type SinkError = Box<dyn StdError + Send + Sync>;

/// What a [`TokenSink`]'s methods return.
pub type SinkFuture<'a, T> = BoxFuture<'a, Result<T, SinkError>>;

/// Where a refreshed token set is kept (a store, a config file). `save` must return only
/// once the set is durable: a client uses the new access token only after that, so that
/// the rotated refresh token is never lost (the old one stays valid until then).
pub trait TokenSink: Send + Sync {
    /// Keeps `set` (replacing the user's earlier one).
    fn save<'a>(&'a self, set: &'a TokenSet) -> SinkFuture<'a, ()>;

    /// The user's set as kept now, read just before a refresh: if another process
    /// refreshed meanwhile, its newer set is taken instead of trading a refresh token the
    /// service has retired. The default keeps nothing to read.
    fn load(&self, userid: i64) -> SinkFuture<'_, Option<TokenSet>> {
        let _ = userid;
        Box::pin(async { Ok(None) })
    }
}

/// A sink that keeps nothing (a token set used for one run only).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSink;

impl TokenSink for NoSink {
    fn save<'a>(&'a self, _: &'a TokenSet) -> SinkFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
}
