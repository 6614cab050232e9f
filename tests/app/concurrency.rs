//! Concurrency: parallel edits of one record, and an exhausted pool. (`servers` holds a burst of writes to two
//! servers, which must leave the audit chain whole.)
use crate::fixtures::world;
use crate::support::*;
use incident_desk::domain::enums::Role;

#[tokio::test]
async fn fifty_parallel_edits_of_one_record_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let admin = app.signed_in(w.emails[&Role::SystemAdministrator]).await;
    let token = admin.csrf_token().await;
    let before = audit_count(&mut conn);
    let path = format!("/products/{}", w.product);
    let edits = (0..50).map(|n| {
        let (client, url, token) = (admin.client.clone(), admin.url(&path), token.clone());
        tokio::spawn(async move {
            let version = format!("9.{n}.0");
            let form = [
                ("product_name", "QueueManager Pro"),
                ("product_type", "Software"),
                ("version", version.as_str()),
                ("support_vendor_id", ""),
                ("status", "active"),
                ("lock_version", "1"),
                ("csrf_token", token.as_str()),
            ];
            client.post(url).form(&form).send().await.unwrap().status().as_u16()
        })
    });
    let mut statuses = Vec::new();
    for edit in edits {
        statuses.push(edit.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 49, "the rest see the conflict page: {statuses:?}");
    assert_eq!(audit_count(&mut conn), before + 1, "one change, one audit entry");
}

#[tokio::test]
async fn an_exhausted_pool_makes_requests_wait_a_bounded_time_then_answer_503() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let w = world(&mut conn);
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "INSERT INTO incidents (title, category, severity, impact_level, urgency_level, client_id, component_id, reporter_user_id, detection_timestamp) \
             SELECT 'Bulk ' || n, 'Data', 'P3', 'low', 'low', {}, {}, (SELECT min(user_id) FROM users), now() FROM generate_series(1, 100000) n",
            w.client_a, w.component
        )),
        &mut conn,
    )
    .unwrap();
    let url = db.url.clone();
    let app = TestApp::spawn_sized(db, &url, 2);
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    // Two exports that nobody reads hold both connections: their writers wait for the readers.
    let held: Vec<reqwest::Response> = vec![manager.get("/incidents.csv").await, manager.get("/incidents.csv").await];
    assert!(held.iter().all(|r| r.status() == 200));
    let started = std::time::Instant::now();
    let waiting = manager.get("/incidents").await;
    let waited = started.elapsed();
    assert_eq!(waiting.status(), 503);
    assert!(waiting.text().await.unwrap().contains("The database is not available right now"));
    assert!(
        waited >= std::time::Duration::from_millis(400) && waited < std::time::Duration::from_secs(5),
        "{waited:?}"
    );
    drop(held);
    // Once the exports are abandoned, the connections come back and the server goes on without a restart.
    let mut recovered = false;
    for _ in 0..50 {
        if manager.get("/incidents").await.status() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(recovered, "the pool recovers");
}
