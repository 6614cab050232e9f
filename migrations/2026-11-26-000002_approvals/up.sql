-- PRODUCT ADDITION: approval of subscriptions and SLAs (permissions.md, "Approvals"). The reference has no
-- approvals for them; records that exist before this migration, and imported ones, are in force ('approved').
ALTER TABLE subscriptions
    ADD COLUMN approval_status text NOT NULL DEFAULT 'approved' CHECK (approval_status IN ('pending', 'approved', 'rejected')),
    ADD COLUMN approval_decided_by integer REFERENCES users,
    ADD COLUMN approval_decided_at timestamptz,
    ADD COLUMN rejection_reason text,
    ADD CONSTRAINT subscriptions_rejection_has_reason CHECK (approval_status <> 'rejected' OR btrim(coalesce(rejection_reason, '')) <> '');
ALTER TABLE service_level_agreements
    ADD COLUMN approval_status text NOT NULL DEFAULT 'approved' CHECK (approval_status IN ('pending', 'approved', 'rejected')),
    ADD COLUMN approval_decided_by integer REFERENCES users,
    ADD COLUMN approval_decided_at timestamptz,
    ADD COLUMN rejection_reason text,
    ADD CONSTRAINT service_level_agreements_rejection_has_reason CHECK (approval_status <> 'rejected' OR btrim(coalesce(rejection_reason, '')) <> '');
CREATE INDEX subscriptions_approval_idx ON subscriptions (approval_status) WHERE approval_status = 'pending';
CREATE INDEX service_level_agreements_approval_idx ON service_level_agreements (approval_status) WHERE approval_status = 'pending';
