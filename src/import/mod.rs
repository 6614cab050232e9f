//! Loading a data set in the reference's 22-table JSON format (one file per table, an object keyed by id).
//! Every record is checked before anything is written; then all tables are written in one transaction.
pub mod spec;
pub mod validate;

use crate::audit::{self, Actor, NewEntry};
use crate::domain::enums::Role;
use diesel::prelude::*;
use serde_json::{Map, Value};
use spec::{Kind, TABLES, Table};
use std::collections::BTreeMap;
use std::path::Path;

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
    refuse_if_not_empty(conn)?;
    diesel::sql_query("SET LOCAL TIME ZONE 'UTC'").execute(conn)?;
    let mut counts = Counts::new();
    for table in TABLES {
        let records = dataset.get(table.name).map(|r| r.len()).unwrap_or(0);
        if table.name == "audit_logs" {
            load_audit_logs(conn, dataset)?;
        } else {
            insert_table(conn, table, &dataset[table.name])?;
        }
        if table.name == "users"
            && let Some(hash) = options.password_hash
        {
            diesel::sql_query("UPDATE users SET password_hash = $1")
                .bind::<diesel::sql_types::Text, _>(hash)
                .execute(conn)?;
        }
        restart_sequence(conn, table)?;
        counts.push((table.name, records));
    }
    derive_lifecycle_times(conn)?;
    snapshot_reports(conn)?;
    Ok(counts)
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

/// Inserts the table's domain fields with PostgreSQL's own JSON reader; the product's added columns keep
/// their defaults.
fn insert_table(conn: &mut PgConnection, table: &Table, records: &Map<String, Value>) -> Result<(), ImportError> {
    if records.is_empty() {
        return Ok(());
    }
    let columns = table.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", ");
    // A target of 0 means none: the reference's own convention.
    let targets: Vec<&str> = table.columns.iter().filter(|c| matches!(c.kind, Kind::Target)).map(|c| c.name).collect();
    let rows: Vec<Value> = records
        .values()
        .map(|record| {
            let mut record = record.clone();
            for column in &targets {
                if record.get(*column).and_then(Value::as_i64) == Some(0) {
                    record[*column] = Value::Null;
                }
            }
            record
        })
        .collect();
    let sql = format!(
        "INSERT INTO {name} ({columns}) SELECT {columns} FROM json_populate_recordset(NULL::{name}, $1::json)",
        name = table.name
    );
    diesel::sql_query(sql)
        .bind::<diesel::sql_types::Text, _>(serde_json::to_string(&rows).expect("JSON serialises"))
        .execute(conn)
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(_, info) => ImportError::File {
                file: format!("{}.json", table.name),
                message: format!("the database refused a record: {}", info.message()),
            },
            other => other.into(),
        })?;
    Ok(())
}

/// Audit entries go through the chain writer, in id order, so the imported history is hash-chained too.
fn load_audit_logs(conn: &mut PgConnection, dataset: &Dataset) -> Result<(), ImportError> {
    let roles: BTreeMap<&str, Role> = dataset["users"]
        .iter()
        .filter_map(|(id, user)| Some((id.as_str(), Role::parse(user.get("role")?.as_str()?)?)))
        .collect();
    let mut entries: Vec<&Map<String, Value>> = dataset["audit_logs"].values().filter_map(Value::as_object).collect();
    entries.sort_by_key(|e| spec::id_of(e.get("audit_id")));
    for entry in entries {
        let text = |field: &str| entry.get(field).and_then(Value::as_str).unwrap_or_default();
        let user = text("audit_by_user");
        let user_id = user.parse::<i32>().ok();
        append_imported(
            conn,
            entry,
            text("action"),
            text("entity_type"),
            text("entity_id").to_string(),
            Actor { user_id, role: roles.get(user).copied() },
        )?;
    }
    Ok(())
}

fn append_imported(
    conn: &mut PgConnection,
    entry: &Map<String, Value>,
    action: &str,
    entity_type: &str,
    entity_id: String,
    actor: Actor,
) -> Result<(), ImportError> {
    let created_at = spec::parse_timestamp(entry.get("created_at").and_then(Value::as_str).unwrap_or_default())
        .expect("validated timestamp");
    audit::append(
        conn,
        NewEntry {
            audit_id: Some(spec::id_of(entry.get("audit_id"))),
            action,
            entity_type,
            entity_id,
            actor,
            created_at,
            changes: Value::Object(Map::new()),
        },
    )?;
    Ok(())
}

/// New records continue after the highest imported id.
fn restart_sequence(conn: &mut PgConnection, table: &Table) -> Result<(), ImportError> {
    let pk = table.columns.iter().find(|c| matches!(c.kind, Kind::Id)).expect("every table has an id").name;
    diesel::sql_query(format!(
        "SELECT setval(pg_get_serial_sequence('{t}', '{pk}'), coalesce((SELECT max({pk}) FROM {t}), 0) + 1, false)",
        t = table.name
    ))
    .execute(conn)?;
    Ok(())
}

/// The product's own `acknowledged_at` and `closed_at` are not in the format; the change log tells them: the
/// first move out of open, and the move to closed.
fn derive_lifecycle_times(conn: &mut PgConnection) -> Result<(), ImportError> {
    diesel::sql_query(
        "UPDATE incidents i SET \
           acknowledged_at = (SELECT min(u.created_at) FROM incident_updates u WHERE u.incident_id = i.incident_id \
                                AND u.field_changed = 'status' AND u.old_value = 'open'), \
           closed_at = CASE WHEN i.status = 'closed' THEN (SELECT max(u.created_at) FROM incident_updates u \
                                WHERE u.incident_id = i.incident_id AND u.field_changed = 'status' AND u.new_value = 'closed') END",
    )
    .execute(conn)?;
    Ok(())
}

/// Reports in the format carry no snapshot; each gets one of its incident as imported, so it can be printed.
fn snapshot_reports(conn: &mut PgConnection) -> Result<(), ImportError> {
    use crate::schema::incident_reports::dsl::*;
    let reports: Vec<(i32, i32)> =
        incident_reports.filter(snapshot.is_null()).select((report_id, incident_id)).load(conn)?;
    for (report, incident) in reports {
        let taken = crate::records::procedure_service::snapshot(conn, incident)?;
        diesel::sql_query("UPDATE incident_reports SET snapshot = $1::jsonb WHERE report_id = $2")
            .bind::<diesel::sql_types::Text, _>(taken)
            .bind::<diesel::sql_types::Integer, _>(report)
            .execute(conn)?;
    }
    Ok(())
}
