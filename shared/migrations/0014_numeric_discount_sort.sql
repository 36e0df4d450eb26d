-- Users sorts by discount as a number: the panel sends it as a string ("5", "10"), and sorted as text
-- "10" came before "5". The index follows the expression the list orders by, so the sort stays a walk.
DROP INDEX users_cache_discount;
CREATE INDEX users_cache_discount ON users_cache (CAST(discount AS REAL), panel_id, id);
