-- The synced cache of every panel, and the sync engine's per panel × resource state.
CREATE TABLE orders_cache (
    panel_id          INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    id                INTEGER NOT NULL,
    external_id       TEXT,
    user              TEXT,
    creation_type     TEXT,
    charge            INTEGER,            -- micro-units
    currency          TEXT,
    provider_charge   INTEGER,            -- micro-units
    link              TEXT,
    start_count       INTEGER,
    quantity          INTEGER,
    remains           INTEGER,
    service_id        INTEGER,
    service_type      TEXT,
    service_name      TEXT,
    provider          TEXT,
    status            TEXT NOT NULL,
    mode              TEXT,
    ip_address        TEXT,
    created           INTEGER NOT NULL,
    last_update       INTEGER,
    checked_at        INTEGER NOT NULL,   -- when this order was first stored (ms)
    PRIMARY KEY (panel_id, id)
) WITHOUT ROWID;
CREATE INDEX orders_cache_created ON orders_cache (panel_id, created);
CREATE INDEX orders_cache_service ON orders_cache (panel_id, service_id, created);
CREATE INDEX orders_cache_user ON orders_cache (panel_id, user, created);
-- Orders still moving, re-checked in id order until final.
CREATE INDEX orders_cache_open ON orders_cache (panel_id, id)
    WHERE status NOT IN ('completed', 'partial', 'canceled');

CREATE TABLE users_cache (
    panel_id    INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    id          INTEGER NOT NULL,
    username    TEXT NOT NULL,
    email       TEXT,
    balance     INTEGER,
    spent       INTEGER,
    currency    TEXT,
    status      TEXT,
    created     INTEGER,
    last_auth   INTEGER,
    discount    TEXT,
    checked_at  INTEGER NOT NULL,
    PRIMARY KEY (panel_id, id)
) WITHOUT ROWID;
CREATE INDEX users_cache_username ON users_cache (panel_id, username);

CREATE TABLE payments_cache (
    panel_id    INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    id          INTEGER NOT NULL,
    user        TEXT,
    amount      INTEGER,
    currency    TEXT,
    method      TEXT,
    status      TEXT,
    memo        TEXT,
    mode        TEXT,
    created     INTEGER NOT NULL,
    updated     INTEGER,
    checked_at  INTEGER NOT NULL,
    PRIMARY KEY (panel_id, id)
) WITHOUT ROWID;
CREATE INDEX payments_cache_created ON payments_cache (panel_id, created);
CREATE INDEX payments_cache_user ON payments_cache (panel_id, user, created);

CREATE TABLE tickets_cache (
    panel_id             INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    id                   INTEGER NOT NULL,
    user                 TEXT,
    subject              TEXT,
    status               TEXT,
    assignee             TEXT,
    created              INTEGER NOT NULL,
    last_update          INTEGER,
    is_read              INTEGER,
    -- The ticket's last_update when its messages were last fetched; NULL = never.
    messages_synced      INTEGER,
    checked_at           INTEGER NOT NULL,
    PRIMARY KEY (panel_id, id)
) WITHOUT ROWID;
CREATE INDEX tickets_cache_created ON tickets_cache (panel_id, created);

CREATE TABLE ticket_messages (
    panel_id     INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    ticket_id    INTEGER NOT NULL,
    seq          INTEGER NOT NULL,        -- position in the conversation
    sender_name  TEXT,
    is_staff     INTEGER NOT NULL,
    message      TEXT NOT NULL,
    created      INTEGER NOT NULL,
    PRIMARY KEY (panel_id, ticket_id, seq)
) WITHOUT ROWID;
CREATE INDEX ticket_messages_created ON ticket_messages (panel_id, created);

CREATE TABLE services_cache (
    panel_id    INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    id          INTEGER NOT NULL,
    name        TEXT NOT NULL,
    type        TEXT,
    category    TEXT,
    rate        INTEGER,                  -- micro-units per 1000
    min         INTEGER,
    max         INTEGER,
    refill      INTEGER,
    cancel      INTEGER,
    dripfeed    INTEGER,
    removed_at  INTEGER,                  -- gone from the panel's catalogue since
    checked_at  INTEGER NOT NULL,
    PRIMARY KEY (panel_id, id)
) WITHOUT ROWID;

CREATE TABLE sync_state (
    panel_id        INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    resource        TEXT NOT NULL,
    interval_secs   INTEGER NOT NULL,
    page_size       INTEGER NOT NULL,
    enabled         INTEGER NOT NULL DEFAULT 1,
    position        TEXT NOT NULL DEFAULT '{}',  -- JSON, the resource's own cursor
    status          TEXT NOT NULL DEFAULT 'idle' CHECK (status IN ('idle', 'running', 'ok', 'error')),
    message         TEXT,
    failures        INTEGER NOT NULL DEFAULT 0,
    next_retry_at   INTEGER,
    last_fetched_at INTEGER,
    last_ok_at      INTEGER,
    cycle_done_at   INTEGER,                     -- the last time this resource was fully caught up
    fetched         INTEGER NOT NULL DEFAULT 0,  -- rows received in the current cycle
    total           INTEGER,                     -- rows the panel reported for the current cycle
    cached          INTEGER NOT NULL DEFAULT 0,
    skipped         INTEGER NOT NULL DEFAULT 0,  -- malformed rows logged and skipped
    lease_until     INTEGER NOT NULL DEFAULT 0,  -- a run holds the resource until then
    run_requested   INTEGER NOT NULL DEFAULT 0,  -- "Sync now"
    PRIMARY KEY (panel_id, resource)
);

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
