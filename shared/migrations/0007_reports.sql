-- Reports: service and user tracking profiles, snoozed services, and the partial indexes that keep the
-- service report off the whole orders table.
CREATE TABLE service_profiles (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL,
    services           TEXT NOT NULL DEFAULT '',   -- comma list of service ids; empty = all services
    stuck_after_hours  INTEGER NOT NULL DEFAULT 12,
    slow_multiplier    REAL NOT NULL DEFAULT 2,
    min_orders         INTEGER NOT NULL DEFAULT 5,
    is_default         INTEGER NOT NULL DEFAULT 0,
    created            INTEGER NOT NULL
);
INSERT INTO service_profiles (id, name, is_default, created) VALUES (1, 'Default', 1, CAST(strftime('%s', 'now') AS INTEGER));

CREATE TABLE user_profiles (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    user_ids      TEXT NOT NULL DEFAULT '',        -- comma list of user ids; empty = all users
    min_payments  INTEGER NOT NULL DEFAULT 0,
    min_spend     INTEGER NOT NULL DEFAULT 0,      -- micro-units
    is_default    INTEGER NOT NULL DEFAULT 0,
    created       INTEGER NOT NULL
);
INSERT INTO user_profiles (id, name, is_default, created) VALUES (1, 'Default', 1, CAST(strftime('%s', 'now') AS INTEGER));

-- A snoozed service is hidden from Service tracking for everyone until `until`.
CREATE TABLE service_snoozes (
    panel_id    INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    service_id  INTEGER NOT NULL,
    until       INTEGER NOT NULL,
    staff_id    INTEGER,
    created     INTEGER NOT NULL,
    PRIMARY KEY (panel_id, service_id)
);

-- Stuck orders over the whole cache, without scanning it: the same condition as the report's query.
CREATE INDEX orders_cache_stuck ON orders_cache (panel_id, service_id, created)
    WHERE (status IN ('pending', 'in_progress', 'processing') OR status LIKE 'awaiting%') AND remains > 0;
-- Finished orders by their last update (the window of Service tracking).
CREATE INDEX orders_cache_finished ON orders_cache (panel_id, last_update)
    WHERE status IN ('completed', 'partial');
-- Staff replies by time (Ticket tracking's window).
CREATE INDEX ticket_messages_staff ON ticket_messages (panel_id, created) WHERE is_staff = 1;
