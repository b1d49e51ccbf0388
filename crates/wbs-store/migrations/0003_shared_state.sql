-- What several instances of the service share through the database besides the queue.

-- The consumer's rate limit: the time (Unix microseconds, the database's clock) of the
-- next free request slot for each consumer key or OAuth 2 client id. Every instance books
-- its requests here, one slot after another, so that together they keep the limit.
CREATE TABLE rate_slots (
    consumer  TEXT PRIMARY KEY,
    next_slot BIGINT NOT NULL
);

-- Logins between /connect and /callback: the request token and its secret (never logged),
-- whichever instance the callback reaches. Deleted when used or expired.
CREATE TABLE pending_logins (
    token    TEXT PRIMARY KEY,
    secret   TEXT NOT NULL,
    asked_at BIGINT NOT NULL
);
CREATE INDEX pending_logins_by_age ON pending_logins (asked_at);

@TUNE_QUEUE@
