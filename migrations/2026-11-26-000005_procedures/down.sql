ALTER TABLE incident_reports DROP COLUMN snapshot;
DROP INDEX knowledge_base_articles_title_idx;
ALTER TABLE rollback_requests DROP CONSTRAINT rollback_requests_rejection_has_reason, DROP COLUMN rejected_by_user, DROP COLUMN rejection_reason, DROP COLUMN decided_at;
ALTER TABLE change_requests DROP CONSTRAINT change_requests_rejection_has_reason, DROP COLUMN rejected_by_user, DROP COLUMN rejection_reason, DROP COLUMN decided_at;
