//! The audit trail: one append-only, hash-chained log. `record` is the one way services write to it, inside the
//! caller's transaction, so a change and its entry are kept or lost together.
pub mod chain;

use crate::clock::Clock;
use crate::domain::enums::Role;
use crate::schema::audit_logs;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::{Map, Value};

/// Who acted. `user_id` is `None` only for events without a known user (a sign-in with an unknown email).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i32>,
    pub role: Option<Role>,
}

impl Actor {
    pub fn user(user_id: i32, role: Role) -> Self {
        Self { user_id: Some(user_id), role: Some(role) }
    }

    pub fn anonymous() -> Self {
        Self { user_id: None, role: None }
    }
}

/// The changed fields of a record: `{"field": {"old": .., "new": ..}}`. Fields that hold secrets are never added.
#[derive(Debug, Clone, Default)]
pub struct Changes(Map<String, Value>);

/// Fields whose values must never reach the audit log.
const SECRET_FIELDS: &[&str] =
    &["password", "password_hash", "current_password", "new_password", "csrf_token", "session"];

impl Changes {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `field` going from `old` to `new`; unchanged values are left out.
    pub fn field(mut self, field: &str, old: Option<impl ToString>, new: Option<impl ToString>) -> Self {
        let old = old.map(|v| v.to_string());
        let new = new.map(|v| v.to_string());
        if old != new {
            let (old, new) = if SECRET_FIELDS.contains(&field) {
                // Say that it changed, never what it was or became.
                (old.map(|_| "[redacted]".to_string()), new.map(|_| "[redacted]".to_string()))
            } else {
                (old, new)
            };
            let mut entry = Map::new();
            entry.insert("old".into(), old.map_or(Value::Null, Value::String));
            entry.insert("new".into(), new.map_or(Value::Null, Value::String));
            self.0.insert(field.to_string(), Value::Object(entry));
        }
        self
    }

    /// A created record: every given field as new.
    pub fn created(fields: &[(&str, Option<String>)]) -> Self {
        fields.iter().fold(Self::new(), |changes, (field, value)| changes.field(field, None::<String>, value.clone()))
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

/// One entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    /// Only the import gives ids (it keeps the reference's); otherwise the sequence does.
    pub audit_id: Option<i64>,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: String,
    pub actor: Actor,
    pub created_at: DateTime<Utc>,
    pub changes: Value,
}

/// A stored entry.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_logs, check_for_backend(diesel::pg::Pg))]
pub struct AuditEntry {
    pub audit_id: i64,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub audit_by_user: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub actor_role: Option<String>,
    pub changes: Value,
    pub prev_hash: String,
    pub entry_hash: String,
}

/// Writes one audit entry for `action` on a record, in the caller's transaction.
pub fn record(
    conn: &mut PgConnection,
    clock: &Clock,
    actor: Actor,
    action: &str,
    entity_type: &str,
    entity_id: impl ToString,
    changes: Changes,
) -> QueryResult<AuditEntry> {
    append(
        conn,
        NewEntry {
            audit_id: None,
            action,
            entity_type,
            entity_id: entity_id.to_string(),
            actor,
            created_at: clock.now(),
            changes: changes.into_value(),
        },
    )
}

/// Appends `entry` to the chain. Appends are serialised by a transaction-scoped advisory lock, so each entry
/// links to the one committed before it; the lock is released when the caller's transaction ends. Without one
/// (a refusal is audited on its own), the append makes its own: else the lock would end with its first statement
/// and parallel appends would fork the chain.
pub fn append(conn: &mut PgConnection, entry: NewEntry<'_>) -> QueryResult<AuditEntry> {
    conn.transaction(|conn| {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({})", chain::LOCK_KEY)).execute(conn)?;
        let prev_hash = chain::head(conn)?;
        let audit_id = match entry.audit_id {
            Some(id) => id,
            None => diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "nextval(pg_get_serial_sequence('audit_logs', 'audit_id'))",
            ))
            .get_result(conn)?,
        };
        let actor_role = entry.actor.role.map(|r| r.as_str());
        let content = chain::Content {
            audit_id,
            action: entry.action,
            entity_type: entry.entity_type,
            entity_id: &entry.entity_id,
            audit_by_user: entry.actor.user_id,
            actor_role,
            created_at: entry.created_at,
            changes: &entry.changes,
        };
        let entry_hash = chain::hash(&prev_hash, &content);
        diesel::insert_into(audit_logs::table)
            .values((
                audit_logs::audit_id.eq(audit_id),
                audit_logs::action.eq(entry.action),
                audit_logs::entity_type.eq(entry.entity_type),
                audit_logs::entity_id.eq(&entry.entity_id),
                audit_logs::audit_by_user.eq(entry.actor.user_id),
                audit_logs::created_at.eq(entry.created_at),
                audit_logs::actor_role.eq(actor_role),
                audit_logs::changes.eq(&entry.changes),
                audit_logs::prev_hash.eq(&prev_hash),
                audit_logs::entry_hash.eq(&entry_hash),
            ))
            .returning(AuditEntry::as_returning())
            .get_result(conn)
    })
}

/// A record's history, oldest first, with each actor's name (absent for unknown actors).
pub fn history_with_names(
    conn: &mut PgConnection,
    entity_type: &str,
    entity_id: &str,
) -> QueryResult<Vec<(AuditEntry, Option<String>)>> {
    use crate::schema::users;
    audit_logs::table
        .left_join(users::table)
        .filter(audit_logs::entity_type.eq(entity_type).and(audit_logs::entity_id.eq(entity_id)))
        .order(audit_logs::audit_id.asc())
        .select((AuditEntry::as_select(), users::name.nullable()))
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_keep_only_what_changed_and_redact_secrets() {
        let changes = Changes::new()
            .field("status", Some("active"), Some("inactive"))
            .field("name", Some("Ann"), Some("Ann"))
            .field("password_hash", Some("$argon2id$old"), Some("$argon2id$new"))
            .into_value();
        assert_eq!(changes["status"]["old"], "active");
        assert_eq!(changes["status"]["new"], "inactive");
        assert!(changes.get("name").is_none());
        assert_eq!(changes["password_hash"]["new"], "[redacted]");
        assert!(!changes.to_string().contains("argon2id"));
    }
}
