-- wbs-store schema, version 1 (SQLite). The PostgreSQL file of the same version defines the
-- same tables, columns and keys; only the column types' spelling differs.
-- Every value the API sends is an integer or text: measures are kept as (value, unit),
-- never as floats. Times are Unix seconds.

CREATE TABLE users (
    userid      INTEGER PRIMARY KEY,
    firstname   TEXT,
    lastname    TEXT,
    shortname   TEXT,
    gender      INTEGER,
    fatmethod   INTEGER,
    birthdate   INTEGER,
    added_at    INTEGER NOT NULL
);

-- A user's access token. Never logged; the database file is readable by its owner only.
CREATE TABLE credentials (
    userid        INTEGER PRIMARY KEY REFERENCES users (userid) ON DELETE CASCADE,
    kind          TEXT NOT NULL,            -- 'oauth1' (token, secret) or 'oauth2'
    token         TEXT NOT NULL,
    secret        TEXT,
    refresh_token TEXT,
    expires_at    INTEGER,
    scope         TEXT,
    needs_reauth  INTEGER NOT NULL DEFAULT 0,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE measure_groups (
    userid        INTEGER NOT NULL REFERENCES users (userid) ON DELETE CASCADE,
    grpid         INTEGER NOT NULL,
    attrib        INTEGER NOT NULL,
    date          INTEGER NOT NULL,
    category      INTEGER NOT NULL,
    created       INTEGER,
    modified      INTEGER,
    deviceid      TEXT,
    hash_deviceid TEXT,
    model         TEXT,
    modelid       INTEGER,
    timezone      TEXT,
    comment       TEXT,
    stored_at     INTEGER NOT NULL,
    PRIMARY KEY (userid, grpid)
);
CREATE INDEX measure_groups_by_date ON measure_groups (userid, date);

CREATE TABLE measures (
    userid   INTEGER NOT NULL,
    grpid    INTEGER NOT NULL,
    idx      INTEGER NOT NULL,                -- its place in the group, as sent
    type     INTEGER NOT NULL,
    value    INTEGER NOT NULL,
    unit     INTEGER NOT NULL,
    position INTEGER,
    algo     INTEGER,
    fm       INTEGER,
    PRIMARY KEY (userid, grpid, idx),
    FOREIGN KEY (userid, grpid) REFERENCES measure_groups (userid, grpid) ON DELETE CASCADE
);
CREATE INDEX measures_by_type ON measures (userid, type);

-- Where each user's next synchronisation starts (and, mid-way, where it resumes).
CREATE TABLE sync_cursors (
    userid     INTEGER PRIMARY KEY REFERENCES users (userid) ON DELETE CASCADE,
    lastupdate INTEGER,
    progress   TEXT,                          -- JSON of wbs_proto::PagerCheckpoint
    updated_at INTEGER NOT NULL
);

-- Groups the service sent malformed: left out, reported, fetched again by the next sync.
CREATE TABLE malformed_groups (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    userid    INTEGER NOT NULL REFERENCES users (userid) ON DELETE CASCADE,
    grpid     INTEGER,
    reason    TEXT NOT NULL,
    seen_at   INTEGER NOT NULL
);
CREATE INDEX malformed_groups_by_user ON malformed_groups (userid, grpid);

-- Notifications received and not yet worked (the service's durable queue).
CREATE TABLE notifications (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    userid       INTEGER NOT NULL,
    startdate    INTEGER NOT NULL,
    enddate      INTEGER NOT NULL,
    appli        INTEGER,
    received_at  INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    lease_owner  TEXT,
    lease_until  INTEGER,
    done_at      INTEGER
);
CREATE INDEX notifications_pending ON notifications (done_at, userid);
