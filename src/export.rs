//! Writing the whole database in the 22-table JSON format that `import` reads: one file per table, an object
//! keyed by record id, with the product's own columns beside the format's (see `import::spec`), so that importing
//! the folder into an empty database gives the same records with the same ids, and the same audit chain.
//!
//! The tables are read in one snapshot (a repeatable-read transaction), so the files agree with each other while
//! the server goes on working. Each table is read in batches of ids and written record by record: memory stays the
//! same however large the database is.
use crate::db::prepared::prepared;
use crate::import::spec::{Kind, TABLES, Table};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use std::io::Write;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
}

/// Records per query.
const BATCH: i64 = 1_000;

/// How many records each table gave, in the format's order.
pub type Counts = Vec<(&'static str, usize)>;

/// Writes every table into `dir` (made if missing). A file already there is not overwritten: the export stops
/// before writing anything.
pub fn write_dir(conn: &mut PgConnection, dir: &Path) -> Result<Counts, ExportError> {
    let file_error = |file: &str, message: String| ExportError::File { file: file.to_string(), message };
    std::fs::create_dir_all(dir).map_err(|e| file_error(&dir.display().to_string(), format!("cannot be made: {e}")))?;
    if let Some(table) = TABLES.iter().find(|t| dir.join(file_name(t)).exists()) {
        return Err(file_error(
            &file_name(table),
            format!("already exists in {}; export into an empty folder", dir.display()),
        ));
    }
    conn.build_transaction().repeatable_read().read_only().run(|conn| {
        // Times are written in UTC, as the import reads them.
        diesel::sql_query("SET LOCAL TIME ZONE 'UTC'").execute(conn)?;
        TABLES
            .iter()
            .map(|table| {
                let path = dir.join(file_name(table));
                let file = std::fs::File::create_new(&path)
                    .map_err(|e| file_error(&file_name(table), format!("cannot be written: {e}")))?;
                let mut out = std::io::BufWriter::new(file);
                let count = write_table(conn, table, &mut out).map_err(|e| match e {
                    WriteError::Io(e) => file_error(&file_name(table), format!("cannot be written: {e}")),
                    WriteError::Database(e) => ExportError::Database(e),
                })?;
                Ok((table.name, count))
            })
            .collect()
    })
}

fn file_name(table: &Table) -> String {
    format!("{}.json", table.name)
}

enum WriteError {
    Io(std::io::Error),
    Database(diesel::result::Error),
}

impl From<std::io::Error> for WriteError {
    fn from(error: std::io::Error) -> Self {
        WriteError::Io(error)
    }
}

impl From<diesel::result::Error> for WriteError {
    fn from(error: diesel::result::Error) -> Self {
        WriteError::Database(error)
    }
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    record: String,
}

/// Writes one table's file, a batch of records at a time in id order; returns how many it wrote.
fn write_table(conn: &mut PgConnection, table: &Table, out: &mut impl Write) -> Result<usize, WriteError> {
    let key = table.key();
    // Each record as the format writes it: ids and references as decimal text, times as ISO 8601. The names
    // come from the format's description, never from data.
    let fields = table
        .columns()
        .map(|c| match c.kind {
            Kind::Id | Kind::Ref(_) => format!("'{0}', {0}::text", c.name),
            _ => format!("'{0}', {0}", c.name),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {key}::bigint AS id, json_build_object({fields})::text AS record FROM {table} \
         WHERE {key} > ",
        table = table.name
    );
    out.write_all(b"{")?;
    let (mut after, mut count) = (i64::MIN, 0usize);
    loop {
        let rows: Vec<Row> =
            prepared(sql.as_str()).bind::<BigInt, _>(after).sql(format!(" ORDER BY {key} LIMIT {BATCH}")).load(conn)?;
        for row in &rows {
            out.write_all(if count == 0 { b"\n" } else { b",\n" })?;
            write!(out, "\"{}\": {}", row.id, row.record)?;
            count += 1;
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == BATCH => after = last.id,
            _ => break,
        }
    }
    out.write_all(b"\n}\n")?;
    out.flush()?;
    Ok(count)
}
