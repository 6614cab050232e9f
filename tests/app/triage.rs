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
