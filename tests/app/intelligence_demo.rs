//! Issue 19's "done when", on the demo data as `cargo run` loads it: an incident manager reports a new P2 on a
//! component changed yesterday, opens it, and sees that change, three similar incidents with their fixes, and a
//! forecast.
use crate::support::*;
use diesel::prelude::*;
use incident_desk::demo;

#[derive(QueryableByName)]
struct Yesterday {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    change_id: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    component_id: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    client_id: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    category: String,
}

/// The text of the page's section headed `heading`.
fn section<'a>(page: &'a str, heading: &str) -> &'a str {
    let start = page.find(heading).unwrap_or_else(|| panic!("a section {heading}: {page}"));
    let end = page[start..].find("</section>").map_or(page.len(), |end| start + end);
    &page[start..end]
}

#[tokio::test]
async fn on_the_demo_data_a_new_p2_shows_yesterdays_change_similar_incidents_with_fixes_and_a_forecast() {
    let app = crate::browser::demo_app().await;
    let mut conn = app.db.conn();
    // A change made yesterday on a component, the component with the most history among them, a client of it and
    // the category its incidents most often have.
    let yesterday: Yesterday = diesel::sql_query(
        "SELECT c.change_id, c.component_id, i.client_id, \
                (SELECT o.category FROM incidents o WHERE o.component_id = c.component_id \
                 GROUP BY o.category ORDER BY count(*) DESC, o.category LIMIT 1) AS category \
         FROM change_requests c JOIN incidents i ON i.incident_id = c.incident_id \
         WHERE c.component_id IS NOT NULL \
           AND c.actual_start_time BETWEEN now() - interval '31 hours' AND now() - interval '19 hours' \
         ORDER BY (SELECT count(*) FROM incidents o WHERE o.component_id = c.component_id \
                   AND o.status IN ('resolved', 'closed')) DESC, c.change_id \
         LIMIT 1",
    )
    .get_result(&mut conn)
    .expect("the demo data has a change made yesterday on a component");
    let zone: String = {
        use incident_desk::schema::users::dsl::*;
        users.filter(email.eq("manager@example.com")).select(timezone).first(&mut conn).unwrap()
    };
    let manager = app.browser();
    assert_eq!(manager.login("manager@example.com", demo::DEMO_PASSWORD).await.status(), 303);

    let detected = incident_desk::format::local_input(chrono::Utc::now() - chrono::Duration::minutes(20), &zone);
    let reported = manager
        .post(
            "/incidents",
            &[
                ("title", "Slow responses after yesterday's change"),
                ("category", yesterday.category.as_str()),
                ("severity", "P2"),
                ("impact_level", "high"),
                ("urgency_level", "high"),
                ("client_id", &yesterday.client_id.to_string()),
                ("component_id", &yesterday.component_id.to_string()),
                ("detection_timestamp", &detected),
                ("confirm_duplicate", "yes"),
            ],
        )
        .await;
    assert_eq!(reported.status(), 303, "the manager reports a new P2");
    let (status, page) = manager.text(location(&reported)).await;
    assert_eq!(status, 200);

    let changes = section(&page, "Recent changes on this component");
    assert!(changes.contains(&format!("href=\"/changes/{}\"", yesterday.change_id)), "yesterday's change: {changes}");
    assert!(changes.contains("Mark as suspected cause"), "which the manager may mark: {changes}");

    let similar = section(&page, "Similar incidents");
    // Each similar incident starts with its link; its fixes follow it.
    let incidents: Vec<&str> = similar.split("<p><a href=\"/incidents/").skip(1).collect();
    let fixed = |item: &&&str| ["Workaround: ", "Root cause: ", "Article: "].iter().any(|fix| item.contains(fix));
    assert!(incidents.iter().filter(fixed).count() >= 3, "three similar incidents with their fixes: {similar}");

    let forecast = section(&page, "forecast-title");
    assert!(!forecast.contains("Too few"), "a forecast: {forecast}");
    assert!(
        forecast.contains("Likely resolved in about") && forecast.contains("80 % within"),
        "its figures: {forecast}"
    );
}
