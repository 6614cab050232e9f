//! Built for triage (issue 17) over HTTP: compressed answers, words rather than codes, dashboards that match their
//! lists, the workflow as buttons, and saved views.
use crate::fixtures::{self, world};
use crate::support::*;
use incident_desk::domain::enums::Role;

#[tokio::test]
async fn answers_are_compressed_when_the_browser_accepts_it_and_plain_otherwise() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    fixtures::incident(&mut conn, "Compressed queue stall", w.client_a, w.component, "open");
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    for path in ["/incidents", "/", "/static/app.css", "/incidents.csv"] {
        let gzipped = manager.client.get(manager.url(path)).header("accept-encoding", "gzip").send().await.unwrap();
        assert_eq!(gzipped.status(), 200, "{path}");
        assert_eq!(gzipped.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"), "{path}");
        let plain = manager.get(path).await;
        assert!(plain.headers().get("content-encoding").is_none(), "{path}: plain without Accept-Encoding");
        let compressed = gzipped.bytes().await.unwrap().len();
        let whole = plain.bytes().await.unwrap().len();
        assert!(compressed < whole, "{path}: {compressed} bytes gzipped against {whole}");
    }
}

/// The text of the element with this id, up to the end of its tag.
fn tag_with_id<'a>(page: &'a str, id: &str) -> Option<&'a str> {
    let marker = format!("id=\"{id}\"");
    let at = page.find(&marker)?;
    let start = page[..at].rfind('<')?;
    let end = at + page[at..].find('>')?;
    Some(&page[start..=end])
}

#[tokio::test]
async fn a_refused_form_says_error_in_its_title_links_each_message_to_an_input_and_ties_it_there() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let support = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    let response = support.post("/incidents", &[("action", "report"), ("title", "Queue stalls")]).await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("<title>Error: Report an incident"), "{page}");
    for (field, message) in [
        ("severity", "Choose the severity."),
        ("detection_timestamp", "Enter when the incident was detected."),
        ("component_id", "Choose the affected component."),
    ] {
        assert!(page.contains(&format!("<a href=\"#{field}\">{message}</a>")), "the summary links {field}: {page}");
        let input = tag_with_id(&page, field).unwrap_or_else(|| panic!("an element with the id {field}"));
        assert!(input.starts_with("<input") || input.starts_with("<select"), "{field} names an input: {input}");
        // A group of radios is described as a whole, on its fieldset.
        let described = if input.contains("type=\"radio\"") {
            let at = page.find(input).unwrap();
            let fieldset = page[..at].rfind("<fieldset").unwrap();
            &page[fieldset..fieldset + page[fieldset..].find('>').unwrap()]
        } else {
            input
        };
        assert!(described.contains(&format!("{field}-error")), "{field}'s message is tied to it: {described}");
        let error = tag_with_id(&page, &format!("{field}-error")).expect("the message beside the field");
        assert!(error.starts_with("<p class=\"error-message\""), "{error}");
    }
    assert!(!page.contains("Enter the detected at"), "messages are written per field");
    // No severity was chosen for the reporter.
    assert!(!page.contains("name=\"severity\" value=\"P4\" checked"), "{page}");
}

#[tokio::test]
async fn a_change_request_is_saved_with_its_optional_schedule_left_empty() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let support = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    let (status, form) = support.text("/changes/new").await;
    assert_eq!(status, 200);
    for field in ["scheduled_start_time", "scheduled_end_time"] {
        let input = tag_with_id(&form, field).unwrap();
        assert!(input.contains("value=\"\""), "{field} starts empty: {input}");
    }
    let saved = support
        .post(
            "/changes",
            &[
                ("title", "Patch the broker"),
                ("change_type", "normal"),
                ("risk_level", "low"),
                ("justification", "Consumers stall."),
                ("scheduled_start_time", ""),
                ("scheduled_end_time", ""),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303, "{}", saved.text().await.unwrap());
}

#[tokio::test]
async fn choices_are_listed_in_natural_order() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    for n in 1..=12 {
        fixtures::incident(&mut conn, &format!("Ordered {n}"), w.client_a, w.component, "open");
    }
    let support = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    let (_, form) = support.text("/workarounds/new").await;
    let ids: Vec<i32> =
        form.split("<option value=\"").skip(1).filter_map(|option| option.split('"').next()?.parse().ok()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert!(ids.len() >= 12 && ids == sorted, "incident 2 comes before incident 10: {ids:?}");
}

/// The list filters and sorts by SLA clocks in SQL; the pages draw them in Rust (`sla_clock`). Both must say the
/// same of every incident, at the edges too.
#[test]
fn the_lists_sla_filter_agrees_with_the_clocks_the_pages_draw() {
    use chrono::{Duration, TimeZone, Utc};
    use diesel::prelude::*;
    use incident_desk::access::Scope;
    use incident_desk::incidents::list::{ListFilter, Order, SlaState};
    use incident_desk::incidents::queries::top;
    use incident_desk::incidents::sla_clock::clocks;
    let db = TestDb::new();
    let mut conn = db.conn();
    let w = world(&mut conn);
    diesel::sql_query(format!(
        "INSERT INTO service_level_agreements (subscription_id, severity_level, response_time_minutes, resolution_time_hours) \
         VALUES ({}, 'P2', 60, 8)",
        w.subscription_a
    ))
    .execute(&mut conn)
    .unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 2, 12, 0, 0).unwrap();
    let minutes = |m: i64| (now - Duration::minutes(m)).to_rfc3339();
    // (detected, acknowledged, resolved) minutes before now; an SLA of 60 minutes to respond and 8 hours to resolve.
    let cases: &[(i64, Option<i64>, Option<i64>)] = &[
        (10, None, None),
        (44, None, None),
        (45, None, None),
        (46, None, None),
        (120, None, None),
        (120, Some(90), None),
        (419, Some(400), None),
        (421, Some(400), None),
        (540, Some(500), Some(60)),
        (600, Some(590), Some(10)),
    ];
    for (detected, acknowledged, resolved) in cases {
        let id = fixtures::incident(&mut conn, "Clocked", w.client_a, w.component, "open");
        let at = |m: &Option<i64>| m.map_or("NULL".to_string(), |m| format!("'{}'", minutes(m)));
        diesel::sql_query(format!(
            "UPDATE incidents SET detection_timestamp = '{}', acknowledged_at = {}, resolution_timestamp = {} WHERE incident_id = {id}",
            minutes(*detected),
            at(acknowledged),
            at(resolved)
        ))
        .execute(&mut conn)
        .unwrap();
    }
    fixtures::incident(&mut conn, "No SLA", w.client_b, w.other_component, "open");
    let targets = incident_desk::service_levels::applicable(&mut conn).unwrap();
    let at = incident_desk::incidents::queries::Deadlines { now, targets: &targets };
    let all = top(&mut conn, Scope::All, &ListFilter::default(), Order::SlaDue, 100, at).unwrap().rows;
    let drawn = |row: &incident_desk::incidents::queries::ListRow| {
        clocks(
            targets.get(row.client_id, &row.severity),
            row.detection_timestamp,
            row.acknowledged_at,
            row.resolution_timestamp,
            now,
        )
    };
    for (state, holds) in [
        (SlaState::Attention, (|c: &incident_desk::incidents::sla_clock::Clock| c.needs_attention()) as fn(&_) -> bool),
        (SlaState::Breached, |c| matches!(c, incident_desk::incidents::sla_clock::Clock::Breached(_))),
    ] {
        let filter = ListFilter { sla: Some(state), ..ListFilter::default() };
        let listed: Vec<i32> = top(&mut conn, Scope::All, &filter, Order::Newest, 100, at)
            .unwrap()
            .rows
            .iter()
            .map(|r| r.incident_id)
            .collect();
        let mut expected: Vec<i32> = all
            .iter()
            .filter(|row| drawn(row).is_some_and(|c| holds(&c.response) || holds(&c.resolution)))
            .map(|r| r.incident_id)
            .collect();
        let mut listed_sorted = listed.clone();
        listed_sorted.sort_unstable();
        expected.sort_unstable();
        assert_eq!(listed_sorted, expected, "{state:?}");
        assert!(!expected.is_empty() && expected.len() < cases.len(), "{state:?} tells incidents apart");
    }
    // Sorted by SLA due, the running headline clocks come in the order they run out; those without one last.
    let left: Vec<i64> = all
        .iter()
        .map(|row| {
            use incident_desk::incidents::sla_clock::Clock;
            match drawn(row).map(|c| c.headline().clone()) {
                Some(Clock::Breached(by)) => -by.num_seconds(),
                Some(Clock::AtRisk(left) | Clock::Running(left)) => left.num_seconds(),
                _ => i64::MAX,
            }
        })
        .collect();
    assert!(left.windows(2).all(|pair| pair[0] <= pair[1]), "soonest breach first: {left:?}");
}

/// The hidden value of a form field on the page: `name="lock_version" value="3"`.
fn value_of(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page.find(&marker).unwrap_or_else(|| panic!("the page has {name}")) + marker.len();
    page[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn an_incident_goes_from_open_to_closed_by_the_buttons_its_page_offers() {
    use diesel::prelude::*;
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let id = fixtures::incident(&mut conn, "Queue stalls", w.client_a, w.component, "open");
    let support = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let page = format!("/incidents/{id}");
    // What each step's page offers (and only that), the button it presses, and what it writes.
    let offered = |page: &str| -> Vec<String> {
        ["take", "status"]
            .iter()
            .filter(|action| page.contains(&format!("action=\"/incidents/{id}/{action}\"")))
            .map(|a| a.to_string())
            .chain(page.split("name=\"to\" value=\"").skip(1).map(|rest| rest.split('"').next().unwrap().to_string()))
            .chain(page.contains(&format!("action=\"/incidents/{id}/close\"")).then(|| "close".to_string()))
            .collect()
    };
    let (_, open) = support.text(&page).await;
    assert_eq!(offered(&open), ["take", "status", "investigating"], "an open, unassigned incident");
    let before = audit_count(&mut conn);
    let took = support.post(&format!("{page}/take"), &[("lock_version", &value_of(&open, "lock_version"))]).await;
    assert_eq!(took.status(), 303);
    let (_, taken) = support.text(&page).await;
    assert!(taken.contains("<dt>Assigned to</dt><dd>Technical support</dd>"), "assigned to the one who took it");
    let step = |page: &str, to: &str| (value_of(page, "lock_version"), to.to_string());
    for (to, shows) in [("investigating", "Investigating"), ("in_progress", "In progress")] {
        let (_, now) = support.text(&page).await;
        let (version, to) = step(&now, to);
        let moved = support.post(&format!("{page}/status"), &[("lock_version", &version), ("to", &to)]).await;
        assert_eq!(moved.status(), 303, "{to}");
        assert!(support.text(&page).await.1.contains(&format!("badge status-{to}\">{shows}")), "{to}");
    }
    let (_, working) = support.text(&page).await;
    assert_eq!(offered(&working), ["status", "resolved"], "in progress, the one step is resolving");
    // Resolving asks how.
    let version = value_of(&working, "lock_version");
    let refused = support.post(&format!("{page}/status"), &[("lock_version", &version), ("to", "resolved")]).await;
    assert_eq!(refused.status(), 422);
    let refused = refused.text().await.unwrap();
    assert!(refused.contains("<title>Error: ") && refused.contains("Say how the incident was resolved"), "{refused}");
    let resolved = support
        .post(
            &format!("{page}/status"),
            &[("lock_version", &version), ("to", "resolved"), ("resolution_note", "Restarted the broker.")],
        )
        .await;
    assert_eq!(resolved.status(), 303);
    let (_, done) = support.text(&page).await;
    assert!(done.contains("Restarted the broker.") && done.contains("badge status-resolved"), "{done}");
    assert_eq!(offered(&done), ["status", "in_progress"], "support may reopen; only managers close");
    let (_, for_manager) = manager.text(&page).await;
    assert_eq!(offered(&for_manager), ["status", "in_progress", "close"]);
    let (_, edit) = manager.text(&format!("{page}/edit")).await;
    let statuses: Vec<&str> =
        edit.split("name=\"status\" value=\"").skip(1).map(|rest| rest.split('"').next().unwrap()).collect();
    assert_eq!(statuses, ["in_progress", "resolved", "closed"], "the edit form offers only legal moves");
    let version = value_of(&for_manager, "lock_version");
    let closed = manager.post(&format!("{page}/close"), &[("lock_version", &version)]).await;
    assert_eq!(closed.status(), 303);
    let (_, final_page) = manager.text(&page).await;
    assert!(offered(&final_page).is_empty() && final_page.contains("badge status-closed"));
    // Take, acknowledge, start, resolve (with its note) and close: one audit entry each.
    assert_eq!(audit_count(&mut conn), before + 5);
    let notes: i64 = incident_desk::schema::incident_updates::table
        .filter(incident_desk::schema::incident_updates::incident_id.eq(id))
        .filter(incident_desk::schema::incident_updates::update_type.eq("progress_note"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(notes, 1, "the resolution note is on the timeline");
    // A contact sees no actions at all, not even their heading.
    let contact = app.signed_in(w.emails[&Role::ClientContact]).await;
    let (_, seen) = contact.text(&page).await;
    assert!(!seen.contains("id=\"actions-title\""), "no empty Actions heading");
}

#[tokio::test]
async fn a_saved_view_is_its_owners_in_their_navigation_until_they_delete_it() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let support = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    let query = "status=open&status=investigating&severity=P1&assignee=none&sort=sla";
    let views_audited = |conn: &mut diesel::PgConnection| -> Vec<String> {
        use diesel::prelude::*;
        use incident_desk::schema::audit_logs::dsl::*;
        audit_logs.filter(entity_type.eq("saved_view")).order(audit_id).select(action).load(conn).unwrap()
    };
    let saved = support.post("/incidents/views", &[("name", "Urgent, nobody on it"), ("query", query)]).await;
    assert_eq!(saved.status(), 303);
    assert_eq!(location(&saved), format!("/incidents?{query}"));
    assert_eq!(views_audited(&mut conn), ["create"], "saving is audited");
    let (_, home) = support.text("/").await;
    let link = format!("<a href=\"/incidents?{}\">Urgent, nobody on it</a>", query.replace('&', "&#38;"));
    assert!(home.contains(&link), "the view is in the navigation: {home}");
    // The same name again is refused, with the list shown again and what was typed.
    let again = support.post("/incidents/views", &[("name", "urgent, NOBODY on it"), ("query", query)]).await;
    assert_eq!(again.status(), 422);
    let again = again.text().await.unwrap();
    assert!(again.contains("<title>Error: Incidents") && again.contains("already have a view called"), "{again}");
    assert!(again.contains("value=\"urgent, NOBODY on it\""), "what was typed is kept");
    // It comes back after signing out and in, and nobody else has it.
    let support_again = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    assert!(support_again.text("/").await.1.contains(&link));
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    assert!(!manager.text("/").await.1.contains("Urgent, nobody on it"));
    let (_, list) = support.text("/incidents").await;
    let view_id = value_of(&list, "view_id");
    let theirs = manager.post("/incidents/views/delete", &[("view_id", &view_id)]).await;
    assert_eq!(theirs.status(), 404, "another's view is not found");
    let deleted = support.post("/incidents/views/delete", &[("view_id", &view_id)]).await;
    assert_eq!(deleted.status(), 303);
    let (_, after) = support.text("/").await;
    assert!(!after.contains(&link) && after.contains("was deleted"), "{after}");
    assert_eq!(views_audited(&mut conn), ["create", "delete"], "saving and deleting are audited once each");
}

/// The text a person reads on a page: the tags and their attributes left out, entities read.
fn visible_text(page: &str) -> String {
    let mut text = String::new();
    let mut rest = page;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        text.push(' ');
        let tag = &rest[start..];
        // Nothing of a style or script element is read.
        let end = if tag.starts_with("<style") || tag.starts_with("<script") {
            tag.find("</").and_then(|close| tag[close..].find('>').map(|e| close + e)).unwrap_or(tag.len() - 1)
        } else {
            tag.find('>').unwrap_or(tag.len() - 1)
        };
        rest = &tag[end + 1..];
    }
    text.push_str(rest);
    text.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
}

/// Every enumeration value that is not itself a word (`in_progress`, `on_leave`): none may reach a page's text.
fn codes() -> Vec<&'static str> {
    use incident_desk::domain::enums::*;
    [
        Role::choices(),
        UserStatus::choices(),
        ClientType::choices(),
        VendorType::choices(),
        ProductStatus::choices(),
        SubscriptionType::choices(),
        IncidentStatus::choices(),
        EscalationLevel::choices(),
        RecipientType::choices(),
        DeliveryMethod::choices(),
        Effectiveness::choices(),
        AnalysisMethod::choices(),
        ChangeStatus::choices(),
        RollbackStatus::choices(),
        MetricType::choices(),
        ReportType::choices(),
        ArticleType::choices(),
        ArticleStatus::choices(),
        ReviewRating::choices(),
        WorkOrderStatus::choices(),
    ]
    .concat()
    .into_iter()
    .map(|(value, _)| value)
    .filter(|value| value.contains('_'))
    .collect()
}

/// What reads as an id or a code where a name or a label belongs, in a page's text.
fn codes_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let words: Vec<&str> = text.split(|c: char| c.is_whitespace() || "(),:;.".contains(c)).collect();
    for pair in words.windows(2) {
        let numbered = !pair[1].is_empty() && pair[1].chars().all(|c| c.is_ascii_digit());
        if numbered && matches!(pair[0], "user" | "User" | "Metric" | "Workaround") {
            found.push(format!("{} {}", pair[0], pair[1]));
        }
    }
    for word in words {
        if word == "Someone" || codes().contains(&word) {
            found.push(word.to_string());
        }
    }
    found
}

#[test]
fn the_pages_text_finds_codes_and_ids() {
    let page = "<p>Changed <b>status</b> from in_progress to <i>user 3</i> (Metric 34: x)</p><select><option value=\"on_leave\">On leave</option></select>";
    assert_eq!(codes_in(&visible_text(page)), ["user 3", "Metric 34", "in_progress"]);
}

/// No page of the demo data, for any role, shows a person or record by its id, or an enumeration's code where its
/// label exists.
#[tokio::test]
async fn pages_name_people_records_and_values_in_words_not_ids_or_codes() {
    use diesel::prelude::*;
    use incident_desk::web::routes::ROUTES;
    use incident_desk::{auth::password, demo, import};
    let db = TestDb::new();
    let mut conn = db.conn();
    let hash = password::hash(demo::DEMO_PASSWORD).unwrap();
    let dataset = demo::dataset(chrono::Utc::now(), demo::DEMO_INCIDENTS);
    conn.transaction(|conn| import::load(conn, &dataset, &import::LoadOptions { password_hash: Some(&hash) })).unwrap();
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        id: i32,
    }
    let resources = {
        use incident_desk::records::{procedures::PROCEDURES, resources::*};
        std::iter::once(&INCIDENT_SUMMARY).chain(ADMINISTERED.iter().copied()).chain(PROCEDURES.iter().copied())
    };
    let mut pages: Vec<String> = Vec::new();
    for route in ROUTES.iter().filter(|r| r.method == "GET" && !r.path.contains('.') && r.path != "/healthz") {
        let first = format!("/{}", route.path.split('/').nth(1).unwrap_or_default());
        match resources.clone().find(|r| r.path == first).filter(|_| route.path.contains("{id}")) {
            // The records with the most around them: the incidents with the longest timelines, the others' newest.
            Some(resource) => {
                let sql = if resource.table == "incidents" {
                    "SELECT incident_id AS id FROM incident_updates GROUP BY 1 ORDER BY count(*) DESC LIMIT 3"
                        .to_string()
                } else {
                    format!("SELECT {} AS id FROM {} ORDER BY 1 DESC LIMIT 2", resource.key, resource.table)
                };
                for row in diesel::sql_query(sql).load::<Id>(&mut conn).unwrap() {
                    pages.push(route.path.replace("{id}", &row.id.to_string()));
                }
            }
            None if !route.path.contains('{') => pages.push(route.path.to_string()),
            None => {}
        }
    }
    let app = TestApp::spawn_with(db);
    let mut problems = Vec::new();
    for login in demo::logins() {
        let browser = app.browser();
        assert_eq!(browser.login(login.email, demo::DEMO_PASSWORD).await.status(), 303);
        for page in &pages {
            let (status, html) = browser.text(page).await;
            if status != 200 {
                continue;
            }
            for code in codes_in(&visible_text(&html)) {
                problems.push(format!("{page} as {:?}: {code}", login.role));
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{} pages show ids or codes:\n{}", problems.len(), problems.join("\n"));
}

#[tokio::test]
async fn a_client_contacts_report_form_offers_their_subscribed_components_in_plain_words() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let contact = app.signed_in(w.emails[&Role::ClientContact]).await;
    let (status, form) = contact.text("/incidents/new").await;
    assert_eq!(status, 200);
    let components: Vec<&str> = form
        .split("<select id=\"component_id\"")
        .nth(1)
        .and_then(|select| select.split("</select>").next())
        .unwrap()
        .split("\">")
        .skip(2)
        .map(|option| option.split('<').next().unwrap())
        .collect();
    assert_eq!(
        components,
        ["Choose…", "QueueManager Pro — Service, production (Queue-main-1)"],
        "only the components of the client's subscriptions, product first"
    );
    for internal in ["policy", "P1:", "Provider staff only", "Assign to"] {
        assert!(!form.contains(internal), "a contact's form does not say «{internal}»");
    }
}
