-- Alerts: the channels staff receive them in, the incidents the built-in rules open, and every
-- message's delivery. An incident and its deliveries are rows claimed in one write transaction, so
-- overlapping runs, restarts and retries never send a message twice.

-- Rule settings the owner changed (threshold, urgent, reminder cooldown); a rule without a row uses
-- its built-in defaults.
CREATE TABLE alert_rules (
    rule              TEXT PRIMARY KEY,
    threshold         REAL NOT NULL,
    urgent            INTEGER NOT NULL DEFAULT 0,     -- breaks through quiet hours
    cooldown_minutes  INTEGER NOT NULL                -- reminder while open
);

CREATE TABLE alert_channels (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('webhook', 'telegram', 'slack', 'discord', 'email')),
    target_enc     TEXT NOT NULL,     -- the webhook / Slack / Discord / SMTP URL, or the Telegram bot token
    target_hint    TEXT NOT NULL,     -- what the page may show of it (a host, the last 4)
    signing_enc    TEXT,              -- the generic webhook's HMAC secret
    chat_id        TEXT,              -- Telegram
    api_base       TEXT,              -- Telegram Bot API address; NULL = api.telegram.org
    mail_from      TEXT,              -- email: the sender address
    mail_to        TEXT,              -- email: recipients, comma-separated
    rules          TEXT NOT NULL DEFAULT '',          -- comma list; '' = every rule
    all_panels     INTEGER NOT NULL DEFAULT 0,
    quiet_start    INTEGER,           -- minute of the day, local to utc_offset; NULL = never quiet
    quiet_end      INTEGER,
    utc_offset     INTEGER NOT NULL DEFAULT 0,        -- minutes east of UTC
    enabled        INTEGER NOT NULL DEFAULT 1,
    created_by     INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    created_at     INTEGER NOT NULL,
    last_ok_at     INTEGER,
    last_error     TEXT,
    last_error_at  INTEGER
);

CREATE TABLE alert_channel_panels (
    channel_id  INTEGER NOT NULL REFERENCES alert_channels(id) ON DELETE CASCADE,
    panel_id    INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    PRIMARY KEY (channel_id, panel_id)
) WITHOUT ROWID;

CREATE TABLE alert_incidents (
    id           INTEGER PRIMARY KEY,
    rule         TEXT NOT NULL,
    panel_id     INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    subject      TEXT NOT NULL,       -- what in the panel: a service, a ticket, a payment ('' = the panel)
    title        TEXT NOT NULL,
    detail       TEXT NOT NULL,       -- the latest numbers, in words
    link         TEXT NOT NULL,       -- the console page, from its root
    opened_at    INTEGER NOT NULL,
    seen_at      INTEGER NOT NULL,    -- the last run that found it
    resolved_at  INTEGER              -- an event (no "resolved") is closed when it opens
);
-- One open incident per rule and subject: the upsert that opens it finds it instead.
CREATE UNIQUE INDEX alert_incidents_open ON alert_incidents (rule, panel_id, subject) WHERE resolved_at IS NULL;
-- An event opens once, ever.
CREATE INDEX alert_incidents_subject ON alert_incidents (rule, panel_id, subject, opened_at);
CREATE INDEX alert_incidents_resolved ON alert_incidents (resolved_at);
CREATE INDEX alert_incidents_opened ON alert_incidents (opened_at);

CREATE TABLE alert_deliveries (
    id             INTEGER PRIMARY KEY,
    incident_id    INTEGER REFERENCES alert_incidents(id) ON DELETE CASCADE,   -- NULL: "Send test"
    channel_id     INTEGER NOT NULL REFERENCES alert_channels(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('opened', 'reminder', 'resolved', 'test')),
    seq            INTEGER NOT NULL DEFAULT 0,                   -- the reminder's number
    status         TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    claimed_until  INTEGER NOT NULL,  -- a run holds it until then; a failed one waits until then
    error          TEXT,
    created_at     INTEGER NOT NULL,
    sent_at        INTEGER
);
-- The claim: a message is one row, whoever inserts it first sends it.
CREATE UNIQUE INDEX alert_deliveries_once ON alert_deliveries (incident_id, channel_id, kind, seq);
CREATE INDEX alert_deliveries_pending ON alert_deliveries (claimed_until) WHERE status != 'sent';
CREATE INDEX alert_deliveries_created ON alert_deliveries (created_at);
CREATE INDEX alert_deliveries_channel ON alert_deliveries (channel_id, created_at);

-- Waiting tickets, read every minute without scanning every ticket.
CREATE INDEX tickets_cache_pending ON tickets_cache (panel_id, last_update, created) WHERE status = 'pending';
-- Bad replies of the last day, read every minute.
CREATE INDEX ai_reviews_bad ON ai_reviews (reviewed_at) WHERE verdict = 'bad';
