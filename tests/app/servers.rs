//! Several app servers on one database, with one `SESSION_KEY` (as behind a load balancer): a session begun on one
//! is good on the other, a sign-out on either ends it on both, the sign-in throttle is shared, and writes to both
//! at once leave one whole audit chain.
use crate::fixtures::{incident, world};
use crate::support::*;
use incident_desk::domain::enums::Role;

/// The session cookie (name=value) a response sets.
fn session_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("incident_desk_session="))
        .and_then(|value| value.split(';').next())
        .expect("a session cookie")
        .to_string()
}

#[tokio::test]
async fn a_session_begun_on_one_server_is_good_on_the_other_until_a_sign_out_on_either() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    create_user(&mut conn, "Ada Lovelace", "ada@example.com", Role::IncidentManager, None, None);
    // One browser that the balancer sends to either server: cookies are not bound to a port.
    let first = app.browser();
    let second = Browser { address: app.second_server().address, client: first.client.clone() };
    let signed_in = first.login("ada@example.com", PASSWORD).await;
    assert_eq!(signed_in.status(), 303);
    let cookie = session_cookie(&signed_in);
    let mark = incident_desk::web::reads::PRIMARY_UNTIL_COOKIE;
    assert!(
        signed_in.headers().get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().starts_with(mark)),
        "without a replica, no mark to read the primary"
    );

    let (status, page) = second.text("/").await;
    assert_eq!(status, 200, "the other server knows the session");
    assert!(page.contains("Ada Lovelace"), "{page}");
    assert_eq!(second.text("/incidents").await.0, 200);

    let signed_out = second.post("/logout", &[]).await;
    assert_eq!(signed_out.status(), 303, "the other server takes the session's CSRF token too");
    for server in [&first, &second] {
        let response = server.get("/").await;
        assert_eq!((response.status().as_u16(), location(&response)), (303, "/login"), "{}", server.address);
        // The cookie kept from before the sign-out is refused too: the session itself ended, on both.
        let copied = client().get(server.url("/")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!((copied.status().as_u16(), location(&copied)), (303, "/login"), "{}", server.address);
    }
}

#[tokio::test]
async fn two_servers_share_one_accounts_sign_in_throttle() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    create_user(&mut conn, "Ada", "ada@example.com", Role::Executive, None, None);
    let other = app.second_server();
    for server in [&*app, &other, &*app] {
        assert_eq!(server.login("ada@example.com", "guess").await.status(), 422);
    }
    let throttled = other.login("ada@example.com", PASSWORD).await;
    assert_eq!(throttled.status(), 429, "the other server counts the first one's failures");
    assert!(throttled.headers().contains_key("retry-after"));
    let page = throttled.text().await.unwrap();
    assert!(page.contains("for this account") && page.contains("Try again in"), "a clear message and a wait: {page}");
}

#[tokio::test]
async fn a_burst_of_parallel_writes_to_two_servers_keeps_the_audit_chain_whole_and_counts_every_change() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let other = app.second_server();
    let mut browsers = Vec::new();
    for role in [Role::TechnicalSupport, Role::IncidentManager, Role::Executive, Role::VendorContact] {
        let browser = app.signed_in(w.emails[&role]).await;
        let token = browser.csrf_token().await;
        browsers.push((role, browser, token));
    }
    let before = audit_count(&mut conn);
    let mut writers = Vec::new();
    for (role, browser, token) in &browsers {
        for n in 0..10 {
            let id = incident(&mut conn, &format!("Burst {role:?} {n}"), w.client_a, w.component, "open");
            // Half of each person's writes go to each server.
            let address = if n % 2 == 0 { &app.address } else { &other.address };
            let url = format!("{address}/incidents/{id}/progress");
            let (client, token) = (browser.client.clone(), token.clone());
            writers.push(tokio::spawn(async move {
                let form = [("note", format!("Progress {n}")), ("csrf_token", token)];
                client.post(url).form(&form).send().await.unwrap().status().as_u16()
            }));
        }
    }
    let mut statuses = Vec::new();
    for writer in writers {
        statuses.push(writer.await.unwrap());
    }
    assert!(statuses.iter().all(|s| *s == 303), "{statuses:?}");
    assert_eq!(audit_count(&mut conn), before + 40, "one audit entry per change");
    assert_eq!(count(&mut conn, "incident_updates"), 40);
    let verification = incident_desk::audit::chain::verify(&mut conn).unwrap();
    assert_eq!(verification.broken, None);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_incident-desk"))
        .args(["audit", "verify"])
        .env("DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
}
