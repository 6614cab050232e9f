-- PRODUCT ADDITIONS for the procedures.
-- A change or rollback request that an approver turns down is 'rejected', with who, when and why. The
-- reference's statuses have no word for it; 'rejected' extends them.
ALTER TABLE change_requests DROP CONSTRAINT change_requests_status_check,
    ADD CONSTRAINT change_requests_status_check CHECK (status IN ('requested', 'in_progress', 'scheduled', 'rolled_back', 'completed', 'failed', 'approved', 'rejected')),
    ADD COLUMN rejected_by_user integer REFERENCES users,
    ADD COLUMN rejection_reason text,
    ADD COLUMN decided_at timestamptz,
    ADD CONSTRAINT change_requests_rejection_has_reason CHECK (status <> 'rejected' OR btrim(coalesce(rejection_reason, '')) <> '');
ALTER TABLE rollback_requests DROP CONSTRAINT rollback_requests_status_check,
    ADD CONSTRAINT rollback_requests_status_check CHECK (status IN ('requested', 'in_progress', 'failed', 'approved', 'rejected')),
    ADD COLUMN rejected_by_user integer REFERENCES users,
    ADD COLUMN rejection_reason text,
    ADD COLUMN decided_at timestamptz,
    ADD CONSTRAINT rollback_requests_rejection_has_reason CHECK (status <> 'rejected' OR btrim(coalesce(rejection_reason, '')) <> '');
-- A report is a snapshot of the incident and its records when it was generated.
ALTER TABLE incident_reports ADD COLUMN snapshot jsonb;
CREATE INDEX knowledge_base_articles_title_idx ON knowledge_base_articles (created_at DESC);
