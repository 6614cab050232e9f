//! The audit trail: one append-only, hash-chained log. `record` is the one way services write to it, inside the
//! caller's transaction, so a change and its entry are kept or lost together.
pub mod chain;
pub mod handlers;
pub mod trail;
pub mod verification;

use crate::clock::Clock;
use crate::db::{COPY_NULL, copy_text};
use crate::domain::enums::Role;
use crate::schema::audit_logs;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::{Map, Value};

/// Who acted. `user_id` is `None` for events without a known user (a sign-in with an unknown email) and for the
/// product itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i32>,
    pub role: Option<Role>,
    /// The product acting on its own (the delivery worker, automatic notices): recorded with the role `system`.
    pub system: bool,
}

/// The `actor_role` of entries the product writes on its own.
pub const SYSTEM_ROLE: &str = "system";

impl Actor {
    pub fn user(user_id: i32, role: Role) -> Self {
        Self { user_id: Some(user_id), role: Some(role), system: false }
    }

    pub fn anonymous() -> Self {
        Self { user_id: None, role: None, system: false }
    }

    pub fn system() -> Self {
        Self { user_id: None, role: None, system: true }
    }

    /// The role as the entry records it.
    fn role_name(&self) -> Option<&'static str> {
        if self.system { Some(SYSTEM_ROLE) } else { self.role.map(|r| r.as_str()) }
    }
}

/// The changed fields of a record: `{"field": {"old": .., "new": ..}}`. Fields that hold secrets are never added.
#[derive(Debug, Clone, Default)]
pub struct Changes(Map<String, Value>);

/// Fields whose values must never reach the audit log.
const SECRET_FIELDS: &[&str] =
    &["password", "password_hash", "current_password", "new_password", "csrf_token", "session"];

/// What an entry holds for a secret field's values: that it changed, never what it was or became.
pub const REDACTED: &str = "[redacted]";

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
                (old.map(|_| REDACTED.to_string()), new.map(|_| REDACTED.to_string()))
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
        let audit_id = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "nextval(pg_get_serial_sequence('audit_logs', 'audit_id'))",
        ))
        .get_result(conn)?;
        let actor_role = entry.actor.role_name();
        let entry_hash = hash_of(&prev_hash, audit_id, &entry);
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

/// The hash `entry` gets as entry `audit_id` after the entry whose hash is `prev_hash`.
pub fn hash_of(prev_hash: &str, audit_id: i64, entry: &NewEntry<'_>) -> String {
    chain::hash(prev_hash, &content(audit_id, entry, entry.actor.role_name()))
}

fn content<'a>(audit_id: i64, entry: &'a NewEntry<'_>, actor_role: Option<&'a str>) -> chain::Content<'a> {
    chain::Content {
        audit_id,
        action: entry.action,
        entity_type: entry.entity_type,
        entity_id: &entry.entity_id,
        audit_by_user: entry.actor.user_id,
        actor_role,
        created_at: entry.created_at,
        changes: &entry.changes,
    }
}

/// Entries per piece of `append_with_ids`'s COPY stream.
const BATCH: usize = 10_000;

/// Appends entries that bring their own ascending ids (the import keeps the reference's) under the same lock as
/// `append`, but reads the chain's head once and streams them with COPY, so a million entries take seconds. The
/// chain is computed on a second thread while the database stores what came before.
pub fn append_with_ids(conn: &mut PgConnection, entries: &[(i64, NewEntry<'_>)]) -> QueryResult<()> {
    let mut rows = ChainedRows::after_head(conn)?;
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<String>(1);
        scope.spawn(move || {
            for batch in entries.chunks(BATCH) {
                let mut text = String::new();
                for (audit_id, entry) in batch {
                    rows.push(*audit_id, entry, &mut text);
                }
                // The receiver is gone only when the COPY failed: stop.
                if sender.send(text).is_err() {
                    break;
                }
            }
        });
        copy_rows(conn, receiver)
    })
}

/// Entries with their own ascending ids, chained as they come and written out as rows of COPY's text format for
/// `copy_rows`: a bulk load chains its entries without holding them.
pub struct ChainedRows {
    prev_hash: String,
}

impl ChainedRows {
    /// Takes the chain's lock for the rest of the caller's transaction and goes on from the chain's head.
    pub fn after_head(conn: &mut PgConnection) -> QueryResult<Self> {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({})", chain::LOCK_KEY)).execute(conn)?;
        Ok(Self { prev_hash: chain::head(conn)? })
    }

    /// Chains the entry and adds its row to `text`.
    pub fn push(&mut self, audit_id: i64, entry: &NewEntry<'_>, text: &mut String) {
        let actor_role = entry.actor.role_name();
        let entry_hash = hash_of(&self.prev_hash, audit_id, entry);
        let fields = [
            audit_id.to_string(),
            copy_text(entry.action),
            copy_text(entry.entity_type),
            copy_text(&entry.entity_id),
            entry.actor.user_id.map_or(COPY_NULL.to_string(), |id| id.to_string()),
            chain::timestamp(&entry.created_at),
            actor_role.map_or(COPY_NULL.to_string(), copy_text),
            copy_text(&entry.changes.to_string()),
            std::mem::replace(&mut self.prev_hash, entry_hash.clone()),
            entry_hash,
        ];
        text.push_str(&fields.join("\t"));
        text.push('\n');
    }
}

/// Writes pieces of `ChainedRows` text in one COPY.
pub fn copy_rows(conn: &mut PgConnection, pieces: impl IntoIterator<Item = String>) -> QueryResult<()> {
    use audit_logs as a;
    let columns = (
        a::audit_id,
        a::action,
        a::entity_type,
        a::entity_id,
        a::audit_by_user,
        a::created_at,
        a::actor_role,
        a::changes,
        a::prev_hash,
        a::entry_hash,
    );
    // The callback may be called only once, but its type does not say so.
    let pieces = std::cell::Cell::new(Some(pieces));
    diesel::copy_from(audit_logs::table)
        .from_raw_data(columns, |copy| {
            for text in pieces.take().into_iter().flatten() {
                copy.write_all(text.as_bytes()).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
            }
            Ok::<_, diesel::result::Error>(())
        })
        .execute(conn)?;
    Ok(())
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

/// The trail filtered to one record, for the record's page: only for those who may read the trail.
pub fn trail_href(actor: &crate::access::Actor, entity_type: &str, id: i32) -> Option<String> {
    use crate::access::{Action, Area, Target};
    actor.may(Action::Read(Area::AuditTrail), &Target::Any).ok()?;
    let query = serde_urlencoded::to_string([("entity_type", entity_type), ("entity_id", &id.to_string())]).ok()?;
    Some(format!("/audit?{query}"))
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
