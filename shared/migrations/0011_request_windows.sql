-- Each panel's request time, leased in short windows by every process that calls it. On AWS the
-- sync, the console and the reports run in separate Lambdas; leasing from one row keeps them
-- together under the panel's limit (pp::throttle).
CREATE TABLE panel_request_windows (
    panel_url    TEXT PRIMARY KEY,
    next_free_ms INTEGER NOT NULL   -- unix ms: the end of the last window leased
) WITHOUT ROWID;
