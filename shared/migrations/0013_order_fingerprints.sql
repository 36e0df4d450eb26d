-- Found by `panelops bench sync`: the idle run of a 1M-order panel spent most of its time comparing the
-- 73k re-checked open orders with their stored rows, every column of rows spread over the whole table.
-- Each order now keeps a hash of its upstream columns as last stored (sync::upsert::fingerprinted), and
-- the open-orders index holds it, so a batch's comparison reads only that index. Existing rows start
-- NULL: each open order is written once more on its next re-check.
ALTER TABLE orders_cache ADD COLUMN fingerprint INTEGER;
-- The re-check reads each batch's ids and fingerprints from the open-orders index alone.
DROP INDEX orders_cache_open;
CREATE INDEX orders_cache_open ON orders_cache (panel_id, id, created, status, fingerprint)
    WHERE status NOT IN ('completed', 'partial', 'canceled');
