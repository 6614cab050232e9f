-- PRODUCT ADDITION: who resolved or cancelled an escalation.
ALTER TABLE incident_escalations ADD COLUMN resolved_by_user integer REFERENCES users;
