//! One definition of "the incidents this actor may see", rendered many ways: as a diesel filter, embedded in
//! hand-written SQL (dashboards), in the described-records engine (incident summaries, reports, procedure records,
//! reference choices), and behind the pages (list, search, CSV export, incident pages, print views). Every
//! rendering returns the same incidents, for a client contact, a vendor contact with and without an escalation to
//! their vendor, staff, and a contact without an organisation. `Scope::sees`, which decides over an incident's
//! facts whom a communication may reach, gives the same answers.
use crate::fixtures::{self, World, world};
use crate::support::*;
use diesel::prelude::*;
use incident_desk::access::{Rows, Scope, Sight};
use incident_desk::db::prepared::prepared;
use incident_desk::domain::enums::Role;
use incident_desk::incidents::list::{ListFilter, Order};
use incident_desk::records::{procedures, queries as records, resources::INCIDENT_SUMMARY};
use std::collections::BTreeSet;

type Ids = BTreeSet<i32>;

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    id: i32,
}

/// The incidents, and what hangs off each: a published report and a problem ticket.
struct Setup {
    /// Client A's, on the first vendor's component.
    ours_supported: i32,
    /// Client A's, on the other vendor's component.
    ours_elsewhere: i32,
    /// Client B's, on the other vendor's component: escalated to the first vendor halfway through.
    theirs_escalated: i32,
    /// Client B's, on the first vendor's component.
    theirs_supported: i32,
}

fn setup(conn: &mut PgConnection, w: &World) -> Setup {
    let manager = fixtures::user_id(conn, w.emails[&Role::IncidentManager]);
    let mut incident = |title: &str, client, component| {
        let id = fixtures::incident(conn, &format!("{title} outage"), client, component, "open");
        for sql in [
            format!(
                "INSERT INTO incident_reports (incident_id, report_type, generated_by_user, status, snapshot) \
                 VALUES ({id}, 'post_mortem', {manager}, 'published', '{{}}') RETURNING report_id AS id"
            ),
            format!(
                "INSERT INTO problem_tickets (incident_id, title, issued_by_user) \
                 VALUES ({id}, 'Why {title}', {manager}) RETURNING problem_id AS id"
            ),
        ] {
            fixtures::insert(conn, &sql);
        }
        id
    };
    Setup {
        ours_supported: incident("Queue", w.client_a, w.component),
        ours_elsewhere: incident("Router", w.client_a, w.other_component),
        theirs_escalated: incident("Ledger", w.client_b, w.other_component),
        theirs_supported: incident("Broker", w.client_b, w.component),
    }
}

/// Every rendering of the scope's incidents, by name.
fn renderings(conn: &mut PgConnection, sight: Sight) -> Vec<(&'static str, Ids)> {
    let scope = sight.scope;
    let diesel_filter: Vec<i32> = incident_desk::incidents::queries::visible(scope)
        .select(incident_desk::schema::incidents::incident_id)
        .load(conn)
        .unwrap();
    let sql_text: Vec<Id> = prepared("SELECT incidents.incident_id AS id FROM incidents WHERE ")
        .fragment(scope.incidents())
        .load(conn)
        .unwrap();
    // The dashboards' panels are the start of the incident list, with its filters and orders: here every status,
    // newest first and by SLA deadline.
    let targets = incident_desk::service_levels::applicable(conn).unwrap();
    let now = incident_desk::incidents::queries::Deadlines { now: chrono::Utc::now(), targets: &targets };
    let panel = |conn: &mut PgConnection, order: Order| -> Ids {
        incident_desk::incidents::queries::top(conn, scope, &ListFilter::default(), order, 1000, now)
            .unwrap()
            .rows
            .into_iter()
            .map(|row| row.incident_id)
            .collect()
    };
    let dashboard = panel(conn, Order::Newest);
    let clocks_ids = panel(conn, Order::SlaDue);
    let counted: i64 = incident_desk::incidents::queries::totals_by_severity(conn, scope, &ListFilter::default(), now)
        .unwrap()
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert_eq!(counted as usize, dashboard.len(), "the dashboards' figures count what their lists show");
    let ids_of = |conn: &mut PgConnection, resource: &'static incident_desk::records::spec::Resource, sight: Sight| {
        let (rows, _) = records::list(conn, resource, sight, &[], 1).unwrap();
        rows.iter()
            .map(|row| match resource.field("incident_id") {
                Some(_) => row.integer("incident_id").unwrap() as i32,
                None => row.id,
            })
            .collect::<Ids>()
    };
    let summaries = ids_of(conn, &INCIDENT_SUMMARY, sight);
    let reports = ids_of(conn, &procedures::REPORTS, sight);
    // Procedure records the provider keeps for itself: the same scope, read as staff confined to it would.
    let problems = ids_of(conn, &procedures::PROBLEM_TICKETS, Sight { contact: false, ..sight });
    let choices = records::choices(conn, &procedures::INCIDENT_REF, sight)
        .unwrap()
        .into_iter()
        .map(|(id, _)| id.parse().unwrap())
        .collect();
    let reference_checked = diesel_filter
        .iter()
        .copied()
        .chain([i32::MAX])
        .filter(|id| records::reference_exists(conn, &procedures::INCIDENT_REF, &id.to_string(), sight).unwrap())
        .collect();
    // Decided over the facts, as for whom a communication may reach.
    let all_ids: Vec<i32> = incident_desk::schema::incidents::table
        .select(incident_desk::schema::incidents::incident_id)
        .load(conn)
        .unwrap();
    let by_facts = all_ids
        .into_iter()
        .filter(|id| scope.sees(&incident_desk::access::scope::incident_facts(conn, *id).unwrap().unwrap()))
        .collect();
    let condition: Vec<Id> = match sight.rows(Rows::Incidents, "incidents") {
        Some(condition) => prepared("SELECT incident_id AS id FROM incidents WHERE ").append(condition).load(conn),
        None => prepared("SELECT incident_id AS id FROM incidents").load(conn),
    }
    .unwrap();
    vec![
        ("diesel filter", diesel_filter.into_iter().collect()),
        ("hand-written SQL", sql_text.into_iter().map(|r| r.id).collect()),
        ("dashboard panels", dashboard),
        ("dashboard SLA clocks", clocks_ids),
        ("described incidents", summaries),
        ("described rows of incidents", condition.into_iter().map(|r| r.id).collect()),
        ("published reports", reports),
        ("problem tickets", problems),
        ("reference choices", choices),
        ("reference checks", reference_checked),
        ("decisions over the facts", by_facts),
    ]
}

/// What a signed-in person reaches through the pages: the list (every page), a search, the CSV export, each
/// incident's page and each report's print view.
async fn pages(browser: &Browser, conn: &mut PgConnection, all: &Ids) -> Vec<(&'static str, Ids)> {
    let linked = |page: &str| -> Ids {
        page.split("href=\"/incidents/")
            .skip(1)
            .filter_map(|rest| rest.split(['"', '/', '?']).next()?.parse().ok())
            .collect()
    };
    let (_, list) = browser.text("/incidents?status=").await;
    let (_, search) = browser.text("/incidents?q=outage").await;
    let (_, csv) = browser.text("/incidents.csv").await;
    let exported = csv.lines().skip(1).filter_map(|line| line.split(',').next()?.parse().ok()).collect();
    let mut shown = Ids::new();
    let mut printed = Ids::new();
    for &id in all {
        if browser.get(&format!("/incidents/{id}")).await.status() == 200 {
            shown.insert(id);
        }
        let report: i32 = {
            use incident_desk::schema::incident_reports::dsl::*;
            incident_reports.filter(incident_id.eq(id)).select(report_id).first(conn).unwrap()
        };
        if browser.get(&format!("/reports/{report}/print")).await.status() == 200 {
            printed.insert(id);
        }
    }
    vec![
        ("incident list", linked(&list)),
        ("search", linked(&search)),
        ("CSV export", exported),
        ("incident pages", shown),
        ("print views", printed),
    ]
}

fn assert_all(who: &str, expected: &Ids, renderings: &[(&str, Ids)]) {
    for (name, ids) in renderings {
        assert_eq!(ids, expected, "{who}: the {name} differ from the scope's incidents");
    }
}

#[tokio::test]
async fn every_rendering_of_the_scope_returns_the_same_incidents() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let s = setup(&mut conn, &w);
    let all: Ids = [s.ours_supported, s.ours_elsewhere, s.theirs_escalated, s.theirs_supported].into();
    let contact = |scope| Sight { scope, contact: true };
    let mut cases = vec![
        ("staff", Sight::EVERYTHING, all.clone(), Some(w.emails[&Role::IncidentManager])),
        (
            "a client contact",
            contact(Scope::Client(w.client_a)),
            [s.ours_supported, s.ours_elsewhere].into(),
            Some(w.emails[&Role::ClientContact]),
        ),
        (
            "a vendor contact",
            contact(Scope::Vendor(w.vendor)),
            [s.ours_supported, s.theirs_supported].into(),
            Some(w.emails[&Role::VendorContact]),
        ),
        ("a contact of no organisation", contact(Scope::Nothing), Ids::new(), None),
    ];
    let mut check = async |cases: &[(&str, Sight, Ids, Option<&str>)]| {
        for (who, sight, expected, email) in cases {
            assert_all(who, expected, &renderings(&mut conn, *sight));
            if let Some(email) = email {
                let browser = app.signed_in(email).await;
                assert_all(who, expected, &pages(&browser, &mut conn, &all).await);
            }
        }
    };
    check(&cases).await;
    // Escalated to the first vendor's contact: now theirs to see, in every rendering.
    let manager = fixtures::user_id(&mut app.db.conn(), w.emails[&Role::IncidentManager]);
    let vendor_contact = fixtures::user_id(&mut app.db.conn(), w.emails[&Role::VendorContact]);
    fixtures::insert(
        &mut app.db.conn(),
        &format!(
            "INSERT INTO incident_escalations (incident_id, escalated_by_user, escalated_to_user, escalation_level, \
             escalated_at, status) VALUES ({}, {manager}, {vendor_contact}, 'vendor', now(), 'active') \
             RETURNING escalation_id AS id",
            s.theirs_escalated
        ),
    );
    cases.retain(|(who, ..)| *who == "a vendor contact");
    cases[0].0 = "a vendor contact after an escalation to their vendor";
    cases[0].2 = [s.ours_supported, s.theirs_escalated, s.theirs_supported].into();
    check(&cases).await;
}
