-- A ticket whose conversation the panel will not give (an error for that ticket, an answer without its
-- messages) is set aside for a while instead of blocking every older conversation behind it.
ALTER TABLE tickets_cache ADD COLUMN messages_failed_at INTEGER;
