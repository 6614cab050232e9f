//! The rules of the access module over HTTP: administrators' accounts, the vendor scope that escalations widen,
//! refusals outside one's scope, `no-store`, published articles edited by others than their reviewer, and the
//! sign-in throttle slowing one address across accounts (`servers` holds it shared by servers).
use crate::fixtures::{self, world};
use crate::support::*;
use diesel::prelude::*;
use incident_desk::domain::enums::Role;

fn user_row(conn: &mut PgConnection, id: i32) -> (String, String, String) {
    use incident_desk::schema::users::dsl::*;
    users.find(id).select((name, email, role)).first(conn).unwrap()
}

/// Changes (not refusals) the user made.
fn changes_by(conn: &mut PgConnection, user: i32) -> i64 {
    use incident_desk::schema::audit_logs::dsl::*;
    audit_logs.filter(audit_by_user.eq(user)).filter(action.ne("refuse")).count().get_result(conn).unwrap()
}

/// The newest refusal: (who, entity type, entity id, reason, route).
fn last_refusal(conn: &mut PgConnection) -> (Option<i32>, String, String, String, String) {
    use incident_desk::schema::audit_logs::dsl::*;
    let (by, kind, id, changed): (Option<i32>, String, String, serde_json::Value) = audit_logs
        .filter(action.eq("refuse"))
        .order(audit_id.desc())
        .select((audit_by_user, entity_type, entity_id, changes))
        .first(conn)
        .expect("a refusal was audited");
    let text = |field: &str| changed[field]["new"].as_str().unwrap_or_default().to_string();
    (by, kind, id, text("reason"), text("route"))
}

#[tokio::test]
async fn only_administrators_make_an_administrator_or_touch_one() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let manager_id = fixtures::user_id(&mut conn, w.emails[&Role::IncidentManager]);
    let admin_id = fixtures::user_id(&mut conn, w.emails[&Role::SystemAdministrator]);
    let (users_before, changes_before) = (count(&mut conn, "users"), changes_by(&mut conn, manager_id));
    let new_admin = [
        ("name", "Mallory Root"),
        ("email", "mallory@provider.example"),
        ("role", "system_administrator"),
        ("timezone", "UTC"),
        ("status", "active"),
        ("password", "a long enough password"),
    ];
    let refused = manager.post("/users", &new_admin).await;
    assert_eq!(refused.status(), 403, "an incident manager cannot create an administrator");
    assert!(refused.text().await.unwrap().contains("only system administrators create a system administrator"));
    assert_eq!(count(&mut conn, "users"), users_before, "no account was created");
    assert_eq!(app.browser().login("mallory@provider.example", "a long enough password").await.status(), 422);
    let (by, kind, _, reason, route) = last_refusal(&mut conn);
    assert_eq!((by, kind.as_str(), route.as_str()), (Some(manager_id), "user", "POST /users"));
    assert!(reason.contains("only system administrators"), "{reason}");

    // Nor edit any field of an administrator's account: not the name, not the sign-in email.
    let before = user_row(&mut conn, admin_id);
    assert_eq!(manager.get(&format!("/users/{admin_id}/edit")).await.status(), 403);
    let renamed = manager
        .post(
            &format!("/users/{admin_id}"),
            &[
                ("name", "Someone Else"),
                ("email", "mallory@provider.example"),
                ("role", "system_administrator"),
                ("timezone", "UTC"),
                ("status", "active"),
                ("lock_version", "0"),
            ],
        )
        .await;
    assert_eq!(renamed.status(), 403, "an incident manager cannot edit an administrator's account");
    assert_eq!(user_row(&mut conn, admin_id), before, "the administrator's account is as it was");
    assert_eq!(changes_by(&mut conn, manager_id), changes_before, "nothing written");
    assert_eq!(app.signed_in(w.emails[&Role::SystemAdministrator]).await.get("/").await.status(), 200);

    // An administrator may do both.
    let admin = app.signed_in(w.emails[&Role::SystemAdministrator]).await;
    assert_eq!(admin.post("/users", &new_admin).await.status(), 303);
    let mallory = fixtures::user_id(&mut conn, "mallory@provider.example");
    assert_eq!(user_row(&mut conn, mallory).2, "system_administrator");
}

/// A vendor contact sees an incident escalated to their vendor, and its records, exactly as they see incidents
/// on their vendor's own components.
#[tokio::test]
async fn an_escalation_to_a_vendor_shows_its_contacts_the_incident_and_its_published_report() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    // On the other vendor's component: outside the first vendor's scope until it is escalated to them.
    let incident = fixtures::incident(&mut conn, "Edge router drops packets", w.client_a, w.other_component, "open");
    let manager_id = fixtures::user_id(&mut conn, w.emails[&Role::IncidentManager]);
    let contact_id = fixtures::user_id(&mut conn, w.emails[&Role::VendorContact]);
    let report = fixtures::insert(
        &mut conn,
        &format!(
            "INSERT INTO incident_reports (incident_id, report_type, generated_by_user, status, snapshot) \
             VALUES ({incident}, 'post_mortem', {manager_id}, 'published', '{{}}') RETURNING report_id AS id"
        ),
    );
    let vendor = app.signed_in(w.emails[&Role::VendorContact]).await;
    for path in [format!("/incidents/{incident}"), format!("/reports/{report}"), format!("/reports/{report}/print")] {
        assert_eq!(vendor.get(&path).await.status(), 404, "{path} before the escalation");
    }
    let (_, reports) = vendor.text("/reports").await;
    assert!(!reports.contains(&format!("/reports/{report}\"")), "the list does not show it either");
    fixtures::insert(
        &mut conn,
        &format!(
            "INSERT INTO incident_escalations (incident_id, escalated_by_user, escalated_to_user, escalation_level, \
             escalated_at, status) VALUES ({incident}, {manager_id}, {contact_id}, 'vendor', now(), 'active') \
             RETURNING escalation_id AS id"
        ),
    );
    for path in [format!("/incidents/{incident}"), format!("/reports/{report}"), format!("/reports/{report}/print")] {
        assert_eq!(vendor.get(&path).await.status(), 200, "{path} after the escalation");
    }
    let (_, reports) = vendor.text("/reports").await;
    assert!(reports.contains(&format!("/reports/{report}\"")), "the published report is in their list");
}

#[tokio::test]
async fn a_post_outside_the_actors_scope_is_not_found_and_audited_as_a_refusal() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let theirs = fixtures::incident(&mut conn, "Borealis ledger stalls", w.client_b, w.component, "open");
    let scoped = app.signed_in(w.scoped_manager).await;
    let scoped_id = fixtures::user_id(&mut conn, w.scoped_manager);
    let changes_before = changes_by(&mut conn, scoped_id);
    let path = format!("/incidents/{theirs}/escalations");
    let response = scoped.post(&path, &[("escalation_level", "management"), ("reason", "probe")]).await;
    assert_eq!(response.status(), 404, "outside their client, the incident does not exist for them");
    assert!(!response.text().await.unwrap().contains("Borealis"));
    assert_eq!(changes_by(&mut conn, scoped_id), changes_before, "nothing written");
    let (by, kind, id, reason, route) = last_refusal(&mut conn);
    assert_eq!(
        (by, kind.as_str(), id, route),
        (Some(scoped_id), "incident", theirs.to_string(), format!("POST {path}")),
        "the refusal names the user, the record and the route"
    );
    assert!(reason.contains("Not found"), "{reason}");
}

#[tokio::test]
async fn signed_in_pages_exports_and_prints_are_never_stored() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let incident = fixtures::incident(&mut conn, "Queue backlog", w.client_a, w.component, "closed");
    let manager_id = fixtures::user_id(&mut conn, w.emails[&Role::IncidentManager]);
    let report = fixtures::insert(
        &mut conn,
        &format!(
            "INSERT INTO incident_reports (incident_id, report_type, generated_by_user, status, snapshot) \
             VALUES ({incident}, 'post_mortem', {manager_id}, 'published', '{{}}') RETURNING report_id AS id"
        ),
    );
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    for path in [
        "/".to_string(),
        format!("/incidents/{incident}"),
        "/incidents.csv".to_string(),
        "/clients.csv".to_string(),
        format!("/reports/{report}/print"),
    ] {
        let response = manager.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }
    let stylesheet = app.get(incident_desk::web::home::stylesheet_href()).await;
    assert!(stylesheet.headers()["cache-control"].to_str().unwrap().contains("immutable"), "static files keep theirs");
}

#[tokio::test]
async fn editing_a_published_articles_words_sends_it_back_to_its_reviewer() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let author = fixtures::user_id(&mut conn, w.emails[&Role::TechnicalSupport]);
    let reviewer = fixtures::user_id(&mut conn, w.emails[&Role::IncidentManager]);
    let article = fixtures::insert(
        &mut conn,
        &format!(
            "INSERT INTO knowledge_base_articles (title, article_type, category, body, created_by_user, reviewer_user, status) \
             VALUES ('Restart the broker', 'troubleshooting', 'technical', 'Restart it.', {author}, {reviewer}, 'published') \
             RETURNING article_id AS id"
        ),
    );
    let status = |conn: &mut PgConnection| -> (String, i32) {
        use incident_desk::schema::knowledge_base_articles::dsl::*;
        knowledge_base_articles.find(article).select((status, lock_version)).first(conn).unwrap()
    };
    let contact = app.signed_in(w.emails[&Role::ClientContact]).await;
    assert_eq!(contact.get(&format!("/kb/{article}")).await.status(), 200, "published: contacts read it");
    let edit = |body: &'static str, version: i32| {
        vec![
            ("title", "Restart the broker".to_string()),
            ("article_type", "troubleshooting".to_string()),
            ("category", "technical".to_string()),
            ("body", body.to_string()),
            ("reviewer_user", reviewer.to_string()),
            ("status", "published".to_string()),
            ("lock_version", version.to_string()),
        ]
    };
    let by_author = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    let version = status(&mut conn).1;
    let saved = by_author.post(&format!("/kb/{article}"), &pairs(&edit("Drain it, then restart it.", version))).await;
    assert_eq!(saved.status(), 303);
    assert_eq!(status(&mut conn).0, "under_review", "the author's new words wait for the reviewer");
    assert_eq!(
        contact.get(&format!("/kb/{article}")).await.status(),
        404,
        "contacts see nothing until it is published"
    );
    let by_reviewer = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let version = status(&mut conn).1;
    let published =
        by_reviewer.post(&format!("/kb/{article}"), &pairs(&edit("Drain it, then restart it.", version))).await;
    assert_eq!(published.status(), 303);
    assert_eq!(status(&mut conn).0, "published", "the reviewer publishes it again");
    let version = status(&mut conn).1;
    let tidied =
        by_reviewer.post(&format!("/kb/{article}"), &pairs(&edit("Drain the queue, then restart it.", version))).await;
    assert_eq!(tidied.status(), 303);
    assert_eq!(status(&mut conn).0, "published", "the reviewer's own edit stays published");
    assert_eq!(contact.get(&format!("/kb/{article}")).await.status(), 200);
}

/// The throttle's rows for an account or address: (failures, refused while waiting).
fn throttle_row(conn: &mut PgConnection, name: &str) -> Option<(i32, i64)> {
    use incident_desk::schema::sign_in_throttle::dsl::*;
    sign_in_throttle.find(name).select((failures, refused)).first(conn).optional().unwrap()
}

fn failed_sign_ins(conn: &mut PgConnection) -> i64 {
    use incident_desk::schema::audit_logs::dsl::*;
    audit_logs.filter(action.eq("login_failed")).count().get_result(conn).unwrap()
}

#[tokio::test]
async fn one_address_guessing_across_many_accounts_is_slowed_and_unknown_emails_stop_filling_the_trail() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    create_user(&mut conn, "Ada", "ada@example.com", Role::Executive, None, None);
    // Spraying: one guess at each of many accounts, none of them slowed on its own.
    for n in 0..incident_desk::auth::rules::ADDRESS_FREE_ATTEMPTS {
        assert_eq!(app.login(&format!("nobody{n}@example.com"), "Summer2026!").await.status(), 422, "guess {n}");
    }
    let logged = failed_sign_ins(&mut conn);
    assert_eq!(logged, i64::from(incident_desk::auth::rules::ADDRESS_FREE_ATTEMPTS), "each failure is audited");
    let throttled = app.login("ada@example.com", "Summer2026!").await;
    assert_eq!(throttled.status(), 429, "the address is slowed, on a fresh account too");
    assert!(throttled.text().await.unwrap().contains("from your network address"));
    for n in 0..5 {
        assert_eq!(app.login(&format!("more{n}@example.com"), "Winter2026!").await.status(), 429);
    }
    assert_eq!(failed_sign_ins(&mut conn), logged, "waiting attempts are counted, not audited");
    let (_, refused) = throttle_row(&mut conn, "address:127.0.0.1").expect("the address is counted");
    assert_eq!(refused, 6, "every attempt turned away is counted");
}

/// A password an administrator sets for someone is checked like any other; a refused one writes nothing but the
/// audited refusal, which names the account and never the password typed.
#[tokio::test]
async fn a_refused_password_for_another_user_is_audited_without_the_password() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let admin = app.signed_in(w.emails[&Role::SystemAdministrator]).await;
    let admin_id = fixtures::user_id(&mut conn, w.emails[&Role::SystemAdministrator]);
    let support_id = fixtures::user_id(&mut conn, w.emails[&Role::TechnicalSupport]);
    let changes_before = changes_by(&mut conn, admin_id);
    let refused = admin.post(&format!("/users/{support_id}/password"), &[("password", "short1")]).await;
    assert_eq!(refused.status(), 422, "too short a password is refused");
    let page = refused.text().await.unwrap();
    assert!(page.contains("at least") && !page.contains("short1"), "why, and not the password typed back");
    assert_eq!(changes_by(&mut conn, admin_id), changes_before, "nothing but the refusal was written");
    let (by, kind, id, reason, route) = last_refusal(&mut conn);
    assert_eq!((by, kind.as_str(), id), (Some(admin_id), "user", support_id.to_string()));
    assert_eq!(route, format!("POST /users/{support_id}/password"));
    assert!(!reason.is_empty() && !reason.contains("short1"), "the reason, never the password: {reason}");
    // The user still signs in with the password they had.
    assert_eq!(app.signed_in(w.emails[&Role::TechnicalSupport]).await.get("/").await.status(), 200);
}
