-- Found by `panelops bench pages`. The list pages' filter choices (providers, methods, statuses,
-- assignees) are read by a loose index scan, one seek per distinct value instead of reading every row;
-- and Users sorts by discount like its other ⇅ columns.
CREATE INDEX orders_cache_provider ON orders_cache (provider, panel_id);
CREATE INDEX payments_cache_method ON payments_cache (method, panel_id);
CREATE INDEX payments_cache_status ON payments_cache (status, panel_id);
CREATE INDEX users_cache_status ON users_cache (status, panel_id);
CREATE INDEX tickets_cache_assignee ON tickets_cache (assignee, panel_id);
CREATE INDEX users_cache_discount ON users_cache (discount, panel_id, id);
-- Tickets are searched by username like orders and payments (it read every ticket without this).
CREATE INDEX tickets_cache_user ON tickets_cache (panel_id, user, created);
