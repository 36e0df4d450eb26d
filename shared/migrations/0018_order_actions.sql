-- Order actions (resend, request cancel, edit link, cancel and refund, set partial, change status):
-- an action and one row per order, so a bulk action outlives the request that started it. Each order
-- row moves from 'pending' to 'sending' in one statement before its write is sent, so two tabs, a
-- reload or an overlapping slice never send the same order twice; a 'sending' row whose slice ended
-- without an answer becomes 'unknown' (never re-sent).
CREATE TABLE order_actions (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('resend', 'request_cancel', 'edit_link', 'cancel', 'set_partial', 'change_status')),
    params       TEXT NOT NULL DEFAULT '{}',   -- JSON: link, remains, status
    staff_id     INTEGER,                      -- who started it (an API key's creator for a key)
    actor        TEXT NOT NULL,                -- the username, or "API key <prefix>"
    skipped      TEXT NOT NULL DEFAULT '[]',   -- JSON: selected orders it does not apply to, and why
    created_at   INTEGER NOT NULL,
    lease_until  INTEGER NOT NULL DEFAULT 0,   -- a slice holds the action until then
    finished_at  INTEGER
);
CREATE INDEX order_actions_created ON order_actions (created_at);

CREATE TABLE order_action_items (
    action_id    INTEGER NOT NULL REFERENCES order_actions(id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,             -- the order in which they are sent
    panel_id     INTEGER NOT NULL,
    order_id     INTEGER NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'sending', 'done', 'refused', 'not_offered', 'unknown')),
    message      TEXT,                         -- the panel's refusal, why unknown
    sent_at      INTEGER,
    status_after TEXT,                         -- the order's status as re-read from the panel after
    PRIMARY KEY (action_id, seq)
);
CREATE UNIQUE INDEX order_action_items_order ON order_action_items (action_id, panel_id, order_id);
CREATE INDEX order_action_items_state ON order_action_items (action_id, state, seq);

-- Write endpoints a panel answered with 404 or "unknown method": not offered there, so they are shown
-- as such and not tried again on every order.
CREATE TABLE panel_write_support (
    panel_id   INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    form       TEXT NOT NULL,                  -- "POST /orders/{id}/change-status"
    noted_at   INTEGER NOT NULL,
    message    TEXT NOT NULL,
    PRIMARY KEY (panel_id, form)
);
