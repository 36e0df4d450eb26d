-- Competitor tracking: rival panels (each watched for one of our panels), their catalogues with
-- history, matches between our services and theirs, and report profiles.
CREATE TABLE competitors (
    id             INTEGER PRIMARY KEY,
    panel_id       INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,  -- the market it competes in
    name           TEXT NOT NULL,
    base_url       TEXT NOT NULL,
    api_key_enc    TEXT NOT NULL,             -- a customer key of the rival's /api/v2, encrypted (v1.)
    api_key_last4  TEXT NOT NULL,
    enabled        INTEGER NOT NULL DEFAULT 1,
    status         TEXT NOT NULL DEFAULT 'idle' CHECK (status IN ('idle', 'ok', 'error')),
    last_error     TEXT,
    last_sync_at   INTEGER,                   -- last attempt
    last_ok_at     INTEGER,                   -- last good catalogue
    services       INTEGER NOT NULL DEFAULT 0, -- services in the current catalogue
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (panel_id, base_url)
);

-- A rival's catalogue as versions: each row is one state of one service, valid from `valid_from` until
-- `valid_to` (NULL while current). A sync writes only changes (a service appearing, disappearing or
-- changing a field), so the catalogue at any past time t is exactly the rows valid at t.
CREATE TABLE competitor_services (
    competitor_id  INTEGER NOT NULL REFERENCES competitors(id) ON DELETE CASCADE,
    service_id     INTEGER NOT NULL,
    valid_from     INTEGER NOT NULL,
    valid_to       INTEGER,
    name           TEXT NOT NULL,
    type           TEXT,
    category       TEXT,
    rate           INTEGER,                   -- micro-units per 1000
    min            INTEGER,
    max            INTEGER,
    refill         INTEGER,
    cancel         INTEGER,
    PRIMARY KEY (competitor_id, service_id, valid_from)
) WITHOUT ROWID;
CREATE INDEX competitor_services_current ON competitor_services (competitor_id, service_id) WHERE valid_to IS NULL;

-- Staff decisions on suggested matches: confirmed matches are what reports use; rejected ones are not
-- suggested again.
CREATE TABLE competitor_matches (
    panel_id          INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    service_id        INTEGER NOT NULL,       -- ours (services_cache.id)
    competitor_id     INTEGER NOT NULL REFERENCES competitors(id) ON DELETE CASCADE,
    rival_service_id  INTEGER NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('confirmed', 'rejected')),
    confidence        INTEGER,                -- percent, when decided
    decided_by        TEXT,
    decided_at        INTEGER NOT NULL,
    PRIMARY KEY (panel_id, service_id, competitor_id, rival_service_id)
) WITHOUT ROWID;
CREATE INDEX competitor_matches_competitor ON competitor_matches (competitor_id);

CREATE TABLE competitor_profiles (
    id              INTEGER PRIMARY KEY,
    panel_id        INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    competitor_ids  TEXT NOT NULL DEFAULT '',  -- comma-separated; empty = every competitor of the panel
    service_ids     TEXT NOT NULL DEFAULT '',  -- our services; empty = every service with a confirmed match
    window_hours    INTEGER NOT NULL DEFAULT 168,
    created_by      TEXT,
    created_at      INTEGER NOT NULL
);
