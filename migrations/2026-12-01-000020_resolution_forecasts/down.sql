DROP INDEX incidents_resolved_category_idx;
DROP TABLE resolution_forecasts;
