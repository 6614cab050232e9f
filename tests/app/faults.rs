//! Faults: a failing audit store takes the change down with it, and a database that stops and starts again while
//! the server runs gives clear 503 pages and then service again, without a restart.
use crate::fixtures;
use crate::support::*;
use incident_desk::db::{self, embedded::EmbeddedPostgres};
use incident_desk::domain::enums::Role;

fn client_name(conn: &mut diesel::PgConnection, id: i32) -> String {
    use diesel::prelude::*;
    use incident_desk::schema::clients::dsl::*;
    clients.find(id).select(client_name).first(conn).unwrap()
}

#[tokio::test]
async fn when_the_audit_insert_fails_the_change_is_rolled_back() {
    use diesel::connection::SimpleConnection;
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = fixtures::world(&mut conn);
    let admin = app.signed_in(w.emails[&Role::SystemAdministrator]).await;
    let reporter = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    let (_, edit) = admin.text(&format!("/clients/{}/edit", w.client_a)).await;
    let version = edit.split("name=\"lock_version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let rename = [
        ("client_name", "Acme Renamed"),
        ("registration_number", "REG10000001"),
        ("contact_email", "ops@acme.example"),
        ("client_type", "enterprise"),
        ("status", "active"),
        ("lock_version", version.as_str()),
    ];
    let detected = (chrono::Utc::now() - chrono::Duration::minutes(30)).format("%Y-%m-%dT%H:%M").to_string();
    let report = [
        ("title", "Broker rejects connections".to_string()),
        ("category", "Performance".into()),
        ("severity", "P3".into()),
        ("impact_level", "medium".into()),
        ("urgency_level", "medium".into()),
        ("client_id", w.client_a.to_string()),
        ("component_id", w.component.to_string()),
        ("detection_timestamp", detected),
        ("details", "Producers get connection refused.".into()),
    ];
    let report = pairs(&report);
    let incidents_before = count(&mut conn, "incidents");
    let entries_before = count(&mut conn, "audit_logs");

    conn.batch_execute(
        "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit store failing'; END $$; \
         CREATE TRIGGER audit_store_fails BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION refuse_audit();",
    )
    .unwrap();
    let renamed = admin.post(&format!("/clients/{}", w.client_a), &rename).await;
    assert_eq!(renamed.status(), 500);
    assert!(renamed.headers().contains_key("content-security-policy"), "the error page has its headers");
    assert!(renamed.text().await.unwrap().contains("Something went wrong on our side"));
    assert_eq!(client_name(&mut conn, w.client_a), "Acme Logistics", "the edit went with its audit entry");
    assert_eq!(reporter.post("/incidents", &report).await.status(), 500);
    assert_eq!(count(&mut conn, "incidents"), incidents_before, "no incident without its audit entry");
    assert_eq!(count(&mut conn, "audit_logs"), entries_before);

    conn.batch_execute("DROP TRIGGER audit_store_fails ON audit_logs").unwrap();
    assert_eq!(admin.post(&format!("/clients/{}", w.client_a), &rename).await.status(), 303, "the same edit now saves");
    assert_eq!(client_name(&mut conn, w.client_a), "Acme Renamed");
    assert_eq!(reporter.post("/incidents", &report).await.status(), 303, "the same report now goes in");
    assert_eq!(count(&mut conn, "incidents"), incidents_before + 1);
    assert_eq!(count(&mut conn, "audit_logs"), entries_before + 2);
}

#[tokio::test]
async fn a_database_that_stops_and_starts_again_gives_503_then_service_without_a_restart() {
    // A cluster of its own, so stopping it disturbs no other test.
    let root = tempfile::tempdir().unwrap();
    let cluster = EmbeddedPostgres::new(root.path(), 5433).unwrap().without_fsync();
    cluster.start().unwrap();
    cluster.create_database("restart").unwrap();
    let url = cluster.url("restart");
    db::migrate(&mut db::connect(&url).unwrap()).unwrap();
    create_user(&mut db::connect(&url).unwrap(), "Ada", "ada@example.com", Role::IncidentManager, None, None);
    let app = TestApp::spawn_on(TestDb::new(), &url);
    let ada = app.signed_in("ada@example.com").await;
    assert_eq!(ada.get("/incidents").await.status(), 200);

    cluster.stop().unwrap();
    for path in ["/healthz", "/incidents", "/login"] {
        let response = ada.get(path).await;
        assert_eq!(response.status(), 503, "{path} while the database is down");
        assert!(response.headers().contains_key("content-security-policy"), "{path}: the 503 page has its headers");
        assert!(response.text().await.unwrap().contains("The database is not available right now"), "{path}");
    }

    cluster.start().unwrap();
    assert_eq!(ada.get("/healthz").await.status(), 200, "the server recovers on its own");
    assert_eq!(ada.get("/incidents").await.status(), 200, "and the session, kept in the database, lives on");
    cluster.stop().unwrap();
}
