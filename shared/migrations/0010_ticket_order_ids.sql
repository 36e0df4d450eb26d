-- Found by `panelops bench reports`: Ticket tracking → By service read every message body of the
-- window's tickets to find the order ids they mention. The ids are now worked out when a conversation
-- is stored: every 6–10 digit number of its messages, in order of first appearance, space-separated
-- ('' = none). NULL = not worked out (messages stored another way); the report then reads the messages.
-- Existing conversations are filled in by the migration step in Rust (db::migrations).
ALTER TABLE tickets_cache ADD COLUMN order_ids TEXT;
