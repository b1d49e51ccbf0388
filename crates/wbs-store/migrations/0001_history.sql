-- wbs-store schema, version 1 (@DIALECT@). The @OTHER@ file of the same version defines the
-- same tables, columns and keys; only the column types' spelling differs.
-- Every value the API sends is an integer or text: measures are kept as (value, unit),
-- never as floats. Times are Unix seconds.

CREATE TABLE users (
    userid      @INT@ PRIMARY KEY,
    firstname   TEXT,
    lastname    TEXT,
    shortname   TEXT,
    gender      @INT@,
    fatmethod   @INT@,
    birthdate   @INT@,
    added_at    @INT@ NOT NULL
);

-- A user's access token. Never logged; the database file is readable by its owner only.
CREATE TABLE credentials (
    userid        @INT@ PRIMARY KEY REFERENCES users (userid) ON DELETE CASCADE,
    kind          TEXT NOT NULL,            -- 'oauth1' (token, secret) or 'oauth2'
    token         TEXT NOT NULL,
    secret        TEXT,
    refresh_token TEXT,
    expires_at    @INT@,
    scope         TEXT,
    needs_reauth  @INT@ NOT NULL DEFAULT 0,
    updated_at    @INT@ NOT NULL
);

CREATE TABLE measure_groups (
    userid        @INT@ NOT NULL REFERENCES users (userid) ON DELETE CASCADE,
    grpid         @INT@ NOT NULL,
    attrib        @INT@ NOT NULL,
    date          @INT@ NOT NULL,
    category      @INT@ NOT NULL,
    created       @INT@,
    modified      @INT@,
    deviceid      TEXT,
    hash_deviceid TEXT,
    model         TEXT,
    modelid       @INT@,
    timezone      TEXT,
    comment       TEXT,
    stored_at     @INT@ NOT NULL,
    PRIMARY KEY (userid, grpid)
);
CREATE INDEX measure_groups_by_date ON measure_groups (userid, date);

CREATE TABLE measures (
    userid   @INT@ NOT NULL,
    grpid    @INT@ NOT NULL,
    idx      @INT@ NOT NULL,                -- its place in the group, as sent
    type     @INT@ NOT NULL,
    value    @INT@ NOT NULL,
    unit     @INT@ NOT NULL,
    position @INT@,
    algo     @INT@,
    fm       @INT@,
    PRIMARY KEY (userid, grpid, idx),
    FOREIGN KEY (userid, grpid) REFERENCES measure_groups (userid, grpid) ON DELETE CASCADE
);
CREATE INDEX measures_by_type ON measures (userid, type);

-- Where each user's next synchronisation starts (and, mid-way, where it resumes).
CREATE TABLE sync_cursors (
    userid     @INT@ PRIMARY KEY REFERENCES users (userid) ON DELETE CASCADE,
    lastupdate @INT@,
    progress   TEXT,                          -- JSON of wbs_proto::PagerCheckpoint
    updated_at @INT@ NOT NULL
);

-- Groups the service sent malformed: left out, reported, fetched again by the next sync.
CREATE TABLE malformed_groups (
    id        @ID@,
    userid    @INT@ NOT NULL REFERENCES users (userid) ON DELETE CASCADE,
    grpid     @INT@,
    reason    TEXT NOT NULL,
    seen_at   @INT@ NOT NULL
);
CREATE INDEX malformed_groups_by_user ON malformed_groups (userid, grpid);

-- Notifications received and not yet worked (the service's durable queue).
CREATE TABLE notifications (
    id           @ID@,
    userid       @INT@ NOT NULL,
    startdate    @INT@ NOT NULL,
    enddate      @INT@ NOT NULL,
    appli        @INT@,
    received_at  @INT@ NOT NULL,
    attempts     @INT@ NOT NULL DEFAULT 0,
    lease_owner  TEXT,
    lease_until  @INT@,
    done_at      @INT@
);
CREATE INDEX notifications_pending ON notifications (done_at, userid);
