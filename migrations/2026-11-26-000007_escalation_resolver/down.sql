ALTER TABLE incident_escalations DROP COLUMN resolved_by_user;
