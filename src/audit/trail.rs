//! Reading the trail: entries newest first, filtered, a page at a time from an entry's id (a keyset page reads
//! its own entries and stops, however long the trail).
use super::AuditEntry;
use crate::db::prepared::PreparedSql;
use crate::schema::{audit_logs, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// Which entries: each condition that is given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub user: Option<i32>,
    pub role: Option<String>,
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// Entries written at this time or later.
    pub from: Option<DateTime<Utc>>,
    /// Entries written before this time.
    pub until: Option<DateTime<Utc>>,
}

/// Where a page starts, by an entry on the page before or after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    Newest,
    /// The entries older than this one.
    Before(i64),
    /// This entry and those older than it.
    At(i64),
    /// The entries newer than this one.
    After(i64),
}

/// An entry with the name of who wrote it (none for unknown actors).
pub type Named = (AuditEntry, Option<String>);

/// Up to `limit` entries that match, from the cursor on, newest first: by time, and by entry number among
/// entries of the same time (imported trails need not be in time order). A cursor's entry that does not exist
/// is `NotFound`.
pub fn page(conn: &mut PgConnection, filter: &Filter, cursor: Cursor, limit: i64) -> QueryResult<Vec<Named>> {
    use audit_logs::{audit_id, created_at};
    let mut query = audit_logs::table
        .left_join(users::table)
        .select((AuditEntry::as_select(), users::name.nullable()))
        .limit(limit)
        .into_boxed();
    if let Some(user) = filter.user {
        query = query.filter(audit_logs::audit_by_user.eq(user));
    }
    if let Some(role) = &filter.role {
        query = query.filter(audit_logs::actor_role.eq(role.clone()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_logs::action.eq(action.clone()));
    }
    if let Some(entity_type) = &filter.entity_type {
        query = query.filter(audit_logs::entity_type.eq(entity_type.clone()));
    }
    if let Some(entity_id) = &filter.entity_id {
        query = query.filter(audit_logs::entity_id.eq(entity_id.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(created_at.ge(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(created_at.lt(until));
    }
    let at = |conn: &mut PgConnection, id: i64| -> QueryResult<DateTime<Utc>> {
        audit_logs::table.find(id).select(created_at).first(conn)
    };
    // The time bounds the index range; the entry number settles entries of the same time.
    match cursor {
        Cursor::Newest => query.order((created_at.desc(), audit_id.desc())).load(conn),
        Cursor::Before(id) | Cursor::At(id) => {
            let time = at(conn, id)?;
            let below = if matches!(cursor, Cursor::At(_)) { id.saturating_add(1) } else { id };
            query
                .filter(created_at.le(time))
                .filter(created_at.lt(time).or(audit_id.lt(below)))
                .order((created_at.desc(), audit_id.desc()))
                .load(conn)
        }
        Cursor::After(id) => {
            let time = at(conn, id)?;
            let mut entries: Vec<Named> = query
                .filter(created_at.ge(time))
                .filter(created_at.gt(time).or(audit_id.gt(id)))
                .order((created_at.asc(), audit_id.asc()))
                .load(conn)?;
            entries.reverse();
            Ok(entries)
        }
    }
}

/// What a page of entries names besides themselves: people by id, the incident each progress update, escalation
/// and communication belongs to (those have no page of their own), and other records by their names.
#[derive(Debug, Default)]
pub struct Lookups {
    pub names: std::collections::HashMap<i32, String>,
    /// (entity type, id) → incident id.
    pub incidents: std::collections::HashMap<(String, i32), i32>,
    /// (table, id) → the record's name, as its references name it.
    pub labels: std::collections::HashMap<(String, i32), String>,
}

/// The kinds of record whose entries link to their incident.
pub const PARTS_OF_INCIDENTS: [(&str, &str, &str); 3] = [
    ("incident_update", "incident_updates", "update_id"),
    ("incident_escalation", "incident_escalations", "escalation_id"),
    ("communication", "communications", "communication_id"),
];

/// Looks up people and incidents for a page of entries in one statement, with the names of other records that
/// `labels` reads (queries of the columns `kind`, `id`, `value`, the kind being the record's table).
pub fn lookups(
    conn: &mut PgConnection,
    people: &[i32],
    parts: &[(&str, i32)],
    labels: Vec<PreparedSql<'static>>,
) -> QueryResult<Lookups> {
    use diesel::sql_types::{Array, Integer, Text};
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = Integer)]
        id: i32,
        #[diesel(sql_type = Text)]
        value: String,
    }
    let mut query = crate::db::prepared::prepared(
        "SELECT 'user' AS kind, user_id AS id, name AS value FROM users WHERE user_id = ANY(",
    )
    .bind::<Array<Integer>, _>(people.to_vec())
    .sql(")");
    for (kind, table, key) in PARTS_OF_INCIDENTS {
        let ids: Vec<i32> = parts.iter().filter(|(k, _)| *k == kind).map(|(_, id)| *id).collect();
        query = query
            .sql(format!(" UNION ALL SELECT '{kind}', {key}, incident_id::text FROM {table} WHERE {key} = ANY("))
            .bind::<Array<Integer>, _>(ids)
            .sql(")");
    }
    for label in labels {
        query = query.sql(" UNION ALL ").append(label);
    }
    let mut lookups = Lookups::default();
    for found in query.load::<Found>(conn)? {
        if found.kind == "user" {
            lookups.names.insert(found.id, found.value);
        } else if PARTS_OF_INCIDENTS.iter().any(|(kind, ..)| *kind == found.kind) {
            lookups.incidents.extend(found.value.parse().ok().map(|incident| ((found.kind, found.id), incident)));
        } else {
            lookups.labels.insert((found.kind, found.id), found.value);
        }
    }
    Ok(lookups)
}
