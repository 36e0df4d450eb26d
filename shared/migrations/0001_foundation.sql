-- Staff, sessions, login throttling, activity log, panels.
CREATE TABLE staff (
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'agent', 'viewer')),
    all_panels      INTEGER NOT NULL DEFAULT 0,
    active          INTEGER NOT NULL DEFAULT 1,
    current_panel   INTEGER,
    created_at      INTEGER NOT NULL,
    last_login_at   INTEGER
);

CREATE TABLE panels (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT NOT NULL,
    base_url             TEXT NOT NULL UNIQUE,
    status               TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'error')),
    admin_key_enc        TEXT,
    admin_key_last4      TEXT,
    services_key_enc     TEXT,
    services_key_last4   TEXT,
    last_error           TEXT,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);

CREATE TABLE staff_panels (
    staff_id  INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    panel_id  INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    PRIMARY KEY (staff_id, panel_id)
);

CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    staff_id      INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    csrf_token    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    ip            TEXT NOT NULL DEFAULT '',
    user_agent    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_staff ON sessions (staff_id);

CREATE TABLE login_failures (
    scope  TEXT NOT NULL,
    at     INTEGER NOT NULL
);
CREATE INDEX login_failures_scope ON login_failures (scope, at);

CREATE TABLE activity_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    staff_id    INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    username    TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '',
    panel_id    INTEGER,
    ip          TEXT NOT NULL DEFAULT '',
    user_agent  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX activity_log_at ON activity_log (at);
CREATE INDEX activity_log_staff ON activity_log (staff_id, id);
CREATE INDEX activity_log_action ON activity_log (action, id);
