//! Incidents end to end: reporting, the lifecycle, progress, escalations, communications, scope and conflicts.
use crate::fixtures::{World, incident, user_id, world};
use crate::support::*;
use diesel::prelude::*;
use incident_desk::domain::enums::Role;

fn last_audit(conn: &mut PgConnection) -> (String, String, String, serde_json::Value) {
    use incident_desk::schema::audit_logs::dsl::*;
    audit_logs.order(audit_id.desc()).select((action, entity_type, entity_id, changes)).first(conn).unwrap()
}

/// The incident change log: (update type, field, old, new), oldest first.
fn updates(conn: &mut PgConnection, incident: i32) -> Vec<(String, String, String, String)> {
    use incident_desk::schema::incident_updates::dsl::*;
    incident_updates
        .filter(incident_id.eq(incident))
        .order(update_id.asc())
        .select((update_type, field_changed, old_value, new_value))
        .load(conn)
        .unwrap()
}

pub fn report_form<'a>(w: &World, title: &'a str, client: &'a str, component: &'a str) -> Vec<(&'static str, String)> {
    let _ = w;
    vec![
        ("title", title.to_string()),
        ("category", "Performance".into()),
        ("severity", "P2".into()),
        ("impact_level", "high".into()),
        ("urgency_level", "medium".into()),
        ("client_id", client.to_string()),
        ("component_id", component.to_string()),
        (
            "detection_timestamp",
            (chrono::Utc::now() - chrono::Duration::minutes(30)).format("%Y-%m-%dT%H:%M").to_string(),
        ),
        ("details", "Checkout pages time out for all users.".into()),
    ]
}

#[tokio::test]
async fn a_client_contact_reports_an_incident_for_their_own_client_only() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let contact = app.signed_in(w.emails[&Role::ClientContact]).await;
    let (status, form) = contact.text("/incidents/new").await;
    assert_eq!(status, 200);
    assert!(form.contains("Acme Logistics") && !form.contains("Borealis Bank"), "only their client is offered");
    assert!(!form.contains("name=\"assigned_to_user_id\""), "contacts do not assign");

    let fields = report_form(&w, "Checkout timeouts", &w.client_a.to_string(), &w.component.to_string());
    let response = contact.post("/incidents", &pairs(&fields)).await;
    assert_eq!(response.status(), 303);
    let path = location(&response).to_string();
    let id: i32 = path.rsplit('/').next().unwrap().parse().unwrap();
    let (action, kind, entity, changes) = last_audit(&mut conn);
    assert_eq!((action.as_str(), kind.as_str(), entity), ("create", "incident", id.to_string()));
    assert_eq!(changes["title"]["new"], "Checkout timeouts");
    assert_eq!(
        updates(&mut conn, id),
        vec![("progress_note".into(), "note".into(), "".into(), "Checkout pages time out for all users.".into())]
    );
    let (_, page) = contact.text(&path).await;
    assert!(
        page.contains("Incident ")
            && page.contains("Checkout timeouts")
            && page.contains("Queue-main-1")
            && page.contains("QueueManager Pro")
            && page.contains("Northwind Cloud")
    );
    assert!(
        page.contains("Reported the incident") && page.contains("Checkout pages time out"),
        "the timeline shows the report"
    );

    let before = (count(&mut conn, "incidents"), audit_count(&mut conn));
    let other = report_form(&w, "Not mine", &w.client_b.to_string(), &w.component.to_string());
    let refused = contact.post("/incidents", &pairs(&other)).await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("you may report only for clients you work for"));
    assert!(page.contains("value=\"Not mine\""), "what was typed is kept");
    assert_eq!((count(&mut conn, "incidents"), audit_count(&mut conn)), before);
}

#[tokio::test]
async fn reporting_refuses_bad_input_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let on_leave = create_user(&mut conn, "Erin Wilson", "erin@provider.example", Role::TechnicalSupport, None, None);
    set_status(&mut conn, on_leave.user_id, "on_leave");
    let support = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    let vendor = app.signed_in(w.emails[&Role::VendorContact]).await;
    let client_a = w.client_a.to_string();
    let component = w.component.to_string();
    let future = (chrono::Utc::now() + chrono::Duration::days(2)).format("%Y-%m-%dT%H:%M").to_string();
    let erin = on_leave.user_id.to_string();
    // A client with no subscription to the vendor's products is not the vendor's to report for.
    let stranger = crate::fixtures::insert(
        &mut conn,
        "INSERT INTO clients (client_name, registration_number, contact_email, client_type) VALUES ('Cobalt Clinic', 'REG10000003', 'it@cobalt.example', 'startup') RETURNING client_id AS id",
    );
    let (_, vendor_form) = vendor.text("/incidents/new").await;
    assert!(vendor_form.contains("Acme Logistics") && !vendor_form.contains("Cobalt Clinic"), "the vendor's clients");
    let cases: Vec<(&Browser, &str, String, &str)> = vec![
        (&support, "title", "".into(), "Enter the title."),
        (&support, "title", " \u{200B}\u{2060} ".into(), "Enter the title."),
        (&support, "severity", "P0".into(), "Severity must be one of"),
        (&support, "detection_timestamp", future, "cannot be in the future"),
        (&support, "detection_timestamp", "2026-02-30T10:00".into(), "must be a real date and time"),
        (&support, "assigned_to_user_id", erin, "Erin Wilson is on leave"),
        (&support, "component_id", "999999".into(), "Choose a component from the list"),
        (
            &vendor,
            "component_id",
            w.other_component.to_string(),
            "only on components of products their vendor supports",
        ),
        (&vendor, "client_id", stranger.to_string(), "you may report only for clients you work for"),
    ];
    for (browser, field, value, message) in cases {
        let mut fields = report_form(&w, "Broken report", &client_a, &component);
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value.clone()));
        let before = (count(&mut conn, "incidents"), count(&mut conn, "incident_updates"), audit_count(&mut conn));
        let response = browser.post("/incidents", &pairs(&fields)).await;
        assert_eq!(response.status(), 422, "{field}={value}");
        assert!(response.text().await.unwrap().contains(message), "{field}={value}: {message}");
        assert_eq!(
            (count(&mut conn, "incidents"), count(&mut conn, "incident_updates"), audit_count(&mut conn)),
            before
        );
    }
}

#[tokio::test]
async fn a_similar_open_incident_is_flagged_and_needs_confirmation() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let support = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    let fields = report_form(&w, "Queue backlog", &w.client_a.to_string(), &w.component.to_string());
    let first = support.post("/incidents", &pairs(&fields)).await;
    assert_eq!(first.status(), 303);
    let first_path = location(&first).to_string();

    let before = count(&mut conn, "incidents");
    let second = support.post("/incidents", &pairs(&fields)).await;
    assert_eq!(second.status(), 422);
    let page = second.text().await.unwrap();
    assert!(
        page.contains("Is it one of these?") && page.contains(&format!("href=\"{first_path}\"")),
        "links to the similar incident"
    );
    assert!(page.contains("name=\"confirm_duplicate\""));
    assert_eq!(count(&mut conn, "incidents"), before);

    let mut confirmed = pairs(&fields);
    confirmed.push(("confirm_duplicate", "yes"));
    assert_eq!(support.post("/incidents", &confirmed).await.status(), 303);
    assert_eq!(count(&mut conn, "incidents"), before + 1);
}

#[tokio::test]
async fn the_severity_helper_proposes_from_the_policy_conditions() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let support = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    let form = report_form(&w, "Slow reports", &w.client_a.to_string(), &w.component.to_string());
    let mut fields = pairs(&form);
    fields.retain(|(k, _)| *k != "severity");
    fields.extend([("condition", "p3_local"), ("condition", "p2_multiple"), ("action", "classify")]);
    let before = count(&mut conn, "incidents");
    let response = support.post("/incidents", &fields).await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("Proposed severity: P2 High") && page.contains("Impact on multiple departments"), "{page}");
    assert!(page.contains("value=\"P2\" checked"), "the proposal is preselected");
    assert!(page.contains("value=\"p3_local\" checked"), "the answers are kept");
    assert_eq!(count(&mut conn, "incidents"), before, "suggesting saves nothing");
}

fn edit_form(status: &str, lock: i32) -> Vec<(&'static str, String)> {
    vec![
        ("status", status.to_string()),
        ("severity", "P2".into()),
        ("impact_level", "high".into()),
        ("urgency_level", "high".into()),
        ("lock_version", lock.to_string()),
    ]
}

#[tokio::test]
async fn the_lifecycle_moves_step_by_step_and_logs_every_field() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let id = incident(&mut conn, "Disk latency", w.client_a, w.component, "open");
    let path = format!("/incidents/{id}");
    let support = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    type Stamp = Option<chrono::DateTime<chrono::Utc>>;
    let stamps = |conn: &mut PgConnection| -> (Stamp, Stamp, Stamp) {
        use incident_desk::schema::incidents::dsl::*;
        incidents.find(id).select((acknowledged_at, resolution_timestamp, closed_at)).first(conn).unwrap()
    };

    // A jump is refused with the rule, and nothing is written.
    let before = (count(&mut conn, "incident_updates"), audit_count(&mut conn));
    let jump = support.post(&path, &pairs(&edit_form("resolved", 1))).await;
    assert_eq!(jump.status(), 422);
    assert!(jump.text().await.unwrap().contains("cannot move from open to resolved"));
    assert_eq!((count(&mut conn, "incident_updates"), audit_count(&mut conn)), before);

    // Investigating acknowledges; severity and assignee change with it, each field logged, one audit entry.
    let support_id = user_id(&mut conn, w.emails[&Role::TechnicalSupport]).to_string();
    let mut first = edit_form("investigating", 1);
    first.retain(|(k, _)| *k != "severity");
    first.push(("severity", "P1".into()));
    first.push(("assigned_to_user_id", support_id.clone()));
    assert_eq!(support.post(&path, &pairs(&first)).await.status(), 303);
    assert!(stamps(&mut conn).0.is_some(), "acknowledged");
    assert_eq!(
        updates(&mut conn, id),
        vec![
            ("status_change".into(), "status".into(), "open".into(), "investigating".into()),
            ("priority_change".into(), "severity".into(), "P2".into(), "P1".into()),
            ("assignment_change".into(), "assigned_to".into(), "".into(), support_id.clone()),
        ]
    );
    assert_eq!(audit_count(&mut conn), before.1 + 1);
    let (action, _, _, changes) = last_audit(&mut conn);
    assert_eq!(action, "update");
    assert_eq!(changes["severity"]["new"], "P1");

    let step = |status: &'static str, lock: i32| {
        let mut form = edit_form(status, lock);
        form.retain(|(k, _)| *k != "severity");
        form.push(("severity", "P1".into()));
        form.push(("assigned_to_user_id", support_id.clone()));
        form
    };
    assert_eq!(support.post(&path, &pairs(&step("in_progress", 2))).await.status(), 303);
    assert_eq!(support.post(&path, &pairs(&step("resolved", 3))).await.status(), 303);
    assert!(stamps(&mut conn).1.is_some(), "resolution time set");

    // Only an incident manager closes.
    let refused = support.post(&format!("{path}/close"), &[("lock_version", "4")]).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("only incident managers may close incidents"));
    let (_, page) = manager.text(&path).await;
    assert!(page.contains("Close incident"));
    // A form without the version it was shown with is refused, never applied blind (and never read as 0).
    let blind = manager.post(&format!("{path}/close"), &[("lock_version", "")]).await;
    assert_eq!(blind.status(), 422);
    assert!(blind.text().await.unwrap().contains("no record version"));
    assert!(stamps(&mut conn).2.is_none(), "not closed");
    assert_eq!(manager.post(&format!("{path}/close"), &[("lock_version", "4")]).await.status(), 303);
    assert!(stamps(&mut conn).2.is_some(), "closed time set");
    let (_, page) = manager.text(&path).await;
    assert!(page.contains("Changed the status from Resolved to Closed"));
    let after_close = support.post(&path, &pairs(&step("in_progress", 5))).await;
    assert_eq!(after_close.status(), 409, "closed incidents are final");
}

#[tokio::test]
async fn a_resolved_incident_may_be_reopened_and_loses_its_resolution_time() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let id = incident(&mut conn, "Flapping link", w.client_a, w.component, "resolved");
    let support = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    assert_eq!(support.post(&format!("/incidents/{id}"), &pairs(&edit_form("in_progress", 1))).await.status(), 303);
    let resolved: Option<chrono::DateTime<chrono::Utc>> = {
        use incident_desk::schema::incidents::dsl::*;
        incidents.find(id).select(resolution_timestamp).first(&mut conn).unwrap()
    };
    assert_eq!(resolved, None);
}

#[tokio::test]
async fn roles_that_may_not_change_incidents_are_refused() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let id = incident(&mut conn, "Slow queue", w.client_a, w.component, "open");
    for role in [Role::AccountManager, Role::SystemAdministrator, Role::ClientContact, Role::VendorContact] {
        let browser = app.signed_in(w.emails[&role]).await;
        let before = audit_count(&mut conn);
        let response = browser.post(&format!("/incidents/{id}"), &pairs(&edit_form("investigating", 1))).await;
        assert_eq!(response.status(), 403, "{role:?}");
        assert!(response.text().await.unwrap().contains("may change incidents"), "{role:?}: the rule is named");
        assert_eq!(audit_count(&mut conn), before);
    }
    let client = app.signed_in(w.emails[&Role::ClientContact]).await;
    assert_eq!(client.post(&format!("/incidents/{id}/progress"), &[("note", "Any news?")]).await.status(), 403);
    let vendor = app.signed_in(w.emails[&Role::VendorContact]).await;
    assert_eq!(
        vendor.post(&format!("/incidents/{id}/progress"), &[("note", "Patch is being built.")]).await.status(),
        303
    );
    let empty = vendor.post(&format!("/incidents/{id}/progress"), &[("note", "   ")]).await;
    assert_eq!(empty.status(), 422);
    assert!(empty.text().await.unwrap().contains("Write the progress update"));
}

#[tokio::test]
async fn escalations_go_to_fitting_active_users_and_end_once() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let id = incident(&mut conn, "Queue stalls", w.client_a, w.component, "investigating");
    let support = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    let vendor_contact = user_id(&mut conn, w.emails[&Role::VendorContact]).to_string();
    let executive = user_id(&mut conn, w.emails[&Role::Executive]).to_string();
    let other_contact = create_user(
        &mut conn,
        "Oak Contact",
        "contact@oakridge.example",
        Role::VendorContact,
        None,
        Some(w.other_vendor),
    );
    let away = create_user(&mut conn, "Away Exec", "away@provider.example", Role::Executive, None, None);
    set_status(&mut conn, away.user_id, "inactive");
    let path = format!("/incidents/{id}/escalations");
    let (status, form) = support.text(&format!("{path}/new")).await;
    assert_eq!(status, 200);
    assert!(
        form.contains("Vendor contact (Vendor contact)") && !form.contains("Oak Contact"),
        "only the supporting vendor's contacts are offered"
    );

    let cases = [
        ("vendor", executive.clone(), "a vendor escalation goes to a vendor contact of the vendor that supports"),
        ("vendor", other_contact.user_id.to_string(), "a vendor escalation goes to a vendor contact"),
        ("executive", away.user_id.to_string(), "Away Exec is inactive"),
        ("technical", executive.clone(), "goes to technical support or a system administrator"),
    ];
    for (level, target, message) in cases {
        let before = (count(&mut conn, "incident_escalations"), audit_count(&mut conn));
        let response = support.post(&path, &[("escalation_level", level), ("escalated_to_user", &target)]).await;
        assert_eq!(response.status(), 422, "{level} to {target}");
        assert!(response.text().await.unwrap().contains(message), "{level}: {message}");
        assert_eq!((count(&mut conn, "incident_escalations"), audit_count(&mut conn)), before);
    }

    let response = support
        .post(
            &path,
            &[
                ("escalation_level", "vendor"),
                ("escalated_to_user", &vendor_contact),
                ("reason", "Needs a vendor patch"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let (action, kind, escalation, _) = last_audit(&mut conn);
    assert_eq!((action.as_str(), kind.as_str()), ("create", "incident_escalation"));
    let (_, page) = support.text(&format!("/incidents/{id}")).await;
    assert!(page.contains("Escalated to Vendor contact (vendor level)") && page.contains("Needs a vendor patch"));

    let account = app.signed_in(w.emails[&Role::AccountManager]).await;
    let escalate_again =
        account.post(&path, &[("escalation_level", "management"), ("escalated_to_user", &executive)]).await;
    assert_eq!(escalate_again.status(), 303, "account managers escalate too");
    let admin = app.signed_in(w.emails[&Role::SystemAdministrator]).await;
    assert_eq!(
        admin.post(&path, &[("escalation_level", "management"), ("escalated_to_user", &executive)]).await.status(),
        403
    );

    let resolve = format!("/incidents/{id}/escalations/{escalation}/resolve");
    assert_eq!(support.post(&resolve, &[]).await.status(), 303);
    let (_, page) = support.text(&format!("/incidents/{id}")).await;
    assert!(
        page.contains("<strong>Technical support</strong>: The escalation to Vendor contact was resolved"),
        "who ended it is shown"
    );
    let (action, _, _, changes) = last_audit(&mut conn);
    assert_eq!((action.as_str(), changes["status"]["new"].as_str()), ("update", Some("resolved")));
    let again = support.post(&format!("/incidents/{id}/escalations/{escalation}/cancel"), &[]).await;
    assert_eq!(again.status(), 409, "an ended escalation stays ended");
    assert_eq!(support.post(&format!("/incidents/{id}/escalations/999999/resolve"), &[]).await.status(), 404);
}

#[tokio::test]
async fn communications_are_recorded_and_shown_to_their_audience() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let id = incident(&mut conn, "Mail delays", w.client_a, w.component, "investigating");
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let contact_id = user_id(&mut conn, w.emails[&Role::ClientContact]).to_string();
    let path = format!("/incidents/{id}/communications");
    let missing = manager
        .post(
            &path,
            &[
                ("communication_type", "update"),
                ("delivery_method", "email"),
                ("delivery_status", "sent"),
                ("message", "Hello"),
            ],
        )
        .await;
    assert_eq!(missing.status(), 422);
    assert!(missing.text().await.unwrap().contains("Choose a recipient"));
    let outsider =
        create_user(&mut conn, "Bo Borealis", "bo@borealis.example", Role::ClientContact, Some(w.client_b), None);
    let before = (count(&mut conn, "communications"), audit_count(&mut conn));
    let misdirected = manager
        .post(
            &path,
            &[
                ("recipient_id", &outsider.user_id.to_string()),
                ("communication_type", "update"),
                ("delivery_method", "email"),
                ("delivery_status", "pending"),
                ("message", "Acme's outage details"),
            ],
        )
        .await;
    assert_eq!(misdirected.status(), 422);
    let page = misdirected.text().await.unwrap();
    assert!(page.contains("Bo Borealis works for another client or vendor"), "another client's contact: {page}");
    assert!(page.contains("Acme&#39;s outage details") || page.contains("Acme&#x27;s outage details"), "kept");
    assert_eq!((count(&mut conn, "communications"), audit_count(&mut conn)), before);

    // A call is recorded by hand, with the status the recorder gives; email is sent by the product.
    let sent = manager
        .post(
            &path,
            &[
                ("recipient_id", &contact_id),
                ("communication_type", "update"),
                ("delivery_method", "phone"),
                ("delivery_status", "sent"),
                ("message", "We are on it; next update at 14:00."),
            ],
        )
        .await;
    assert_eq!(sent.status(), 303);
    let (action, kind, _, changes) = last_audit(&mut conn);
    assert_eq!((action.as_str(), kind.as_str()), ("create", "communication"));
    assert_eq!(changes["message"]["new"], "We are on it; next update at 14:00.", "the entry holds the message");
    let sent_at: Option<chrono::DateTime<chrono::Utc>> = {
        use incident_desk::schema::communications::dsl::*;
        communications.order(communication_id.desc()).select(sent_at).first(&mut conn).unwrap()
    };
    assert!(sent_at.is_some(), "sent_at is set when sent");
    let internal = manager
        .post(
            &path,
            &[
                ("recipient_type", "technical_team"),
                ("communication_type", "notification"),
                ("delivery_method", "chat"),
                ("delivery_status", "pending"),
                ("message", "Internal: suspect the broker."),
            ],
        )
        .await;
    assert_eq!(internal.status(), 303);
    let executive = app.signed_in(w.emails[&Role::Executive]).await;
    assert_eq!(
        executive
            .post(
                &path,
                &[
                    ("recipient_type", "executive_team"),
                    ("communication_type", "update"),
                    ("delivery_method", "email"),
                    ("delivery_status", "pending"),
                    ("message", "x")
                ]
            )
            .await
            .status(),
        403
    );

    let contact = app.signed_in(w.emails[&Role::ClientContact]).await;
    let (_, page) = contact.text(&format!("/incidents/{id}")).await;
    assert!(page.contains("We are on it; next update at 14:00."), "addressed to them");
    assert!(!page.contains("suspect the broker"), "internal communications stay internal");
}

/// Every incident route, with the method and whether it writes.
fn incident_routes(id: i32, escalation: i32) -> Vec<(&'static str, String)> {
    vec![
        ("GET", format!("/incidents/{id}")),
        ("GET", format!("/incidents/{id}/edit")),
        ("GET", format!("/incidents/{id}/escalations/new")),
        ("GET", format!("/incidents/{id}/communications/new")),
        ("POST", format!("/incidents/{id}")),
        ("POST", format!("/incidents/{id}/close")),
        ("POST", format!("/incidents/{id}/progress")),
        ("POST", format!("/incidents/{id}/escalations")),
        ("POST", format!("/incidents/{id}/escalations/{escalation}/resolve")),
        ("POST", format!("/incidents/{id}/escalations/{escalation}/cancel")),
        ("POST", format!("/incidents/{id}/communications")),
    ]
}

#[tokio::test]
async fn contacts_reach_only_incidents_in_their_scope() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let a_v = incident(&mut conn, "Scope A on V", w.client_a, w.component, "investigating");
    let b_w = incident(&mut conn, "Scope B on W", w.client_b, w.other_component, "investigating");
    let b_v = incident(&mut conn, "Scope B on V", w.client_b, w.component, "investigating");
    let a_w = incident(&mut conn, "Scope A on W", w.client_a, w.other_component, "investigating");
    let escalation_of = |conn: &mut PgConnection, incident: i32| -> i32 {
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            id: i32,
        }
        let manager = user_id(conn, "manager@provider.example");
        diesel::sql_query(format!(
            "INSERT INTO incident_escalations (incident_id, escalated_by_user, escalated_to_user, escalation_level, escalated_at) VALUES ({incident}, {manager}, {manager}, 'management', now()) RETURNING escalation_id AS id"
        ))
        .get_result::<Id>(conn)
        .unwrap()
        .id
    };
    let client = app.signed_in(w.emails[&Role::ClientContact]).await;
    let vendor = app.signed_in(w.emails[&Role::VendorContact]).await;
    let matrix = [
        (&client, a_v, true),
        (&client, a_w, true),
        (&client, b_v, false),
        (&client, b_w, false),
        (&vendor, a_v, true),
        (&vendor, b_v, true),
        (&vendor, a_w, false),
        (&vendor, b_w, false),
    ];
    for (browser, id, in_scope) in matrix {
        let escalation = escalation_of(&mut conn, id);
        for (method, path) in incident_routes(id, escalation) {
            let before = audit_count(&mut conn);
            let response = if method == "GET" {
                browser.get(&path).await
            } else {
                browser.post(&path, &[("note", "probe"), ("lock_version", "1")]).await
            };
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            if in_scope {
                assert_ne!(status, 404, "{method} {path} is in scope");
            } else {
                assert_eq!(status, 404, "{method} {path} is out of scope");
                assert!(!body.contains("Scope "), "{method} {path}: nothing leaks");
                assert_eq!(audit_count(&mut conn), before, "{method} {path}: nothing written");
            }
        }
    }
    let (_, list) = client.text("/incidents").await;
    assert!(
        list.contains("Scope A on V") && list.contains("Scope A on W") && !list.contains("Scope B"),
        "the client's list is scoped"
    );
    let (_, list) = vendor.text("/incidents").await;
    assert!(
        list.contains("Scope A on V") && list.contains("Scope B on V") && !list.contains("on W"),
        "the vendor's list is scoped"
    );
}

#[tokio::test]
async fn a_stale_incident_edit_is_refused_with_the_current_values() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let id = incident(&mut conn, "Race", w.client_a, w.component, "open");
    let first = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    let second = app.signed_in(w.emails[&Role::IncidentManager]).await;
    assert_eq!(first.post(&format!("/incidents/{id}"), &pairs(&edit_form("investigating", 1))).await.status(), 303);
    let before = (count(&mut conn, "incident_updates"), audit_count(&mut conn));
    let mut stale = edit_form("open", 1);
    stale.retain(|(k, _)| *k != "urgency_level");
    stale.push(("urgency_level", "low".into()));
    let response = second.post(&format!("/incidents/{id}"), &pairs(&stale)).await;
    assert_eq!(response.status(), 409);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Someone else changed this incident")
            && page.contains("The incident as it is now")
            && page.contains("investigating")
    );
    assert!(page.contains("name=\"lock_version\" value=\"2\""));
    assert_eq!((count(&mut conn, "incident_updates"), audit_count(&mut conn)), before);
}

#[tokio::test]
async fn lists_filter_by_status_severity_client_and_assignee() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    incident(&mut conn, "Open on A", w.client_a, w.component, "open");
    incident(&mut conn, "Closed on B", w.client_b, w.component, "closed");
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let (_, active) = manager.text("/incidents").await;
    assert!(active.contains("Open on A") && !active.contains("Closed on B"), "staff start from the active ones");
    let (_, all) = manager.text("/incidents?status=").await;
    assert!(all.contains("Open on A") && all.contains("Closed on B") && all.contains("showing 1–2 of 2"));
    let (_, closed) = manager.text("/incidents?status=closed").await;
    assert!(closed.contains("Closed on B") && !closed.contains("Open on A"));
    let (_, b) = manager.text(&format!("/incidents?status=&client_id={}", w.client_b)).await;
    assert!(b.contains("Closed on B") && !b.contains("Open on A"));
    let (_, none) = manager.text("/incidents?severity=P4").await;
    assert!(none.contains("No incidents match these filters."));
    // The assignee filter offers the people who hold active incidents (a list bounded by the queue, not by
    // everyone on the staff), and the person the list is filtered by.
    let support = user_id(&mut conn, w.emails[&Role::TechnicalSupport]);
    let executive = user_id(&mut conn, w.emails[&Role::Executive]);
    let held = incident(&mut conn, "Held by support", w.client_a, w.component, "investigating");
    diesel::sql_query(format!("UPDATE incidents SET assigned_to_user_id = {support} WHERE incident_id = {held}"))
        .execute(&mut conn)
        .unwrap();
    let assignees = |page: &str| {
        let select = page.split_once("name=\"assignee\"").expect("an assignee filter").1;
        select.split_once("</select>").unwrap().0.to_string()
    };
    let option = |id: i32| format!("<option value=\"{id}\"");
    let (_, page) = manager.text("/incidents").await;
    let offered = assignees(&page);
    assert!(offered.contains(&option(support)) && !offered.contains(&option(executive)), "{offered}");
    let (_, page) = manager.text(&format!("/incidents?assignee={executive}")).await;
    assert!(assignees(&page).contains(&format!("<option value=\"{executive}\" selected")), "{page}");
    assert!(page.contains("No incidents match these filters."));
    assert_eq!(manager.get("/incidents?status=exploded").await.status(), 400);
    assert_eq!(manager.get("/incidents?page=-1").await.status(), 400);
    let (status, past) = manager.text("/incidents?page=4").await;
    assert!(status == 400 && past.contains("There is no page 4: this list has one page."), "{past}");
}

/// The incidents a list page shows, in order.
fn listed_ids(page: &str) -> Vec<i32> {
    page.split("<th scope=\"row\"><a class=\"clip\" href=\"/incidents/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().parse().unwrap())
        .collect()
}

/// The address of the page's "Next page" link, if it has one.
fn next_link(page: &str) -> Option<String> {
    let before = page.split_once("rel=\"next\"")?.0;
    Some(before.rsplit("href=\"").next()?.split('"').next()?.replace("&#38;", "&"))
}

#[tokio::test]
async fn a_search_pages_through_its_matches_without_counting_them_and_finds_messages_for_staff_only() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let reporter = user_id(&mut conn, w.emails[&Role::IncidentManager]);
    let bulk = |conn: &mut PgConnection, title: &str, client: i32, n: i32, hours_ago: i32| -> Vec<i32> {
        diesel::sql_query(format!(
            "INSERT INTO incidents (title, category, severity, impact_level, urgency_level, status, client_id, component_id, reporter_user_id, detection_timestamp, created_at) \
             SELECT '{title} ' || g, 'Performance', 'P3', 'low', 'low', 'open', {client}, {}, {reporter}, now() - (g + {hours_ago}) * interval '1 hour', now() - (g + {hours_ago}) * interval '1 hour' \
             FROM generate_series(1, {n}) g RETURNING incident_id AS id",
            w.component
        ))
        .load::<IdRow>(conn)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect()
    };
    let message = |conn: &mut PgConnection, incident: i32, text: &str| {
        diesel::sql_query(format!(
            "INSERT INTO communications (incident_id, sender_id, recipient_type, communication_type, delivery_method, message) \
             VALUES ({incident}, {reporter}, 'technical_team', 'update', 'email', '{text}')"
        ))
        .execute(conn)
        .unwrap();
    };
    // 57 title matches of client A, 3 of client B, among incidents that do not match, and one incident of
    // client A that only a message matches; one that both its title and messages match counts once.
    let mut a = bulk(&mut conn, "Gateway timeouts on queue", w.client_a, 57, 0);
    let b = bulk(&mut conn, "Borealis timeouts", w.client_b, 3, 10);
    bulk(&mut conn, "Disk almost full", w.client_a, 40, 5);
    let by_message = bulk(&mut conn, "Printer jammed", w.client_a, 1, 30)[0];
    message(&mut conn, by_message, "Upstream timeouts cleared after the restart");
    message(&mut conn, a[3], "More timeouts seen");
    message(&mut conn, a[3], "Timeouts again");
    a.push(by_message);
    let mut expected: Vec<i32> = a.iter().chain(&b).copied().collect();
    expected.sort();

    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let (_, first) = manager.text("/incidents?q=timeouts").await;
    assert_eq!(listed_ids(&first).len(), 50, "a full page: {first}");
    assert!(first.contains("Incidents: showing 1–50</caption>"), "no total before the last page: {first}");
    let next = next_link(&first).expect("a next page");
    assert!(next.contains("q=timeouts") && next.contains("after="), "the next page keeps the search: {next}");
    let (status, second) = manager.text(&next).await;
    assert_eq!(status, 200);
    assert_eq!(listed_ids(&second).len(), 11, "{second}");
    assert!(second.contains("Incidents: showing 51–61 of 61</caption>"), "the last page knows the total: {second}");
    assert!(next_link(&second).is_none() && second.contains("rel=\"prev\""));
    let mut seen: Vec<i32> = listed_ids(&first).into_iter().chain(listed_ids(&second)).collect();
    assert!(seen.windows(2).all(|pair| pair[0] != pair[1]), "each match once");
    seen.sort();
    assert_eq!(seen, expected, "every match, titles and messages, once, and nothing else");
    let csv = manager.text("/incidents.csv?q=timeouts").await.1;
    assert_eq!(csv.lines().count(), 62, "a header and every match: {csv}");

    let (_, few) = manager.text("/incidents?q=printer").await;
    assert!(few.contains("Incidents: showing 1–1 of 1</caption>") && next_link(&few).is_none(), "{few}");
    let (_, none) = manager.text("/incidents?q=nowhereword").await;
    assert!(none.contains("No incidents match these filters.") && !none.contains("<caption>"));
    assert!(next_link(&none).is_none());

    // A client contact searches titles only, and only their client's.
    let contact = app.signed_in(w.emails[&Role::ClientContact]).await;
    let (_, first) = contact.text("/incidents?q=timeouts").await;
    assert!(first.contains("Incidents: showing 1–50</caption>"), "{first}");
    let (_, second) = contact.text(&next_link(&first).expect("a next page")).await;
    assert!(second.contains("Incidents: showing 51–57 of 57</caption>"), "{second}");
    let mut seen: Vec<i32> = listed_ids(&first).into_iter().chain(listed_ids(&second)).collect();
    seen.sort();
    let mut theirs: Vec<i32> = a.iter().copied().filter(|id| *id != by_message).collect();
    theirs.sort();
    assert_eq!(seen, theirs, "their own title matches: not another client's, not a message's");
    assert!(!first.contains("Borealis") && !second.contains("Borealis") && !second.contains("Printer jammed"));
    let (_, upstream) = contact.text("/incidents?q=upstream").await;
    assert!(upstream.contains("No incidents match these filters."), "messages are not searched for contacts");
    let (_, upstream) = manager.text("/incidents?q=upstream").await;
    assert!(upstream.contains("Printer jammed 1") && upstream.contains("showing 1–1 of 1"), "{upstream}");
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    id: i32,
}

#[tokio::test]
async fn the_whole_story_shows_on_one_timeline() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let client = app.signed_in(w.emails[&Role::ClientContact]).await;
    let support = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    let vendor = app.signed_in(w.emails[&Role::VendorContact]).await;
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;

    let form = report_form(&w, "Orders stuck in queue", &w.client_a.to_string(), &w.component.to_string());
    let reported = client.post("/incidents", &pairs(&form)).await;
    let path = location(&reported).to_string();
    let support_id = user_id(&mut conn, w.emails[&Role::TechnicalSupport]).to_string();
    let vendor_id = user_id(&mut conn, w.emails[&Role::VendorContact]).to_string();
    let step = |status: &'static str, lock: &'static str| {
        vec![
            ("status", status.to_string()),
            ("severity", "P2".into()),
            ("impact_level", "high".into()),
            ("urgency_level", "medium".into()),
            ("assigned_to_user_id", support_id.clone()),
            ("lock_version", lock.into()),
        ]
    };
    assert_eq!(support.post(&path, &pairs(&step("investigating", "1"))).await.status(), 303);
    assert_eq!(
        support
            .post(
                &format!("{path}/escalations"),
                &[("escalation_level", "vendor"), ("escalated_to_user", &vendor_id), ("reason", "Broker bug")]
            )
            .await
            .status(),
        303
    );
    let (status, seen) = vendor.text(&path).await;
    assert_eq!(status, 200);
    assert!(seen.contains("Orders stuck in queue"));
    assert_eq!(
        vendor.post(&format!("{path}/progress"), &[("note", "Hotfix 2.1.1 deployed to the broker.")]).await.status(),
        303
    );
    assert_eq!(support.post(&path, &pairs(&step("in_progress", "2"))).await.status(), 303);
    assert_eq!(support.post(&path, &pairs(&step("resolved", "3"))).await.status(), 303);
    assert_eq!(manager.post(&format!("{path}/close"), &[("lock_version", "4")]).await.status(), 303);

    let (_, page) = client.text(&path).await;
    let order = [
        "Changed the status from Resolved to Closed",
        "Changed the status from In progress to Resolved",
        "Hotfix 2.1.1 deployed to the broker.",
        "Escalated to Vendor contact (vendor level)",
        "Changed the status from Open to Investigating",
        "Reported the incident",
    ];
    let positions: Vec<usize> =
        order.iter().map(|text| page.find(text).unwrap_or_else(|| panic!("timeline shows «{text}»"))).collect();
    assert!(positions.windows(2).all(|p| p[0] < p[1]), "newest first: {positions:?}");
}

#[test]
fn pages_after_a_row_pass_over_rows_of_the_same_moment_exactly_once() {
    use incident_desk::access::Scope;
    use incident_desk::incidents::queries::{ListFilter, Order, Position, list};
    let db = TestDb::new();
    let mut conn = db.conn();
    let w = world(&mut conn);
    diesel::sql_query(format!(
        "INSERT INTO incidents (title, category, severity, impact_level, urgency_level, status, client_id, component_id, reporter_user_id, detection_timestamp, created_at) \
         SELECT 'Same moment ' || n, 'Performance', 'P3', 'low', 'low', 'open', {}, {}, (SELECT min(user_id) FROM users), '2026-11-02T09:00:00Z', '2026-11-02T09:00:00Z' \
         FROM generate_series(1, 60) n",
        w.client_a, w.component
    ))
    .execute(&mut conn)
    .unwrap();
    let filter = ListFilter::default();
    let targets = incident_desk::service_levels::Targets::default();
    let now = incident_desk::incidents::queries::Deadlines { now: chrono::Utc::now(), targets: &targets };
    let first = list(&mut conn, Scope::All, &filter, Order::Newest, Position { number: 1, after: None }, now).unwrap();
    let last = first.rows.last().unwrap();
    let after = Some((last.created_at, last.incident_id));
    let second = list(&mut conn, Scope::All, &filter, Order::Newest, Position { number: 2, after }, now).unwrap();
    let mut ids: Vec<i32> = first.rows.iter().chain(&second.rows).map(|r| r.incident_id).collect();
    assert_eq!((first.rows.len(), second.rows.len()), (50, 10));
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 60, "every incident once");
}
