DROP TABLE audit_verifications;
DROP INDEX audit_logs_created_idx, audit_logs_user_idx, audit_logs_action_idx, audit_logs_entity_type_idx,
    audit_logs_role_idx;
CREATE INDEX audit_logs_user_idx ON audit_logs (audit_by_user, audit_id);
