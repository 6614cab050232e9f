//! Loading records as they are made, for data sets too large to hold: a producer thread makes the records and
//! gathers them into batches of COPY rows per table while this thread writes the batches, and audit entries are
//! chained as they come. Memory stays the same whatever the size: a batch per table, and two on their way.
use super::spec::{TABLES, Table};
use super::{Counts, Dataset, ImportError, LoadOptions, audit_entry, user_role};
use crate::audit::ChainedRows;
use crate::domain::enums::Role;
use diesel::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Receives records in the import's format, table by table in the order they are made, each with its id.
/// Audit entries come in id order, after the users they name.
pub trait Sink {
    fn add(&mut self, table: &'static str, id: &str, record: Value);
    /// The records are no longer wanted (the load failed): the producer may stop.
    fn is_closed(&self) -> bool {
        false
    }
}

/// A data set collects what it is given (small data sets, and tests).
impl Sink for Dataset {
    fn add(&mut self, table: &'static str, id: &str, record: Value) {
        self.entry(table.to_string()).or_default().insert(id.to_string(), record);
    }
}

/// Loads what `produce` gives its sink into an empty database, in the caller's transaction, while it is being
/// made. Nothing is checked beforehand, as `super::load` checks a data set: the producer is trusted to make valid
/// records, and the database's checks and the constraints made again at the end hold it to that.
pub fn load_streamed(
    conn: &mut PgConnection,
    options: &LoadOptions<'_>,
    produce: impl FnOnce(&mut dyn Sink) + Send,
) -> Result<Counts, ImportError> {
    let deferred = super::begin(conn)?;
    let chain = ChainedRows::after_head(conn)?;
    let counts = std::thread::scope(|scope| {
        // Two batches on their way keep both threads busy; more would only hold memory.
        let (sender, receiver) = sync_channel(2);
        let producer = scope.spawn(move || {
            let mut batches = Batches::new(sender, chain);
            produce(&mut batches);
            batches.finish()
        });
        let written = write(conn, receiver);
        let counts = producer.join().expect("the producer does not panic");
        written.map(|_| counts)
    })?;
    super::finish(conn, deferred, options, super::Carried::default())?;
    Ok(TABLES.iter().map(|table| table.name).zip(counts).collect())
}

/// A batch of one table's records (by its place in `TABLES`) as COPY rows.
struct Batch {
    table: usize,
    text: String,
}

fn write(conn: &mut PgConnection, receiver: Receiver<Batch>) -> Result<(), ImportError> {
    for Batch { table, text } in receiver {
        let table = &TABLES[table];
        if is_audit(table) {
            crate::audit::copy_rows(conn, [text])?;
        } else {
            super::copy::copy_rows(conn, table.name, [text]).map_err(|e| super::refused(table, e))?;
        }
    }
    Ok(())
}

/// The sink of `load_streamed`: gathers each table's records into a batch and sends it when full.
struct Batches {
    sender: SyncSender<Batch>,
    closed: bool,
    /// Per table of `TABLES`: the batch being gathered and how many records it holds.
    gathering: Vec<(String, usize)>,
    counts: Vec<usize>,
    chain: ChainedRows,
    /// The role of each user so far: audit entries record the actor's role.
    roles: BTreeMap<i32, Role>,
}

impl Batches {
    fn new(sender: SyncSender<Batch>, chain: ChainedRows) -> Self {
        Self {
            sender,
            closed: false,
            gathering: vec![(String::new(), 0); TABLES.len()],
            counts: vec![0; TABLES.len()],
            chain,
            roles: BTreeMap::new(),
        }
    }

    /// Sends what is left; returns the records per table.
    fn finish(mut self) -> Vec<usize> {
        for table in 0..TABLES.len() {
            self.send(table);
        }
        self.counts
    }

    fn send(&mut self, table: usize) {
        let (text, count) = std::mem::take(&mut self.gathering[table]);
        if count == 0 || self.closed {
            return;
        }
        // The receiver is gone only when a statement failed.
        self.closed = self.sender.send(Batch { table, text }).is_err();
    }
}

fn is_audit(table: &Table) -> bool {
    table.name == "audit_logs"
}

impl Sink for Batches {
    fn add(&mut self, table_name: &'static str, _id: &str, record: Value) {
        let table = TABLES.iter().position(|t| t.name == table_name).expect("a table of the import format");
        if table_name == "users"
            && let Some((id, role)) = user_role(&record)
        {
            self.roles.insert(id, role);
        }
        let (text, count) = &mut self.gathering[table];
        if is_audit(&TABLES[table]) {
            let Value::Object(entry) = &record else { unreachable!("records are JSON objects") };
            let (audit_id, entry) = audit_entry(entry, &self.roles);
            self.chain.push(audit_id, &entry, text);
        } else {
            super::copy::add_row(&TABLES[table], &record, text);
        }
        *count += 1;
        self.counts[table] += 1;
        if *count == super::BATCH {
            self.send(table);
        }
    }

    fn is_closed(&self) -> bool {
        self.closed
    }
}
