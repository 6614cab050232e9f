//! In a real browser: headless Chromium driven over WebDriver (chromedriver), against the served app.
use crate::fixtures::{incident, user_id, world};
use crate::support::*;
use diesel::prelude::*;
use fantoccini::{Client, ClientBuilder, Locator};
use incident_desk::domain::enums::Role;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A chromedriver for the test, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromedriver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is installed (Debian package chromium-driver; .ci/run installs it)");
    // Dropped on every path, so the driver never outlives the test.
    let driver = Driver { child, url: format!("http://127.0.0.1:{port}") };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return driver;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("chromedriver did not start");
}

async fn chromium(driver: &Driver) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync"]
        }),
    );
    capabilities.insert("goog:loggingPrefs".into(), serde_json::json!({ "browser": "ALL" }));
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

/// The browser console's entries since the last call (chromedriver's log endpoint).
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_string()))
    }
}

async fn console_errors(client: &Client) -> Vec<String> {
    let entries = client.issue_cmd(BrowserLog).await.expect("the browser log");
    entries
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter(|e| e["level"] == "SEVERE")
                .map(|e| e["message"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until the browser has moved on to a page whose path passes `arrived` (a click only starts navigation).
async fn wait_for(client: &Client, arrived: impl Fn(&str) -> bool) {
    for _ in 0..100 {
        if client.current_url().await.is_ok_and(|url| arrived(url.path())) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the browser did not arrive; it is at {:?}", client.current_url().await);
}

async fn sign_in(client: &Client, base: &str, email: &str) {
    client.goto(&format!("{base}/login")).await.unwrap();
    client.find(Locator::Id("email")).await.unwrap().send_keys(email).await.unwrap();
    client.find(Locator::Id("password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    client.find(Locator::Css("main form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for(client, |path| path == "/").await;
}

#[tokio::test]
async fn in_chromium_every_role_reaches_its_dashboard_a_form_submits_and_a_report_prints() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let open = incident(&mut conn, "Payment gateway timeouts", w.client_a, w.component, "in_progress");
    let closed = incident(&mut conn, "Storage array failover", w.client_a, w.component, "closed");
    let executive = app.signed_in(w.emails[&Role::Executive]).await;
    let report = executive
        .post(
            "/reports",
            &[("incident_id", &closed.to_string()), ("report_type", "post_mortem"), ("status", "published")],
        )
        .await;
    let report = location(&report).to_string();
    let driver = chromedriver();
    let base = app.address.clone();

    for role in crate::fixtures::ROLES {
        let client = chromium(&driver).await;
        sign_in(&client, &base, w.emails[&role]).await;
        let heading = client.find(Locator::Css("h1")).await.unwrap().text().await.unwrap();
        assert_eq!(heading, format!("{} dashboard", role.label()), "{role:?}");
        let errors = console_errors(&client).await;
        assert!(errors.is_empty(), "{role:?}: console errors {errors:?}");
        client.close().await.unwrap();
    }

    // One procedure form, filled in and submitted as a person would.
    let client = chromium(&driver).await;
    sign_in(&client, &base, w.emails[&Role::TechnicalSupport]).await;
    client.goto(&format!("{base}/workarounds/new?incident_id={open}")).await.unwrap();
    client
        .find(Locator::Css("input[name=effectiveness_level][value=partial_mitigation]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Id("description"))
        .await
        .unwrap()
        .send_keys("Routed payments through the standby gateway.")
        .await
        .unwrap();
    client.find(Locator::Css("main form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for(&client, |path| path.starts_with("/workarounds/") && path != "/workarounds/new").await;
    let flash = client.find(Locator::Css("[role=status]")).await.unwrap().text().await.unwrap();
    assert!(flash.contains("was created"), "{flash}");
    let implementer: i32 = incident_desk::schema::workarounds::table
        .select(incident_desk::schema::workarounds::implemented_by_user)
        .first(&mut conn)
        .unwrap();
    assert_eq!(implementer, user_id(&mut conn, w.emails[&Role::TechnicalSupport]));
    client.close().await.unwrap();

    // The report prints to a PDF that names the incident and the audit chain's head.
    let client = chromium(&driver).await;
    sign_in(&client, &base, w.emails[&Role::Executive]).await;
    client.goto(&format!("{base}{report}/print")).await.unwrap();
    let head = client.find(Locator::Css(".hash")).await.unwrap().text().await.unwrap();
    assert_eq!(head.len(), 64, "{head}");
    let pdf = client.print(fantoccini::wd::PrintConfiguration::default()).await.unwrap();
    assert!(pdf.starts_with(b"%PDF") && pdf.len() > 1000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let text =
        Command::new("pdftotext").arg(&path).arg("-").output().expect("pdftotext (Debian package poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Storage array failover"), "{text}");
    assert!(
        text.contains(&format!("Incident {closed} · Post-mortem · printed")),
        "every printed page names client, record and time: {text}"
    );
    let compact: String = text.split_whitespace().collect();
    assert!(compact.contains(&head), "the audit head hash is printed");
    client.close().await.unwrap();
}
