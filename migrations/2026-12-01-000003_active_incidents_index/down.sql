DROP INDEX incidents_active_idx;
CREATE INDEX incidents_open_idx ON incidents (severity, created_at) WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX incidents_open_detected_idx ON incidents (detection_timestamp, incident_id)
    INCLUDE (client_id, severity, acknowledged_at, resolution_timestamp)
    WHERE status NOT IN ('resolved', 'closed');
