-- Each message's length as Ticket tracking counts it (characters with HTML stripped and whitespace
-- collapsed), stored when the conversation is, so By staff sums replies in SQL instead of pulling
-- every conversation of the window. Rows stored before this have NULL: the report reads those bodies.
ALTER TABLE ticket_messages ADD COLUMN plain_length INTEGER;
