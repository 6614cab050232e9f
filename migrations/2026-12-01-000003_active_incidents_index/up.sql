-- The active incidents (not resolved or closed) are a small share of all of them, and the list's default view and
-- every dashboard panel read them whole: to count them, and to sort them by severity and SLA deadline. One partial
-- index holds all a list row needs, so those reads stay in the index (a few hundred kilobytes for a hundred
-- thousand incidents) instead of fetching a table page per incident; the component is there for a vendor's scope.
-- It replaces the two narrower ones.
DROP INDEX incidents_open_idx;
DROP INDEX incidents_open_detected_idx;
CREATE INDEX incidents_active_idx ON incidents (severity, created_at DESC, incident_id DESC)
    INCLUDE (status, client_id, component_id, assigned_to_user_id, detection_timestamp, acknowledged_at,
             resolution_timestamp, title)
    WHERE status NOT IN ('resolved', 'closed');
