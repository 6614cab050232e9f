-- A vendor's scope now asks, per incident read, whether it was escalated to one of the vendor's people at the
-- vendor level (a probe whose cost follows the incidents read). The index answers it without the table; the
-- index by person (000011) served the old form, which built the set of all the vendor's escalations on every view.
DROP INDEX incident_escalations_vendor_idx;
CREATE INDEX incident_escalations_vendor_incident_idx ON incident_escalations (incident_id, escalated_to_user)
    WHERE escalation_level = 'vendor';
