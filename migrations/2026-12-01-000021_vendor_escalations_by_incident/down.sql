DROP INDEX incident_escalations_vendor_incident_idx;
CREATE INDEX incident_escalations_vendor_idx ON incident_escalations (escalated_to_user, incident_id)
    WHERE escalation_level = 'vendor';
