-- Roll-ups: what the reports sum, kept per hour (or day) by triggers on orders_cache, so a report reads
-- buckets instead of every order of its window. A trigger runs inside the statement that writes the
-- order, so the sync's page, an order action or a delete moves a bucket in the same transaction: the
-- roll-ups can never disagree with the orders they summarise (`panelops rollups verify` checks that).
-- Keys hold no NULLs: a missing service is -1, a missing currency ''. A bucket emptied by a change keeps
-- a row of zeros (cheaper than deleting it from a trigger; readers sum, so it adds nothing).

-- The promised speed parsed from the catalogue's name (`service_name::parse`), so "slow" is a SQL
-- condition: units per day, 0 = the name promises none, -1 = not parsed yet (rows from before this
-- migration, until the next catalogue sync or `panelops rollups rebuild`).
ALTER TABLE services_cache ADD COLUMN min_per_day INTEGER NOT NULL DEFAULT -1;

-- Per panel × created hour × service × status × currency: orders, charges, provider cost.
CREATE TABLE rollup_order_hours (
    panel_id         INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    hour             INTEGER NOT NULL,   -- created / 3600
    service_id       INTEGER NOT NULL,
    status           TEXT NOT NULL,
    currency         TEXT NOT NULL,
    orders           INTEGER NOT NULL,
    charged          INTEGER NOT NULL,   -- orders with a charge
    charge           INTEGER NOT NULL,   -- micro-units
    provider_charge  INTEGER NOT NULL,   -- micro-units
    PRIMARY KEY (panel_id, hour, service_id, status, currency)
) WITHOUT ROWID;

-- Per panel × last-update hour × service: finished orders (completed or partial), Service tracking's window.
CREATE TABLE rollup_finished_hours (
    panel_id    INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    hour        INTEGER NOT NULL,        -- last_update / 3600
    service_id  INTEGER NOT NULL,
    finished    INTEGER NOT NULL,
    PRIMARY KEY (panel_id, hour, service_id)
) WITHOUT ROWID;

-- Per panel × created day × user: orders and spend (charges of orders not canceled or failed), User tracking.
CREATE TABLE rollup_user_days (
    panel_id  INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    day       INTEGER NOT NULL,          -- created / 86400
    user      TEXT NOT NULL,
    orders    INTEGER NOT NULL,
    spend     INTEGER NOT NULL,          -- micro-units
    PRIMARY KEY (panel_id, day, user)
) WITHOUT ROWID;

-- Slow orders of one service in a window, from the index alone (Service tracking's slow condition).
CREATE INDEX orders_cache_finished_service ON orders_cache (panel_id, service_id, last_update, created, quantity, status)
    WHERE status IN ('completed', 'partial');

CREATE TRIGGER rollups_order_insert AFTER INSERT ON orders_cache BEGIN
    INSERT INTO rollup_order_hours VALUES (NEW.panel_id, NEW.created / 3600, COALESCE(NEW.service_id, -1),
        NEW.status, COALESCE(NEW.currency, ''), 1, NEW.charge IS NOT NULL, COALESCE(NEW.charge, 0),
        COALESCE(NEW.provider_charge, 0))
    ON CONFLICT DO UPDATE SET orders = orders + 1, charged = charged + excluded.charged,
        charge = charge + excluded.charge, provider_charge = provider_charge + excluded.provider_charge;
    INSERT INTO rollup_finished_hours
        SELECT NEW.panel_id, NEW.last_update / 3600, NEW.service_id, 1
        WHERE NEW.status IN ('completed', 'partial') AND NEW.last_update IS NOT NULL AND NEW.service_id IS NOT NULL
    ON CONFLICT DO UPDATE SET finished = finished + 1;
    INSERT INTO rollup_user_days
        SELECT NEW.panel_id, NEW.created / 86400, NEW.user, 1, COALESCE(NEW.charge, 0)
        WHERE NEW.user IS NOT NULL AND NEW.status NOT IN ('canceled', 'fail')
    ON CONFLICT DO UPDATE SET orders = orders + 1, spend = spend + excluded.spend;
END;

CREATE TRIGGER rollups_order_delete AFTER DELETE ON orders_cache BEGIN
    UPDATE rollup_order_hours SET orders = orders - 1, charged = charged - (OLD.charge IS NOT NULL),
        charge = charge - COALESCE(OLD.charge, 0), provider_charge = provider_charge - COALESCE(OLD.provider_charge, 0)
    WHERE panel_id = OLD.panel_id AND hour = OLD.created / 3600 AND service_id = COALESCE(OLD.service_id, -1)
        AND status = OLD.status AND currency = COALESCE(OLD.currency, '');
    UPDATE rollup_finished_hours SET finished = finished - 1
    WHERE OLD.status IN ('completed', 'partial') AND panel_id = OLD.panel_id AND hour = OLD.last_update / 3600
        AND service_id = OLD.service_id;
    UPDATE rollup_user_days SET orders = orders - 1, spend = spend - COALESCE(OLD.charge, 0)
    WHERE OLD.status NOT IN ('canceled', 'fail') AND panel_id = OLD.panel_id AND day = OLD.created / 86400
        AND user = OLD.user;
END;

-- An update moves the order's contribution: out of its old buckets, into its new ones (often the same).
CREATE TRIGGER rollups_order_update AFTER UPDATE ON orders_cache BEGIN
    UPDATE rollup_order_hours SET orders = orders - 1, charged = charged - (OLD.charge IS NOT NULL),
        charge = charge - COALESCE(OLD.charge, 0), provider_charge = provider_charge - COALESCE(OLD.provider_charge, 0)
    WHERE panel_id = OLD.panel_id AND hour = OLD.created / 3600 AND service_id = COALESCE(OLD.service_id, -1)
        AND status = OLD.status AND currency = COALESCE(OLD.currency, '');
    INSERT INTO rollup_order_hours VALUES (NEW.panel_id, NEW.created / 3600, COALESCE(NEW.service_id, -1),
        NEW.status, COALESCE(NEW.currency, ''), 1, NEW.charge IS NOT NULL, COALESCE(NEW.charge, 0),
        COALESCE(NEW.provider_charge, 0))
    ON CONFLICT DO UPDATE SET orders = orders + 1, charged = charged + excluded.charged,
        charge = charge + excluded.charge, provider_charge = provider_charge + excluded.provider_charge;
    UPDATE rollup_finished_hours SET finished = finished - 1
    WHERE OLD.status IN ('completed', 'partial') AND panel_id = OLD.panel_id AND hour = OLD.last_update / 3600
        AND service_id = OLD.service_id;
    INSERT INTO rollup_finished_hours
        SELECT NEW.panel_id, NEW.last_update / 3600, NEW.service_id, 1
        WHERE NEW.status IN ('completed', 'partial') AND NEW.last_update IS NOT NULL AND NEW.service_id IS NOT NULL
    ON CONFLICT DO UPDATE SET finished = finished + 1;
    UPDATE rollup_user_days SET orders = orders - 1, spend = spend - COALESCE(OLD.charge, 0)
    WHERE OLD.status NOT IN ('canceled', 'fail') AND panel_id = OLD.panel_id AND day = OLD.created / 86400
        AND user = OLD.user;
    INSERT INTO rollup_user_days
        SELECT NEW.panel_id, NEW.created / 86400, NEW.user, 1, COALESCE(NEW.charge, 0)
        WHERE NEW.user IS NOT NULL AND NEW.status NOT IN ('canceled', 'fail')
    ON CONFLICT DO UPDATE SET orders = orders + 1, spend = spend + excluded.spend;
END;

-- The orders already cached, summed once.
INSERT INTO rollup_order_hours
    SELECT panel_id, created / 3600, COALESCE(service_id, -1), status, COALESCE(currency, ''), COUNT(*),
        COUNT(charge), COALESCE(SUM(charge), 0), COALESCE(SUM(provider_charge), 0)
    FROM orders_cache GROUP BY 1, 2, 3, 4, 5;
INSERT INTO rollup_finished_hours
    SELECT panel_id, last_update / 3600, service_id, COUNT(*) FROM orders_cache
    WHERE status IN ('completed', 'partial') AND last_update IS NOT NULL AND service_id IS NOT NULL GROUP BY 1, 2, 3;
INSERT INTO rollup_user_days
    SELECT panel_id, created / 86400, user, COUNT(*), COALESCE(SUM(charge), 0) FROM orders_cache
    WHERE user IS NOT NULL AND status NOT IN ('canceled', 'fail') GROUP BY 1, 2, 3;
