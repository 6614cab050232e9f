ALTER TABLE subscriptions DROP COLUMN approval_status, DROP COLUMN approval_decided_by, DROP COLUMN approval_decided_at, DROP COLUMN rejection_reason;
ALTER TABLE service_level_agreements DROP COLUMN approval_status, DROP COLUMN approval_decided_by, DROP COLUMN approval_decided_at, DROP COLUMN rejection_reason;
