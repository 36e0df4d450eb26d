-- API keys of the console's own admin API (/adminapi/v2). Only a SHA-256 of the token is stored; the
-- prefix (the token's first characters) identifies a key in lists and logs.
CREATE TABLE api_keys (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL,
    prefix           TEXT NOT NULL,
    token_hash       TEXT NOT NULL UNIQUE,
    scopes           TEXT NOT NULL,              -- space separated, e.g. 'orders:read tickets:write'
    all_panels       INTEGER NOT NULL DEFAULT 0,
    rate_per_minute  INTEGER NOT NULL DEFAULT 300,
    created_by       INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    created_at       INTEGER NOT NULL,
    last_used_at     INTEGER,                    -- written at most once a minute per key
    revoked_at       INTEGER
);

CREATE TABLE api_key_panels (
    key_id    INTEGER NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    panel_id  INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    PRIMARY KEY (key_id, panel_id)
) WITHOUT ROWID;
