-- Incidents by client, status and severity, kept by statement triggers: a list's total then sums a few rows
-- instead of counting every incident on each page view.
CREATE TABLE incident_counts (
    client_id integer NOT NULL,
    status text NOT NULL,
    severity text NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (client_id, status, severity)
);

-- The changes go in as one statement in key order, so parallel transactions lock count rows in the same order
-- and cannot deadlock; an update that moves no incident between counts (a title edit) touches none.
CREATE FUNCTION incident_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO incident_counts AS c (client_id, status, severity, n)
        SELECT client_id, status, severity, count(*) FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (client_id, status, severity) DO UPDATE SET n = c.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO incident_counts AS c (client_id, status, severity, n)
        SELECT client_id, status, severity, -count(*) FROM old_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (client_id, status, severity) DO UPDATE SET n = c.n + EXCLUDED.n;
    ELSE
        INSERT INTO incident_counts AS c (client_id, status, severity, n)
        SELECT client_id, status, severity, sum(delta)
        FROM (SELECT client_id, status, severity, 1 AS delta FROM new_rows
              UNION ALL SELECT client_id, status, severity, -1 FROM old_rows) AS changes
        GROUP BY 1, 2, 3 HAVING sum(delta) <> 0 ORDER BY 1, 2, 3
        ON CONFLICT (client_id, status, severity) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER incident_counts_insert AFTER INSERT ON incidents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION incident_counts_apply();
CREATE TRIGGER incident_counts_update AFTER UPDATE ON incidents
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION incident_counts_apply();
CREATE TRIGGER incident_counts_delete AFTER DELETE ON incidents
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION incident_counts_apply();
-- TRUNCATE fires no row triggers; keep the counts true there too.
CREATE FUNCTION incident_counts_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM incident_counts;
    RETURN NULL;
END $$;
CREATE TRIGGER incident_counts_truncate AFTER TRUNCATE ON incidents
    FOR EACH STATEMENT EXECUTE FUNCTION incident_counts_clear();

INSERT INTO incident_counts SELECT client_id, status, severity, count(*) FROM incidents GROUP BY 1, 2, 3;

-- Dashboards work on the open incidents, a small share of all of them.
CREATE INDEX incidents_open_idx ON incidents (severity, created_at) WHERE status NOT IN ('resolved', 'closed');
-- An incident manager's dashboard: active escalations, oldest first, and rollbacks waiting for approval.
CREATE INDEX incident_escalations_active_idx ON incident_escalations (escalated_at) WHERE status = 'active';
CREATE INDEX rollback_requests_requested_idx ON rollback_requests (rollback_id) WHERE status = 'requested';
-- A client contact's dashboard lists their incidents, those still open first, newest first.
CREATE INDEX incidents_client_done_idx ON incidents (client_id, (status IN ('resolved', 'closed')), created_at DESC);
-- A contact's dashboard shows the latest communications.
CREATE INDEX communications_created_idx ON communications (created_at DESC);
