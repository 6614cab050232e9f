-- The incident manager's dashboard walks open incidents longest-running first to find SLA clocks that need
-- attention; the included columns are all the clocks need, so the walk reads only the index.
CREATE INDEX incidents_open_detected_idx ON incidents (detection_timestamp, incident_id)
    INCLUDE (client_id, severity, acknowledged_at, resolution_timestamp)
    WHERE status NOT IN ('resolved', 'closed');
