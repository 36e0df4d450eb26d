-- Service tracking's trend per calendar day (UTC) from a roll-up instead of a week of orders: per panel ×
-- service × slow multiplier × day of last update, the finished orders and the slow ones among them.
-- "Slow" depends on the service's stored promised speed (`services_cache.min_per_day`) and on the
-- profile's multiplier, so the roll-up keeps one row set per multiplier a saved profile uses
-- (`slow_multipliers`, kept by the profiles' triggers) and a service's rows are summed again whenever its
-- stored speed changes. The comparison is Service tracking's own (`is_slow`), term for term.

CREATE TABLE slow_multipliers (
    multiplier  REAL PRIMARY KEY
);
INSERT OR IGNORE INTO slow_multipliers SELECT slow_multiplier FROM service_profiles;

CREATE TABLE rollup_service_days (
    panel_id    INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    service_id  INTEGER NOT NULL,
    multiplier  REAL NOT NULL,
    day         INTEGER NOT NULL,        -- last_update / 86400
    finished    INTEGER NOT NULL,
    slow        INTEGER NOT NULL,
    PRIMARY KEY (panel_id, service_id, multiplier, day)
) WITHOUT ROWID;

CREATE TRIGGER rollup_service_days_insert AFTER INSERT ON orders_cache
WHEN NEW.status IN ('completed', 'partial') AND NEW.last_update IS NOT NULL AND NEW.service_id IS NOT NULL BEGIN
    INSERT INTO rollup_service_days
        SELECT NEW.panel_id, NEW.service_id, m.multiplier, NEW.last_update / 86400, 1,
            COALESCE(s.min_per_day > 0 AND CAST(NEW.last_update - NEW.created AS REAL) * s.min_per_day
                > MAX(COALESCE(NEW.quantity, 0), 0) * m.multiplier * 86400.0, 0)
        FROM slow_multipliers m LEFT JOIN services_cache s ON s.panel_id = NEW.panel_id AND s.id = NEW.service_id
        WHERE 1
    ON CONFLICT DO UPDATE SET finished = finished + 1, slow = slow + excluded.slow;
END;

CREATE TRIGGER rollup_service_days_delete AFTER DELETE ON orders_cache
WHEN OLD.status IN ('completed', 'partial') AND OLD.last_update IS NOT NULL AND OLD.service_id IS NOT NULL BEGIN
    UPDATE rollup_service_days SET finished = finished - 1,
        slow = slow - COALESCE((SELECT s.min_per_day > 0 AND CAST(OLD.last_update - OLD.created AS REAL) * s.min_per_day
            > MAX(COALESCE(OLD.quantity, 0), 0) * rollup_service_days.multiplier * 86400.0
            FROM services_cache s WHERE s.panel_id = OLD.panel_id AND s.id = OLD.service_id), 0)
    WHERE panel_id = OLD.panel_id AND service_id = OLD.service_id AND day = OLD.last_update / 86400;
END;

-- An update that touches what the roll-up reads moves the order out of its old day and into its new one.
CREATE TRIGGER rollup_service_days_update_old AFTER UPDATE OF panel_id, service_id, status, created, last_update, quantity
ON orders_cache
WHEN OLD.status IN ('completed', 'partial') AND OLD.last_update IS NOT NULL AND OLD.service_id IS NOT NULL BEGIN
    UPDATE rollup_service_days SET finished = finished - 1,
        slow = slow - COALESCE((SELECT s.min_per_day > 0 AND CAST(OLD.last_update - OLD.created AS REAL) * s.min_per_day
            > MAX(COALESCE(OLD.quantity, 0), 0) * rollup_service_days.multiplier * 86400.0
            FROM services_cache s WHERE s.panel_id = OLD.panel_id AND s.id = OLD.service_id), 0)
    WHERE panel_id = OLD.panel_id AND service_id = OLD.service_id AND day = OLD.last_update / 86400;
END;

CREATE TRIGGER rollup_service_days_update_new AFTER UPDATE OF panel_id, service_id, status, created, last_update, quantity
ON orders_cache
WHEN NEW.status IN ('completed', 'partial') AND NEW.last_update IS NOT NULL AND NEW.service_id IS NOT NULL BEGIN
    INSERT INTO rollup_service_days
        SELECT NEW.panel_id, NEW.service_id, m.multiplier, NEW.last_update / 86400, 1,
            COALESCE(s.min_per_day > 0 AND CAST(NEW.last_update - NEW.created AS REAL) * s.min_per_day
                > MAX(COALESCE(NEW.quantity, 0), 0) * m.multiplier * 86400.0, 0)
        FROM slow_multipliers m LEFT JOIN services_cache s ON s.panel_id = NEW.panel_id AND s.id = NEW.service_id
        WHERE 1
    ON CONFLICT DO UPDATE SET finished = finished + 1, slow = slow + excluded.slow;
END;

-- A service's stored speed changed (or the service appeared or left): its rows summed again from its orders.
CREATE TRIGGER rollup_service_days_speed AFTER UPDATE OF min_per_day ON services_cache
WHEN OLD.min_per_day IS NOT NEW.min_per_day BEGIN
    DELETE FROM rollup_service_days WHERE panel_id = NEW.panel_id AND service_id = NEW.id;
    INSERT INTO rollup_service_days
        SELECT o.panel_id, o.service_id, m.multiplier, o.last_update / 86400, COUNT(*),
            SUM(COALESCE(NEW.min_per_day > 0 AND CAST(o.last_update - o.created AS REAL) * NEW.min_per_day
                > MAX(COALESCE(o.quantity, 0), 0) * m.multiplier * 86400.0, 0))
        FROM slow_multipliers m CROSS JOIN orders_cache o
        WHERE o.panel_id = NEW.panel_id AND o.service_id = NEW.id AND o.status IN ('completed', 'partial')
            AND o.last_update IS NOT NULL
        GROUP BY m.multiplier, o.last_update / 86400;
END;

CREATE TRIGGER rollup_service_days_service_in AFTER INSERT ON services_cache
WHEN NEW.min_per_day > 0 BEGIN
    DELETE FROM rollup_service_days WHERE panel_id = NEW.panel_id AND service_id = NEW.id;
    INSERT INTO rollup_service_days
        SELECT o.panel_id, o.service_id, m.multiplier, o.last_update / 86400, COUNT(*),
            SUM(COALESCE(CAST(o.last_update - o.created AS REAL) * NEW.min_per_day
                > MAX(COALESCE(o.quantity, 0), 0) * m.multiplier * 86400.0, 0))
        FROM slow_multipliers m CROSS JOIN orders_cache o
        WHERE o.panel_id = NEW.panel_id AND o.service_id = NEW.id AND o.status IN ('completed', 'partial')
            AND o.last_update IS NOT NULL
        GROUP BY m.multiplier, o.last_update / 86400;
END;

CREATE TRIGGER rollup_service_days_service_out AFTER DELETE ON services_cache
WHEN OLD.min_per_day > 0 BEGIN
    UPDATE rollup_service_days SET slow = 0 WHERE panel_id = OLD.panel_id AND service_id = OLD.id;
END;

-- A profile with a multiplier no other uses: its rows summed from every finished order once.
CREATE TRIGGER slow_multipliers_profile_in AFTER INSERT ON service_profiles
WHEN NOT EXISTS (SELECT 1 FROM slow_multipliers WHERE multiplier = NEW.slow_multiplier) BEGIN
    INSERT INTO slow_multipliers VALUES (NEW.slow_multiplier);
    INSERT INTO rollup_service_days
        SELECT o.panel_id, o.service_id, NEW.slow_multiplier, o.last_update / 86400, COUNT(*),
            SUM(COALESCE(s.min_per_day > 0 AND CAST(o.last_update - o.created AS REAL) * s.min_per_day
                > MAX(COALESCE(o.quantity, 0), 0) * NEW.slow_multiplier * 86400.0, 0))
        FROM orders_cache o LEFT JOIN services_cache s ON s.panel_id = o.panel_id AND s.id = o.service_id
        WHERE o.status IN ('completed', 'partial') AND o.last_update IS NOT NULL AND o.service_id IS NOT NULL
        GROUP BY o.panel_id, o.service_id, o.last_update / 86400;
END;

CREATE TRIGGER slow_multipliers_profile_change AFTER UPDATE OF slow_multiplier ON service_profiles
WHEN NOT EXISTS (SELECT 1 FROM slow_multipliers WHERE multiplier = NEW.slow_multiplier) BEGIN
    INSERT INTO slow_multipliers VALUES (NEW.slow_multiplier);
    INSERT INTO rollup_service_days
        SELECT o.panel_id, o.service_id, NEW.slow_multiplier, o.last_update / 86400, COUNT(*),
            SUM(COALESCE(s.min_per_day > 0 AND CAST(o.last_update - o.created AS REAL) * s.min_per_day
                > MAX(COALESCE(o.quantity, 0), 0) * NEW.slow_multiplier * 86400.0, 0))
        FROM orders_cache o LEFT JOIN services_cache s ON s.panel_id = o.panel_id AND s.id = o.service_id
        WHERE o.status IN ('completed', 'partial') AND o.last_update IS NOT NULL AND o.service_id IS NOT NULL
        GROUP BY o.panel_id, o.service_id, o.last_update / 86400;
END;

-- A multiplier no profile uses any more: its rows go (every order write would keep them otherwise).
CREATE TRIGGER slow_multipliers_profile_gone AFTER DELETE ON service_profiles
WHEN NOT EXISTS (SELECT 1 FROM service_profiles WHERE slow_multiplier = OLD.slow_multiplier) BEGIN
    DELETE FROM slow_multipliers WHERE multiplier = OLD.slow_multiplier;
    DELETE FROM rollup_service_days WHERE multiplier = OLD.slow_multiplier;
END;

CREATE TRIGGER slow_multipliers_profile_left AFTER UPDATE OF slow_multiplier ON service_profiles
WHEN OLD.slow_multiplier IS NOT NEW.slow_multiplier
    AND NOT EXISTS (SELECT 1 FROM service_profiles WHERE slow_multiplier = OLD.slow_multiplier) BEGIN
    DELETE FROM slow_multipliers WHERE multiplier = OLD.slow_multiplier;
    DELETE FROM rollup_service_days WHERE multiplier = OLD.slow_multiplier;
END;

-- The orders already cached, summed once.
INSERT INTO rollup_service_days
    SELECT o.panel_id, o.service_id, m.multiplier, o.last_update / 86400, COUNT(*),
        SUM(COALESCE(s.min_per_day > 0 AND CAST(o.last_update - o.created AS REAL) * s.min_per_day
            > MAX(COALESCE(o.quantity, 0), 0) * m.multiplier * 86400.0, 0))
    FROM slow_multipliers m CROSS JOIN orders_cache o
        LEFT JOIN services_cache s ON s.panel_id = o.panel_id AND s.id = o.service_id
    WHERE o.status IN ('completed', 'partial') AND o.last_update IS NOT NULL AND o.service_id IS NOT NULL
    GROUP BY o.panel_id, o.service_id, m.multiplier, o.last_update / 86400;
