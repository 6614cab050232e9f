DROP INDEX IF EXISTS incidents_resolved_title_trgm_idx;
DROP INDEX incidents_resolved_component_idx;
DROP INDEX work_orders_review_idx;
ALTER TABLE work_orders DROP COLUMN review_id;
ALTER TABLE incidents DROP COLUMN suspected_change_id;
DROP INDEX change_requests_window_idx;
ALTER TABLE change_requests DROP COLUMN component_id;
