//! Connection pool, migrations and the private PostgreSQL cluster.
pub mod embedded;
pub mod prepared;

use diesel::connection::Instrumentation;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::sync::Arc;
use std::time::Duration;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type DbPool = Pool<ConnectionManager<PgConnection>>;
pub type DbConn = PooledConnection<ConnectionManager<PgConnection>>;

/// Makes the instrumentation each pooled connection gets (e.g. a statement counter for the query budget test).
pub type Instrument = Arc<dyn Fn() -> Box<dyn Instrumentation> + Send + Sync>;

/// Builds the pool. Connections are opened lazily so that the server starts, and `/healthz` answers 503,
/// even while the database is down; a request waits at most `wait` for a connection.
pub fn pool(database_url: &str, max_size: u32, wait: Duration) -> DbPool {
    instrumented_pool(database_url, max_size, wait, None)
}

/// The pool, with `instrument` watching every statement its connections run.
pub fn instrumented_pool(database_url: &str, max_size: u32, wait: Duration, instrument: Option<Instrument>) -> DbPool {
    Pool::builder()
        .max_size(max_size)
        .min_idle(Some(0))
        .connection_timeout(wait)
        // No `SELECT 1` before every use: a broken connection fails its query, which answers 503 like an outage,
        // and r2d2 drops it.
        .test_on_check_out(false)
        .connection_customizer(Box::new(SessionSettings { instrument }))
        .build_unchecked(ConnectionManager::new(database_url))
}

/// Every connection works in UTC, whatever the server's default.
struct SessionSettings {
    instrument: Option<Instrument>,
}

impl std::fmt::Debug for SessionSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionSettings").field("instrumented", &self.instrument.is_some()).finish()
    }
}

impl diesel::r2d2::CustomizeConnection<PgConnection, diesel::r2d2::Error> for SessionSettings {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        use diesel::{Connection, RunQueryDsl};
        diesel::sql_query("SET TIME ZONE 'UTC'").execute(conn).map_err(diesel::r2d2::Error::QueryError)?;
        if let Some(instrument) = &self.instrument {
            conn.set_instrumentation(instrument());
        }
        Ok(())
    }
}

/// Applies every pending migration; returns how many ran.
pub fn migrate(conn: &mut PgConnection) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    Ok(conn.run_pending_migrations(MIGRATIONS)?.len())
}

/// Opens a single connection (for command-line work), set to UTC like pooled ones.
pub fn connect(database_url: &str) -> Result<PgConnection, diesel::ConnectionError> {
    use diesel::{Connection, RunQueryDsl};
    let mut conn = PgConnection::establish(database_url)?;
    diesel::sql_query("SET TIME ZONE 'UTC'")
        .execute(&mut conn)
        .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
    Ok(conn)
}

/// NULL in COPY's text format.
pub const COPY_NULL: &str = "\\N";

/// A value in COPY's text format: backslash, tab and line breaks escaped.
pub fn copy_text(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '\t' => escaped.push_str("\\t"),
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            c => escaped.push(c),
        }
    }
    escaped
}
