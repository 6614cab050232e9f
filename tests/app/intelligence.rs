//! Incident intelligence: recent changes on the component and the suspected cause, and similar incidents, each
//! within the viewer's sight.
use crate::fixtures::{self, World, world};
use crate::support::*;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use incident_desk::access::{Scope, Sight};
use incident_desk::domain::enums::Role;
use incident_desk::intelligence::{Likeness, TitleMatch, queries};

/// A change request on `component` (or none) linked to `incident` (or none), whose window starts `hours` after
/// the target incident's detection (negative: before), as its actual start or only as scheduled.
fn change(
    conn: &mut PgConnection,
    title: &str,
    component: Option<i32>,
    incident: Option<i32>,
    hours: i32,
    actual: bool,
) -> i32 {
    let component = component.map_or("NULL".to_string(), |c| c.to_string());
    let incident = incident.map_or("NULL".to_string(), |i| i.to_string());
    let (actual_start, scheduled_start) = if actual {
        (format!("now() - interval '2 days' + interval '{hours} hours'"), "NULL".to_string())
    } else {
        ("NULL".to_string(), format!("now() - interval '2 days' + interval '{hours} hours'"))
    };
    fixtures::insert(
        conn,
        &format!(
            "INSERT INTO change_requests (title, change_type, risk_level, status, requesting_user, component_id, \
               incident_id, actual_start_time, scheduled_start_time) \
             VALUES ('{title}', 'normal', 'medium', 'completed', (SELECT min(user_id) FROM users), {component}, \
               {incident}, {actual_start}, {scheduled_start}) RETURNING change_id AS id"
        ),
    )
}

fn audit_count(conn: &mut PgConnection, action: &str) -> i64 {
    use incident_desk::schema::audit_logs::dsl;
    dsl::audit_logs.filter(dsl::action.eq(action)).count().get_result(conn).unwrap()
}

fn suspected(conn: &mut PgConnection, incident: i32) -> Option<i32> {
    use incident_desk::schema::incidents::dsl;
    dsl::incidents.find(incident).select(dsl::suspected_change_id).first(conn).unwrap()
}

#[tokio::test]
async fn recent_changes_on_the_component_can_be_marked_as_the_suspected_cause_and_rolled_back() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w: World = world(&mut conn);
    let incident = fixtures::incident(&mut conn, "Checkout errors", w.client_a, w.component, "open");
    let other = fixtures::incident(&mut conn, "Earlier slowness", w.client_a, w.component, "resolved");
    let day_before = change(&mut conn, "Upgrade the gateway", Some(w.component), None, -24, true);
    let too_early = change(&mut conn, "Old patch", Some(w.component), None, -80, false);
    let elsewhere = change(&mut conn, "Router firmware", Some(w.other_component), None, -1, true);
    let through = change(&mut conn, "Config push", None, Some(other), -10, false);
    let after = change(&mut conn, "Hotfix", Some(w.component), None, 1, true);
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let page_path = format!("/incidents/{incident}");
    let (_, page) = manager.text(&page_path).await;
    assert!(page.contains("Recent changes on this component"), "the panel is there");
    let shown = |id: i32| page.contains(&format!("href=\"/changes/{id}\""));
    assert!(shown(day_before), "started the day before on the component");
    assert!(shown(through), "linked to another incident on the component");
    assert!(page.contains(&format!("linked to <a href=\"/incidents/{other}\"")), "says through which incident");
    assert!(!shown(too_early) && !shown(elsewhere) && !shown(after), "outside the window or off the component");
    assert!(page.contains("Completed · Medium risk"), "status and risk in words");

    // Only a recent change may be marked; the refusal writes nothing but itself.
    let (updates_before, refusals_before) = (audit_count(&mut conn, "update"), audit_count(&mut conn, "refuse"));
    let refused = manager.post(&format!("{page_path}/suspected-cause"), &[("change_id", &too_early.to_string())]).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("is not among this incident"));
    assert_eq!(suspected(&mut conn, incident), None);
    assert_eq!(audit_count(&mut conn, "refuse"), refusals_before + 1, "the refusal is audited");

    let marked = manager.post(&format!("{page_path}/suspected-cause"), &[("change_id", &day_before.to_string())]).await;
    assert_eq!(marked.status(), 303);
    assert_eq!(suspected(&mut conn, incident), Some(day_before));
    assert_eq!(audit_count(&mut conn, "update"), updates_before + 1, "one audit entry");
    let (entity, changes): (String, serde_json::Value) = {
        use incident_desk::schema::audit_logs::dsl;
        dsl::audit_logs
            .filter(dsl::action.eq("update"))
            .order(dsl::audit_id.desc())
            .select((dsl::entity_id, dsl::changes))
            .first(&mut conn)
            .unwrap()
    };
    assert_eq!(entity, incident.to_string());
    assert_eq!(changes["suspected_change_id"]["new"], serde_json::json!(day_before.to_string()));

    // The suspected change offers a rollback request, filled in with the change and the incident.
    let (_, page) = manager.text(&page_path).await;
    assert!(page.contains("Suspected cause</span>"));
    let prefix = format!("/rollbacks/new?change_id={day_before}&amp;incident_id={incident}&amp;justification=");
    let at = page.find(&prefix).expect("a Request rollback link");
    let href = page[at..].split('"').next().unwrap().replace("&amp;", "&");
    let (status, form) = manager.text(&href).await;
    assert_eq!(status, 200);
    assert!(form.contains(&format!("<option value=\"{day_before}\" selected")), "the change is chosen");
    assert!(form.contains(&format!("<option value=\"{incident}\" selected")), "and the incident");
    assert!(form.contains(&format!("Suspected cause of incident {incident}: Checkout errors")), "and why");

    // Clearing the mark is one more audited change.
    assert_eq!(manager.post(&format!("{page_path}/suspected-cause"), &[("change_id", "")]).await.status(), 303);
    assert_eq!(suspected(&mut conn, incident), None);
    assert_eq!(audit_count(&mut conn, "update"), updates_before + 2);

    // Contacts do not read the provider's change requests: no panel, and no marking.
    let contact = app.signed_in(w.emails[&Role::ClientContact]).await;
    let (status, page) = contact.text(&page_path).await;
    assert_eq!(status, 200);
    assert!(!page.contains("Recent changes on this component") && !page.contains("Upgrade the gateway"));
    let refused =
        contact.post(&format!("{page_path}/suspected-cause"), &[("change_id", &day_before.to_string())]).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(suspected(&mut conn, incident), None);
}

/// A resolved incident `days` ago with this title, category, client and component.
fn resolved(conn: &mut PgConnection, title: &str, category: &str, client: i32, component: i32, days: i32) -> i32 {
    let id = fixtures::incident(conn, title, client, component, "resolved");
    diesel::sql_query(format!(
        "UPDATE incidents SET category = '{category}', resolution_timestamp = now() - interval '{days} days' \
         WHERE incident_id = {id}"
    ))
    .execute(conn)
    .unwrap();
    id
}

#[tokio::test]
async fn similar_incidents_rank_by_component_product_category_then_title_within_sight() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let sibling = fixtures::insert(
        &mut conn,
        &format!(
            "INSERT INTO infrastructure_components (component_name, component_type, environment, product_id) \
             VALUES ('gateway-02', 'Server', 'production', {}) RETURNING component_id AS id",
            w.product
        ),
    );
    let target = fixtures::incident(&mut conn, "Payment gateway timeouts at checkout", w.client_a, w.component, "open");
    let unalike = resolved(&mut conn, "Disk full on reporting server", "Hardware", w.client_a, w.component, 1);
    let alike = resolved(&mut conn, "Payment gateway timeouts", "Hardware", w.client_a, w.component, 5);
    let product = resolved(&mut conn, "Backup job overran", "Hardware", w.client_a, sibling, 1);
    let category = resolved(&mut conn, "Mail queue stalls", "Performance", w.client_a, w.other_component, 1);
    let title =
        resolved(&mut conn, "Payment gateway timeouts at checkout page", "Network", w.client_a, w.other_component, 1);
    fixtures::incident(&mut conn, "Payment gateway timeouts still open", w.client_a, w.component, "open");
    let other_client = resolved(&mut conn, "Client B secret outage", "Hardware", w.client_b, w.component, 1);
    let workaround = fixtures::insert(
        &mut conn,
        &format!(
            "INSERT INTO workarounds (incident_id, description, effectiveness_level, implemented_by_user, implemented_at) \
             VALUES ({alike}, 'Raise the gateway timeout to 30 s', 'minimal_impact', (SELECT min(user_id) FROM users), now()) \
             RETURNING workaround_id AS id"
        ),
    );
    let analysis = fixtures::insert(
        &mut conn,
        &format!(
            "INSERT INTO root_cause_analysis (incident_id, conducted_by_user, analysis_method, status, findings) \
             VALUES ({alike}, (SELECT min(user_id) FROM users), 'five_whys', 'completed', 'Connection pool too small') \
             RETURNING analysis_id AS id"
        ),
    );
    let article = fixtures::insert(
        &mut conn,
        &format!(
            "INSERT INTO knowledge_base_articles (incident_id, title, article_type, category, created_by_user, status) \
             VALUES ({alike}, 'Tuning the gateway pool', 'troubleshooting', 'process', (SELECT min(user_id) FROM users), 'published') \
             RETURNING article_id AS id"
        ),
    );
    let incident = {
        use incident_desk::schema::incidents::dsl;
        dsl::incidents.find(target).select(incident_desk::incidents::Incident::as_select()).first(&mut conn).unwrap()
    };
    // Staff confined to client A: the ranking, with trigram likeness and with the full-text fallback alike.
    let staff_of_a = Sight { scope: Scope::Client(w.client_a), contact: false };
    for matching in [TitleMatch::Trigram, TitleMatch::FullText] {
        let insight = queries::insight(&mut conn, &incident, staff_of_a, true, matching).unwrap();
        let ranked: Vec<(i32, Likeness)> = insight.similar.iter().map(|s| (s.incident_id, s.likeness)).collect();
        assert_eq!(
            ranked,
            [
                (alike, Likeness::SameComponent),
                (unalike, Likeness::SameComponent),
                (product, Likeness::SameProduct),
                (category, Likeness::SameCategory),
                (title, Likeness::AlikeTitle),
            ],
            "{matching:?}"
        );
        let fixes = &insight.similar[0];
        assert_eq!(fixes.workarounds.iter().map(|f| f.id).collect::<Vec<_>>(), [workaround]);
        assert_eq!(fixes.analyses[0].text, "Connection pool too small");
        assert_eq!((fixes.articles[0].id, fixes.articles[0].text.as_str()), (article, "Tuning the gateway pool"));
        assert_eq!(fixes.analyses[0].id, analysis);
    }
    // Over HTTP: staff of every client see client B's incident among them; client A's contact never does, nor
    // the provider's internal workarounds, but does see the published article.
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let (_, page) = manager.text(&format!("/incidents/{target}")).await;
    assert!(page.contains("Similar incidents") && page.contains("Client B secret outage"));
    assert!(page.contains("Raise the gateway timeout to 30 s") && page.contains("Connection pool too small"));
    let contact = app.signed_in(w.emails[&Role::ClientContact]).await;
    let (status, page) = contact.text(&format!("/incidents/{target}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("href=\"/incidents/{alike}\"")), "their own client's similar incident");
    assert!(!page.contains("Client B secret outage") && !page.contains(&format!("/incidents/{other_client}\"")));
    assert!(!page.contains("Raise the gateway timeout") && page.contains("Tuning the gateway pool"));
}

/// The last path segment of a redirect: the id of what was created.
fn created_id(response: &reqwest::Response) -> i32 {
    let location = response.headers()["location"].to_str().unwrap();
    location.rsplit('/').next().unwrap().parse().unwrap_or_else(|_| panic!("an id in {location}"))
}

#[tokio::test]
async fn a_review_opens_with_the_incidents_story_and_raises_follow_up_actions_that_print_with_it() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let incident = fixtures::incident(&mut conn, "Checkout errors", w.client_a, w.component, "closed");
    let gateway = change(&mut conn, "Upgrade the gateway", Some(w.component), None, -24, true);
    let manager_id = fixtures::user_id(&mut conn, w.emails[&Role::IncidentManager]);
    let support_id = fixtures::user_id(&mut conn, w.emails[&Role::TechnicalSupport]);
    conn.batch_execute(&format!(
        "UPDATE incidents SET acknowledged_at = detection_timestamp + interval '20 minutes', \
           resolution_timestamp = detection_timestamp + interval '3 hours', closed_at = now() - interval '1 day', \
           suspected_change_id = {gateway} WHERE incident_id = {incident};
         INSERT INTO incident_escalations (incident_id, escalated_by_user, escalated_to_user, escalation_level, reason, escalated_at) \
           VALUES ({incident}, {manager_id}, {support_id}, 'technical', 'Needs the gateway team', now() - interval '47 hours');
         INSERT INTO workarounds (incident_id, description, effectiveness_level, implemented_by_user, implemented_at) \
           VALUES ({incident}, 'Route payments through the standby gateway', 'minimal_impact', {support_id}, now() - interval '46 hours');
         INSERT INTO root_cause_analysis (incident_id, conducted_by_user, analysis_method, status, findings) \
           VALUES ({incident}, {support_id}, 'five_whys', 'completed', 'The upgrade halved the connection pool');
         INSERT INTO communications (incident_id, sender_id, recipient_type, communication_type, delivery_method, delivery_status, sent_at, message) \
           VALUES ({incident}, {manager_id}, 'client_contacts', 'update', 'email', 'sent', now() - interval '46 hours', 'We are on it')"
    ))
    .unwrap_or_else(|e| panic!("the incident's story: {e}"));
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;

    // The new review's notes are a draft of the story, which the facilitator edits before saving.
    let (status, form) = manager.text(&format!("/reviews/new?incident_id={incident}")).await;
    assert_eq!(status, 200);
    let notes = form.split("name=\"notes\"").nth(1).expect("the notes box").split("</textarea>").next().unwrap();
    for told in [
        "- Detected: ",
        "- Acknowledged: ",
        "- Closed: ",
        "- Time to acknowledge: 20 min",
        "- Time to resolve: 3 h 0 min",
        "Suspected cause: change ",
        "Upgrade the gateway",
        "technical escalation to",
        "Route payments through the standby gateway",
        "The upgrade halved the connection pool",
        "update to client contacts",
    ] {
        assert!(notes.contains(told), "the draft tells {told:?}:\n{notes}");
    }
    let saved = manager
        .post(
            "/reviews",
            &[
                ("incident_id", &incident.to_string()),
                ("facilitator_user", &manager_id.to_string()),
                ("scheduled_date", "2026-12-01T10:00"),
                ("overall_rating", "good"),
                ("notes", "Key times: as drafted. Action agreed: restore the pool size."),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303, "the review is saved");
    let review = created_id(&saved);

    // The review raises a follow-up action: a work order on its incident.
    let review_path = format!("/reviews/{review}");
    let (_, page) = manager.text(&review_path).await;
    assert!(page.contains("Follow-up actions: none raised yet."));
    let raise = format!("/work-orders/new?incident_id={incident}&#38;review_id={review}");
    assert!(page.contains(&raise), "a link raises one");
    let (_, order_form) = manager.text(&raise.replace("&#38;", "&")).await;
    assert!(order_form.contains(&format!("<option value=\"{review}\" selected")));
    let order = |incident: i32| {
        vec![
            ("title", "Restore the gateway pool size".to_string()),
            ("work_type", "configuration".to_string()),
            ("incident_id", incident.to_string()),
            ("review_id", review.to_string()),
        ]
    };
    let pairs = |fields: &[(&'static str, String)]| fields.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let other = fixtures::incident(&mut conn, "Unrelated", w.client_a, w.component, "open");
    let wrong: Vec<(&str, String)> = pairs(&order(other));
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = manager.post("/work-orders", &wrong).await;
    assert_eq!(refused.status(), 422, "a follow-up action is on its review's incident");
    assert!(refused.text().await.unwrap().contains(&format!("is of incident {incident}; choose that incident")));
    let right: Vec<(&str, String)> = pairs(&order(incident));
    let right: Vec<(&str, &str)> = right.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let raised = manager.post("/work-orders", &right).await;
    assert_eq!(raised.status(), 303);
    let work_order = created_id(&raised);
    let (_, page) = manager.text(&review_path).await;
    assert!(page.contains("Follow-up actions: 0 of 1 done.") && page.contains("Follow-up actions (1)"));
    diesel::sql_query(format!("UPDATE work_orders SET status = 'completed' WHERE workorder_id = {work_order}"))
        .execute(&mut conn)
        .unwrap();
    let (_, page) = manager.text(&review_path).await;
    assert!(page.contains("Follow-up actions: 1 of 1 done."));
    let (_, incident_page) = manager.text(&format!("/incidents/{incident}")).await;
    assert!(incident_page.contains("Created a work order: Restore the gateway pool size"), "on the incident too");

    // A report generated now prints the review and its follow-up action.
    let executive = app.signed_in(w.emails[&Role::Executive]).await;
    let report = executive
        .post(
            "/reports",
            &[("incident_id", &incident.to_string()), ("report_type", "post_mortem"), ("status", "published")],
        )
        .await;
    assert_eq!(report.status(), 303);
    let report_id = created_id(&report);
    let (_, printed) = executive.text(&format!("/reports/{report_id}/print")).await;
    assert!(printed.contains("Action agreed: restore the pool size."), "the review");
    assert!(printed.contains(&format!("Report {report_id}: Post mortem")), "its title reads as a title");
    assert!(
        printed.contains("Restore the gateway pool size")
            && printed.contains(&format!("Post-incident review {review}"))
    );
}
