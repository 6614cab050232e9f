//! The breach forecast against the database: the summary figures follow the incidents the service resolves and
//! reopens, agree with the pure rules and with a computation from scratch, and fall back from component to product
//! to category.
use crate::fixtures::{insert, world};
use crate::support::*;
use diesel::prelude::*;
use incident_desk::clock::Clock;
use incident_desk::domain::enums::{IncidentStatus, Role};
use incident_desk::forecast::{self, Basis, Forecast, queries};
use incident_desk::incidents::service;

/// An incident in progress, detected `minutes` before `now`, of this severity and category on this component.
fn working(conn: &mut PgConnection, component: i32, client: i32, severity: &str, category: &str, minutes: i64) -> i32 {
    insert(
        conn,
        &format!(
            "INSERT INTO incidents (title, category, severity, impact_level, urgency_level, status, client_id, \
             component_id, reporter_user_id, detection_timestamp, acknowledged_at, created_at) \
             SELECT 'Slow queue {minutes}', '{category}', '{severity}', 'high', 'high', 'in_progress', {client}, \
             {component}, min(user_id), now() - interval '{minutes} minutes', now() - interval '{minutes} minutes', \
             now() - interval '{minutes} minutes' FROM users RETURNING incident_id AS id"
        ),
    )
}

/// Moves the incident to `to` through the service, as its page does.
fn move_to(conn: &mut PgConnection, clock: &Clock, user: &incident_desk::users::User, id: i32, to: IncidentStatus) {
    conn.transaction(|conn| {
        let current = service::load(conn, user, id).unwrap();
        let on = service::OnIncident { clock, user, incident_id: id };
        service::move_to(conn, on, Some(current.lock_version), Some(to), "Restarted the broker")
    })
    .unwrap();
}

/// Every row of the summary table, in key order.
fn summary(conn: &mut PgConnection) -> Vec<(String, i16, String, i64, f64, f64)> {
    diesel::sql_query(
        "SELECT severity, basis, key, n, median_minutes, p80_minutes FROM resolution_forecasts \
         WHERE n > 0 ORDER BY 1, 2, 3",
    )
    .load::<SummaryRow>(conn)
    .unwrap()
    .into_iter()
    .map(|r| (r.severity, r.basis, r.key, r.n, r.median_minutes, r.p80_minutes))
    .collect()
}

#[derive(QueryableByName)]
struct SummaryRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    severity: String,
    #[diesel(sql_type = diesel::sql_types::SmallInt)]
    basis: i16,
    #[diesel(sql_type = diesel::sql_types::Text)]
    key: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
    #[diesel(sql_type = diesel::sql_types::Double)]
    median_minutes: f64,
    #[diesel(sql_type = diesel::sql_types::Double)]
    p80_minutes: f64,
}

#[test]
fn resolving_and_reopening_incidents_moves_the_forecast_of_those_like_them() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let w = world(&mut conn);
    let manager = create_user(
        &mut conn,
        "Forecast Manager",
        "forecast.manager@provider.example",
        Role::IncidentManager,
        None,
        None,
    );
    let clock = Clock::fixed(chrono::Utc::now() + chrono::Duration::seconds(1));
    let open = working(&mut conn, w.component, w.client_a, "P2", "Performance", 10);
    // Elsewhere: another product's component, and the same component at another severity.
    let elsewhere = working(&mut conn, w.other_component, w.client_a, "P2", "Performance", 10);
    let other_severity = working(&mut conn, w.component, w.client_a, "P3", "Performance", 10);
    let durations = [60, 120, 180, 240, 300];
    let mut resolved = Vec::new();
    for minutes in durations {
        assert_eq!(queries::of_incident(&mut conn, open).unwrap(), None, "too few before the {}th", resolved.len() + 1);
        let id = working(&mut conn, w.component, w.client_a, "P2", "Performance", minutes);
        move_to(&mut conn, &clock, &manager, id, IncidentStatus::Resolved);
        resolved.push(id);
    }
    // Five on the same component: its figures, as the pure rules compute them from the same durations (resolution
    // times are a second longer: the clock stands a second after the incidents were made).
    let forecast = queries::of_incident(&mut conn, open).unwrap().expect("a forecast from five");
    let minutes: Vec<f64> = durations.iter().map(|m| *m as f64).collect();
    let expected = forecast::figures(&minutes).unwrap();
    assert_eq!(forecast.basis, Basis::Component);
    assert_eq!(forecast.figures.n, 5);
    assert!((forecast.figures.median_minutes - expected.median_minutes).abs() < 0.1, "{forecast:?}");
    assert!((forecast.figures.p80_minutes - expected.p80_minutes).abs() < 0.1, "{forecast:?}");
    assert!((forecast.figures.p80_minutes - 252.0).abs() < 0.1);
    // Another product's component falls back to the category; another severity has none like it.
    let fallback = queries::of_incident(&mut conn, elsewhere).unwrap().expect("a forecast by category");
    assert_eq!(fallback.basis, Basis::Category);
    assert_eq!(fallback.figures, forecast.figures);
    assert_eq!(queries::of_incident(&mut conn, other_severity).unwrap(), None);

    // The incremental figures are those a computation from scratch gives.
    let kept = summary(&mut conn);
    assert_eq!(kept.len(), 3, "component, product and category: {kept:?}");
    queries::compute_all(&mut conn).unwrap();
    assert_eq!(summary(&mut conn), kept);

    // Reopening one takes it out again; closing a resolved one keeps it.
    move_to(&mut conn, &clock, &manager, resolved[4], IncidentStatus::InProgress);
    assert_eq!(queries::of_incident(&mut conn, open).unwrap(), None, "four left");
    move_to(&mut conn, &clock, &manager, resolved[4], IncidentStatus::Resolved);
    move_to(&mut conn, &clock, &manager, resolved[4], IncidentStatus::Closed);
    let again: Forecast = queries::of_incident(&mut conn, open).unwrap().expect("five again");
    assert_eq!(again.figures.n, 5);
}

#[tokio::test]
async fn staff_see_the_forecast_on_the_page_in_the_list_and_on_their_dashboards_and_contacts_do_not() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    // An eight-hour resolution target for client A's P2s; client B has none.
    diesel::sql_query(format!(
        "INSERT INTO service_level_agreements (subscription_id, severity_level, response_time_minutes, \
         resolution_time_hours) VALUES ({}, 'P2', 60, 8)",
        w.subscription_a
    ))
    .execute(&mut conn)
    .unwrap();
    // Five resolved P2s on the component, 10 to 18 hours each: 80 % within 16 h 24 min, past the eight hours.
    for hours in [10, 12, 14, 16, 18] {
        let id = working(&mut conn, w.component, w.client_b, "P2", "Performance", hours * 60);
        diesel::sql_query(format!(
            "UPDATE incidents SET status = 'resolved', resolution_timestamp = now() WHERE incident_id = {id}"
        ))
        .execute(&mut conn)
        .unwrap();
    }
    queries::compute_all(&mut conn).unwrap();
    let breaching = working(&mut conn, w.component, w.client_a, "P2", "Performance", 30);
    let unbound = working(&mut conn, w.component, w.client_b, "P2", "Performance", 30);
    let unknown = working(&mut conn, w.other_component, w.client_a, "P2", "Hardware", 30);

    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let (status, page) = manager.text(&format!("/incidents/{breaching}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("<h2 id=\"forecast-title\">Forecast</h2>"), "{page}");
    assert!(page.contains("Likely resolved in about 14 h 0 min (80 % within 16 h 24 min), from 5 similar incidents on the same component."), "{page}");
    assert!(page.contains("Likely to breach"));
    let (_, page) = manager.text(&format!("/incidents/{unbound}")).await;
    assert!(page.contains("80 % within 16 h 24 min") && !page.contains("Likely to breach"), "no SLA, no breach");
    let (_, page) = manager.text(&format!("/incidents/{unknown}")).await;
    assert!(page.contains("Too few similar incidents to forecast"));

    // The list's column and its filter, worst first.
    let (_, list) = manager.text("/incidents?sort=forecast").await;
    assert!(list.contains(">Forecast") && list.contains("Too few to forecast"), "{list}");
    let at = |text: &str, id: i32| text.find(&format!("/incidents/{id}\"")).unwrap_or(usize::MAX);
    assert!(at(&list, breaching) < at(&list, unbound) && at(&list, unbound) < usize::MAX, "the likely breach first");
    let (_, flagged) = manager.text("/incidents?likely_breach=yes&sort=forecast").await;
    assert!(at(&flagged, breaching) < usize::MAX, "{flagged}");
    assert_eq!(at(&flagged, unbound).min(at(&flagged, unknown)), usize::MAX, "only the likely breach");

    // The manager's and technical support's dashboards link to it.
    for role in [Role::IncidentManager, Role::TechnicalSupport] {
        let (_, dashboard) = app.signed_in(w.emails[&role]).await.text("/").await;
        let panel = &dashboard[dashboard.find("Likely to breach, worst first").expect("the panel")..];
        let panel = &panel[..panel.find("</section>").unwrap_or(panel.len())];
        assert!(at(panel, breaching) < usize::MAX && at(panel, unbound) == usize::MAX, "{role:?}: {panel}");
    }

    // A client contact sees neither the section nor the column, and cannot sort or filter by it.
    let contact = app.signed_in(w.emails[&Role::ClientContact]).await;
    let (_, page) = contact.text(&format!("/incidents/{breaching}")).await;
    assert!(!page.contains("Forecast") && !page.contains("Likely to breach"));
    let (_, list) = contact.text("/incidents").await;
    assert!(list.contains(&format!("/incidents/{breaching}\"")) && !list.contains("Forecast"));
    assert_eq!(contact.text("/incidents?sort=forecast").await.0, 400);
}

#[test]
fn the_backtest_replays_every_incident_of_the_demo_data_and_flags_breaches_in_advance() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let now = chrono::Utc::now();
    let dataset = incident_desk::demo::dataset(now, 1500);
    incident_desk::import::load(&mut conn, &dataset, &incident_desk::import::LoadOptions { password_hash: None })
        .unwrap();
    let total: i64 = incident_desk::schema::incidents::table.count().get_result(&mut conn).unwrap();
    let findings = forecast::backtest::run(&mut conn, now).unwrap();
    assert_eq!(findings.incidents as i64, total);
    // The demo data's resolution times follow component and severity, so most incidents have a forecast, breaches
    // happen, and some are flagged at detection.
    assert!(findings.forecasts * 2 > findings.incidents, "{findings:?}");
    assert!(findings.breaches > 0 && findings.flagged_breaches > 0, "{findings:?}");
    let report = findings.report();
    assert!(
        report.contains("Breaches flagged in advance: ") && report.contains("Flags that did not breach: "),
        "{report}"
    );
}
