-- Alert channels keep time in a named zone (IANA, e.g. Europe/Berlin, with its daylight saving rules)
-- instead of a fixed offset, and may get a daily and a weekly digest at a chosen local hour.

ALTER TABLE alert_channels ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
-- A whole-hour offset becomes the fixed zone of that offset (POSIX names count west as +); the
-- half-hour offsets of the world become the zone that has them; anything else stays UTC.
UPDATE alert_channels SET time_zone = CASE
    WHEN utc_offset % 60 = 0 AND utc_offset BETWEEN -720 AND 840
        THEN 'Etc/GMT' || CASE WHEN utc_offset > 0 THEN '-' ELSE '+' END || (abs(utc_offset) / 60)
    WHEN utc_offset = 330 THEN 'Asia/Kolkata'
    WHEN utc_offset = 345 THEN 'Asia/Kathmandu'
    WHEN utc_offset = 270 THEN 'Asia/Kabul'
    WHEN utc_offset = 390 THEN 'Asia/Yangon'
    WHEN utc_offset = 210 THEN 'Asia/Tehran'
    WHEN utc_offset = 570 THEN 'Australia/Darwin'
    WHEN utc_offset = 525 THEN 'Australia/Eucla'
    WHEN utc_offset = -210 THEN 'America/St_Johns'
    WHEN utc_offset = -570 THEN 'Pacific/Marquesas'
    ELSE 'UTC' END
WHERE utc_offset != 0;
ALTER TABLE alert_channels DROP COLUMN utc_offset;

ALTER TABLE alert_channels ADD COLUMN digest_daily INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alert_channels ADD COLUMN digest_weekly INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alert_channels ADD COLUMN digest_hour INTEGER NOT NULL DEFAULT 9;       -- local hour, 0–23
ALTER TABLE alert_channels ADD COLUMN digest_weekday INTEGER NOT NULL DEFAULT 1;    -- weekly: 1 = Monday … 7 = Sunday

-- One row per digest a channel is sent: inserted (claimed) in one write transaction before it is sent,
-- so overlapping runs, restarts and retries send each period's digest once.
CREATE TABLE alert_digests (
    id             INTEGER PRIMARY KEY,
    channel_id     INTEGER NOT NULL REFERENCES alert_channels(id) ON DELETE CASCADE,
    period         TEXT NOT NULL CHECK (period IN ('daily', 'weekly')),
    period_start   INTEGER NOT NULL,  -- local midnight that starts the period, as Unix seconds
    period_end     INTEGER NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    claimed_until  INTEGER NOT NULL,
    error          TEXT,
    created_at     INTEGER NOT NULL,
    sent_at        INTEGER
);
CREATE UNIQUE INDEX alert_digests_once ON alert_digests (channel_id, period, period_start);
CREATE INDEX alert_digests_created ON alert_digests (created_at);
