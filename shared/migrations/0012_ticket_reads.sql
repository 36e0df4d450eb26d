-- `last_update` in a panel's ticket list is "likely", not sure (API reference). Without it a new message
-- leaves no trace in the list, so for such tickets the sync also re-reads a conversation whose status
-- changed since it was read, and open ones at most every 15 minutes (ticket_messages::STALE).
ALTER TABLE tickets_cache ADD COLUMN messages_read_at INTEGER;  -- unix s on this machine's clock
ALTER TABLE tickets_cache ADD COLUMN messages_status TEXT;      -- the ticket's status when it was read
