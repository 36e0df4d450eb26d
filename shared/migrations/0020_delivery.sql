-- Measured speed per service (issue 25, "Promises kept"): the median delivered units per day of the
-- orders completed in the last 7 days, and how many of them kept the promised speed. Kept per
-- service and refreshed by the sync after its orders cycle (`shared::cache::speeds`), so a page reads
-- one row per service whatever the order volume.
CREATE TABLE service_speeds (
    panel_id         INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    service_id       INTEGER NOT NULL,
    orders           INTEGER NOT NULL,   -- completed in the 7 days before refreshed_at
    median_per_day   INTEGER NOT NULL,
    promised_per_day INTEGER NOT NULL,   -- the catalogue's min_per_day then; 0 = the name promises none
    kept             INTEGER NOT NULL,   -- orders delivered at the promised speed or faster
    refreshed_at     INTEGER NOT NULL,
    PRIMARY KEY (panel_id, service_id)
) WITHOUT ROWID;

-- When each panel's speeds were last summed (a panel with no completed orders has no rows above).
CREATE TABLE service_speed_runs (
    panel_id      INTEGER PRIMARY KEY REFERENCES panels(id) ON DELETE CASCADE,
    refreshed_at  INTEGER NOT NULL
);

-- Support response times: a ticket that waited longer than this for its first staff reply counts as
-- over target (per panel, edited with the panel).
ALTER TABLE panels ADD COLUMN response_target_minutes INTEGER NOT NULL DEFAULT 60;
