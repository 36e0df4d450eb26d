-- AI: named prompts, versions of the Quality Analyzer prompt, one review per staff reply, every model
-- call with its token usage, and stored analyses/translations. AI settings live in `settings` (ai.*).

CREATE TABLE ai_prompts (
    id             INTEGER PRIMARY KEY,
    title          TEXT NOT NULL,
    model          TEXT,                     -- NULL = the default model of AI settings
    system_prompt  TEXT NOT NULL,
    created_by     INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
-- A useful prompt from the start, so "AI prompts" is never an empty promise.
INSERT INTO ai_prompts (title, model, system_prompt, created_at, updated_at) VALUES
    ('Suggest a reply', NULL,
     'You are a support agent of an SMM panel. Read the ticket and write a short, polite reply that answers the customer''s question, names the order ids concerned and says what happens next.',
     0, 0);

-- Every saved Quality Analyzer prompt is a new version; the newest is in use. Reviews keep the version
-- they used, so editing the prompt changes only later reviews. No row = the built-in default (version 0).
CREATE TABLE ai_quality_prompts (
    version     INTEGER PRIMARY KEY,
    body        TEXT NOT NULL,
    created_by  INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL
);

-- One row per staff reply the reviewer has handled: a verdict (done), a failure to retry later
-- (failed, never a verdict) or too short to judge (skipped).
CREATE TABLE ai_reviews (
    panel_id           INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    ticket_id          INTEGER NOT NULL,
    seq                INTEGER NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('done', 'failed', 'skipped')),
    staff_name         TEXT,
    reply_at           INTEGER NOT NULL,     -- the reply's time (Unix seconds)
    verdict            TEXT CHECK (verdict IN ('good', 'mediocre', 'bad')),
    flags              TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
    reasoning          TEXT,
    suggestion         TEXT,
    model              TEXT,
    prompt_version     INTEGER,
    prompt_tokens      INTEGER NOT NULL DEFAULT 0,
    completion_tokens  INTEGER NOT NULL DEFAULT 0,
    failure            TEXT,                 -- why the last attempt failed / why skipped
    attempts           INTEGER NOT NULL DEFAULT 0,
    reviewed_at        INTEGER NOT NULL,
    wrong_by           INTEGER REFERENCES staff(id) ON DELETE SET NULL,  -- an owner disagreed
    wrong_at           INTEGER,
    PRIMARY KEY (panel_id, ticket_id, seq),
    CHECK ((status = 'done') = (verdict IS NOT NULL))
);
CREATE INDEX ai_reviews_reply_at ON ai_reviews (panel_id, reply_at);
CREATE INDEX ai_reviews_failed ON ai_reviews (status, reply_at) WHERE status = 'failed';

-- Every model call: what for, which model, tokens; the daily token budget sums this.
CREATE TABLE ai_calls (
    id                 INTEGER PRIMARY KEY,
    at                 INTEGER NOT NULL,
    purpose            TEXT NOT NULL,        -- review, analysis, prompt, translate, translate-draft
    model              TEXT NOT NULL,
    ok                 INTEGER NOT NULL,
    prompt_tokens      INTEGER NOT NULL DEFAULT 0,
    completion_tokens  INTEGER NOT NULL DEFAULT 0,
    error              TEXT
);
CREATE INDEX ai_calls_at ON ai_calls (at);

-- Analyses and translations run on a ticket, kept so they can be read again.
CREATE TABLE ai_results (
    id           INTEGER PRIMARY KEY,
    panel_id     INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    ticket_id    INTEGER NOT NULL,
    kind         TEXT NOT NULL,              -- analysis, prompt, translate, translate-draft
    prompt_id    INTEGER,
    title        TEXT NOT NULL,
    model        TEXT NOT NULL,
    output       TEXT NOT NULL,
    tokens       INTEGER NOT NULL DEFAULT 0,
    staff_id     INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX ai_results_ticket ON ai_results (panel_id, ticket_id, created_at);
