-- Incident intelligence (issue 19).

-- PRODUCT ADDITION: the component a change request affects, so an incident's page can show what changed on its
-- component before it broke. The page reads the changes whose window started in the 72 hours before detection
-- (few, whatever the history), then keeps those on the component or linked to its incidents.
ALTER TABLE change_requests ADD COLUMN component_id integer REFERENCES infrastructure_components (component_id);
CREATE INDEX change_requests_window_idx ON change_requests ((coalesce(actual_start_time, scheduled_start_time)));

-- PRODUCT ADDITION: the change an engineer marked as the incident's suspected cause.
ALTER TABLE incidents ADD COLUMN suspected_change_id integer REFERENCES change_requests (change_id);

-- PRODUCT ADDITION: the post-incident review a work order was raised from, as one of its follow-up actions.
ALTER TABLE work_orders ADD COLUMN review_id integer REFERENCES post_incident_reviews (review_id);
CREATE INDEX work_orders_review_idx ON work_orders (review_id) WHERE review_id IS NOT NULL;

-- Resolved incidents like this one: the latest on the same component, and those with alike titles. Titles are
-- compared by trigram likeness where the server has pg_trgm (Debian's postgresql package does), else by full-text
-- rank over incidents.title_search, which has its index already.
CREATE INDEX incidents_resolved_component_idx ON incidents (component_id, resolution_timestamp DESC)
    WHERE status IN ('resolved', 'closed');
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        EXECUTE 'CREATE INDEX incidents_resolved_title_trgm_idx ON incidents USING gin (title gin_trgm_ops) '
                'WHERE status IN (''resolved'', ''closed'')';
    END IF;
END
$$;
