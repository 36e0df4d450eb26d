-- Found by `panelops bench reports`: both report indexes now hold every column their queries read, so
-- Service tracking counts stuck orders and reads finished ones from the index alone. Without the
-- status (and remains) columns SQLite re-read each order's row to re-check the condition: 157k row
-- reads for the stuck counts of a 1M-order cache.
DROP INDEX orders_cache_stuck;
CREATE INDEX orders_cache_stuck ON orders_cache (panel_id, service_id, created, status, remains)
    WHERE (status IN ('pending', 'in_progress', 'processing') OR status LIKE 'awaiting%') AND remains > 0;
DROP INDEX orders_cache_finished;
CREATE INDEX orders_cache_finished ON orders_cache (panel_id, last_update, service_id, quantity, created, status)
    WHERE status IN ('completed', 'partial');

-- Found by `panelops bench pages`: a list filtered by a rare value (a service, a suspended user, an
-- empty status tab) walked the created-order index until it had a page, up to the whole table. Each
-- filter index now carries the list's order (created, panel, id), so the page is one range read; the
-- loose index scans of the filter choices still seek on the first column.
DROP INDEX orders_cache_service;
CREATE INDEX orders_cache_service ON orders_cache (service_id, created, panel_id, id);
DROP INDEX orders_cache_provider;
CREATE INDEX orders_cache_provider ON orders_cache (provider, created, panel_id, id);
CREATE INDEX orders_cache_status ON orders_cache (status, created, panel_id, id);
DROP INDEX payments_cache_method;
CREATE INDEX payments_cache_method ON payments_cache (method, created, panel_id, id);
DROP INDEX payments_cache_status;
CREATE INDEX payments_cache_status ON payments_cache (status, created, panel_id, id);
DROP INDEX users_cache_status;
CREATE INDEX users_cache_status ON users_cache (status, created, panel_id, id);
DROP INDEX tickets_cache_assignee;
CREATE INDEX tickets_cache_assignee ON tickets_cache (assignee, created, panel_id, id);
CREATE INDEX tickets_cache_status ON tickets_cache (status, created, panel_id, id);

-- Found by `panelops bench sync`: the re-check pass picks open orders of the last day by `created`,
-- which the open-orders index lacked, so every batch read the rows of all older open orders (status
-- is in it too: SQLite re-checks the index's own condition from the row otherwise).
DROP INDEX orders_cache_open;
CREATE INDEX orders_cache_open ON orders_cache (panel_id, id, created, status)
    WHERE status NOT IN ('completed', 'partial', 'canceled');

-- Found by `panelops bench reports`: User tracking sums each user's orders and completed payments of
-- the window; with these columns in the (panel, created) indexes it reads no table rows.
DROP INDEX orders_cache_created;
CREATE INDEX orders_cache_created ON orders_cache (panel_id, created, user, charge, status);
DROP INDEX payments_cache_created;
CREATE INDEX payments_cache_created ON payments_cache (panel_id, created, user, amount, status);

-- Found by `panelops bench reports`: Ticket tracking looks up every order id its tickets mention for
-- the order's service. Order rows are wide, so each lookup read a page of its own; this narrow index
-- holds ~150 orders a page.
CREATE INDEX orders_cache_id_service ON orders_cache (panel_id, id, service_id);
