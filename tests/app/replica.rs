//! A read replica (`DATABASE_REPLICA_URL`): a streaming replica of the private test cluster, made with the system's
//! `pg_basebackup`, serves the lists, dashboards, searches, CSV exports, print views and session reads of a server
//! pointed at both; the primary serves everything else, and every read of a browser that has just written.
//!
//! The server's read pool connects as `READER`, a role the primary's pg_hba.conf refuses and the replica's admits
//! (each server keeps its own pg_hba.conf after the base backup), so whatever that pool serves, the replica served.
use crate::access;
use crate::fixtures::{incident, world};
use crate::support::*;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use incident_desk::clock::Clock;
use incident_desk::db::{self, embedded::EmbeddedPostgres};
use incident_desk::domain::enums::Role;
use incident_desk::web::AppState;
use incident_desk::web::reads::PRIMARY_AFTER_WRITE;
use incident_desk::web::routes::{ROUTES, Reads};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The role the read pool connects as: it may only read, and only the replica lets it in.
const READER: &str = "incident_desk_reader";

/// A hot standby of the test cluster, stopped and removed, with its replication slot, when dropped.
struct Replica {
    cluster: EmbeddedPostgres,
    root: tempfile::TempDir,
    primary_url: String,
    slot: String,
}

/// Replication slots of these tests are named for the process that made them.
const SLOT_PREFIX: &str = "incident_desk_test_replica_";

impl Replica {
    fn of(primary: &EmbeddedPostgres) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let primary_url = primary.url("postgres");
        drop_abandoned_slots(&mut db::connect(&primary_url).expect("connect to the primary"));
        let slot = format!("{SLOT_PREFIX}{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
        let root = tempfile::tempdir().expect("a folder for the replica");
        let cluster = EmbeddedPostgres::new(root.path(), 5433).expect("PostgreSQL binaries").without_fsync();
        cluster.replicate(primary, &slot).expect("pg_basebackup of the test cluster");
        let replica = Self { cluster, root, primary_url, slot };
        // The backup copied the primary's pg_hba.conf, which refuses READER; the replica's own admits it.
        let hba = replica.cluster.data_dir().join("pg_hba.conf");
        let rules: Vec<String> =
            std::fs::read_to_string(&hba).unwrap().lines().filter(|l| !l.contains(READER)).map(String::from).collect();
        std::fs::write(&hba, rules.join("\n") + "\n").unwrap();
        replica.cluster.start().expect("start the replica");
        replica
    }

    /// A superuser's connection to `database` on the replica (to pause and resume its replay).
    fn admin(&self, database: &str) -> PgConnection {
        db::connect(&self.cluster.url(database)).expect("connect to the replica")
    }

    /// Waits until the replica has replayed everything the primary has written so far.
    fn catch_up(&self, primary: &mut PgConnection, database: &str) {
        let mut replica = self.admin(database);
        let written: String =
            diesel::select(diesel::dsl::sql::<Text>("pg_current_wal_lsn()::text")).get_result(primary).unwrap();
        for _ in 0..1800 {
            let replayed: bool = diesel::select(
                diesel::dsl::sql::<Bool>("pg_last_wal_replay_lsn() >= ").bind::<Text, _>(&written).sql("::pg_lsn"),
            )
            .get_result(&mut replica)
            .unwrap();
            if replayed {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let log = std::fs::read_to_string(self.root.path().join("postgres.log")).unwrap_or_default();
        panic!("the replica did not replay up to {written} in three minutes; its log:\n{log}");
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.cluster.stop();
        // The slot would keep the primary's WAL for ever. Its sender may take a moment to see the replica go.
        let Ok(mut primary) = db::connect(&self.primary_url) else { return };
        for _ in 0..50 {
            let dropped = diesel::sql_query("SELECT pg_drop_replication_slot($1)")
                .bind::<Text, _>(&self.slot)
                .execute(&mut primary);
            if dropped.is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Drops the slots of replicas whose test process ended without dropping them (killed, say).
fn drop_abandoned_slots(primary: &mut PgConnection) {
    #[derive(QueryableByName)]
    struct Slot {
        #[diesel(sql_type = Text)]
        slot_name: String,
    }
    let slots: Vec<Slot> =
        diesel::sql_query("SELECT slot_name::text FROM pg_replication_slots WHERE NOT active AND slot_name LIKE $1")
            .bind::<Text, _>(format!("{SLOT_PREFIX}%"))
            .load(primary)
            .expect("the primary's replication slots");
    for Slot { slot_name } in slots {
        let process = slot_name[SLOT_PREFIX.len()..].split('_').next().unwrap_or_default();
        if !std::path::Path::new("/proc").join(process).exists() {
            let _ =
                diesel::sql_query("SELECT pg_drop_replication_slot($1)").bind::<Text, _>(&slot_name).execute(primary);
        }
    }
}

/// `url` with `READER` as its user.
fn as_reader(url: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_username(READER).unwrap();
    url.to_string()
}

/// Creates `READER` with read access to `database`, and makes the primary's pg_hba.conf refuse it.
fn refuse_the_reader_on_the_primary(primary: &EmbeddedPostgres, database: &mut PgConnection) {
    with_lock(&std::env::temp_dir().join("incident-desk-test-lock"), || {
        diesel::sql_query(format!(
            "DO $$ BEGIN CREATE ROLE {READER} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        ))
        .execute(database)
        .expect("create the reader role");
        let hba = primary.data_dir().join("pg_hba.conf");
        let rules = std::fs::read_to_string(&hba).expect("the primary's pg_hba.conf");
        let refusal = format!("local all {READER} reject");
        if !rules.lines().any(|line| line == refusal) {
            std::fs::write(&hba, format!("{refusal}\n{rules}")).unwrap();
        }
        diesel::sql_query("SELECT pg_reload_conf()").execute(database).expect("reload pg_hba.conf");
    });
    diesel::sql_query(format!("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER}"))
        .execute(database)
        .expect("grant reading");
}

/// The private test cluster, of which a replica is made; none when DATABASE_URL names another server.
fn primary() -> Option<EmbeddedPostgres> {
    let cluster = test_cluster();
    if cluster.is_none() {
        eprintln!("skipped: DATABASE_URL names a server, and no replica of it is made here");
    }
    cluster
}

/// A test database with a replica that has caught up, and a server reading from both: its primary pool and its
/// read pool count their statements.
struct Setup {
    replica: Replica,
    state: AppState,
    on_primary: Arc<AtomicUsize>,
    on_replica: Arc<AtomicUsize>,
}

fn set_up(primary: &EmbeddedPostgres, db: &TestDb) -> Setup {
    refuse_the_reader_on_the_primary(primary, &mut db.conn());
    let replica = Replica::of(primary);
    replica.catch_up(&mut db.conn(), &db.name);
    let refused = db::connect(&as_reader(&db.url)).err().expect("the primary refuses the reader");
    assert!(refused.to_string().contains("pg_hba.conf rejects connection"), "{refused}");
    let reader_url = as_reader(&replica.cluster.url(&db.name));
    db::connect(&reader_url).expect("the replica lets the reader in");
    let (pool, on_primary) = counted_pool(&db.url);
    let (replica_pool, on_replica) = counted_pool(&reader_url);
    let state = AppState { replica: Some(replica_pool), ..AppState::new(pool, Clock::system()) };
    Setup { replica, state, on_primary, on_replica }
}

/// Signs each in and shows them a page (which takes the sign-in message, a write), then waits until their
/// sign-in no longer sends their reads to the primary.
async fn signed_in_a_while_ago(app: &TestApp, emails: &[&str]) -> Vec<Browser> {
    let mut browsers = Vec::new();
    for email in emails {
        let browser = app.signed_in(email).await;
        assert_eq!(browser.get("/").await.status(), 200);
        browsers.push(browser);
    }
    tokio::time::sleep(PRIMARY_AFTER_WRITE + Duration::from_millis(500)).await;
    browsers
}

#[tokio::test]
async fn lists_are_read_from_the_replica_and_a_writer_sees_their_own_change_at_once() {
    let Some(primary) = primary() else { return };
    let db = TestDb::new();
    let mut conn = db.conn();
    let w = world(&mut conn);
    incident(&mut conn, "Printer queue stalled", w.client_a, w.component, "open");
    let Setup { replica, state, on_primary, on_replica } = set_up(&primary, &db);
    let app = TestApp::spawn_state(db, state);
    let browsers = signed_in_a_while_ago(&app, &[w.emails[&Role::IncidentManager], w.emails[&Role::Executive]]).await;
    let (manager, executive) = (&browsers[0], &browsers[1]);

    // Reads served while the primary refuses the read pool: the list and its session run nothing on the primary.
    let (primary_before, replica_before) = (on_primary.load(Ordering::SeqCst), on_replica.load(Ordering::SeqCst));
    let (status, list) = executive.text("/incidents").await;
    assert_eq!(status, 200);
    assert!(list.contains("Printer queue stalled"), "{list}");
    assert_eq!(on_primary.load(Ordering::SeqCst), primary_before, "nothing of the list was read on the primary");
    assert!(on_replica.load(Ordering::SeqCst) > replica_before, "the replica served the session and the list");

    // The replica stops replaying: from now on it lags behind the primary.
    let mut standby = replica.admin(&app.db.name);
    diesel::sql_query("SELECT pg_wal_replay_pause()").execute(&mut standby).unwrap();
    let (client, component) = (w.client_a.to_string(), w.component.to_string());
    let report = crate::incidents::report_form(&w, "Payroll export failing", &client, &component);
    let reported = manager.post("/incidents", &pairs(&report)).await;
    assert_eq!(reported.status(), 303);
    let page = location(&reported).to_string();
    let (_, shown) = manager.text(&page).await;
    assert!(shown.contains("Payroll export failing"), "the writer's next page shows the new incident");
    let replica_before = on_replica.load(Ordering::SeqCst);
    let (_, list) = manager.text("/incidents").await;
    assert!(list.contains("Payroll export failing"), "the writer's list shows it at once: {list}");
    assert_eq!(on_replica.load(Ordering::SeqCst), replica_before, "right after a POST, its browser reads the primary");

    let (_, list) = executive.text("/incidents").await;
    assert!(
        list.contains("Printer queue stalled") && !list.contains("Payroll export failing"),
        "someone else's list comes from the replica, which has not replayed the report yet: {list}"
    );
    let (_, shown) = executive.text(&page).await;
    assert!(shown.contains("Payroll export failing"), "an incident's page is no list: it reads the primary");

    diesel::sql_query("SELECT pg_wal_replay_resume()").execute(&mut standby).unwrap();
    replica.catch_up(&mut app.db.conn(), &app.db.name);
    let (_, list) = executive.text("/incidents").await;
    assert!(list.contains("Payroll export failing"), "once replayed, everyone's list shows it: {list}");

    // Without the replica, signed-in pages say the database is not available; a monitor's health check, which
    // reads the primary, still answers.
    replica.cluster.stop().expect("stop the replica");
    let (status, page) = executive.text("/incidents").await;
    assert_eq!(status, 503, "{page}");
    assert!(page.contains("The database is not available right now"), "{page}");
    assert_eq!(app.browser().get("/healthz").await.status(), 200);
}

/// Every GET route the table sends to the replica (`Reads::Replica`), shown to someone allowed to see it, answers
/// from the replica alone: it runs no statement on the primary, and writes nothing (the reader may only read, and
/// a standby refuses writes).
#[tokio::test]
async fn every_route_marked_for_the_replica_answers_from_it_alone() {
    let Some(primary) = primary() else { return };
    let db = TestDb::new();
    let Setup { replica, state, on_primary, .. } = set_up(&primary, &db);
    let scenario = access::scenario_on(TestApp::spawn_state(db, state));
    let mut conn = scenario.app.db.conn();
    let pages: Vec<(String, &str)> = ROUTES
        .iter()
        .filter(|route| route.reads == Reads::Replica)
        .map(|route| scenario.page_for(&mut conn, route))
        .collect();
    assert!(pages.len() > 30, "lists, exports, dashboards and print views read the replica");
    let emails: Vec<&str> = scenario.actors.iter().map(|actor| actor.email).collect();
    replica.catch_up(&mut conn, &scenario.app.db.name);
    let browsers = signed_in_a_while_ago(&scenario.app, &emails).await;
    let before = on_primary.load(Ordering::SeqCst);
    for (path, email) in &pages {
        let browser = &browsers[emails.iter().position(|e| e == email).unwrap()];
        let response = browser.get(path).await;
        assert_eq!(response.status(), 200, "{path} as {email}");
        response.bytes().await.expect("the whole answer");
        assert_eq!(on_primary.load(Ordering::SeqCst), before, "{path} as {email} ran a statement on the primary");
    }
}
