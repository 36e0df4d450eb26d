-- Money and providers (issue #25): margins need the orders whose cost the panel sent apart from those
-- it did not ("cost unknown"), and the providers report needs the provider as a key. A roll-up of its
-- own, kept by triggers of its own beside 0017's (which stay as they are): per panel × created hour ×
-- provider × service × status × currency. A missing provider is '', a missing service -1, a missing
-- currency '' (keys hold no NULLs, as in 0017).
CREATE TABLE rollup_provider_hours (
    panel_id         INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    hour             INTEGER NOT NULL,   -- created / 3600
    provider         TEXT NOT NULL,
    service_id       INTEGER NOT NULL,
    status           TEXT NOT NULL,
    currency         TEXT NOT NULL,
    orders           INTEGER NOT NULL,
    charge           INTEGER NOT NULL,   -- micro-units, every order's charge
    costed           INTEGER NOT NULL,   -- orders with a provider charge
    costed_charge    INTEGER NOT NULL,   -- micro-units, the charge of those orders
    provider_charge  INTEGER NOT NULL,   -- micro-units
    PRIMARY KEY (panel_id, hour, provider, service_id, status, currency)
) WITHOUT ROWID;

-- Per panel × created hour × currency, the orders margins count (neither canceled nor failed): the
-- Overview's today against the same hours of earlier days, and Margins' 30-day chart, read a row per
-- hour instead of one per service, provider and status.
CREATE TABLE rollup_money_hours (
    panel_id         INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    hour             INTEGER NOT NULL,   -- created / 3600
    currency         TEXT NOT NULL,
    orders           INTEGER NOT NULL,
    charge           INTEGER NOT NULL,
    costed           INTEGER NOT NULL,
    costed_charge    INTEGER NOT NULL,
    provider_charge  INTEGER NOT NULL,
    PRIMARY KEY (panel_id, hour, currency)
) WITHOUT ROWID;

-- Stuck orders per provider, live like Service tracking's (the same condition as orders_cache_stuck, so
-- both count the same orders), from the index alone.
CREATE INDEX orders_cache_stuck_provider ON orders_cache (panel_id, provider, service_id, created, status, remains)
    WHERE (status IN ('pending', 'in_progress', 'processing') OR status LIKE 'awaiting%') AND remains > 0;

CREATE TRIGGER rollups_provider_insert AFTER INSERT ON orders_cache BEGIN
    INSERT INTO rollup_provider_hours VALUES (NEW.panel_id, NEW.created / 3600, COALESCE(NEW.provider, ''),
        COALESCE(NEW.service_id, -1), NEW.status, COALESCE(NEW.currency, ''), 1, COALESCE(NEW.charge, 0),
        NEW.provider_charge IS NOT NULL, CASE WHEN NEW.provider_charge IS NULL THEN 0 ELSE COALESCE(NEW.charge, 0) END,
        COALESCE(NEW.provider_charge, 0))
    ON CONFLICT DO UPDATE SET orders = orders + 1, charge = charge + excluded.charge, costed = costed + excluded.costed,
        costed_charge = costed_charge + excluded.costed_charge, provider_charge = provider_charge + excluded.provider_charge;
    INSERT INTO rollup_money_hours SELECT NEW.panel_id, NEW.created / 3600, COALESCE(NEW.currency, ''), 1,
        COALESCE(NEW.charge, 0), NEW.provider_charge IS NOT NULL,
        CASE WHEN NEW.provider_charge IS NULL THEN 0 ELSE COALESCE(NEW.charge, 0) END, COALESCE(NEW.provider_charge, 0)
        WHERE NEW.status NOT IN ('canceled', 'fail')
    ON CONFLICT DO UPDATE SET orders = orders + 1, charge = charge + excluded.charge, costed = costed + excluded.costed,
        costed_charge = costed_charge + excluded.costed_charge, provider_charge = provider_charge + excluded.provider_charge;
END;

CREATE TRIGGER rollups_provider_delete AFTER DELETE ON orders_cache BEGIN
    UPDATE rollup_provider_hours SET orders = orders - 1, charge = charge - COALESCE(OLD.charge, 0),
        costed = costed - (OLD.provider_charge IS NOT NULL),
        costed_charge = costed_charge - CASE WHEN OLD.provider_charge IS NULL THEN 0 ELSE COALESCE(OLD.charge, 0) END,
        provider_charge = provider_charge - COALESCE(OLD.provider_charge, 0)
    WHERE panel_id = OLD.panel_id AND hour = OLD.created / 3600 AND provider = COALESCE(OLD.provider, '')
        AND service_id = COALESCE(OLD.service_id, -1) AND status = OLD.status AND currency = COALESCE(OLD.currency, '');
    UPDATE rollup_money_hours SET orders = orders - 1, charge = charge - COALESCE(OLD.charge, 0),
        costed = costed - (OLD.provider_charge IS NOT NULL),
        costed_charge = costed_charge - CASE WHEN OLD.provider_charge IS NULL THEN 0 ELSE COALESCE(OLD.charge, 0) END,
        provider_charge = provider_charge - COALESCE(OLD.provider_charge, 0)
    WHERE OLD.status NOT IN ('canceled', 'fail') AND panel_id = OLD.panel_id AND hour = OLD.created / 3600
        AND currency = COALESCE(OLD.currency, '');
END;

-- Only a change of a column it sums or keys on moves the order (a re-check that changed only remains
-- or the last update leaves this roll-up alone).
CREATE TRIGGER rollups_provider_update AFTER UPDATE OF panel_id, created, provider, service_id, status, currency,
    charge, provider_charge ON orders_cache BEGIN
    UPDATE rollup_provider_hours SET orders = orders - 1, charge = charge - COALESCE(OLD.charge, 0),
        costed = costed - (OLD.provider_charge IS NOT NULL),
        costed_charge = costed_charge - CASE WHEN OLD.provider_charge IS NULL THEN 0 ELSE COALESCE(OLD.charge, 0) END,
        provider_charge = provider_charge - COALESCE(OLD.provider_charge, 0)
    WHERE panel_id = OLD.panel_id AND hour = OLD.created / 3600 AND provider = COALESCE(OLD.provider, '')
        AND service_id = COALESCE(OLD.service_id, -1) AND status = OLD.status AND currency = COALESCE(OLD.currency, '');
    UPDATE rollup_money_hours SET orders = orders - 1, charge = charge - COALESCE(OLD.charge, 0),
        costed = costed - (OLD.provider_charge IS NOT NULL),
        costed_charge = costed_charge - CASE WHEN OLD.provider_charge IS NULL THEN 0 ELSE COALESCE(OLD.charge, 0) END,
        provider_charge = provider_charge - COALESCE(OLD.provider_charge, 0)
    WHERE OLD.status NOT IN ('canceled', 'fail') AND panel_id = OLD.panel_id AND hour = OLD.created / 3600
        AND currency = COALESCE(OLD.currency, '');
    INSERT INTO rollup_provider_hours VALUES (NEW.panel_id, NEW.created / 3600, COALESCE(NEW.provider, ''),
        COALESCE(NEW.service_id, -1), NEW.status, COALESCE(NEW.currency, ''), 1, COALESCE(NEW.charge, 0),
        NEW.provider_charge IS NOT NULL, CASE WHEN NEW.provider_charge IS NULL THEN 0 ELSE COALESCE(NEW.charge, 0) END,
        COALESCE(NEW.provider_charge, 0))
    ON CONFLICT DO UPDATE SET orders = orders + 1, charge = charge + excluded.charge, costed = costed + excluded.costed,
        costed_charge = costed_charge + excluded.costed_charge, provider_charge = provider_charge + excluded.provider_charge;
    INSERT INTO rollup_money_hours SELECT NEW.panel_id, NEW.created / 3600, COALESCE(NEW.currency, ''), 1,
        COALESCE(NEW.charge, 0), NEW.provider_charge IS NOT NULL,
        CASE WHEN NEW.provider_charge IS NULL THEN 0 ELSE COALESCE(NEW.charge, 0) END, COALESCE(NEW.provider_charge, 0)
        WHERE NEW.status NOT IN ('canceled', 'fail')
    ON CONFLICT DO UPDATE SET orders = orders + 1, charge = charge + excluded.charge, costed = costed + excluded.costed,
        costed_charge = costed_charge + excluded.costed_charge, provider_charge = provider_charge + excluded.provider_charge;
END;

-- The orders already cached, summed once.
INSERT INTO rollup_provider_hours
    SELECT panel_id, created / 3600, COALESCE(provider, ''), COALESCE(service_id, -1), status, COALESCE(currency, ''),
        COUNT(*), COALESCE(SUM(charge), 0), COUNT(provider_charge),
        COALESCE(SUM(CASE WHEN provider_charge IS NULL THEN 0 ELSE charge END), 0), COALESCE(SUM(provider_charge), 0)
    FROM orders_cache GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO rollup_money_hours
    SELECT panel_id, created / 3600, COALESCE(currency, ''), COUNT(*), COALESCE(SUM(charge), 0), COUNT(provider_charge),
        COALESCE(SUM(CASE WHEN provider_charge IS NULL THEN 0 ELSE charge END), 0), COALESCE(SUM(provider_charge), 0)
    FROM orders_cache WHERE status NOT IN ('canceled', 'fail') GROUP BY 1, 2, 3;
