-- Found by `panelops bench reports` (issue #27): By staff and Staff statistics worked out each reply's
-- response time and the customer messages after it with window functions over every conversation of
-- the window (most of their time at 72 h). Both are now stored with each staff message when its
-- conversation is: `replace_conversation` writes a whole conversation, so they are exact by
-- construction. customer_after NULL on a staff message = not worked out (stored another way): the
-- reports then work that ticket out from its messages as before.
ALTER TABLE ticket_messages ADD COLUMN response_secs INTEGER;  -- staff: seconds since the customer message right before it; NULL when the one before is not the customer's
ALTER TABLE ticket_messages ADD COLUMN customer_after INTEGER; -- staff: customer messages after it, before the next staff message

-- The stored conversations, in the reports' order (created, seq).
UPDATE ticket_messages SET response_secs = x.resp, customer_after = x.after
FROM (
    SELECT panel_id, ticket_id, seq, is_staff,
        CASE WHEN prev_staff = 0 THEN created - prev_created END AS resp,
        COALESCE(next_staff, total + 1) - pos - 1 AS after
    FROM (
        SELECT *, MIN(CASE WHEN is_staff = 1 THEN pos END) OVER (PARTITION BY panel_id, ticket_id ORDER BY pos
            ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_staff
        FROM (
            SELECT panel_id, ticket_id, seq, is_staff, created,
                ROW_NUMBER() OVER w AS pos, COUNT(*) OVER (PARTITION BY panel_id, ticket_id) AS total,
                LAG(is_staff) OVER w AS prev_staff, LAG(created) OVER w AS prev_created
            FROM ticket_messages
            WINDOW w AS (PARTITION BY panel_id, ticket_id ORDER BY created, seq)))) AS x
WHERE x.is_staff = 1 AND ticket_messages.panel_id = x.panel_id AND ticket_messages.ticket_id = x.ticket_id
    AND ticket_messages.seq = x.seq;

-- The replies the reports cannot sum as stored (no counts, or no length): empty once every
-- conversation is stored by `replace_conversation`, so looking a ticket up in it costs nothing.
CREATE INDEX ticket_messages_unworked ON ticket_messages (panel_id, ticket_id, created)
    WHERE is_staff = 1 AND (customer_after IS NULL OR plain_length IS NULL);
