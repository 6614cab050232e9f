//! The audit trail: append-only in the database, and tamper-evident through its hash chain.
use crate::support::*;
use diesel::prelude::*;
use incident_desk::audit::{self, Actor, Changes, chain};
use incident_desk::clock::Clock;
use incident_desk::domain::enums::Role;

fn write_entries(conn: &mut PgConnection, how_many: usize) {
    create_user(conn, "Ada", "ada@example.com", Role::SystemAdministrator, None, None);
    write_entries_as(conn, "ada@example.com", how_many);
}

fn write_entries_as(conn: &mut PgConnection, email: &str, how_many: usize) {
    let clock = Clock::system();
    let user_id = crate::fixtures::user_id(conn, email);
    let user = incident_desk::users::queries::find(conn, user_id).unwrap().unwrap();
    for n in 0..how_many {
        conn.transaction(|conn| {
            let changes = Changes::new().field("status", Some("active"), Some(format!("state {n}")));
            audit::record(
                conn,
                &clock,
                Actor::user(user.user_id, Role::SystemAdministrator),
                "update",
                "client",
                n,
                changes,
            )
        })
        .unwrap();
    }
}

#[test]
fn a_clean_chain_verifies() {
    let db = TestDb::new();
    let mut conn = db.conn();
    write_entries(&mut conn, 5);
    let verification = chain::verify(&mut conn).unwrap();
    assert_eq!(verification.broken, None);
    assert_eq!(verification.entries, 5);
}

#[test]
fn the_database_refuses_update_delete_and_truncate_of_audit_entries() {
    let db = TestDb::new();
    let mut conn = db.conn();
    write_entries(&mut conn, 1);
    for statement in ["UPDATE audit_logs SET action = 'view'", "DELETE FROM audit_logs", "TRUNCATE audit_logs"] {
        let error = diesel::sql_query(statement).execute(&mut conn).unwrap_err().to_string();
        assert!(error.contains("append-only"), "{statement}: {error}");
    }
    assert_eq!(audit_count(&mut conn), 1);
}

/// Alters rows the way an intruder with superuser rights would: with triggers switched off.
fn tamper(conn: &mut PgConnection, statement: &str) {
    conn.transaction(|conn| {
        diesel::sql_query("SET LOCAL session_replication_role = replica").execute(conn)?;
        diesel::sql_query(statement).execute(conn)
    })
    .unwrap();
}

#[test]
fn verify_finds_a_row_altered_behind_the_apps_back() {
    let db = TestDb::new();
    let mut conn = db.conn();
    write_entries(&mut conn, 4);
    let third: i64 = incident_desk::schema::audit_logs::table
        .select(incident_desk::schema::audit_logs::audit_id)
        .order(incident_desk::schema::audit_logs::audit_id.asc())
        .offset(2)
        .first(&mut conn)
        .unwrap();
    tamper(&mut conn, &format!("UPDATE audit_logs SET entity_id = '99' WHERE audit_id = {third}"));
    let broken = chain::verify(&mut conn).unwrap().broken.expect("broken link found");
    assert_eq!(broken.audit_id, third);
    assert!(broken.problem.contains("altered"));

    let binary = env!("CARGO_BIN_EXE_incident-desk");
    let output =
        std::process::Command::new(binary).args(["audit", "verify"]).env("DATABASE_URL", &db.url).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains(&format!("BROKEN at audit entry {third}")));
}

#[test]
fn verify_finds_a_removed_row() {
    let db = TestDb::new();
    let mut conn = db.conn();
    write_entries(&mut conn, 4);
    let second: i64 = incident_desk::schema::audit_logs::table
        .select(incident_desk::schema::audit_logs::audit_id)
        .order(incident_desk::schema::audit_logs::audit_id.asc())
        .offset(1)
        .first(&mut conn)
        .unwrap();
    tamper(&mut conn, &format!("DELETE FROM audit_logs WHERE audit_id = {second}"));
    let broken = chain::verify(&mut conn).unwrap().broken.expect("broken link found");
    assert_eq!(broken.audit_id, second + 1);
    assert!(broken.problem.contains("removed"));
}

#[test]
fn a_change_and_its_audit_entry_are_kept_or_lost_together() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let clock = Clock::system();
    let result: Result<(), diesel::result::Error> = conn.transaction(|conn| {
        let user = create_user(conn, "Ada", "ada@example.com", Role::SystemAdministrator, None, None);
        audit::record(
            conn,
            &clock,
            Actor::user(user.user_id, Role::SystemAdministrator),
            "create",
            "user",
            user.user_id,
            Changes::new(),
        )?;
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(result.is_err());
    assert_eq!(audit_count(&mut conn), 0);
    let users: i64 = incident_desk::schema::users::table.count().get_result(&mut conn).unwrap();
    assert_eq!(users, 0);
}

#[test]
fn appends_outside_a_transaction_still_take_turns_on_the_chain() {
    let db = TestDb::new();
    let user = create_user(&mut db.conn(), "Ada", "ada@example.com", Role::SystemAdministrator, None, None);
    // Refusals are audited on their own, without a surrounding transaction; four writers at once must not fork it.
    std::thread::scope(|scope| {
        for writer in 0..4 {
            let mut conn = db.conn();
            scope.spawn(move || {
                for n in 0..100 {
                    let actor = Actor::user(user.user_id, Role::SystemAdministrator);
                    audit::record(
                        &mut conn,
                        &Clock::system(),
                        actor,
                        "refuse",
                        "client",
                        writer * 100 + n,
                        Changes::new(),
                    )
                    .unwrap();
                }
            });
        }
    });
    let verification = chain::verify(&mut db.conn()).unwrap();
    assert_eq!((verification.entries, verification.broken), (400, None));
}

/// A walk can stop and go on later: in steps it reaches the same head as one whole walk, and it still finds a
/// row altered after where it stopped. The administrator's dashboard checks the chain this way.
#[tokio::test]
async fn the_chain_is_checked_in_steps_and_the_dashboard_goes_on_from_where_it_stopped() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    write_entries(&mut conn, 7);
    let whole = chain::verify(&mut conn).unwrap();
    let mut stepped = chain::Verification::start();
    for _ in 0..4 {
        stepped = chain::verify_from(&mut conn, stepped, 2).unwrap();
    }
    assert_eq!((stepped.entries, &stepped.head_hash, stepped.broken.is_none()), (7, &whole.head_hash, true));

    let admin = app.signed_in("ada@example.com").await;
    let (_, home) = admin.text("/").await;
    assert!(home.contains("Intact (8 entries)"), "seven writes and the sign-in: {home}");
    write_entries_as(&mut conn, "ada@example.com", 1);
    assert!(admin.text("/").await.1.contains("Intact (9 entries)"), "the new entry is checked");
    write_entries_as(&mut conn, "ada@example.com", 1);
    let newest: i64 = incident_desk::schema::audit_logs::table
        .select(diesel::dsl::max(incident_desk::schema::audit_logs::audit_id))
        .first::<Option<i64>>(&mut conn)
        .unwrap()
        .unwrap();
    tamper(&mut conn, &format!("UPDATE audit_logs SET entity_id = '99' WHERE audit_id = {newest}"));
    let (_, home) = admin.text("/").await;
    assert!(home.contains(&format!("BROKEN at audit entry {newest}")), "{home}");
}
