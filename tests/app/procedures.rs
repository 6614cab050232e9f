//! The policy's ten procedures end to end: happy paths with defaults and audit, halts, roles, and their rules.
use crate::fixtures::{World, incident, user_id, world};
use crate::support::*;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use incident_desk::domain::enums::Role;

/// A closed incident with every time a metric needs except an escalation.
fn closed_incident(conn: &mut PgConnection, w: &World) -> i32 {
    let id = incident(conn, "Closed outage", w.client_a, w.component, "closed");
    diesel::sql_query(format!(
        "UPDATE incidents SET detection_timestamp = now() - interval '10 hours', created_at = now() - interval '9 hours 50 minutes', \
         acknowledged_at = now() - interval '9 hours 30 minutes', resolution_timestamp = now() - interval '6 hours', closed_at = now() - interval '5 hours' \
         WHERE incident_id = {id}"
    ))
    .execute(conn)
    .unwrap();
    id
}

fn last_audit(conn: &mut PgConnection) -> (String, String, String, serde_json::Value) {
    use incident_desk::schema::audit_logs::dsl::*;
    audit_logs
        .filter(action.ne("refuse"))
        .order(audit_id.desc())
        .select((action, entity_type, entity_id, changes))
        .first(conn)
        .unwrap()
}

pub(crate) fn text(conn: &mut PgConnection, sql: &str) -> String {
    #[derive(QueryableByName)]
    struct Text {
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    diesel::sql_query(sql).get_result::<Text>(conn).unwrap_or_else(|e| panic!("{sql}: {e}")).value
}

struct Case {
    path: &'static str,
    table: &'static str,
    kind: &'static str,
    role: Role,
    form: Vec<(&'static str, String)>,
    /// (column, expected value) after creation: the defaults and what the product sets.
    expect: Vec<(&'static str, &'static str)>,
    refused_role: Role,
}

fn cases(w: &World, open: i32, closed: i32, failed_change: i32, support: i32) -> Vec<Case> {
    let now = (chrono::Utc::now() - chrono::Duration::minutes(5)).format("%Y-%m-%dT%H:%M").to_string();
    let open = open.to_string();
    let closed = closed.to_string();
    let _ = w;
    vec![
        Case {
            path: "/problems",
            table: "problem_tickets",
            kind: "problem_ticket",
            role: Role::TechnicalSupport,
            form: vec![("incident_id", open.clone()), ("title", "Recurring queue stalls".into())],
            expect: vec![("status", "open"), ("issued_by_user", "actor")],
            refused_role: Role::Executive,
        },
        Case {
            path: "/work-orders",
            table: "work_orders",
            kind: "work_order",
            role: Role::SystemAdministrator,
            form: vec![
                ("title", "Replace queue broker disk".into()),
                ("work_type", "repair".into()),
                ("incident_id", open.clone()),
                ("assigned_to_user", support.to_string()),
            ],
            expect: vec![("status", "created"), ("created_by_user", "actor")],
            refused_role: Role::AccountManager,
        },
        Case {
            path: "/workarounds",
            table: "workarounds",
            kind: "workaround",
            role: Role::TechnicalSupport,
            form: vec![
                ("incident_id", open.clone()),
                ("effectiveness_level", "partial_mitigation".into()),
                ("implemented_at", now.clone()),
                ("description", "Rerouted traffic to the standby broker.".into()),
            ],
            expect: vec![("status", "active"), ("implemented_by_user", "actor")],
            refused_role: Role::Executive,
        },
        Case {
            path: "/analyses",
            table: "root_cause_analysis",
            kind: "root_cause_analysis",
            role: Role::IncidentManager,
            form: vec![
                ("incident_id", open.clone()),
                ("analysis_method", "five_whys".into()),
                ("findings", "Disk filled by unrotated logs.".into()),
            ],
            expect: vec![("status", "in_progress"), ("conducted_by_user", "actor")],
            refused_role: Role::AccountManager,
        },
        Case {
            path: "/changes",
            table: "change_requests",
            kind: "change_request",
            role: Role::TechnicalSupport,
            form: vec![
                ("title", "Add log rotation".into()),
                ("change_type", "normal".into()),
                ("risk_level", "low".into()),
                ("incident_id", open.clone()),
                ("justification", "Stops the disk filling again.".into()),
            ],
            expect: vec![("status", "requested"), ("requesting_user", "actor"), ("approved_by_user", "")],
            refused_role: Role::AccountManager,
        },
        Case {
            path: "/rollbacks",
            table: "rollback_requests",
            kind: "rollback_request",
            role: Role::TechnicalSupport,
            form: vec![("change_id", failed_change.to_string()), ("justification", "The patch broke logins.".into())],
            expect: vec![("status", "requested"), ("requesting_user", "actor")],
            refused_role: Role::SystemAdministrator,
        },
        Case {
            path: "/metrics",
            table: "performance_metrics",
            kind: "performance_metric",
            role: Role::IncidentManager,
            form: vec![
                ("incident_id", closed.clone()),
                ("metric_type", "resolution_time".into()),
                ("target_minutes", "300".into()),
            ],
            expect: vec![("calculated_value_minutes", "240"), ("target_minutes", "300"), ("recorded_by_user", "actor")],
            refused_role: Role::TechnicalSupport,
        },
        Case {
            path: "/reports",
            table: "incident_reports",
            kind: "incident_report",
            role: Role::Executive,
            form: vec![("incident_id", closed.clone()), ("report_type", "post_mortem".into())],
            expect: vec![("status", "completed"), ("generated_by_user", "actor")],
            refused_role: Role::TechnicalSupport,
        },
        Case {
            path: "/kb",
            table: "knowledge_base_articles",
            kind: "knowledge_base_article",
            role: Role::TechnicalSupport,
            form: vec![
                ("title", "Rotating broker logs".into()),
                ("article_type", "prevention_guide".into()),
                ("category", "technical".into()),
                ("body", "Enable logrotate for /var/log/broker.".into()),
            ],
            expect: vec![("status", "draft"), ("created_by_user", "actor")],
            refused_role: Role::SystemAdministrator,
        },
        Case {
            path: "/reviews",
            table: "post_incident_reviews",
            kind: "post_incident_review",
            role: Role::IncidentManager,
            form: vec![
                ("incident_id", closed.clone()),
                ("facilitator_user", support.to_string()),
                ("scheduled_date", now),
                ("overall_rating", "good".into()),
                ("notes", "Fast containment.".into()),
            ],
            expect: vec![("status", "scheduled")],
            refused_role: Role::TechnicalSupport,
        },
    ]
}

/// What the procedures' forms point to: the fixtures' world, an incident under way, a closed one, and a failed
/// change requested by technical support.
pub(crate) struct Scene {
    pub w: World,
    pub open: i32,
    pub closed: i32,
    pub support: i32,
    pub change: i32,
}

pub(crate) fn scene(conn: &mut PgConnection) -> Scene {
    let w = world(conn);
    let open = incident(conn, "Queue broker stalls", w.client_a, w.component, "in_progress");
    let closed = closed_incident(conn, &w);
    let support = user_id(conn, w.emails[&Role::TechnicalSupport]);
    let change = failed_change(conn, support);
    Scene { w, open, closed, support, change }
}

fn failed_change(conn: &mut PgConnection, requester: i32) -> i32 {
    text(conn, &format!("INSERT INTO change_requests (title, change_type, risk_level, status, requesting_user, justification) VALUES ('Patch 2.1', 'normal', 'low', 'failed', {requester}, 'x') RETURNING change_id::text AS value")).parse().unwrap()
}

#[tokio::test]
async fn each_procedure_creates_its_record_with_defaults_an_audit_entry_and_a_timeline_entry() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let Scene { w, open, closed, support, change } = scene(&mut conn);
    for case in cases(&w, open, closed, change, support) {
        let actor = user_id(&mut conn, w.emails[&case.role]);
        let browser = app.signed_in(w.emails[&case.role]).await;
        let incident = case.form.iter().find(|(k, _)| *k == "incident_id").map(|(_, v)| v.clone());
        let new_path = match &incident {
            Some(id) => format!("{}/new?incident_id={id}", case.path),
            None => format!("{}/new", case.path),
        };
        let (status, form) = browser.text(&new_path).await;
        assert_eq!(status, 200, "{new_path}");
        if let Some(id) = &incident {
            assert!(
                form.contains(&format!("value=\"{id}\" selected")),
                "{}: the incident is chosen already",
                case.path
            );
        }
        let before = (count(&mut conn, case.table), audit_count(&mut conn));
        let response = browser.post(case.path, &pairs(&case.form)).await;
        assert_eq!(response.status(), 303, "{}: {}", case.path, response.text().await.unwrap());
        let path = location(&response).to_string();
        let id = path.rsplit('/').next().unwrap().to_string();
        assert_eq!(count(&mut conn, case.table), before.0 + 1, "{}", case.path);
        let (action, kind, entity, _) = last_audit(&mut conn);
        assert_eq!(
            (action.as_str(), kind.as_str(), entity.as_str()),
            ("create", case.kind, id.as_str()),
            "{}",
            case.path
        );
        assert_eq!(audit_count(&mut conn), before.1 + 1, "{}: one audit entry", case.path);
        let key = text(
            &mut conn,
            &format!(
                "SELECT a.attname::text AS value FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = '{}'::regclass AND i.indisprimary",
                case.table
            ),
        );
        for (column, expected) in &case.expect {
            let stored = text(
                &mut conn,
                &format!("SELECT coalesce({column}::text, '') AS value FROM {} WHERE {key} = {id}", case.table),
            );
            let expected = if *expected == "actor" { actor.to_string() } else { expected.to_string() };
            assert_eq!(stored, expected, "{}: {column}", case.path);
        }
        let (status, page) = browser.text(&path).await;
        assert_eq!(status, 200, "{path}");
        assert!(page.contains("was created"), "{path}");
        if let Some(incident) = incident {
            let (_, incident_page) =
                app.signed_in(w.emails[&Role::IncidentManager]).await.text(&format!("/incidents/{incident}")).await;
            assert!(incident_page.contains(&format!("href=\"{path}\"")), "{path} is on the incident's timeline");
        }
    }
}

#[tokio::test]
async fn each_procedure_refuses_a_role_that_may_not_act_and_audits_the_refusal() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let Scene { w, open, closed, support, change } = scene(&mut conn);
    for case in cases(&w, open, closed, change, support) {
        let browser = app.signed_in(w.emails[&case.refused_role]).await;
        let before = (count(&mut conn, case.table), audit_count(&mut conn));
        let response = browser.post(case.path, &pairs(&case.form)).await;
        assert_eq!(response.status(), 403, "{} by {:?}", case.path, case.refused_role);
        assert!(response.text().await.unwrap().contains("only"), "{}: the rule is named", case.path);
        assert_eq!((count(&mut conn, case.table), audit_count(&mut conn)), before, "{}: nothing written", case.path);
        let (kind, reason) = refusals(&mut conn).remove(0);
        assert_eq!(kind, case.kind);
        assert!(reason.contains("only"), "{}: the refusal is audited with its rule: {reason}", case.path);
        assert_eq!(
            browser.get(&format!("{}/new", case.path)).await.status(),
            403,
            "{}: the form is closed to them",
            case.path
        );
    }
    let client = app.signed_in(w.emails[&Role::ClientContact]).await;
    for path in
        ["/problems", "/work-orders", "/workarounds", "/analyses", "/changes", "/rollbacks", "/metrics", "/reviews"]
    {
        assert_eq!(client.get(path).await.status(), 403, "{path}: staff only");
    }
}

#[tokio::test]
async fn each_halt_condition_names_the_procedure_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let open = incident(&mut conn, "Queue broker stalls", w.client_a, w.component, "resolved").to_string();
    let away = create_user(&mut conn, "Erin Wilson", "erin@provider.example", Role::TechnicalSupport, None, None);
    set_status(&mut conn, away.user_id, "on_leave");
    let requester = user_id(&mut conn, w.emails[&Role::TechnicalSupport]);
    let requested: i32 = text(&mut conn, &format!("INSERT INTO change_requests (title, change_type, risk_level, requesting_user, justification) VALUES ('Not yet', 'normal', 'low', {requester}, 'x') RETURNING change_id::text AS value")).parse().unwrap();
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let erin = away.user_id.to_string();
    type Halt<'a> = (&'a str, Vec<(&'a str, String)>, &'a str);
    let halts: Vec<Halt> = vec![
        (
            "/problems",
            vec![("incident_id", "999999".into()), ("title", "x".into())],
            "The incident chosen does not exist",
        ),
        ("/problems", vec![("incident_id", open.clone())], "Enter the title."),
        (
            "/work-orders",
            vec![("title", "Fix".into()), ("work_type", "repair".into()), ("assigned_to_user", erin.clone())],
            "Erin Wilson is on leave; choose an active user",
        ),
        (
            "/work-orders",
            vec![("title", "Fix".into()), ("work_type", "repair".into()), ("change_id", "999999".into())],
            "The change request chosen does not exist",
        ),
        (
            "/workarounds",
            vec![
                ("incident_id", open.clone()),
                ("effectiveness_level", "total".into()),
                ("implemented_at", "2026-11-01T10:00".into()),
                ("description", "x".into()),
            ],
            "Effectiveness must be one of",
        ),
        (
            "/analyses",
            vec![("incident_id", open.clone()), ("analysis_method", "guessing".into())],
            "Method must be one of",
        ),
        (
            "/changes",
            vec![
                ("title", "Upgrade".into()),
                ("change_type", "big".into()),
                ("risk_level", "low".into()),
                ("justification", "x".into()),
            ],
            "Type of change must be one of",
        ),
        ("/rollbacks", vec![("change_id", requested.to_string())], "Say why the change must be reverted."),
        (
            "/rollbacks",
            vec![("change_id", requested.to_string()), ("justification", "Undo".into())],
            "only a change that was carried out",
        ),
        (
            "/metrics",
            vec![("incident_id", open.clone()), ("metric_type", "response_time".into())],
            "Performance metrics can only be recorded for closed incidents. Incident",
        ),
        (
            "/reports",
            vec![("incident_id", open.clone()), ("report_type", "gossip".into())],
            "Report type must be one of",
        ),
        (
            "/kb",
            vec![
                ("title", "Guide".into()),
                ("article_type", "faq".into()),
                ("category", "rumours".into()),
                ("body", "x".into()),
            ],
            "Category must be one of",
        ),
        (
            "/reviews",
            vec![
                ("incident_id", open.clone()),
                ("facilitator_user", requester.to_string()),
                ("scheduled_date", "2026-12-01T10:00".into()),
                ("overall_rating", "good".into()),
            ],
            "Post-incident reviews can only be recorded for closed incidents",
        ),
    ];
    let executive = app.signed_in(w.emails[&Role::Executive]).await;
    let support = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    for (path, form, message) in halts {
        let browser = match path {
            "/reports" | "/reviews" => &executive,
            "/kb" | "/rollbacks" => &support,
            _ => &manager,
        };
        let before = audit_count(&mut conn);
        let response = browser.post(path, &pairs(&form)).await;
        assert_eq!(response.status(), 422, "{path}: {message}");
        let page = response.text().await.unwrap();
        assert!(page.contains(message), "{path}: expected «{message}»");
        assert!(page.contains("There is a problem"));
        assert_eq!(audit_count(&mut conn), before, "{path}: nothing written");
        assert!(refusals(&mut conn)[0].1.contains(message), "{path}: the halt is audited");
    }
}

#[tokio::test]
async fn metrics_are_computed_from_the_incident_and_a_missing_time_is_named() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let closed = closed_incident(&mut conn, &w).to_string();
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    for (metric, minutes) in [("detection_time", "10"), ("response_time", "30"), ("resolution_time", "240")] {
        let response = manager.post("/metrics", &[("incident_id", &closed), ("metric_type", metric)]).await;
        assert_eq!(response.status(), 303, "{metric}");
        let stored = text(
            &mut conn,
            "SELECT calculated_value_minutes::text AS value FROM performance_metrics ORDER BY metric_id DESC LIMIT 1",
        );
        assert_eq!(stored, minutes, "{metric}: computed from the incident's times");
        // A value the recorder gives must agree with the incident's times.
        let typed = [("incident_id", closed.as_str()), ("metric_type", metric), ("calculated_value_minutes", "1")];
        let refused = manager.post("/metrics", &typed).await;
        assert_eq!(refused.status(), 422, "{metric}");
        assert!(refused.text().await.unwrap().contains(&format!("{minutes} minutes, not 1")), "{metric}");
    }
    let missing = manager.post("/metrics", &[("incident_id", &closed), ("metric_type", "escalation_time")]).await;
    assert_eq!(missing.status(), 422);
    assert!(missing.text().await.unwrap().contains("the incident has no first escalation time"));

    // With an approved SLA for the client and severity, the target comes from it unless the recorder gives one.
    diesel::sql_query(format!("INSERT INTO service_level_agreements (subscription_id, severity_level, response_time_minutes, resolution_time_hours) VALUES ({}, 'P2', 60, 8)", w.subscription_a)).execute(&mut conn).unwrap();
    let last_target = |conn: &mut PgConnection| {
        text(
            conn,
            "SELECT coalesce(target_minutes::text, '') AS value FROM performance_metrics ORDER BY metric_id DESC LIMIT 1",
        )
    };
    for (given, stored) in [(None, "480"), (Some("5"), "5")] {
        let mut form = vec![("incident_id", closed.as_str()), ("metric_type", "resolution_time")];
        form.extend(given.map(|target| ("target_minutes", target)));
        assert_eq!(manager.post("/metrics", &form).await.status(), 303);
        assert_eq!(last_target(&mut conn), stored, "target given: {given:?}");
    }
}

#[tokio::test]
async fn a_report_is_a_snapshot_that_later_changes_do_not_rewrite() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let closed = closed_incident(&mut conn, &w);
    let manager = user_id(&mut conn, w.emails[&Role::IncidentManager]);
    diesel::sql_query(format!("INSERT INTO incident_updates (incident_id, updated_by_user, update_type, field_changed, old_value, new_value) VALUES ({closed}, {manager}, 'status_change', 'status', 'resolved', 'closed')")).execute(&mut conn).unwrap();
    let executive = app.signed_in(w.emails[&Role::Executive]).await;
    let response = executive
        .post(
            "/reports",
            &[("incident_id", &closed.to_string()), ("report_type", "executive_summary"), ("status", "published")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let path = location(&response).to_string();
    diesel::sql_query(format!("UPDATE incidents SET title = 'Renamed afterwards' WHERE incident_id = {closed}"))
        .execute(&mut conn)
        .unwrap();
    let (status, print) = executive.text(&format!("{path}/print")).await;
    assert_eq!(status, 200);
    assert!(
        print.contains("Closed outage") && !print.contains("Renamed afterwards"),
        "the report keeps what was true then: {print}"
    );
    assert!(
        print.contains("Acme Logistics")
            && print.contains("Executive summary: incident")
            && print.contains("Audit chain head")
    );
    assert!(print.contains("<thead>"), "table headers repeat across printed pages");
    let kept: Vec<bool> = diesel::select(diesel::dsl::sql::<diesel::sql_types::Array<diesel::sql_types::Bool>>(
        "(SELECT ARRAY[snapshot->'incident' ? 'title', snapshot->'incident' ? 'title_search'] FROM incident_reports)",
    ))
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(kept, [true, false], "the snapshot holds the incident's fields, not its search vector");
    let client = app.signed_in(w.emails[&Role::ClientContact]).await;
    assert_eq!(
        client.get(&format!("{path}/print")).await.status(),
        200,
        "a client contact reads a published report of their incident"
    );
}

#[tokio::test]
async fn a_report_names_its_problems_work_orders_articles_and_each_reader_sees_only_their_communications() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let closed = closed_incident(&mut conn, &w);
    let support = user_id(&mut conn, w.emails[&Role::TechnicalSupport]);
    let contact = user_id(&mut conn, w.emails[&Role::ClientContact]);
    let problem = text(
        &mut conn,
        &format!(
            "INSERT INTO problem_tickets (incident_id, title, issued_by_user) VALUES ({closed}, 'Broker disks fill up', {support}) RETURNING problem_id::text AS value"
        ),
    );
    conn.batch_execute(&format!(
        "INSERT INTO work_orders (incident_id, title, work_type, created_by_user, assigned_to_user) VALUES ({closed}, 'Replace broker disk', 'repair', {support}, {support});
         INSERT INTO work_orders (problem_id, title, work_type, created_by_user) VALUES ({problem}, 'Add disk alerts', 'configuration', {support});
         INSERT INTO knowledge_base_articles (incident_id, title, article_type, category, created_by_user, status) VALUES
           ({closed}, 'Freeing broker disk space', 'troubleshooting', 'technical', {support}, 'published'),
           ({closed}, 'Unfinished draft about disks', 'faq', 'technical', {support}, 'draft');
         INSERT INTO communications (incident_id, sender_id, recipient_id, recipient_type, communication_type, delivery_method, message) VALUES
           ({closed}, {support}, {support}, 'technical_team', 'update', 'chat', 'Staff only: the vendor patch is late'),
           ({closed}, {support}, NULL, 'client_contacts', 'update', 'email', 'To all of Acme: queues are back'),
           ({closed}, {support}, {contact}, NULL, 'resolution', 'email', 'To you: your orders went through')"
    ))
    .unwrap();
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let response = manager
        .post(
            "/reports",
            &[("incident_id", &closed.to_string()), ("report_type", "post_mortem"), ("status", "published")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let print = format!("{}/print", location(&response));
    let (_, staff) = manager.text(&print).await;
    for words in [
        "Problem tickets",
        "Broker disks fill up",
        "Work orders",
        "Replace broker disk",
        "Add disk alerts",
        "Knowledge base articles",
        "Freeing broker disk space",
        "Staff only: the vendor patch is late",
        "To all of Acme: queues are back",
        "To you: your orders went through",
    ] {
        assert!(staff.contains(words), "the report shows «{words}»: {staff}");
    }
    assert!(!staff.contains("Unfinished draft"), "a report cites published articles only");
    // The snapshot names the problem ticket and the work orders of its incident, its own and its problem's.
    let named: Vec<String> = diesel::select(diesel::dsl::sql::<diesel::sql_types::Array<diesel::sql_types::Text>>(
        "(SELECT ARRAY[snapshot->'problem_tickets'->0->>'title', snapshot->'work_orders'->0->>'title', \
          snapshot->'work_orders'->1->>'title'] FROM incident_reports)",
    ))
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(named, ["Broker disks fill up", "Replace broker disk", "Add disk alerts"]);

    let client = app.signed_in(w.emails[&Role::ClientContact]).await;
    let (status, theirs) = client.text(&print).await;
    assert_eq!(status, 200);
    assert!(theirs.contains("To all of Acme: queues are back") && theirs.contains("To you: your orders went through"));
    assert!(!theirs.contains("Staff only"), "a contact's print shows no staff-only communication: {theirs}");
}

#[tokio::test]
async fn change_approvals_need_an_executive_for_high_risk_and_rollbacks_roll_changes_back() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let support = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let executive = app.signed_in(w.emails[&Role::Executive]).await;
    let submit = async |risk: &str, kind: &str| {
        let response = support
            .post(
                "/changes",
                &[("title", "Kernel patch"), ("change_type", kind), ("risk_level", risk), ("justification", "CVE fix")],
            )
            .await;
        assert_eq!(response.status(), 303);
        location(&response).to_string()
    };
    let high = submit("high", "normal").await;
    let refused = manager.post(&format!("{high}/approve"), &[]).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("high-risk and emergency changes need an executive"));
    assert_eq!(executive.post(&format!("{high}/approve"), &[]).await.status(), 303);
    let (action, kind, _, changes) = last_audit(&mut conn);
    assert_eq!(
        (action.as_str(), kind.as_str(), changes["status"]["new"].as_str()),
        ("approve", "change_request", Some("approved"))
    );
    let id = high.rsplit('/').next().unwrap();
    assert_eq!(
        text(&mut conn, &format!("SELECT approved_by_user::text AS value FROM change_requests WHERE change_id = {id}")),
        user_id(&mut conn, w.emails[&Role::Executive]).to_string()
    );

    let low = submit("low", "standard").await;
    let no_reason = manager.post(&format!("{low}/reject"), &[("rejection_reason", "")]).await;
    assert_eq!(no_reason.status(), 422);
    assert_eq!(
        manager.post(&format!("{low}/reject"), &[("rejection_reason", "Not in this window")]).await.status(),
        303
    );
    assert_eq!(last_audit(&mut conn).0, "reject");

    // An incident manager may submit their own low-risk change already approved: create and approve.
    let before = audit_count(&mut conn);
    assert_eq!(
        manager
            .post(
                "/changes",
                &[
                    ("title", "Rotate logs"),
                    ("change_type", "standard"),
                    ("risk_level", "low"),
                    ("justification", "Disk"),
                    ("status", "approved")
                ]
            )
            .await
            .status(),
        303
    );
    assert_eq!(audit_count(&mut conn), before + 2);

    // The approved change goes ahead, fails, and is rolled back.
    let step = |status: &'static str, lock: &'static str| {
        vec![("title", "Kernel patch"), ("justification", "CVE fix"), ("status", status), ("lock_version", lock)]
    };
    assert_eq!(support.post(&high, &step("in_progress", "2")).await.status(), 303);
    let started = text(
        &mut conn,
        &format!("SELECT coalesce(actual_start_time::text, '') AS value FROM change_requests WHERE change_id = {id}"),
    );
    assert!(!started.is_empty(), "starting the change stamps its actual start");
    let jump = support.post(&high, &step("rolled_back", "3")).await;
    assert_eq!(jump.status(), 422, "rolled back only through a rollback");
    assert_eq!(support.post(&high, &step("failed", "3")).await.status(), 303);
    let rollback = support.post("/rollbacks", &[("change_id", id), ("justification", "Logins broke")]).await;
    assert_eq!(rollback.status(), 303);
    let rollback = location(&rollback).to_string();
    assert_eq!(support.post(&format!("{rollback}/execute"), &[]).await.status(), 409, "not approved yet");
    assert_eq!(manager.post(&format!("{rollback}/approve"), &[]).await.status(), 303);
    assert_eq!(support.post(&format!("{rollback}/execute"), &[]).await.status(), 303);
    assert_eq!(
        text(&mut conn, &format!("SELECT status AS value FROM change_requests WHERE change_id = {id}")),
        "rolled_back"
    );
    let (action, _, _, _) = last_audit(&mut conn);
    assert_eq!(action, "execute");
    let (_, change_page) = support.text(&high).await;
    assert!(change_page.contains(&format!("href=\"{rollback}\"")), "the change links to its rollback");
    let (_, rollback_page) = support.text(&rollback).await;
    assert!(rollback_page.contains(&format!("href=\"{high}\"")), "the rollback links to its change");
}

#[tokio::test]
async fn an_article_as_long_as_its_fields_allow_is_saved_in_any_script() {
    use incident_desk::forms::{MAX_LONG_TEXT, MAX_TEXT};
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let support = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    // Four-byte characters, which the form's encoding sends as twelve bytes each.
    let (title, body) = ("𝄞".repeat(MAX_TEXT), "𝄞".repeat(MAX_LONG_TEXT));
    let form = [("title", title.as_str()), ("article_type", "faq"), ("category", "technical"), ("body", &body)];
    let created = support.post("/kb", &form).await;
    assert_eq!(created.status(), 303);
    let stored = text(&mut conn, "SELECT length(body)::text AS value FROM knowledge_base_articles");
    assert_eq!(stored, MAX_LONG_TEXT.to_string());
}

#[tokio::test]
async fn articles_are_published_by_their_reviewer_and_contacts_see_only_published_ones() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let secret =
        incident(&mut conn, "Secret incident of Borealis", w.client_b, w.other_component, "resolved").to_string();
    let reviewer = user_id(&mut conn, w.emails[&Role::IncidentManager]).to_string();
    let support = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let created = support
        .post(
            "/kb",
            &[
                ("title", "Restarting the broker safely"),
                ("article_type", "troubleshooting"),
                ("category", "technical"),
                ("body", "Drain, then restart."),
                ("incident_id", &secret),
                ("reviewer_user", &reviewer),
            ],
        )
        .await;
    let path = location(&created).to_string();
    let article = |status: &'static str, lock: &'static str| {
        vec![
            ("title", "Restarting the broker safely"),
            ("article_type", "troubleshooting"),
            ("category", "technical"),
            ("body", "Drain, then restart."),
            ("reviewer_user", reviewer.as_str()),
            ("status", status),
            ("lock_version", lock),
        ]
    };
    let client = app.signed_in(w.emails[&Role::ClientContact]).await;
    assert_eq!(client.get(&path).await.status(), 404, "drafts are not for contacts");
    assert_eq!(support.post(&path, &article("under_review", "1")).await.status(), 303);
    let not_reviewer = support.post(&path, &article("published", "2")).await;
    assert_eq!(not_reviewer.status(), 403);
    assert!(not_reviewer.text().await.unwrap().contains("only the article"));
    assert_eq!(manager.post(&path, &article("published", "2")).await.status(), 303);
    let (status, page) = client.text(&path).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Drain, then restart.") && !page.contains("Secret incident"),
        "no link into an incident outside their scope"
    );
    let (_, list) = client.text("/kb").await;
    assert!(list.contains("Restarting the broker safely"));
    assert_eq!(client.get("/kb/new").await.status(), 403);
}

#[tokio::test]
async fn a_vendor_contact_moves_only_their_own_work_orders() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let vendor_id = user_id(&mut conn, w.emails[&Role::VendorContact]);
    let admin = user_id(&mut conn, w.emails[&Role::SystemAdministrator]);
    let order = |assignee: i32| {
        format!(
            "INSERT INTO work_orders (title, work_type, status, assigned_to_user, created_by_user) VALUES ('Swap disk', 'repair', 'assigned', {assignee}, {admin}) RETURNING workorder_id::text AS value"
        )
    };
    let mine = text(&mut conn, &order(vendor_id));
    let other = text(&mut conn, &order(admin));
    let vendor = app.signed_in(w.emails[&Role::VendorContact]).await;
    let (status, page) = vendor.text(&format!("/work-orders/{mine}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Change status") && !page.contains("/edit\""));
    assert_eq!(vendor.post(&format!("/work-orders/{mine}/status"), &[("status", "in_progress")]).await.status(), 303);
    assert_eq!(
        text(&mut conn, &format!("SELECT status AS value FROM work_orders WHERE workorder_id = {mine}")),
        "in_progress"
    );
    assert_eq!(
        vendor.post(&format!("/work-orders/{mine}/status"), &[("status", "created")]).await.status(),
        422,
        "a backwards move is refused"
    );
    assert_eq!(vendor.get(&format!("/work-orders/{other}")).await.status(), 404);
    assert_eq!(vendor.post(&format!("/work-orders/{other}/status"), &[("status", "in_progress")]).await.status(), 404);
    assert_eq!(
        vendor.post(&format!("/work-orders/{mine}"), &[("title", "Hijack"), ("lock_version", "2")]).await.status(),
        403
    );
}

#[tokio::test]
async fn reviews_cannot_be_bypassed_and_contacts_see_no_history() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let author = user_id(&mut conn, w.emails[&Role::TechnicalSupport]).to_string();
    let reviewer = user_id(&mut conn, w.emails[&Role::IncidentManager]).to_string();
    let support = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    let own = support
        .post(
            "/kb",
            &[
                ("title", "Self review"),
                ("article_type", "faq"),
                ("category", "process"),
                ("body", "x"),
                ("reviewer_user", &author),
            ],
        )
        .await;
    assert_eq!(own.status(), 422);
    assert!(own.text().await.unwrap().contains("other than the article"));

    let created = support
        .post(
            "/kb",
            &[
                ("title", "Broker FAQ"),
                ("article_type", "faq"),
                ("category", "process"),
                ("body", "Answers."),
                ("reviewer_user", &reviewer),
            ],
        )
        .await;
    let path = location(&created).to_string();
    let article = |reviewer: &str, status: &'static str, lock: &'static str| {
        vec![
            ("title", "Broker FAQ".to_string()),
            ("article_type", "faq".into()),
            ("category", "process".into()),
            ("body", "Answers.".into()),
            ("reviewer_user", reviewer.to_string()),
            ("status", status.into()),
            ("lock_version", lock.into()),
        ]
    };
    assert_eq!(support.post(&path, &pairs(&article(&reviewer, "under_review", "1"))).await.status(), 303);
    let swap = support.post(&path, &pairs(&article(&w.emails.len().to_string(), "published", "2"))).await;
    assert_eq!(swap.status(), 422, "the reviewer cannot be swapped once under review");
    let unchanged = support.post(&path, &pairs(&article(&reviewer, "under_review", "2"))).await;
    assert_eq!(unchanged.status(), 422, "a save that changes nothing is refused");
    assert!(unchanged.text().await.unwrap().contains("Nothing was changed"));
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    assert_eq!(manager.post(&path, &pairs(&article(&reviewer, "published", "2"))).await.status(), 303);

    let vendor = app.signed_in(w.emails[&Role::VendorContact]).await;
    let (status, page) = vendor.text(&path).await;
    assert_eq!(status, 200, "vendor contacts read published articles");
    assert!(!page.contains("History") && !page.contains("under_review"), "contacts see no audit history");
    let (_, staff_page) = manager.text(&path).await;
    assert!(staff_page.contains("History"));
}

#[tokio::test]
async fn imported_reports_print_their_incident() {
    let db = TestDb::new();
    let mut conn = db.conn();
    // The demo data set is in the reference's format: its reports carry no snapshot, and the import takes one.
    let hash = incident_desk::auth::password::hash(PASSWORD).unwrap();
    conn.transaction(|conn| {
        incident_desk::import::load(
            conn,
            &crate::import::demo_dataset(),
            &incident_desk::import::LoadOptions { password_hash: Some(&hash) },
        )
    })
    .unwrap();
    let app = TestApp::spawn_with(db);
    let login = incident_desk::demo::logins().into_iter().find(|l| l.role == Role::IncidentManager).unwrap();
    let manager = app.signed_in(login.email).await;
    let (status, print) = manager.text("/reports/1/print").await;
    assert_eq!(status, 200);
    let incident = text(
        &mut conn,
        "SELECT title AS value FROM incidents WHERE incident_id = (SELECT incident_id FROM incident_reports WHERE report_id = 1)",
    );
    assert!(print.contains(&incident), "the printout names its incident");
    assert!(!print.contains("not recorded"), "the audit head was recorded with the snapshot");
}

#[tokio::test]
async fn records_never_name_linked_records_outside_the_viewers_scope() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let ours = incident(&mut conn, "Acme incident", w.client_a, w.component, "open");
    let theirs = incident(&mut conn, "Borealis secret incident", w.client_b, w.other_component, "open");
    let issuer = user_id(&mut conn, w.emails[&Role::TechnicalSupport]);
    let problem = text(
        &mut conn,
        &format!(
            "INSERT INTO problem_tickets (incident_id, title, issued_by_user) VALUES ({theirs}, 'Borealis secret problem', {issuer}) RETURNING problem_id::text AS value"
        ),
    );
    let order = text(
        &mut conn,
        &format!(
            "INSERT INTO work_orders (title, work_type, incident_id, problem_id, created_by_user) VALUES ('Acme order', 'repair', {ours}, {problem}, {issuer}) RETURNING workorder_id::text AS value"
        ),
    );
    let scoped = app.signed_in(w.scoped_manager).await;
    let (status, page) = scoped.text(&format!("/work-orders/{order}")).await;
    assert_eq!(status, 200, "the order belongs to their client's incident");
    assert!(page.contains("Acme incident") && !page.contains("Borealis secret"), "{page}");
    let (_, staff) = app.signed_in(w.emails[&Role::IncidentManager]).await.text(&format!("/work-orders/{order}")).await;
    assert!(staff.contains("Borealis secret problem"), "unconfined staff see the link's name");
}
