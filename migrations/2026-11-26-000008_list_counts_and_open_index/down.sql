DROP INDEX communications_created_idx;
DROP INDEX incidents_open_idx;
DROP TRIGGER incident_counts_truncate ON incidents;
DROP TRIGGER incident_counts_delete ON incidents;
DROP TRIGGER incident_counts_update ON incidents;
DROP TRIGGER incident_counts_insert ON incidents;
DROP FUNCTION incident_counts_clear();
DROP FUNCTION incident_counts_apply();
DROP TABLE incident_counts;
