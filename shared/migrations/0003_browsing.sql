-- Staff-maintained data beside the cache: payment methods, canned replies, service descriptions and
-- service reports; and the indexes the list pages search by.
CREATE TABLE payment_methods (
    id             INTEGER PRIMARY KEY,
    internal_name  TEXT NOT NULL UNIQUE,        -- the method name as the panel sends it
    display_name   TEXT NOT NULL,
    min_amount     INTEGER,                     -- micro-units
    max_amount     INTEGER,
    created        INTEGER NOT NULL
);

CREATE TABLE canned_replies (
    id         INTEGER PRIMARY KEY,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    owner_id   INTEGER REFERENCES staff(id) ON DELETE CASCADE,  -- NULL = shared, else personal
    created    INTEGER NOT NULL,
    updated    INTEGER NOT NULL
);

CREATE TABLE service_descriptions (
    panel_id     INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    service_id   INTEGER NOT NULL,
    description  TEXT NOT NULL,
    extra        TEXT NOT NULL DEFAULT '{}',    -- the file's other columns, kept for reference
    updated      INTEGER NOT NULL,
    PRIMARY KEY (panel_id, service_id)
) WITHOUT ROWID;

CREATE TABLE service_reports (
    id           INTEGER PRIMARY KEY,
    panel_id     INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    service_id   INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    reported_by  INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    reported_at  INTEGER NOT NULL,
    resolved_by  INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    resolved_at  INTEGER
);
CREATE INDEX service_reports_open ON service_reports (resolved_at, reported_at);

-- All-panel lists are newest first across panels; per-panel probes use the cache's own indexes.
CREATE INDEX orders_cache_created_all ON orders_cache (created, panel_id, id);
CREATE INDEX orders_cache_external ON orders_cache (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX orders_cache_link ON orders_cache (link);
CREATE INDEX payments_cache_created_all ON payments_cache (created, panel_id, id);
CREATE INDEX tickets_cache_created_all ON tickets_cache (created, panel_id, id);
-- Users sort by these columns (⇅ in the seed).
CREATE INDEX users_cache_id_all ON users_cache (id, panel_id);
CREATE INDEX users_cache_balance ON users_cache (balance, panel_id, id);
CREATE INDEX users_cache_spent ON users_cache (spent, panel_id, id);
CREATE INDEX users_cache_created ON users_cache (created, panel_id, id);
CREATE INDEX users_cache_last_auth ON users_cache (last_auth, panel_id, id);
CREATE INDEX users_cache_email ON users_cache (panel_id, email);
