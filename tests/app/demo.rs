//! The demo data set: it loads through the import, keeps a valid audit chain, and every demo login works.
use crate::support::*;
use diesel::{Connection, RunQueryDsl};
use incident_desk::{audit::chain, auth::password, demo, import, records::kinds::reports};
use std::collections::BTreeMap;

#[derive(diesel::QueryableByName)]
struct StoredSnapshot {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    incident_id: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    snapshot: String,
}

#[tokio::test]
async fn every_demo_login_reaches_its_roles_home_page() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let hash = password::hash(demo::DEMO_PASSWORD).unwrap();
    let dataset = demo::dataset(chrono::Utc::now(), demo::DEMO_INCIDENTS);
    let counts = conn
        .transaction(|conn| import::load(conn, &dataset, &import::LoadOptions { password_hash: Some(&hash) }))
        .unwrap();
    assert_eq!(counts.len(), 22);
    assert!(counts.iter().all(|(table, n)| *n > 0 || panic!("{table} is empty")));
    assert_eq!(chain::verify(&mut conn).unwrap().broken, None);

    let app = TestApp::spawn_with(db);
    let logins = demo::logins();
    assert_eq!(logins.len(), 7);
    for login in logins {
        let browser = app.browser();
        let response = browser.login(login.email, demo::DEMO_PASSWORD).await;
        assert_eq!(response.status(), 303, "{}", login.email);
        let (status, home) = browser.text("/").await;
        assert_eq!(status, 200);
        assert!(home.contains(&format!("<h1>{} dashboard</h1>", login.role.label())), "{}: {home}", login.email);
    }
}

#[tokio::test]
async fn bench_data_of_two_thousand_incidents_loads_with_a_whole_chain_and_can_be_browsed() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let hash = password::hash(demo::DEMO_PASSWORD).unwrap();
    let dataset = demo::dataset(chrono::Utc::now(), 2_000);
    let counts = conn
        .transaction(|conn| import::load(conn, &dataset, &import::LoadOptions { password_hash: Some(&hash) }))
        .unwrap();
    let count_of = |table: &str| counts.iter().find(|(t, _)| *t == table).unwrap().1;
    assert_eq!(count_of("incidents"), 2_000);
    let per_incident = count_of("audit_logs") as f64 / 2_000.0;
    assert!((8.0..=14.0).contains(&per_incident), "{per_incident} audit entries per incident");
    assert_eq!(chain::verify(&mut conn).unwrap().broken, None);
    // The import snapshots every report in one statement; each snapshot is the one a report made now would take.
    let stored: Vec<StoredSnapshot> = diesel::sql_query(
        "SELECT incident_id, snapshot::text AS snapshot FROM incident_reports ORDER BY report_id LIMIT 40",
    )
    .load(&mut conn)
    .unwrap();
    assert_eq!(stored.len(), 40);
    for report in stored {
        let taken_now = reports::snapshot(&mut conn, report.incident_id).unwrap();
        let json = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
        assert_eq!(json(&report.snapshot), json(&taken_now), "incident {}", report.incident_id);
    }

    let app = TestApp::spawn_with(db);
    let manager = app.browser();
    assert_eq!(manager.login("manager@example.com", demo::DEMO_PASSWORD).await.status(), 303);
    let (status, list) = manager.text("/incidents?status=").await;
    assert_eq!(status, 200);
    assert!(list.contains("of 2000"), "the list counts every incident: {list}");
    let (status, report) = manager.text("/reports/1/print").await;
    assert_eq!(status, 200, "imported reports print from their snapshot: {report}");
    // New entries (the sign-in above, a sign-out) continue the imported chain.
    assert_eq!(manager.post("/logout", &[]).await.status(), 303);
    let verification = chain::verify(&mut conn).unwrap();
    assert_eq!((verification.entries as usize, verification.broken), (count_of("audit_logs") + 2, None));
}

/// Each table's rows, digested in a fixed order.
fn digests(conn: &mut diesel::PgConnection) -> BTreeMap<String, String> {
    #[derive(diesel::QueryableByName)]
    struct Digest {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        digest: String,
    }
    let sql = import::spec::TABLES
        .iter()
        .map(|t| {
            format!("SELECT '{0}' AS name, md5(string_agg(x::text, '|' ORDER BY x::text)) AS digest FROM {0} x", t.name)
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    diesel::sql_query(sql).load::<Digest>(conn).unwrap().into_iter().map(|d| (d.name, d.digest)).collect()
}

#[test]
fn the_demo_command_streams_into_the_database_exactly_the_data_set_the_import_loads() {
    let (streamed, imported) = (TestDb::new(), TestDb::new());
    let hash = password::hash(demo::DEMO_PASSWORD).unwrap();
    let options = import::LoadOptions { password_hash: Some(&hash) };
    let now = chrono::Utc::now();
    let mut conn = streamed.conn();
    let counts = conn
        .transaction(|conn| import::load_streamed(conn, &options, |sink| demo::generate(now, 2_000, sink)))
        .unwrap();
    assert_eq!(chain::verify(&mut conn).unwrap().broken, None);
    let dataset = demo::dataset(now, 2_000);
    let mut other = imported.conn();
    let imported_counts = other.transaction(|conn| import::load(conn, &dataset, &options)).unwrap();
    assert_eq!(counts, imported_counts);
    assert_eq!(counts.iter().find(|(table, _)| *table == "incidents").unwrap().1, 2_000);
    // Every table's rows, audit hashes and report snapshots included.
    assert_eq!(digests(&mut conn), digests(&mut other));
}

#[test]
fn a_streamed_load_that_the_database_refuses_stops_its_producer_and_writes_nothing() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let mut made = 0;
    let result = conn.transaction(|conn| {
        import::load_streamed(conn, &import::LoadOptions::default(), |sink| {
            // Ids that are no number: the first batch of incidents is refused.
            while !sink.is_closed() && made < 1_000_000 {
                made += 1;
                sink.add(
                    "incidents",
                    &made.to_string(),
                    serde_json::json!({ "incident_id": "one", "title": "Refused" }),
                );
            }
        })
    });
    let error = result.unwrap_err().to_string();
    assert!(error.contains("incidents.json") && error.contains("the database refused a record"), "{error}");
    assert!(made < 100_000, "the producer went on for {made} records");
    assert_eq!(count(&mut conn, "incidents"), 0);
}
