//! The route table is the one list of routes: the README documents each of them.
use incident_desk::web::routes::ROUTES;

#[test]
fn the_readme_lists_every_route() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for route in ROUTES {
        let row = format!("| {} | `{}` | {} |", route.method, route.path, route.action);
        assert!(readme.contains(&row), "README.md lacks the route row: {row}");
    }
}

/// Every POST route, from the route table, refuses a missing or wrong CSRF token with 403 and writes nothing.
#[tokio::test]
async fn every_post_route_refuses_a_missing_or_wrong_csrf_token() {
    use crate::support::*;
    use incident_desk::domain::enums::Role;
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = crate::fixtures::world(&mut conn);
    let id = crate::fixtures::incident(&mut conn, "Token probe", w.client_a, w.component, "open");
    let browser = app.signed_in(w.emails[&Role::SystemAdministrator]).await;
    let before = (count(&mut conn, "audit_logs"), count(&mut conn, "incidents"), count(&mut conn, "sessions"));
    let posts: Vec<_> = ROUTES.iter().filter(|r| r.method == "POST").collect();
    assert!(posts.len() > 40, "the table lists the POST routes");
    for route in posts {
        let path = route.path.replace("{id}", &id.to_string()).replace("{escalation_id}", "1");
        for token in [None, Some("0000"), Some("")] {
            let mut form = vec![("title", "x"), ("status", "closed"), ("lock_version", "1")];
            if let Some(token) = token {
                form.push(("csrf_token", token));
            }
            let response = browser.post_raw(&path, &form).await;
            assert_eq!(response.status(), 403, "POST {path} with token {token:?}");
        }
    }
    assert_eq!(browser.get("/").await.status(), 200, "still signed in: nothing was changed");
    let after = (count(&mut conn, "audit_logs"), count(&mut conn, "incidents"), count(&mut conn, "sessions"));
    assert_eq!(after, before, "nothing written");
}

/// Lists (the incident list's search among them), dashboards, CSV exports and print views may read the replica; no
/// other route does, so a new list cannot be left reading the primary, nor a form the replica.
#[test]
fn only_lists_dashboards_exports_and_print_views_read_the_replica() {
    use incident_desk::web::routes::Reads;
    let shows = |words: &[&str], action: &str| words.iter().any(|w| action.starts_with(w));
    for route in ROUTES {
        let expected = route.method == "GET"
            && shows(&["list ", "export ", "dashboard ", "show printable ", "read the audit trail"], route.action);
        assert_eq!(route.reads == Reads::Replica, expected, "{} {}: {}", route.method, route.path, route.action);
    }
}
