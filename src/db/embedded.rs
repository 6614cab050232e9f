//! A private PostgreSQL cluster started from the system's binaries, for when no `DATABASE_URL` is given.
//! As root, PostgreSQL refuses to run, so the cluster belongs to and runs as the `postgres` OS user.
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "PostgreSQL server binaries were not found (looked in /usr/lib/postgresql/*/bin and PATH). \
         Install them with `apt-get install postgresql`, or set DATABASE_URL to use an existing server."
    )]
    BinariesMissing,
    #[error("running as root, but there is no `postgres` OS user to run PostgreSQL as; install the postgresql package")]
    NoPostgresUser,
    #[error("{what} failed: {detail}")]
    Command { what: String, detail: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub struct EmbeddedPostgres {
    bin_dir: PathBuf,
    root: PathBuf,
    port: u16,
    run_as_postgres: bool,
    /// Off only for throwaway test clusters, where speed beats surviving a power cut.
    fsync: bool,
}

impl EmbeddedPostgres {
    /// A cluster kept under `root` (data in `root/data`, socket in `root/run`), listening only on its socket.
    pub fn new(root: impl Into<PathBuf>, port: u16) -> Result<Self, EmbeddedError> {
        let root = absolute(root.into())?;
        let run_as_postgres = is_root();
        if run_as_postgres && !user_exists("postgres") {
            return Err(EmbeddedError::NoPostgresUser);
        }
        Ok(Self { bin_dir: find_bin_dir()?, root, port, run_as_postgres, fsync: true })
    }

    /// A cluster for tests: it does not wait for the disk.
    pub fn without_fsync(mut self) -> Self {
        self.fsync = false;
        self
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    pub fn socket_dir(&self) -> PathBuf {
        self.root.join("run")
    }

    /// A libpq URL to `database` on this cluster's socket.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@localhost/{database}?host={}&port={}", self.socket_dir().display(), self.port)
    }

    /// Creates the cluster on first use and starts it unless it already runs. Returns true if it was created.
    pub fn start(&self) -> Result<bool, EmbeddedError> {
        let created = !self.data_dir().join("PG_VERSION").exists();
        fs::create_dir_all(self.socket_dir())?;
        // Only the cluster's owner (and root) may reach its socket, which trusts whoever connects.
        fs::set_permissions(self.socket_dir(), std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
        if created {
            fs::create_dir_all(self.data_dir())?;
            self.hand_over(&self.root)?;
            self.pg(
                "initdb",
                &[
                    "-D",
                    &self.data_dir().to_string_lossy(),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-locale",
                ],
            )?;
        } else {
            self.hand_over(&self.socket_dir())?;
        }
        if !self.is_running() {
            let options = format!(
                "-c listen_addresses='' -c unix_socket_directories='{}' -c unix_socket_permissions=0700 -p {} -c fsync={} -c timezone=UTC",
                self.socket_dir().display(),
                self.port,
                if self.fsync { "on" } else { "off" }
            );
            let log = self.root.join("postgres.log");
            self.pg(
                "pg_ctl",
                &[
                    "-D",
                    &self.data_dir().to_string_lossy(),
                    "-l",
                    &log.to_string_lossy(),
                    "-o",
                    &options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
            )?;
        }
        Ok(created)
    }

    /// Makes this cluster, which must not exist yet, a streaming replica of `primary` (running, from the same
    /// binaries): a base backup of it with the settings to follow it (`pg_basebackup -R`). `start` then runs it as a
    /// hot standby, which serves reads and replays the primary's changes as they come. It follows through the
    /// replication slot `slot`, made here, which keeps on the primary the WAL it has not received yet (however
    /// busy the primary is before the replica starts); drop the slot when the replica is gone.
    pub fn replicate(&self, primary: &EmbeddedPostgres, slot: &str) -> Result<(), EmbeddedError> {
        fs::create_dir_all(self.socket_dir())?;
        self.hand_over(&self.root)?;
        let port = primary.port.to_string();
        self.pg(
            "pg_basebackup",
            &[
                "-D",
                &self.data_dir().to_string_lossy(),
                "--write-recovery-conf",
                "--create-slot",
                "--slot",
                slot,
                "--checkpoint=fast",
                "-h",
                &primary.socket_dir().to_string_lossy(),
                "-p",
                &port,
                "-U",
                "postgres",
            ],
        )
        .map(|_| ())
    }

    pub fn is_running(&self) -> bool {
        self.pg("pg_ctl", &["-D", &self.data_dir().to_string_lossy(), "status"]).is_ok()
    }

    /// Stops the cluster, letting it finish its work (fast shutdown: sessions end, data is flushed).
    pub fn stop(&self) -> Result<(), EmbeddedError> {
        self.pg("pg_ctl", &["-D", &self.data_dir().to_string_lossy(), "-m", "fast", "-w", "stop"]).map(|_| ())
    }

    /// Creates `database` if it does not exist yet.
    pub fn create_database(&self, database: &str) -> Result<(), EmbeddedError> {
        use diesel::prelude::*;
        let failed = |e: &dyn std::fmt::Display| EmbeddedError::Command {
            what: format!("creating database {database}"),
            detail: e.to_string(),
        };
        let mut conn = super::connect(&self.url("postgres")).map_err(|e| failed(&e))?;
        #[derive(QueryableByName)]
        struct Found {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            found: bool,
        }
        let exists = diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS found")
            .bind::<diesel::sql_types::Text, _>(database)
            .get_result::<Found>(&mut conn)
            .map_err(|e| failed(&e))?
            .found;
        if !exists {
            // Database names cannot be bound as parameters; this one comes from the program, quoted as an identifier.
            diesel::sql_query(format!("CREATE DATABASE \"{}\"", database.replace('"', "\"\"")))
                .execute(&mut conn)
                .map_err(|e| failed(&e))?;
        }
        Ok(())
    }

    fn hand_over(&self, dir: &Path) -> Result<(), EmbeddedError> {
        if self.run_as_postgres {
            run(Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir), "chown")?;
        }
        Ok(())
    }

    fn pg(&self, program: &str, args: &[&str]) -> Result<Output, EmbeddedError> {
        let binary = self.bin_dir.join(program);
        let mut command = if self.run_as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&binary);
            c
        } else {
            Command::new(&binary)
        };
        command.args(args).current_dir(&self.root);
        run(&mut command, program)
    }
}

fn run(command: &mut Command, what: &str) -> Result<Output, EmbeddedError> {
    let output = command.output()?;
    if output.status.success() {
        Ok(output)
    } else {
        let detail = format!("{}{}", String::from_utf8_lossy(&output.stderr), String::from_utf8_lossy(&output.stdout));
        Err(EmbeddedError::Command { what: what.to_string(), detail: detail.trim().to_string() })
    }
}

fn absolute(path: PathBuf) -> Result<PathBuf, EmbeddedError> {
    fs::create_dir_all(&path)?;
    Ok(fs::canonicalize(path)?)
}

/// The newest installed server version's bin directory (Debian keeps them under /usr/lib/postgresql/N/bin).
fn find_bin_dir() -> Result<PathBuf, EmbeddedError> {
    let mut candidates: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("pg_ctl").exists().then_some((version, bin))
        })
        .collect();
    candidates.sort();
    if let Some((_, bin)) = candidates.pop() {
        return Ok(bin);
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths).find(|dir| dir.join("pg_ctl").exists() && dir.join("initdb").exists())
        })
        .ok_or(EmbeddedError::BinariesMissing)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn user_exists(name: &str) -> bool {
    fs::read_to_string("/etc/passwd")
        .map(|passwd| passwd.lines().any(|line| line.split(':').next() == Some(name)))
        .unwrap_or(false)
}
