DROP TABLE notifications, deliveries;
ALTER TABLE clients DROP COLUMN incident_notices;
ALTER TABLE communications DROP COLUMN failure_reason;
ALTER TABLE communications ALTER COLUMN sender_id SET NOT NULL;
