-- The dashboards' figures over the history, kept by statement triggers in the transaction of each write (as
-- incident_counts is), so a dashboard reads a few summary rows instead of aggregating incidents or metrics on every
-- view. Derived data: neither imported nor exported, and made below from what is already there.

-- Incidents by the month of their detection (UTC) and client: how many, and the sums behind the mean times to
-- acknowledge and to resolve (in seconds; numeric, so taking a row away and adding it back stays exact).
CREATE TABLE incident_months (
    month date NOT NULL,
    client_id integer NOT NULL,
    incidents bigint NOT NULL,
    acknowledged bigint NOT NULL,
    acknowledge_seconds numeric NOT NULL,
    resolved bigint NOT NULL,
    resolve_seconds numeric NOT NULL,
    PRIMARY KEY (month, client_id)
);

-- Incidents by the week of their report (UTC, weeks from Monday), client and severity.
CREATE TABLE incident_weeks (
    week date NOT NULL,
    client_id integer NOT NULL,
    severity text NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (week, client_id, severity)
);

-- Performance metrics recorded against a target, by the client of their incident: how many, and how many met it.
CREATE TABLE metric_compliance (
    client_id integer PRIMARY KEY,
    measured bigint NOT NULL,
    met bigint NOT NULL
);

-- A statement's changes are its new rows counted +1 and its old rows -1, summed per summary row in key order (so
-- parallel transactions lock summary rows in the same order and cannot deadlock); a change that moves nothing (a
-- title edit) touches no row. The rows come from one of three constant texts, so each summary's statement is
-- written once.

CREATE FUNCTION incident_history_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    columns constant text := 'client_id, severity, detection_timestamp, created_at, acknowledged_at, resolution_timestamp';
    source text := CASE TG_OP
        WHEN 'INSERT' THEN format('SELECT %s, 1 AS sign FROM new_rows', columns)
        WHEN 'DELETE' THEN format('SELECT %s, -1 AS sign FROM old_rows', columns)
        ELSE format('SELECT %1$s, 1 AS sign FROM new_rows UNION ALL SELECT %1$s, -1 FROM old_rows', columns)
    END;
BEGIN
    EXECUTE format($sql$
        WITH c AS (
            SELECT date_trunc('month', detection_timestamp AT TIME ZONE 'UTC')::date AS month,
                   date_trunc('week', created_at AT TIME ZONE 'UTC')::date AS week, client_id, severity, sign,
                   sign * (acknowledged_at IS NOT NULL)::integer AS acknowledged,
                   sign * coalesce(extract(epoch FROM acknowledged_at - detection_timestamp), 0) AS acknowledge_seconds,
                   sign * (resolution_timestamp IS NOT NULL)::integer AS resolved,
                   sign * coalesce(extract(epoch FROM resolution_timestamp - detection_timestamp), 0) AS resolve_seconds
            FROM (%s) s
        ), months AS (
            INSERT INTO incident_months AS m
            SELECT month, client_id, sum(sign), sum(acknowledged), sum(acknowledge_seconds), sum(resolved),
                   sum(resolve_seconds)
            FROM c GROUP BY 1, 2
            HAVING sum(sign) <> 0 OR sum(acknowledged) <> 0 OR sum(acknowledge_seconds) <> 0 OR sum(resolved) <> 0
                OR sum(resolve_seconds) <> 0
            ORDER BY 1, 2
            ON CONFLICT (month, client_id) DO UPDATE SET incidents = m.incidents + EXCLUDED.incidents,
                acknowledged = m.acknowledged + EXCLUDED.acknowledged,
                acknowledge_seconds = m.acknowledge_seconds + EXCLUDED.acknowledge_seconds,
                resolved = m.resolved + EXCLUDED.resolved,
                resolve_seconds = m.resolve_seconds + EXCLUDED.resolve_seconds
        )
        INSERT INTO incident_weeks AS w
        SELECT week, client_id, severity, sum(sign) FROM c GROUP BY 1, 2, 3 HAVING sum(sign) <> 0 ORDER BY 1, 2, 3
        ON CONFLICT (week, client_id, severity) DO UPDATE SET n = w.n + EXCLUDED.n
    $sql$, source);
    RETURN NULL;
END $$;

CREATE TRIGGER incident_history_insert AFTER INSERT ON incidents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION incident_history_apply();
CREATE TRIGGER incident_history_update AFTER UPDATE ON incidents
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION incident_history_apply();
CREATE TRIGGER incident_history_delete AFTER DELETE ON incidents
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION incident_history_apply();

CREATE FUNCTION metric_compliance_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    columns constant text := 'incident_id, calculated_value_minutes, target_minutes';
    source text := CASE TG_OP
        WHEN 'INSERT' THEN format('SELECT %s, 1 AS sign FROM new_rows', columns)
        WHEN 'DELETE' THEN format('SELECT %s, -1 AS sign FROM old_rows', columns)
        ELSE format('SELECT %1$s, 1 AS sign FROM new_rows UNION ALL SELECT %1$s, -1 FROM old_rows', columns)
    END;
BEGIN
    EXECUTE format($sql$
        INSERT INTO metric_compliance AS m
        SELECT i.client_id, sum(c.sign), coalesce(sum(c.sign) FILTER (WHERE c.calculated_value_minutes <= c.target_minutes), 0)
        FROM (%s) c JOIN incidents i USING (incident_id)
        WHERE c.target_minutes IS NOT NULL
        GROUP BY 1 HAVING sum(c.sign) <> 0 OR sum(c.sign) FILTER (WHERE c.calculated_value_minutes <= c.target_minutes) <> 0
        ORDER BY 1
        ON CONFLICT (client_id) DO UPDATE SET measured = m.measured + EXCLUDED.measured, met = m.met + EXCLUDED.met
    $sql$, source);
    RETURN NULL;
END $$;

CREATE TRIGGER metric_compliance_insert AFTER INSERT ON performance_metrics
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION metric_compliance_apply();
CREATE TRIGGER metric_compliance_update AFTER UPDATE ON performance_metrics
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION metric_compliance_apply();
CREATE TRIGGER metric_compliance_delete AFTER DELETE ON performance_metrics
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION metric_compliance_apply();

-- TRUNCATE fires no row triggers; keep the summaries true there too.
CREATE FUNCTION incident_history_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM incident_months;
    DELETE FROM incident_weeks;
    RETURN NULL;
END $$;
CREATE TRIGGER incident_history_truncate AFTER TRUNCATE ON incidents
    FOR EACH STATEMENT EXECUTE FUNCTION incident_history_clear();
CREATE FUNCTION metric_compliance_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM metric_compliance;
    RETURN NULL;
END $$;
CREATE TRIGGER metric_compliance_truncate AFTER TRUNCATE ON performance_metrics
    FOR EACH STATEMENT EXECUTE FUNCTION metric_compliance_clear();

INSERT INTO incident_months
SELECT date_trunc('month', detection_timestamp AT TIME ZONE 'UTC')::date, client_id, count(*), count(acknowledged_at),
       coalesce(sum(extract(epoch FROM acknowledged_at - detection_timestamp)), 0), count(resolution_timestamp),
       coalesce(sum(extract(epoch FROM resolution_timestamp - detection_timestamp)), 0)
FROM incidents GROUP BY 1, 2;
INSERT INTO incident_weeks
SELECT date_trunc('week', created_at AT TIME ZONE 'UTC')::date, client_id, severity, count(*) FROM incidents GROUP BY 1, 2, 3;
INSERT INTO metric_compliance
SELECT i.client_id, count(*), count(*) FILTER (WHERE m.calculated_value_minutes <= m.target_minutes)
FROM performance_metrics m JOIN incidents i USING (incident_id) WHERE m.target_minutes IS NOT NULL GROUP BY 1;
