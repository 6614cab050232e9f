-- Incident intelligence (issue 19).

-- PRODUCT ADDITION: the component a change request affects, so an incident's page can show what changed on its
-- component before it broke. Read by component and window start, newest first.
ALTER TABLE change_requests ADD COLUMN component_id integer REFERENCES infrastructure_components (component_id);
CREATE INDEX change_requests_component_window_idx
    ON change_requests (component_id, (coalesce(actual_start_time, scheduled_start_time)) DESC)
    WHERE component_id IS NOT NULL;

-- PRODUCT ADDITION: the change an engineer marked as the incident's suspected cause.
ALTER TABLE incidents ADD COLUMN suspected_change_id integer REFERENCES change_requests (change_id);

-- PRODUCT ADDITION: the post-incident review a work order was raised from, as one of its follow-up actions.
ALTER TABLE work_orders ADD COLUMN review_id integer REFERENCES post_incident_reviews (review_id);
CREATE INDEX work_orders_review_idx ON work_orders (review_id) WHERE review_id IS NOT NULL;

-- Resolved incidents like this one: the same component first. Titles are compared by trigram likeness where the
-- server has pg_trgm (Debian's postgresql package does), else by full-text rank (incidents.title_search).
CREATE INDEX incidents_resolved_component_idx ON incidents (component_id, severity, resolution_timestamp DESC)
    WHERE status IN ('resolved', 'closed');
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    END IF;
END
$$;
