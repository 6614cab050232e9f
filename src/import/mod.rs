//! Loading a data set in the reference's 22-table JSON format (one file per table, an object keyed by id).
//! Every record is checked before anything is written; then all tables are written in one transaction.
//! Generated data too large to hold is written as it is made instead (`load_streamed`).
mod copy;
pub mod spec;
mod stream;
pub mod validate;

use crate::audit::{self, Actor, NewEntry};
use crate::domain::enums::Role;
use diesel::prelude::*;
use serde_json::{Map, Value};
use spec::{Kind, TABLES, Table};
use std::collections::BTreeMap;
use std::path::Path;
pub use stream::{Sink, load_streamed};

/// A data set: table name → records keyed by id, exactly as in the files.
pub type Dataset = BTreeMap<String, Map<String, Value>>;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error("{file}, record {record}, field {field}: {message}")]
    Record { file: String, record: String, field: String, message: String },
    #[error("the database already holds records ({0}); import only into an empty database")]
    NotEmpty(String),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
}

/// How many records each table received, in load order.
pub type Counts = Vec<(&'static str, usize)>;

/// Reads the 22 files of `dir`. A missing or malformed file is an error naming it.
pub fn read_dir(dir: &Path) -> Result<Dataset, ImportError> {
    let mut dataset = Dataset::new();
    for table in TABLES {
        let file = format!("{}.json", table.name);
        let path = dir.join(&file);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ImportError::File { file: file.clone(), message: format!("cannot be read: {e}") })?;
        let value: Value = serde_json::from_str(&text)
            .map_err(|e| ImportError::File { file: file.clone(), message: format!("is not valid JSON: {e}") })?;
        let Value::Object(records) = value else {
            return Err(ImportError::File { file, message: "must hold one JSON object keyed by record id".into() });
        };
        dataset.insert(table.name.to_string(), records);
    }
    Ok(dataset)
}

/// Options for `load`.
#[derive(Default)]
pub struct LoadOptions<'a> {
    /// An argon2id hash given to every user (the password itself never reaches this module).
    pub password_hash: Option<&'a str>,
}

/// Checks the whole data set, then writes it into an empty database in the caller's transaction.
pub fn load(conn: &mut PgConnection, dataset: &Dataset, options: &LoadOptions<'_>) -> Result<Counts, ImportError> {
    validate::check(dataset)?;
    let deferred = begin(conn)?;
    for table in TABLES {
        if table.name == "audit_logs" {
            load_audit_logs(conn, dataset)?;
        } else {
            insert_table(conn, table, &dataset[table.name])?;
        }
    }
    let carried = Carried {
        lifecycle_times: carries(dataset, "incidents", "acknowledged_at"),
        change_components: carries(dataset, "change_requests", "component_id"),
        snapshots: carries(dataset, "incident_reports", "snapshot"),
    };
    finish(conn, deferred, options, carried)?;
    Ok(TABLES.iter().map(|table| (table.name, dataset.get(table.name).map_or(0, |r| r.len()))).collect())
}

/// What the product derives after a load that the data set carried already (an export does).
#[derive(Debug, Default, Clone, Copy)]
struct Carried {
    lifecycle_times: bool,
    change_components: bool,
    snapshots: bool,
}

/// Makes an empty database ready for a bulk load in the caller's transaction; `finish` completes it.
fn begin(conn: &mut PgConnection) -> Result<Deferred, ImportError> {
    refuse_if_not_empty(conn)?;
    diesel::sql_query("SET LOCAL TIME ZONE 'UTC'").execute(conn)?;
    // The report snapshots written at the end are compressed: lz4, where the server has it, does it in less time
    // than pglz, the default (the snapshots of 100,000 incidents took 10-11 s instead of 14-15 s).
    diesel::sql_query(
        "SELECT set_config('default_toast_compression', 'lz4', true) FROM pg_settings \
         WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)",
    )
    .execute(conn)?;
    Deferred::drop(conn)
}

/// After the records of a bulk load: passwords, sequences, what the product derives, and the constraints and
/// indexes that `begin` set aside.
fn finish(
    conn: &mut PgConnection,
    deferred: Deferred,
    options: &LoadOptions<'_>,
    carried: Carried,
) -> Result<(), ImportError> {
    if let Some(hash) = options.password_hash {
        diesel::sql_query("UPDATE users SET password_hash = $1")
            .bind::<diesel::sql_types::Text, _>(hash)
            .execute(conn)?;
    }
    for table in TABLES {
        restart_sequence(conn, table)?;
    }
    // Before the indexes are back, so the incidents' rows are rewritten without updating them. An export carries
    // the times itself.
    if !carried.lifecycle_times {
        derive_lifecycle_times(conn)?;
    }
    if !carried.change_components {
        // The format has no component on a change request (a product addition): a change linked to an incident is
        // taken to affect the incident's component.
        diesel::sql_query(
            "UPDATE change_requests c SET component_id = i.component_id FROM incidents i \
             WHERE i.incident_id = c.incident_id AND c.component_id IS NULL",
        )
        .execute(conn)?;
    }
    deferred.restore(conn)?;
    // Statistics first, so the queries below, and the first ones on a large import, are planned well.
    diesel::sql_query("ANALYZE").execute(conn)?;
    crate::forecast::queries::compute_all(conn)?;
    snapshot_reports(conn, carried.snapshots)
}

/// Whether the file of `table` carries a product column.
fn carries(dataset: &Dataset, table: &str, column: &str) -> bool {
    dataset.get(table).is_some_and(|records| records.values().any(|record| record.get(column).is_some()))
}

/// The foreign keys, unique constraints and secondary indexes of the format's tables (all but the primary keys),
/// taken away for the load and made again after it: checking and indexing millions of rows at once is many times
/// faster than row by row. Every reference and unique value was checked beforehand, and the load is one
/// transaction, so no one sees the tables without them.
struct Deferred {
    /// (table, constraint, definition): unique constraints before the foreign keys that may rest on them.
    constraints: Vec<(String, String, String)>,
    index_definitions: Vec<String>,
}

#[derive(QueryableByName)]
struct CatalogRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    definition: String,
}

impl Deferred {
    fn drop(conn: &mut PgConnection) -> Result<Self, ImportError> {
        let tables: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        let constraints: Vec<CatalogRow> = diesel::sql_query(
            "SELECT conrelid::regclass::text AS table_name, conname::text AS name, pg_get_constraintdef(oid) AS definition \
             FROM pg_constraint WHERE contype IN ('u', 'f') AND conrelid::regclass::text = ANY($1) \
             ORDER BY contype DESC, oid",
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(&tables)
        .load(conn)?;
        // Indexes of their own: a constraint's index goes with its constraint.
        let indexes: Vec<CatalogRow> = diesel::sql_query(
            "SELECT indrelid::regclass::text AS table_name, indexrelid::regclass::text AS name, \
             pg_get_indexdef(indexrelid) AS definition \
             FROM pg_index WHERE NOT indisprimary AND indrelid::regclass::text = ANY($1) \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = indexrelid) ORDER BY indexrelid",
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(&tables)
        .load(conn)?;
        // Foreign keys first: a unique constraint cannot go while a key rests on it.
        for constraint in constraints.iter().rev() {
            diesel::sql_query(format!("ALTER TABLE {} DROP CONSTRAINT \"{}\"", constraint.table_name, constraint.name))
                .execute(conn)?;
        }
        for index in &indexes {
            diesel::sql_query(format!("DROP INDEX {}", index.name)).execute(conn)?;
        }
        Ok(Self {
            constraints: constraints.into_iter().map(|k| (k.table_name, k.name, k.definition)).collect(),
            index_definitions: indexes.into_iter().map(|i| i.definition).collect(),
        })
    }

    fn restore(self, conn: &mut PgConnection) -> Result<(), ImportError> {
        for definition in &self.index_definitions {
            diesel::sql_query(definition).execute(conn)?;
        }
        for (table, name, definition) in &self.constraints {
            diesel::sql_query(format!("ALTER TABLE {table} ADD CONSTRAINT \"{name}\" {definition}")).execute(conn)?;
        }
        Ok(())
    }
}

fn refuse_if_not_empty(conn: &mut PgConnection) -> Result<(), ImportError> {
    let union = TABLES
        .iter()
        .map(|t| format!("SELECT '{0}' AS name FROM {0} HAVING count(*) > 0", t.name))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    #[derive(QueryableByName)]
    struct NonEmpty {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let non_empty: Vec<NonEmpty> = diesel::sql_query(union).load(conn)?;
    if non_empty.is_empty() {
        Ok(())
    } else {
        Err(ImportError::NotEmpty(non_empty.into_iter().map(|t| t.name).collect::<Vec<_>>().join(", ")))
    }
}

/// Records per piece of COPY text, and per batch of a streamed load.
const BATCH: usize = 10_000;

/// Writes the table's records: with COPY where they hold the format's fields only (the product's added columns keep
/// their defaults); with PostgreSQL's JSON reader where the file carries product columns too (an export), so each
/// row arrives whole and the table's checks across columns hold as it is written.
fn insert_table(conn: &mut PgConnection, table: &Table, records_by_id: &Map<String, Value>) -> Result<(), ImportError> {
    let records: Vec<&Value> = records_by_id.values().collect();
    let given = validate::read_columns(table, records_by_id);
    if !given.iter().any(|c| c.product) {
        let pieces = records.chunks(BATCH).map(|batch| {
            let mut text = String::new();
            for record in batch {
                copy::add_row(table, record, &mut text);
            }
            text
        });
        copy::copy_rows(conn, table.name, pieces).map_err(|e| refused(table, e))?;
        return Ok(());
    }
    // Names from the format's description; the records are bound as JSON. A target of 0 means none: the
    // reference's own convention.
    let columns = given.iter().map(|c| c.name).collect::<Vec<_>>().join(", ");
    let values = given
        .iter()
        .map(|c| if matches!(c.kind, Kind::Target) { format!("NULLIF({0}, 0)", c.name) } else { c.name.to_string() })
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO {name} ({columns}) SELECT {values} FROM json_populate_recordset(NULL::{name}, $1::json)",
        name = table.name
    );
    for batch in records.chunks(BATCH) {
        let json = serde_json::to_string(batch).expect("JSON values serialize");
        diesel::sql_query(&sql)
            .bind::<diesel::sql_types::Text, _>(json)
            .execute(conn)
            .map_err(|e| refused(table, e))?;
    }
    Ok(())
}

/// A refused record names the table's file.
fn refused(table: &Table, error: diesel::result::Error) -> ImportError {
    match error {
        diesel::result::Error::DatabaseError(_, info) => ImportError::File {
            file: format!("{}.json", table.name),
            message: format!("the database refused a record: {}", info.message()),
        },
        other => other.into(),
    }
}

/// Audit entries are hash-chained in id order as they are written, so the imported history is chained too.
/// Entries of the reference carry no role and no changes: the role is their user's, and the changes are empty.
/// An export carries both, and the hashes: those must come out the same, else the trail was altered.
fn load_audit_logs(conn: &mut PgConnection, dataset: &Dataset) -> Result<(), ImportError> {
    let roles: BTreeMap<i32, Role> = dataset["users"].values().filter_map(user_role).collect();
    let mut entries: Vec<(&str, i64, NewEntry<'_>)> = dataset["audit_logs"]
        .iter()
        .filter_map(|(key, entry)| Some((key.as_str(), entry.as_object()?)))
        .map(|(key, entry)| {
            let (id, entry) = audit_entry(entry, &roles);
            (key, id, entry)
        })
        .collect();
    entries.sort_by_key(|(_, id, _)| *id);
    check_carried_hashes(&dataset["audit_logs"], &entries)?;
    let entries: Vec<(i64, NewEntry<'_>)> = entries.into_iter().map(|(_, id, entry)| (id, entry)).collect();
    audit::append_with_ids(conn, &entries)?;
    Ok(())
}

/// An exported trail carries each entry's hashes; chained anew from the start they must come out the same. Else
/// an entry was altered, removed or added since it was written, and importing would hide it under a new chain.
fn check_carried_hashes(
    records: &Map<String, Value>,
    entries: &[(&str, i64, NewEntry<'_>)],
) -> Result<(), ImportError> {
    let mut prev_hash = audit::chain::GENESIS.to_string();
    for (key, id, entry) in entries {
        let entry_hash = audit::hash_of(&prev_hash, *id, entry);
        for (field, computed) in [("prev_hash", &prev_hash), ("entry_hash", &entry_hash)] {
            if let Some(given) = records[*key].get(field).and_then(Value::as_str)
                && given != computed
            {
                return Err(ImportError::Record {
                    file: "audit_logs.json".into(),
                    record: key.to_string(),
                    field: field.into(),
                    message: format!(
                        "is {given}, but the trail chained from its first entry gives {computed}: an entry was altered, \
                         removed or added after it was written, so the trail is not imported"
                    ),
                });
            }
        }
        prev_hash = entry_hash;
    }
    Ok(())
}

/// A user record's id and role, for the role its audit entries name.
fn user_role(user: &Value) -> Option<(i32, Role)> {
    Some((spec::id_of(user.get("user_id")).try_into().ok()?, Role::parse(user.get("role")?.as_str()?)?))
}

/// An audit record of the format as an entry of the chain, with its id. The reference's records carry no role and
/// no changes: the role is their user's (`roles`), and the changes are empty. An export carries both; the product's
/// own entries (deliveries, automatic notices) name the system and no user.
fn audit_entry<'a>(entry: &'a Map<String, Value>, roles: &BTreeMap<i32, Role>) -> (i64, NewEntry<'a>) {
    let text = |field: &str| entry.get(field).and_then(Value::as_str).unwrap_or_default();
    let user_id = text("audit_by_user").parse::<i32>().ok();
    let role = match entry.get("actor_role") {
        Some(role) => role.as_str().and_then(Role::parse),
        None => user_id.and_then(|id| roles.get(&id).copied()),
    };
    let system = entry.get("actor_role").and_then(Value::as_str) == Some(audit::SYSTEM_ROLE);
    let new_entry = NewEntry {
        action: text("action"),
        entity_type: text("entity_type"),
        entity_id: text("entity_id").to_string(),
        actor: Actor { user_id, role, system },
        created_at: spec::parse_timestamp(text("created_at")).expect("validated timestamp"),
        changes: entry.get("changes").cloned().unwrap_or_else(|| Value::Object(Map::new())),
    };
    (spec::id_of(entry.get("audit_id")), new_entry)
}

/// New records continue after the highest imported id.
fn restart_sequence(conn: &mut PgConnection, table: &Table) -> Result<(), ImportError> {
    let pk = table.key();
    diesel::sql_query(format!(
        "SELECT setval(pg_get_serial_sequence('{t}', '{pk}'), coalesce((SELECT max({pk}) FROM {t}), 0) + 1, false)",
        t = table.name
    ))
    .execute(conn)?;
    Ok(())
}

/// The product's own `acknowledged_at` and `closed_at` are not in the format; the change log tells them: the
/// first move out of open, and the move to closed. Set-based, so it needs no index.
fn derive_lifecycle_times(conn: &mut PgConnection) -> Result<(), ImportError> {
    diesel::sql_query(
        "UPDATE incidents i SET acknowledged_at = t.acknowledged, \
           closed_at = CASE WHEN i.status = 'closed' THEN t.closed END \
         FROM (SELECT incident_id, \
                 min(created_at) FILTER (WHERE field_changed = 'status' AND old_value = 'open') AS acknowledged, \
                 max(created_at) FILTER (WHERE field_changed = 'status' AND new_value = 'closed') AS closed \
               FROM incident_updates GROUP BY incident_id) t \
         WHERE t.incident_id = i.incident_id",
    )
    .execute(conn)?;
    Ok(())
}

/// Reports in the reference's format carry no snapshot; each gets one of its incident as imported, so it can be
/// printed. Then every report is in the import, so no condition on the snapshot itself: one the statistics
/// misjudged would turn the join into a loop over every incident per report. An export carries the snapshots
/// taken when its reports were generated, which are kept; only reports without one get one.
fn snapshot_reports(conn: &mut PgConnection, carried: bool) -> Result<(), ImportError> {
    diesel::sql_query(format!(
        "UPDATE incident_reports r SET snapshot = s.snapshot::jsonb FROM ({}) s WHERE s.incident_id = r.incident_id{}",
        crate::records::kinds::reports::snapshots(),
        if carried { " AND r.snapshot IS NULL" } else { "" }
    ))
    .execute(conn)?;
    Ok(())
}
