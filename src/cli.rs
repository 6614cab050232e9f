//! The command line. `serve` is the default.
use crate::audit::chain;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, embedded::EmbeddedPostgres};
use crate::delivery::worker::{Policy, Worker};
use crate::domain::enums::Role;
use crate::{auth::password, delivery, demo, import, users, web};
use clap::{Parser, Subcommand};
use diesel::{Connection, PgConnection};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// The private cluster's database and socket port.
const EMBEDDED_DATABASE: &str = "incident_desk";
const EMBEDDED_PORT: u16 = 5432;

#[derive(Parser)]
#[command(name = "incident-desk", version, about = "Incident management for IT service providers")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (the default). Without DATABASE_URL, a private PostgreSQL under ./var is started,
    /// migrated and, on first start, filled with demo data.
    Serve,
    /// Apply pending database migrations.
    Migrate,
    /// Import a data set in the reference's 22-table JSON format into an empty database.
    Import {
        /// The folder holding the 22 JSON files.
        dir: PathBuf,
        /// Give every imported user this password (otherwise they cannot sign in until one is set).
        #[arg(long)]
        initial_password: Option<String>,
    },
    /// Write the whole database into a folder in the 22-table JSON format that `import` reads (without password
    /// hashes: give imported users a password with `import --initial-password`).
    Export {
        /// The folder to write the 22 JSON files into (made if missing; files already there are not overwritten).
        dir: PathBuf,
    },
    /// Load the generated demo data set into an empty database and print its logins.
    Demo {
        /// Generate this many incidents, with their records and audit trail, spread over a longer history
        /// (bench data; every user gets the demo password).
        #[arg(long, value_name = "N", default_value_t = demo::DEMO_INCIDENTS, value_parser = incident_count)]
        scale: usize,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Check the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Measure the breach forecast.
    Forecast {
        #[command(subcommand)]
        command: ForecastCommand,
    },
    /// Hash passwords with the production argon2 settings on every core for a while and print hashes per second
    /// (the benchmark compares sign-ins per second with it).
    #[command(hide = true)]
    HashRate {
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
}

fn incident_count(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= demo::DEMO_INCIDENTS => Ok(n),
        _ => Err(format!("must be a whole number of at least {}", demo::DEMO_INCIDENTS)),
    }
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user, typically the first system administrator.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// One of the seven roles.
        #[arg(long, default_value = "system_administrator")]
        role: String,
        /// The password; if absent it is read from the INCIDENT_DESK_PASSWORD environment variable.
        #[arg(long, env = "INCIDENT_DESK_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

#[derive(Subcommand)]
enum ForecastCommand {
    /// Replay the history in detection order, forecasting each incident at its detection from the incidents
    /// resolved before it, and print how many breaches were flagged in advance, how early, and how many flags were
    /// false alarms.
    Backtest,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain; print the first broken link and exit non-zero if there is one.
    Verify,
}

pub fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli.command.unwrap_or(Command::Serve)) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<ExitCode, String> {
    if let Command::HashRate { seconds } = command {
        println!("{:.1} hashes/s", password::hash_rate(Duration::from_secs(seconds)));
        return Ok(ExitCode::SUCCESS);
    }
    let settings = Settings::from_env()?;
    // The server owns the private cluster and stops it when it stops; other commands stop it only if they
    // started it, so they can run beside a server.
    let owns_cluster = matches!(command, Command::Serve);
    let database = Database::open(&settings, owns_cluster)?;
    let result = match command {
        Command::Serve => serve(&settings, &database),
        Command::Migrate => {
            let applied = db::migrate(&mut database.connect()?).map_err(|e| e.to_string())?;
            println!("{applied} migration(s) applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { dir, initial_password } => import_dir(&database, &dir, initial_password.as_deref()),
        Command::Export { dir } => {
            let counts = crate::export::write_dir(&mut database.connect()?, &dir).map_err(|e| e.to_string())?;
            print_counts(&counts);
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { scale } => load_demo(&database, scale).map(|_| {
            print_logins();
            ExitCode::SUCCESS
        }),
        Command::User { command: UserCommand::Create { name, email, role, password } } => {
            create_user(&database, &name, &email, &role, &password)
        }
        Command::Audit { command: AuditCommand::Verify } => verify_audit(&database),
        Command::Forecast { command: ForecastCommand::Backtest } => {
            let findings = crate::forecast::backtest::run(&mut migrated(&database)?, chrono::Utc::now())
                .map_err(|e| format!("the backtest failed: {e}"))?;
            print!("{}", findings.report());
            Ok(ExitCode::SUCCESS)
        }
        Command::HashRate { .. } => unreachable!("answered before the database is opened"),
    };
    database.close();
    result
}

/// The database the command works on: `DATABASE_URL`, or the private cluster.
struct Database {
    url: String,
    /// The private cluster, when this process is to stop it at the end.
    owned: Option<EmbeddedPostgres>,
    embedded_created: bool,
}

impl Database {
    fn open(settings: &Settings, owns_cluster: bool) -> Result<Self, String> {
        if let Some(url) = &settings.database_url {
            return Ok(Self { url: url.clone(), owned: None, embedded_created: false });
        }
        let cluster =
            EmbeddedPostgres::new(settings.data_dir.join("postgres"), EMBEDDED_PORT).map_err(|e| e.to_string())?;
        let already_running = cluster.is_running();
        let created = cluster.start().map_err(|e| e.to_string())?;
        cluster.create_database(EMBEDDED_DATABASE).map_err(|e| e.to_string())?;
        let url = cluster.url(EMBEDDED_DATABASE);
        Ok(Self { url, owned: (owns_cluster || !already_running).then_some(cluster), embedded_created: created })
    }

    fn connect(&self) -> Result<PgConnection, String> {
        db::connect(&self.url).map_err(|e| format!("cannot connect to the database: {e}"))
    }

    fn close(&self) {
        if let Some(cluster) = &self.owned
            && let Err(error) = cluster.stop()
        {
            eprintln!("warning: the private PostgreSQL did not stop cleanly: {error}");
        }
    }
}

fn serve(settings: &Settings, database: &Database) -> Result<ExitCode, String> {
    let mut conn = database.connect()?;
    db::migrate(&mut conn).map_err(|e| format!("migrations failed: {e}"))?;
    if settings.database_url.is_none() && (database.embedded_created || is_empty(&mut conn)?) {
        load_demo(database, demo::DEMO_INCIDENTS)?;
    }
    drop(conn);
    let key = session_key(settings)?;
    let pool = db::pool(&database.url, settings.pool_size, Duration::from_millis(settings.pool_wait_ms));
    let mailer = std::sync::Arc::new(delivery::mail::Mailer::from_settings(settings)?);
    println!("Email is {}.", mailer.described());
    let replica = settings
        .database_replica_url
        .as_deref()
        .map(|url| db::pool(url, settings.pool_size, Duration::from_millis(settings.pool_wait_ms)));
    if replica.is_some() {
        println!("Lists, dashboards, search, exports and print views read from DATABASE_REPLICA_URL.");
    }
    let state = web::AppState {
        trusted_proxy: settings.trusted_proxy,
        replica,
        ..web::AppState::new(pool.clone(), Clock::system()).with_mail_destination(mailer.described())
    };
    let listener = std::net::TcpListener::bind(settings.bind_addr)
        .map_err(|e| format!("cannot listen on {}: {e}", settings.bind_addr))?;
    println!("Incident Desk is serving on http://{}/", listener.local_addr().map_err(|e| e.to_string())?);
    if settings.database_url.is_none() {
        print_logins();
    }
    // Deliveries are made off the request path, on a thread of their own.
    let worker = Worker::new(pool, Clock::system(), mailer, Policy::from_settings(settings)).spawn();
    // The server stops on Ctrl-C by itself; the private cluster is stopped after it returns.
    let served = web::run(listener, state, &key, settings.cookie_secure);
    worker.stop();
    served.map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

fn is_empty(conn: &mut PgConnection) -> Result<bool, String> {
    use diesel::prelude::*;
    let users: i64 = crate::schema::users::table.count().get_result(conn).map_err(|e| e.to_string())?;
    Ok(users == 0)
}

/// The cookie key's bytes: SESSION_KEY, or a key kept in the data folder so sessions survive restarts.
fn session_key(settings: &Settings) -> Result<Vec<u8>, String> {
    let from_hex = |text: &str| {
        hex::decode(text.trim())
            .ok()
            .filter(|bytes| bytes.len() >= 64)
            .ok_or("SESSION_KEY must be at least 64 bytes written as hex (128 hex digits)".to_string())
    };
    if let Some(key) = &settings.session_key {
        return from_hex(key);
    }
    let path = settings.data_dir.join("session.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return from_hex(&text);
    }
    let mut key = vec![0u8; 64];
    rand::fill(&mut key[..]);
    std::fs::create_dir_all(&settings.data_dir).map_err(|e| e.to_string())?;
    write_private(&path, &hex::encode(&key)).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(key)
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?.write_all(text.as_bytes())
}

fn import_dir(database: &Database, dir: &std::path::Path, initial_password: Option<&str>) -> Result<ExitCode, String> {
    let dataset = import::read_dir(dir).map_err(|e| e.to_string())?;
    let hash = initial_password
        .map(|p| password::check_new_password(p).and_then(|_| password::hash(p)))
        .transpose()
        .map_err(|e| format!("--initial-password: {e}"))?;
    let counts = load(database, &dataset, hash.as_deref());
    // The process ends next, and freeing a large data set one record at a time takes seconds.
    std::mem::forget(dataset);
    print_counts(&counts?);
    Ok(ExitCode::SUCCESS)
}

fn load(database: &Database, dataset: &import::Dataset, password_hash: Option<&str>) -> Result<import::Counts, String> {
    let mut conn = migrated(database)?;
    conn.transaction(|conn| import::load(conn, dataset, &import::LoadOptions { password_hash }))
        .map_err(|e| format!("nothing was imported: {e}"))
}

/// Loads the demo data set with `incidents` incidents as it is generated, so memory does not grow with its size.
fn load_demo(database: &Database, incidents: usize) -> Result<(), String> {
    let hash = password::hash(demo::DEMO_PASSWORD)?;
    let options = import::LoadOptions { password_hash: Some(&hash) };
    let now = chrono::Utc::now();
    let counts = migrated(database)?
        .transaction(|conn| import::load_streamed(conn, &options, |sink| demo::generate(now, incidents, sink)))
        .map_err(|e| format!("nothing was loaded: {e}"))?;
    print_counts(&counts);
    Ok(())
}

/// A connection to the database, with every migration applied.
fn migrated(database: &Database) -> Result<PgConnection, String> {
    let mut conn = database.connect()?;
    db::migrate(&mut conn).map_err(|e| format!("migrations failed: {e}"))?;
    Ok(conn)
}

fn print_counts(counts: &import::Counts) {
    for (table, count) in counts {
        println!("{table:<28} {count:>7}");
    }
}

fn print_logins() {
    println!("Demo logins (password: {}):", demo::DEMO_PASSWORD);
    for login in demo::logins() {
        println!("  {:<22} {}", login.role.label(), login.email);
    }
}

fn create_user(
    database: &Database,
    name: &str,
    email: &str,
    role: &str,
    password_text: &str,
) -> Result<ExitCode, String> {
    let role = Role::parse(role).filter(|r| r.is_staff()).ok_or_else(|| {
        "--role must be a staff role: system_administrator, incident_manager, technical_support, account_manager or executive".to_string()
    })?;
    if name.trim().is_empty() || !email.contains('@') {
        return Err("--name must not be empty and --email must be an email address".into());
    }
    password::check_new_password(password_text)?;
    let hash = password::hash(password_text)?;
    let clock = Clock::system();
    let mut conn = database.connect()?;
    db::migrate(&mut conn).map_err(|e| format!("migrations failed: {e}"))?;
    let user = conn
        .transaction(|conn| users::service::create_first_user(conn, &clock, name.trim(), email.trim(), role, &hash))
        .map_err(|e| e.to_string())?;
    println!("created user {} <{}> ({})", user.user_id, user.email, role.label());
    Ok(ExitCode::SUCCESS)
}

fn verify_audit(database: &Database) -> Result<ExitCode, String> {
    let verification = chain::verify(&mut database.connect()?).map_err(|e| e.to_string())?;
    match verification.broken {
        None => {
            println!("audit chain intact: {} entries, head {}", verification.entries, verification.head_hash);
            Ok(ExitCode::SUCCESS)
        }
        Some(link) => {
            println!("audit chain BROKEN at {link}");
            Ok(ExitCode::FAILURE)
        }
    }
}
