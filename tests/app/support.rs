//! Test support: a real PostgreSQL (the private test cluster, or DATABASE_URL's server), a database per test
//! cloned from a migrated template, and the app served on a free port.
use diesel::prelude::*;
use incident_desk::clock::Clock;
use incident_desk::db::{self, embedded::EmbeddedPostgres};
use incident_desk::domain::enums::Role;
use incident_desk::users::{self, User};
use incident_desk::web::{self, AppState};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

pub const PASSWORD: &str = "correct horse battery staple";

/// The server the tests use: a URL for a given database name.
struct Server {
    base_url: String,
    template: String,
}

impl Server {
    fn url(&self, database: &str) -> String {
        let mut url = url::Url::parse(&self.base_url).expect("database URL");
        url.set_path(&format!("/{database}"));
        url.to_string()
    }
}

fn cluster_root() -> std::path::PathBuf {
    std::env::temp_dir().join("incident-desk-test-cluster")
}

/// The private test cluster, unless DATABASE_URL names a server to use instead.
pub fn test_cluster() -> Option<EmbeddedPostgres> {
    if std::env::var("DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        return None;
    }
    Some(EmbeddedPostgres::new(cluster_root(), 5432).expect("PostgreSQL binaries").without_fsync())
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let base_url = match test_cluster() {
            None => std::env::var("DATABASE_URL").expect("DATABASE_URL"),
            Some(cluster) => {
                with_lock(&cluster_root(), || cluster.start().expect("start the test cluster"));
                cluster.url("postgres")
            }
        };
        let template = format!("incident_desk_tpl_{:016x}", migrations_fingerprint());
        let server = Server { base_url, template };
        create_template(&server);
        server
    })
}

/// The template's name changes whenever a migration changes, so a stale template is never used.
fn migrations_fingerprint() -> u64 {
    let mut hasher = DefaultHasher::new();
    let mut entries: Vec<_> = walk(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"));
    entries.sort();
    for path in entries {
        path.hash(&mut hasher);
        std::fs::read(&path).expect("migration file").hash(&mut hasher);
    }
    hasher.finish()
}

fn walk(dir: std::path::PathBuf) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .expect("migrations folder")
        .flatten()
        .flat_map(|entry| if entry.path().is_dir() { walk(entry.path()) } else { vec![entry.path()] })
        .collect()
}

/// Serialises set-up across test processes that share the cluster.
pub fn with_lock<T>(dir: &std::path::Path, work: impl FnOnce() -> T) -> T {
    std::fs::create_dir_all(dir).expect("lock folder");
    let lock = std::fs::File::create(dir.join("setup.lock")).expect("lock file");
    lock.lock().expect("lock");
    let result = work();
    lock.unlock().expect("unlock");
    result
}

fn create_template(server: &Server) {
    with_lock(&std::env::temp_dir().join("incident-desk-test-lock"), || {
        let mut admin = db::connect(&server.url("postgres")).expect("connect to the test server");
        let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
            "EXISTS (SELECT FROM pg_database WHERE datname = '{}')",
            server.template
        )))
        .get_result(&mut admin)
        .expect("query");
        if !exists {
            let building = format!("{}_building", server.template);
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                .execute(&mut admin)
                .expect("drop");
            diesel::sql_query(format!("CREATE DATABASE {building}")).execute(&mut admin).expect("create template");
            {
                let mut conn = db::connect(&server.url(&building)).expect("connect to template");
                db::migrate(&mut conn).expect("migrations apply");
            }
            diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {}", server.template))
                .execute(&mut admin)
                .expect("rename");
        }
    });
}

/// A fresh, migrated database for one test, dropped when the test ends.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub fn new() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let server = server();
        let name = format!("idt_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
        let mut admin = db::connect(&server.url("postgres")).expect("connect");
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).expect("drop");
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {}", server.template))
            .execute(&mut admin)
            .expect("clone template");
        let url = server.url(&name);
        Self { name, url }
    }

    pub fn conn(&self) -> PgConnection {
        db::connect(&self.url).expect("connect to test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = db::connect(&server().url("postgres")) {
            let _ =
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).execute(&mut admin);
        }
    }
}

/// Creates a user who can sign in with `PASSWORD`.
pub fn create_user(
    conn: &mut PgConnection,
    name: &str,
    email: &str,
    role: Role,
    client_id: Option<i32>,
    vendor_id: Option<i32>,
) -> User {
    static HASH: OnceLock<String> = OnceLock::new();
    let hash = HASH.get_or_init(|| incident_desk::auth::password::hash(PASSWORD).expect("hash"));
    users::queries::insert(
        conn,
        &users::queries::NewUser {
            name,
            email,
            role,
            department: None,
            client_id,
            vendor_id,
            timezone: "UTC",
            password_hash: hash,
            now: chrono::Utc::now(),
        },
    )
    .expect("insert user")
}

pub fn set_status(conn: &mut PgConnection, user_id: i32, status: &str) {
    use incident_desk::schema::users::dsl;
    diesel::update(dsl::users.find(user_id)).set(dsl::status.eq(status)).execute(conn).expect("set status");
}

/// Audit entries of changes (refused attempts are audited too, as `refuse`, and not counted here).
pub fn audit_count(conn: &mut PgConnection) -> i64 {
    use incident_desk::schema::audit_logs::dsl::*;
    audit_logs.filter(action.ne("refuse")).count().get_result(conn).expect("count audit")
}

/// The refused attempts audited so far, newest first: (entity type, reason).
pub fn refusals(conn: &mut PgConnection) -> Vec<(String, String)> {
    use incident_desk::schema::audit_logs::dsl::*;
    let rows: Vec<(String, serde_json::Value)> = audit_logs
        .filter(action.eq("refuse"))
        .order(audit_id.desc())
        .select((entity_type, changes))
        .load(conn)
        .expect("refusals");
    rows.into_iter().map(|(kind, c)| (kind, c["reason"]["new"].as_str().unwrap_or_default().to_string())).collect()
}

/// The app, served on a free port against its own database. It derefs to a browser of its own.
pub struct TestApp {
    pub address: String,
    pub db: TestDb,
    pub browser: Browser,
    /// The key that signs its cookies, which a second server shares (`SESSION_KEY`).
    key: actix_web::cookie::Key,
}

impl std::ops::Deref for TestApp {
    type Target = Browser;
    fn deref(&self) -> &Browser {
        &self.browser
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(TestDb::new())
    }

    pub fn spawn_with(db: TestDb) -> Self {
        let url = db.url.clone();
        Self::spawn_on(db, &url)
    }

    /// Serves against `database_url`, which may differ from the test database (e.g. a server that is down).
    pub fn spawn_on(db: TestDb, database_url: &str) -> Self {
        Self::spawn_sized(db, database_url, 4)
    }

    /// Serves with a pool of `connections`, each request waiting at most half a second for one.
    pub fn spawn_sized(db: TestDb, database_url: &str, connections: u32) -> Self {
        let pool = db::pool(database_url, connections, Duration::from_millis(500));
        Self::spawn_pooled(db, pool)
    }

    /// Serves with a pool of one's own (e.g. an instrumented one).
    pub fn spawn_pooled(db: TestDb, pool: db::DbPool) -> Self {
        Self::spawn_state(db, AppState::new(pool, Clock::system()))
    }

    /// Serves with a state of one's own (e.g. with a read replica).
    pub fn spawn_state(db: TestDb, state: AppState) -> Self {
        // Server errors show in a failing test's output.
        let _ = tracing_subscriber::fmt().with_env_filter("incident_desk=error").with_test_writer().try_init();
        let key = actix_web::cookie::Key::generate();
        let address = serve(state, &key);
        let browser = Browser { address: address.clone(), client: client() };
        Self { address, db, browser, key }
    }

    /// A second server on the same database with the same `SESSION_KEY`, as when the product runs on two machines
    /// behind one address; its browser has cookies of its own.
    pub fn second_server(&self) -> Browser {
        let pool = db::pool(&self.db.url, 4, Duration::from_millis(500));
        Browser { address: serve(AppState::new(pool, Clock::system()), &self.key), client: client() }
    }

    /// Another browser, with its own cookies.
    pub fn browser(&self) -> Browser {
        Browser { address: self.address.clone(), client: client() }
    }

    /// A new browser signed in as `email`.
    pub async fn signed_in(&self, email: &str) -> Browser {
        let browser = self.browser();
        let response = browser.login(email, PASSWORD).await;
        assert_eq!(response.status(), 303, "{email} signs in");
        browser
    }
}

/// Serves `state` on a free port, signing cookies with `key`; returns its address.
fn serve(state: AppState, key: &actix_web::cookie::Key) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let options = web::ServerOptions { session_key: key.clone(), cookie_secure: false };
    tokio::spawn(web::server(listener, actix_web::web::Data::new(state), options).expect("server"));
    address
}

/// A pool of four connections (each request waiting at most half a second for one) that counts the statements they
/// run.
pub fn counted_pool(url: &str) -> (db::DbPool, Arc<AtomicUsize>) {
    use diesel::connection::{Instrumentation, InstrumentationEvent};
    let statements = Arc::new(AtomicUsize::new(0));
    let counter = statements.clone();
    let instrument: db::Instrument = Arc::new(move || {
        let counter = counter.clone();
        Box::new(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { .. } = event {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        }) as Box<dyn Instrumentation>
    });
    (db::instrumented_pool(url, 4, Duration::from_millis(500), Some(instrument)), statements)
}

/// One person's browser: a cookie jar that does not follow redirects.
pub struct Browser {
    pub address: String,
    pub client: reqwest::Client,
}

impl Browser {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn text(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        (response.status().as_u16(), response.text().await.expect("body"))
    }

    /// Posts a form with the session's CSRF token, read from the sign-in page.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf_token().await;
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &token));
        self.post_raw(path, &form).await
    }

    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client.post(self.url(path)).form(fields).send().await.expect("POST")
    }

    pub async fn csrf_token(&self) -> String {
        let page = self.get("/login").await.text().await.expect("body");
        token_in(&page).expect("a CSRF token on the sign-in page")
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post("/login", &[("email", email), ("password", password)]).await
    }
}

/// A fresh connection per request: reusing one the server is just closing for being idle (keep-alive) would make
/// a loaded run fail now and then for no fault of the app.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .expect("client")
}

pub fn token_in(page: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = page.find(marker)? + marker.len();
    Some(page[start..].split('"').next()?.to_string())
}

pub fn location(response: &reqwest::Response) -> &str {
    response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// How many rows a table holds.
pub fn count(conn: &mut PgConnection, table: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(format!("SELECT count(*) AS n FROM {table}")).get_result::<Count>(conn).expect("count").n
}

/// Form fields as the browser helpers take them.
pub fn pairs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}
