//! The query budget: every page of the route table, shown to someone allowed to see it, runs a small, fixed
//! number of SQL statements, and the same number however many records it shows, so an N+1 query cannot creep in
//! unnoticed.
use crate::access::{self, Which};
use crate::support::*;
use diesel::connection::SimpleConnection;
use incident_desk::db;
use incident_desk::web::routes::ROUTES;
use std::collections::HashMap;
use std::sync::atomic::Ordering;

/// The most statements a page may run, the session's own reads and writes included.
const BUDGET: usize = 10;
/// Pages held to budgets of their own. The most used pages (issue 18): the incident page reads its related lists
/// together (its change log, escalations and communications in one statement, its procedure records in another),
/// the incident list its page and count in one, and every role's dashboard its incident panels in one and its
/// figures from counters. A client's page reads four lists of related records.
const PAGE_BUDGETS: &[(&str, usize)] = &[("/incidents/{id}", 8), ("/incidents", 4), ("/", 6), ("/clients/{id}", 8)];
/// An Access page checks, once per kind of sight, whether the people who may come into view of a record see it.
const ACCESS_PAGES: (&str, usize) = ("/{id}/access", 12);

fn budget(path: &str) -> usize {
    match PAGE_BUDGETS.iter().find(|(p, _)| *p == path) {
        Some((_, budget)) => *budget,
        None if path.ends_with(ACCESS_PAGES.0) => ACCESS_PAGES.1,
        None => BUDGET,
    }
}

/// Adds `n` more of everything around the in-scope incident, and `n` more incidents of its client.
fn grow(conn: &mut diesel::PgConnection, incident: i32, n: usize) {
    conn.batch_execute(&format!(
        "WITH i AS (SELECT * FROM incidents WHERE incident_id = {incident}), u AS (SELECT min(user_id) AS id FROM users WHERE role = 'incident_manager')
         INSERT INTO incidents (title, category, severity, impact_level, urgency_level, status, client_id, component_id, reporter_user_id, detection_timestamp, created_at)
         SELECT 'Grown incident ' || g, category, severity, impact_level, urgency_level, 'open', client_id, component_id, (SELECT id FROM u), now() - g * interval '1 hour', now() - g * interval '1 hour'
         FROM i, generate_series(1, {n}) g;
         INSERT INTO incident_updates (incident_id, updated_by_user, update_type, field_changed, old_value, new_value)
         SELECT {incident}, user_id, 'progress_note', 'note', '', 'Note ' || g FROM users, generate_series(1, {n}) g WHERE role = 'technical_support';
         INSERT INTO communications (incident_id, sender_id, recipient_type, communication_type, delivery_method, message)
         SELECT {incident}, user_id, 'all_stakeholders', 'status_update', 'email', 'Update ' || g FROM users, generate_series(1, {n}) g WHERE role = 'incident_manager' AND client_id IS NULL;
         INSERT INTO incident_escalations (incident_id, escalated_by_user, escalated_to_user, escalation_level, reason, escalated_at, status)
         SELECT {incident}, e.user_id, e.user_id, 'management', 'Reason ' || g, now(), 'resolved' FROM users e, generate_series(1, {n}) g WHERE e.role = 'executive';
         INSERT INTO problem_tickets (incident_id, title, issued_by_user) SELECT {incident}, 'Problem ' || g, (SELECT min(user_id) FROM users) FROM generate_series(1, {n}) g;
         INSERT INTO workarounds (incident_id, description, effectiveness_level, implemented_by_user, implemented_at)
         SELECT {incident}, 'Workaround ' || g, 'minimal_impact', (SELECT min(user_id) FROM users), now() FROM generate_series(1, {n}) g;
         INSERT INTO work_orders (incident_id, title, work_type, created_by_user, assigned_to_user)
         SELECT {incident}, 'Order ' || g, 'repair', (SELECT min(user_id) FROM users), (SELECT min(user_id) FROM users WHERE role = 'vendor_contact') FROM generate_series(1, {n}) g;
         INSERT INTO change_requests (incident_id, title, change_type, risk_level, requesting_user)
         SELECT {incident}, 'Change ' || g, 'standard', 'low', (SELECT min(user_id) FROM users) FROM generate_series(1, {n}) g;
         INSERT INTO incident_reports (incident_id, report_type, generated_by_user, status)
         SELECT {incident}, 'technical_details', (SELECT min(user_id) FROM users), 'published' FROM generate_series(1, {n}) g;
         INSERT INTO knowledge_base_articles (incident_id, title, article_type, category, created_by_user, status)
         SELECT {incident}, 'Article ' || g, 'faq', 'process', (SELECT min(user_id) FROM users), 'published' FROM generate_series(1, {n}) g;
         INSERT INTO post_incident_reviews (incident_id, facilitator_user, scheduled_date, overall_rating)
         SELECT {incident}, (SELECT min(user_id) FROM users), now(), 'good' FROM generate_series(1, {n}) g;
         INSERT INTO users (name, email, role) SELECT 'Grown user ' || g, 'grown' || g || '@provider.example', 'technical_support' FROM generate_series(1, {n}) g;
         INSERT INTO notifications (user_id, communication_id, created_at)
         SELECT u.user_id, c.communication_id, now() FROM users u, communications c WHERE c.incident_id = {incident}
         ON CONFLICT DO NOTHING;
         INSERT INTO deliveries (communication_id, recipient_user_id, channel, address, status, next_attempt_at, created_at)
         SELECT (SELECT min(communication_id) FROM communications WHERE incident_id = {incident}), user_id, 'email',
                'grown.' || user_id || '@example.com', 'pending', now(), now()
         FROM (SELECT user_id FROM users u WHERE NOT EXISTS (SELECT FROM deliveries d WHERE d.recipient_user_id = u.user_id
               AND d.communication_id = (SELECT min(communication_id) FROM communications WHERE incident_id = {incident}))) u;"
    ))
    .expect("grow the data");
}

#[tokio::test]
async fn every_page_runs_a_small_fixed_number_of_statements_however_many_records_it_shows() {
    let test_db = TestDb::new();
    let (pool, statements) = counted_pool(&test_db.url);
    let scenario = access::scenario_on(TestApp::spawn_pooled(test_db, pool));
    let mut browsers = HashMap::new();
    for actor in &scenario.actors {
        browsers.insert(actor.email, scenario.app.signed_in(actor.email).await);
    }
    // Each GET page, with a record in scope, as the first actor allowed to see it.
    let mut conn = scenario.app.db.conn();
    let mut pages: Vec<_> = ROUTES
        .iter()
        .filter(|route| route.method == "GET")
        .map(|route| {
            let (path, email) = scenario.page_for(&mut conn, route);
            (path, email, budget(route.path))
        })
        .collect();
    // Each role has a dashboard of its own: every one of them is held to the budget.
    let dashboards: Vec<_> = scenario
        .actors
        .iter()
        .filter(|actor| !pages.iter().any(|(path, email, _)| path == "/" && *email == actor.email))
        .map(|actor| ("/".to_string(), actor.email, budget("/")))
        .collect();
    pages.extend(dashboards);
    // The second of two views: the first may also start the session's token, which later views only read.
    let measure = async |path: &str, email: &str| {
        let mut counted = 0;
        for _ in 0..2 {
            let before = statements.load(Ordering::SeqCst);
            let response = browsers[email].get(path).await;
            assert_eq!(response.status(), 200, "{path} as {email}");
            response.bytes().await.expect("the whole page");
            counted = statements.load(Ordering::SeqCst) - before;
        }
        counted
    };
    let mut small = Vec::new();
    for (path, email, _) in &pages {
        small.push(measure(path, email).await);
    }
    grow(&mut scenario.app.db.conn(), scenario.records.id("/incidents", Which::InScope), 30);
    let mut problems = Vec::new();
    let mut report = Vec::new();
    for ((path, email, budget), before) in pages.iter().zip(small) {
        let after = measure(path, email).await;
        report.push(format!("{path} ({email}): {after}"));
        if after != before {
            problems.push(format!("{path}: {before} statements with one record of each kind, {after} with 30 more"));
        }
        if after > *budget {
            problems.push(format!("{path}: {after} statements, over its budget of {budget}"));
        }
    }
    assert!(problems.is_empty(), "{}\nall pages:\n{}", problems.join("\n"), report.join("\n"));
    println!("statements per page:\n{}", report.join("\n"));
}

/// `db::prepared` keeps a statement prepared on its connection, once per text, where `sql_query` prepares none:
/// the dashboards rely on it so PostgreSQL does not plan their queries on every view.
#[test]
fn hand_written_queries_through_db_prepared_are_prepared_once_per_connection() {
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Integer};
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let database = TestDb::new();
    let mut conn = database.conn();
    let prepared_like = |conn: &mut diesel::PgConnection, text: &str| -> i64 {
        diesel::sql_query("SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE $1")
            .bind::<diesel::sql_types::Text, _>(format!("{text}%"))
            .get_result::<Count>(conn)
            .unwrap()
            .n
    };
    for value in 1..=3 {
        let count: Count = db::prepared::prepared("SELECT count(*) AS n FROM generate_series(1, ")
            .bind::<Integer, _>(value)
            .sql(")")
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(count.n, i64::from(value), "binds reach the statement");
        diesel::sql_query(format!("SELECT {value}::bigint AS n")).get_result::<Count>(&mut conn).unwrap();
    }
    assert_eq!(prepared_like(&mut conn, "SELECT count(*) AS n FROM generate_series(1, $1)"), 1);
    assert_eq!(prepared_like(&mut conn, "SELECT 1::bigint AS n"), 0, "sql_query prepares nothing to keep");
}
