//! Dashboards: each role's panels, within its scope.
use crate::fixtures::{incident, world};
use crate::support::*;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use incident_desk::access::Scope;
use incident_desk::domain::enums::Role;

#[tokio::test]
async fn every_role_has_a_dashboard_and_contacts_see_only_their_scope() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    incident(&mut conn, "Acme queue outage", w.client_a, w.component, "open");
    incident(&mut conn, "Borealis router flaps", w.client_b, w.other_component, "open");
    let expectations: &[(Role, &[&str], &[&str])] = &[
        (
            Role::IncidentManager,
            &[
                "SLA clocks at risk or breached",
                "Unassigned, most severe first",
                "Active incidents with an active escalation",
                "Approvals waiting",
                "Active P2 High",
                "Incidents per week, by severity",
            ],
            &[],
        ),
        (
            Role::TechnicalSupport,
            &[
                "My incidents, oldest first",
                "Unassigned, most severe first",
                "My open work orders",
                "Waiting for a root cause analysis or a workaround",
                "Acme queue outage",
            ],
            &[],
        ),
        (
            Role::AccountManager,
            &["Active incidents of my clients", "SLA compliance by client", "Subscriptions ending within 30 days"],
            &[],
        ),
        (
            Role::Executive,
            &[
                "Approvals waiting for an executive",
                "Active P1 and P2 incidents",
                "Mean time to acknowledge and to resolve",
                "SLA compliance by client",
            ],
            &[],
        ),
        (
            Role::SystemAdministrator,
            &["Users by status", "Components degraded or offline", "Audit chain", "Intact"],
            &[],
        ),
        (Role::ClientContact, &["Our incidents", "Latest communications to us", "Acme queue outage"], &["Borealis"]),
        (
            Role::VendorContact,
            &["Active incidents on our products", "Our open work orders", "Acme queue outage"],
            &["Borealis"],
        ),
    ];
    for (role, shown, hidden) in expectations {
        let browser = app.signed_in(w.emails[role]).await;
        let (status, page) = browser.text("/").await;
        assert_eq!(status, 200, "{role:?}");
        assert!(page.contains(&format!("<h1>{} dashboard</h1>", role.label())), "{role:?}");
        for text in *shown {
            assert!(page.contains(text), "{role:?} dashboard shows «{text}»");
        }
        for text in *hidden {
            assert!(!page.contains(text), "{role:?} dashboard never shows «{text}»");
        }
    }
}

#[tokio::test]
async fn a_scoped_dashboard_never_counts_another_clients_incidents() {
    use incident_desk::access::Scope;
    use incident_desk::incidents::{list::ListFilter, queries::totals_by_severity};
    let db = TestDb::new();
    let mut conn = db.conn();
    let w = world(&mut conn);
    for _ in 0..3 {
        incident(&mut conn, "Borealis issue", w.client_b, w.other_component, "open");
    }
    incident(&mut conn, "Acme issue", w.client_a, w.component, "investigating");
    let count = |conn: &mut PgConnection, scope| {
        let targets = incident_desk::service_levels::Targets::default();
        let deadlines = incident_desk::incidents::queries::Deadlines { now: chrono::Utc::now(), targets: &targets };
        let totals = totals_by_severity(conn, scope, &ListFilter::active(), deadlines).unwrap();
        totals.iter().map(|(_, n)| n).sum::<i64>()
    };
    assert_eq!(count(&mut conn, Scope::All), 4);
    assert_eq!(count(&mut conn, Scope::Client(w.client_a)), 1);
    assert_eq!(count(&mut conn, Scope::Vendor(w.vendor)), 1);
    assert_eq!(count(&mut conn, Scope::Vendor(w.other_vendor)), 3);
    assert_eq!(count(&mut conn, Scope::Nothing), 0);
}

#[tokio::test]
async fn the_manager_sees_the_twenty_longest_running_clocks_at_risk_past_any_number_of_calm_ones() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    diesel::sql_query(format!("INSERT INTO service_level_agreements (subscription_id, severity_level, response_time_minutes, resolution_time_hours) VALUES ({}, 'P2', 60, 8)", w.subscription_a)).execute(&mut conn).unwrap();
    let open = |title: &str, client: i32, component: i32, detected: &str, acknowledged: &str, n: i32| {
        format!(
            "INSERT INTO incidents (title, category, severity, impact_level, urgency_level, status, client_id, component_id, reporter_user_id, detection_timestamp, acknowledged_at, created_at) \
             SELECT format('{title} %s', lpad(n::text, 3, '0')), 'Performance', 'P2', 'high', 'high', 'investigating', {client}, {component}, \
                    (SELECT min(user_id) FROM users), {detected}, {acknowledged}, now() FROM generate_series(1, {n}) n"
        )
    };
    for sql in [
        // Longer-running than any other, but with no SLA: more than the walk reads at once (and than the 1,000 open
        // incidents the dashboard used to read), none needs attention.
        open(
            "Calm",
            w.client_b,
            w.other_component,
            "now() - interval '30 days' + n * interval '1 minute'",
            "NULL",
            1010,
        ),
        // Acknowledged in time, seven hours into an eight-hour resolution target: at risk, oldest first by number.
        open("Risky", w.client_a, w.component, "now() - interval '7 hours' - n * interval '1 minute'", "now()", 22),
        open("Running", w.client_a, w.component, "now() - interval '1 hour'", "now()", 3),
    ] {
        diesel::sql_query(sql).execute(&mut conn).unwrap();
    }
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let (status, page) = manager.text("/").await;
    assert_eq!(status, 200);
    let panel =
        page.split_once("SLA clocks at risk or breached").and_then(|(_, p)| p.split("</table>").next()).unwrap();
    let shown: Vec<&str> = panel.match_indices("Risky ").map(|(at, _)| &panel[at..at + 9]).collect();
    let expected: Vec<String> = (3..=22).rev().map(|n| format!("Risky {n:03}")).collect();
    assert_eq!(shown, expected, "the 20 longest-running at-risk clocks, longest first: {panel}");
    assert!(
        page.contains("most severe first <span class=\"panel-count\">(20 of 22)</span>"),
        "the panel says it is cut"
    );
    assert!(panel.contains("At risk: "), "{panel}");
    assert!(!panel.contains("Calm") && !panel.contains("Running"), "only clocks that need attention: {panel}");
}

#[tokio::test]
async fn support_sees_open_incidents_that_lack_an_analysis_or_a_workaround_and_not_those_with_both() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let analysed = |conn: &mut PgConnection, incident: i32| {
        diesel::sql_query(format!("INSERT INTO root_cause_analysis (incident_id, conducted_by_user, analysis_method) SELECT {incident}, min(user_id), 'timeline_analysis' FROM users")).execute(conn).unwrap();
    };
    let worked_around = |conn: &mut PgConnection, incident: i32| {
        diesel::sql_query(format!("INSERT INTO workarounds (incident_id, implemented_by_user, effectiveness_level, implemented_at) SELECT {incident}, min(user_id), 'partial_mitigation', now() FROM users")).execute(conn).unwrap();
    };
    let both = incident(&mut conn, "Has both", w.client_a, w.component, "open");
    analysed(&mut conn, both);
    worked_around(&mut conn, both);
    let analysis_only = incident(&mut conn, "Analysis only", w.client_a, w.component, "open");
    analysed(&mut conn, analysis_only);
    let workaround_only = incident(&mut conn, "Workaround only", w.client_a, w.component, "investigating");
    worked_around(&mut conn, workaround_only);
    incident(&mut conn, "Neither yet", w.client_a, w.component, "open");
    incident(&mut conn, "Closed without", w.client_a, w.component, "closed");
    let support = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    let (_, page) = support.text("/").await;
    let panel = page.split_once("Waiting for a root cause analysis or a workaround").unwrap().1;
    for title in ["Analysis only", "Workaround only", "Neither yet"] {
        assert!(panel.contains(title), "{title} waits: {panel}");
    }
    assert!(!panel.contains("Has both") && !panel.contains("Closed without"), "{panel}");
}

#[tokio::test]
async fn a_breached_sla_shows_on_the_incident_list_page_and_manager_dashboard() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    diesel::sql_query(format!("INSERT INTO service_level_agreements (subscription_id, severity_level, response_time_minutes, resolution_time_hours) VALUES ({}, 'P2', 60, 8)", w.subscription_a)).execute(&mut conn).unwrap();
    let late = incident(&mut conn, "Late one", w.client_a, w.component, "open");
    incident(&mut conn, "No SLA here", w.client_b, w.other_component, "open");
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let (_, list) = manager.text("/incidents").await;
    assert!(list.contains("Breached by 1 d") && list.contains("No applicable SLA"), "{list}");
    let (_, page) = manager.text(&format!("/incidents/{late}")).await;
    assert!(page.contains("Response: Breached by") && page.contains("Resolution: Breached by"));
    let (_, dashboard) = manager.text("/").await;
    let clocks = dashboard.split_once("SLA clocks at risk").and_then(|(_, p)| p.split("</section>").next()).unwrap();
    assert!(clocks.contains("Late one") && !clocks.contains("No SLA here"), "only clocks that need attention");
}

#[tokio::test]
async fn the_csv_export_is_the_filtered_list_within_scope_and_search_finds_titles_and_messages() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    incident(&mut conn, "Printer queue jammed", w.client_a, w.component, "open");
    incident(&mut conn, "=HYPERLINK(\"http://evil\")", w.client_a, w.component, "closed");
    incident(&mut conn, "Borealis printer down", w.client_b, w.other_component, "open");
    let b_mail = incident(&mut conn, "Borealis mail slow", w.client_b, w.other_component, "open");
    let manager_id = crate::fixtures::user_id(&mut conn, w.emails[&Role::IncidentManager]);
    diesel::sql_query(format!("INSERT INTO communications (incident_id, sender_id, recipient_type, communication_type, delivery_method, message) VALUES ({b_mail}, {manager_id}, 'technical_team', 'update', 'email', 'The printer spooler restarted')")).execute(&mut conn).unwrap();

    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let (_, list) = manager.text("/incidents?status=open").await;
    assert!(list.contains("href=\"/incidents.csv?status=open\""), "the export link carries the filter");
    let csv = manager.get("/incidents.csv?status=open").await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    assert_eq!(csv.lines().count(), 4, "a header and the three open incidents: {csv}");
    assert!(!csv.contains("HYPERLINK"), "closed ones are filtered out");
    let all = manager.text("/incidents.csv?status=").await.1;
    assert!(all.contains("'=HYPERLINK"), "formulas are neutralised: {all}");

    let (_, found) = manager.text("/incidents?q=printer").await;
    assert!(
        found.contains("Printer queue jammed")
            && found.contains("Borealis printer down")
            && found.contains("Borealis mail slow"),
        "titles and messages"
    );
    assert!(!found.contains("HYPERLINK"));

    let client = app.signed_in(w.emails[&Role::ClientContact]).await;
    let theirs = client.text("/incidents.csv").await.1;
    assert!(theirs.contains("Printer queue jammed") && !theirs.contains("Borealis"), "the export respects scope");
    let (_, searched) = client.text("/incidents?q=printer").await;
    assert!(searched.contains("Printer queue jammed") && !searched.contains("Borealis"));
    assert_eq!(client.get("/incidents?q=a%00b").await.status(), 400);
}

#[tokio::test]
async fn the_incident_list_sorts_and_pages_by_keyset_through_a_hundred_thousand_incidents() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let reporter = crate::fixtures::user_id(&mut conn, w.emails[&Role::IncidentManager]);
    diesel::sql_query(format!(
        "INSERT INTO incidents (title, category, severity, impact_level, urgency_level, status, client_id, component_id, reporter_user_id, detection_timestamp, created_at) \
         SELECT 'Bulk incident ' || n, 'Performance', (ARRAY['P1','P2','P3','P4'])[1 + n % 4], 'low', 'low', (ARRAY['open','investigating','in_progress','resolved','closed'])[1 + n % 5], \
                CASE WHEN n % 2 = 0 THEN {} ELSE {} END, {}, {reporter}, now() - n * interval '1 minute', now() - n * interval '1 minute' \
         FROM generate_series(1, 100000) AS n",
        w.client_a, w.client_b, w.component
    ))
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query("ANALYZE incidents").execute(&mut conn).unwrap();
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let (_, first) = manager.text("/incidents?status=").await;
    assert!(first.contains("showing 1–50 of 100000") && first.contains("Bulk incident 1<"), "newest first");
    // Follow "next" links: each carries the last row seen, so the database seeks rather than counts rows off.
    let mut page = first;
    for number in 2..=4 {
        let next = page
            .split("rel=\"next\"")
            .next()
            .and_then(|before| before.rsplit("href=\"").next())
            .and_then(|link| link.split('"').next())
            .unwrap()
            .replace("&#38;", "&");
        assert!(next.contains("after="), "{next}");
        page = manager.text(&next).await.1;
        let expected = format!("Bulk incident {}<", (number - 1) * 50 + 1);
        assert!(page.contains(&expected), "page {number} starts at {expected}");
    }
    let (_, by_severity) = manager.text("/incidents?sort=severity").await;
    assert!(by_severity.contains("aria-sort=\"ascending\"") && !by_severity.contains("badge severity-P4"), "P1 first");
    assert_eq!(manager.get("/incidents?after=garbage").await.status(), 400);
    assert_eq!(manager.get("/incidents?sort=title").await.status(), 400);

    // The plan for a deep keyset page uses the index rather than reading every row before it.
    let plan: Vec<String> = {
        #[derive(QueryableByName)]
        struct Line {
            #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
            line: String,
        }
        diesel::sql_query(
            "EXPLAIN SELECT incident_id FROM incidents WHERE created_at < now() - interval '90000 minutes' \
             OR (created_at = now() - interval '90000 minutes' AND incident_id < 1) ORDER BY created_at DESC, incident_id DESC LIMIT 50",
        )
        .load::<Line>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect()
    };
    assert!(plan.iter().any(|l| l.contains("incidents_created_idx")), "{plan:?}");
}

/// The history figures as the dashboards showed them before the summaries: aggregated over every incident and
/// metric, the oracle the summaries must agree with. Returns the months, the weeks and the compliance rows as text.
fn history_from_the_tables(
    conn: &mut PgConnection,
    client: Option<i32>,
    now: chrono::DateTime<chrono::Utc>,
) -> [Vec<String>; 3] {
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text)]
        line: String,
    }
    let read = |conn: &mut PgConnection, sql: &str| -> Vec<String> {
        diesel::sql_query(sql)
            .bind::<diesel::sql_types::Nullable<diesel::sql_types::Integer>, _>(client)
            .bind::<diesel::sql_types::Timestamptz, _>(now)
            .load::<Line>(conn)
            .unwrap()
            .into_iter()
            .map(|l| l.line)
            .collect()
    };
    let months = read(
        conn,
        "SELECT to_char(date_trunc('month', detection_timestamp AT TIME ZONE 'UTC'), 'YYYY-MM') || ' ' \
                || coalesce((avg(extract(epoch FROM acknowledged_at - detection_timestamp)) / 60)::float8::text, '-') || ' ' \
                || coalesce((avg(extract(epoch FROM resolution_timestamp - detection_timestamp)) / 60)::float8::text, '-') || ' ' \
                || count(*) AS line \
         FROM incidents WHERE ($1::integer IS NULL OR client_id = $1) \
           AND detection_timestamp AT TIME ZONE 'UTC' >= date_trunc('month', $2 AT TIME ZONE 'UTC') - interval '5 months' \
         GROUP BY date_trunc('month', detection_timestamp AT TIME ZONE 'UTC') ORDER BY 1",
    );
    let weeks = read(
        conn,
        "SELECT to_char(date_trunc('week', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') || ' ' || severity || ' ' \
                || count(*) AS line \
         FROM incidents WHERE ($1::integer IS NULL OR client_id = $1) \
           AND created_at AT TIME ZONE 'UTC' >= date_trunc('week', $2 AT TIME ZONE 'UTC') - interval '7 weeks' \
         GROUP BY date_trunc('week', created_at AT TIME ZONE 'UTC'), severity ORDER BY 1",
    );
    let compliance = read(
        conn,
        "SELECT c.client_name || ' ' || count(*) || ' ' \
                || count(*) FILTER (WHERE m.calculated_value_minutes <= m.target_minutes) AS line \
         FROM performance_metrics m JOIN incidents i USING (incident_id) JOIN clients c ON c.client_id = i.client_id \
         WHERE m.target_minutes IS NOT NULL AND ($1::integer IS NULL OR i.client_id = $1) AND $2 IS NOT NULL \
         GROUP BY c.client_name ORDER BY c.client_name",
    );
    [months, weeks, compliance]
}

/// The history figures the dashboards read, as `history_from_the_tables` writes them.
fn history_from_the_summaries(
    conn: &mut PgConnection,
    scope: Scope,
    now: chrono::DateTime<chrono::Utc>,
) -> [Vec<String>; 3] {
    use incident_desk::dashboards::queries::{HistoryParts, history};
    let parts = HistoryParts { months: true, weeks: true, compliance: true };
    let figures = history(conn, scope, now, parts).unwrap();
    let minutes = |m: Option<f64>| m.map_or("-".to_string(), |m| m.to_string());
    [
        figures
            .months
            .iter()
            .map(|m| format!("{} {} {} {}", m.month, minutes(m.mtta_minutes), minutes(m.mttr_minutes), m.incidents))
            .collect(),
        figures.weeks.iter().map(|w| format!("{} {} {}", w.week, w.severity, w.n)).collect(),
        figures.compliance.iter().map(|c| format!("{} {} {}", c.client_name, c.measured, c.met)).collect(),
    ]
}

#[test]
fn the_dashboards_history_figures_stay_equal_to_the_tables_through_reports_changes_and_metrics() {
    use incident_desk::clock::Clock;
    use incident_desk::domain::enums::IncidentStatus;
    use incident_desk::incidents::service as incidents;
    use incident_desk::records::{procedures, service as records};
    let db = TestDb::new();
    let mut conn = db.conn();
    let hash = incident_desk::auth::password::hash("a long password").unwrap();
    conn.transaction(|conn| {
        incident_desk::import::load(
            conn,
            &crate::import::demo_dataset(),
            &incident_desk::import::LoadOptions { password_hash: Some(&hash) },
        )
    })
    .unwrap();
    let now = chrono::Utc::now();
    let clock = Clock::fixed(now);
    let manager_email =
        incident_desk::demo::logins().into_iter().find(|l| l.role == Role::IncidentManager).unwrap().email;
    let manager_id = crate::fixtures::user_id(&mut conn, manager_email);
    let manager = incident_desk::users::queries::find(&mut conn, manager_id).unwrap().unwrap();
    #[derive(QueryableByName)]
    struct Target {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        client_id: i32,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        component_id: i32,
    }
    let Target { client_id: client, component_id: component } =
        diesel::sql_query("SELECT client_id, component_id FROM incidents ORDER BY incident_id LIMIT 1")
            .get_result(&mut conn)
            .unwrap();
    let scopes = [(Scope::All, None), (Scope::Client(client), Some(client))];
    let agree = |conn: &mut PgConnection, step: &str| {
        for (scope, client) in scopes {
            let read = history_from_the_summaries(conn, scope, now);
            let tables = history_from_the_tables(conn, client, now);
            assert_eq!(read[1..], tables[1..], "{step}, {scope:?}");
            // Mean times: the same to a millionth of a minute (the summaries divide exact sums; the tables average).
            let numbers = |lines: &[String]| -> Vec<Vec<f64>> {
                lines
                    .iter()
                    .map(|l| l.split(' ').map(|w| w.replace('-', "").parse().unwrap_or(-1.0)).collect())
                    .collect()
            };
            let (a, b) = (numbers(&read[0]), numbers(&tables[0]));
            let close = a.len() == b.len()
                && a.iter()
                    .zip(&b)
                    .all(|(x, y)| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| (p - q).abs() < 1e-6));
            assert!(close, "{step}, {scope:?}: months\n{:?}\n{:?}", read[0], tables[0]);
            assert!(!read[0].is_empty() && !read[1].is_empty(), "{step}: the figures have something to show");
        }
    };
    agree(&mut conn, "after the import");

    // Reports, then moves each one along its lifecycle to closed, recording a metric on each closed one.
    for n in 0..3 {
        let values = [
            ("title", format!("Summaries {n}")),
            ("category", "Performance".into()),
            ("severity", ["P1", "P2", "P3"][n].into()),
            ("impact_level", "high".into()),
            ("urgency_level", "high".into()),
            ("client_id", client.to_string()),
            ("component_id", component.to_string()),
            (
                "detection_timestamp",
                (now - chrono::Duration::hours(5))
                    .with_timezone(&incident_desk::format::zone(&manager.timezone))
                    .format("%Y-%m-%dT%H:%M")
                    .to_string(),
            ),
            ("confirm_duplicate", "yes".into()),
        ]
        .map(|(k, v)| (k.to_string(), v))
        .into_iter()
        .collect();
        let report = incident_desk::incidents::forms::IncidentReport::read(&values, &manager.timezone).unwrap();
        let mut incident = conn.transaction(|conn| incidents::report(conn, &clock, &manager, &report)).unwrap();
        agree(&mut conn, "after a report");
        for (minutes, to) in [
            (30, IncidentStatus::Investigating),
            (60, IncidentStatus::InProgress),
            (90, IncidentStatus::Resolved),
            (120, IncidentStatus::Closed),
        ] {
            clock.set(now + chrono::Duration::minutes(minutes));
            incident = conn
                .transaction(|conn| {
                    let on = incidents::OnIncident { clock: &clock, user: &manager, incident_id: incident.incident_id };
                    incidents::move_to(conn, on, Some(incident.lock_version), Some(to), "Fixed")
                })
                .unwrap();
            agree(&mut conn, &format!("after moving to {to:?}"));
        }
        let input = [
            ("incident_id", incident.incident_id.to_string()),
            ("metric_type", "resolution_time".to_string()),
            ("target_minutes", ["1", "100000", "60"][n].to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        conn.transaction(|conn| records::create(conn, &clock, &manager, &procedures::METRICS, &input, None))
            .unwrap_or_else(|e| panic!("metric: {e:?}"));
        agree(&mut conn, "after recording a metric");
    }
    // Writes the product does not make, in bulk: the summaries follow any statement.
    conn.batch_execute(
        "UPDATE performance_metrics SET target_minutes = target_minutes + 7 WHERE metric_id % 3 = 0;
         DELETE FROM performance_metrics WHERE metric_id % 5 = 0;
         UPDATE incidents SET severity = 'P4', acknowledged_at = NULL WHERE incident_id % 4 = 0;",
    )
    .unwrap();
    agree(&mut conn, "after bulk changes");
}
