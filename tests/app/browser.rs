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
    chromium_as(driver, None).await
}

/// A Chromium session; with `phone`, one that lays pages out as a phone of that width and height does.
async fn chromium_as(driver: &Driver, phone: Option<(u32, u32)>) -> Client {
    let mut capabilities = serde_json::Map::new();
    let mut options = serde_json::json!({
        "binary": "/usr/bin/chromium",
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    });
    if let Some((width, height)) = phone {
        options["mobileEmulation"] =
            serde_json::json!({ "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1 } });
    }
    capabilities.insert("goog:chromeOptions".into(), options);
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
    sign_in_with(client, base, email, PASSWORD).await
}

async fn sign_in_with(client: &Client, base: &str, email: &str, password: &str) {
    client.goto(&format!("{base}/login")).await.unwrap();
    client.find(Locator::Id("email")).await.unwrap().send_keys(email).await.unwrap();
    client.find(Locator::Id("password")).await.unwrap().send_keys(password).await.unwrap();
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

// ---- built for triage (issue 17), with the demo data -----------------------------------------------------------

/// The app with the demo data set loaded, as `cargo run` serves it.
pub async fn demo_app() -> TestApp {
    use incident_desk::{auth::password, demo, import};
    let db = TestDb::new();
    let mut conn = db.conn();
    let hash = password::hash(demo::DEMO_PASSWORD).unwrap();
    let dataset = demo::dataset(chrono::Utc::now(), demo::DEMO_INCIDENTS);
    conn.transaction(|conn| import::load(conn, &dataset, &import::LoadOptions { password_hash: Some(&hash) })).unwrap();
    TestApp::spawn_with(db)
}

async fn script(client: &Client, js: &str) -> serde_json::Value {
    client.execute(js, Vec::new()).await.unwrap()
}

/// How many rows the list at `href` shows, over all its pages, and what its filter form does not show of the
/// filters the address applies.
async fn rows_and_hidden_filters(client: &Client, base: &str, href: &str) -> (i64, Vec<String>) {
    client.goto(&format!("{base}{href}")).await.unwrap();
    // Every filter of the address (but the order and page) is a ticked box or a chosen option of the form.
    let hidden = script(
        client,
        "const form = document.querySelector('main form.filters');
         const shown = (name, value) => form && [...form.elements].some(e => e.name === name && e.value === value
            && (e.type === 'checkbox' || e.type === 'radio' ? e.checked : (e.tagName === 'SELECT' || e.type === 'search')));
         return [...new URLSearchParams(location.search)].filter(([k, v]) => v !== '' && !['sort', 'page', 'after'].includes(k))
            .filter(([k, v]) => !shown(k, v)).map(([k, v]) => k + '=' + v);",
    )
    .await;
    let hidden = hidden.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    let mut rows = 0;
    loop {
        rows +=
            script(client, "return document.querySelectorAll('main table tbody tr').length;").await.as_i64().unwrap();
        let next = script(client, "const a = document.querySelector('a[rel=next]'); return a ? a.href : null;").await;
        match next.as_str() {
            Some(next) => client.goto(next).await.unwrap(),
            None => return (rows, hidden),
        }
    }
}

/// The words of a PDF page with their boxes (pdftotext's -bbox): (word, top, bottom).
fn words_on_page(pdf: &[u8], page: u32) -> Vec<(String, f64, f64)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("print.pdf");
    std::fs::write(&path, pdf).unwrap();
    let output = Command::new("pdftotext")
        .args(["-bbox", "-f", &page.to_string(), "-l", &page.to_string()])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian package poppler-utils)");
    let html = String::from_utf8_lossy(&output.stdout).to_string();
    html.split("<word ")
        .skip(1)
        .map(|word| {
            let attribute = |name: &str| -> f64 {
                let at = word.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                word[at..].split('"').next().unwrap().parse().unwrap()
            };
            let text = word.split('>').nth(1).unwrap_or_default().split('<').next().unwrap_or_default().to_string();
            (text, attribute("yMin"), attribute("yMax"))
        })
        .collect()
}

/// Waits until a script says the page is there.
async fn wait_until(client: &Client, js: &str) {
    for _ in 0..100 {
        if client.execute(js, Vec::new()).await.is_ok_and(|done| done == serde_json::json!(true)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never came: {js}");
}

/// Presses an incident page's button and waits for the page that shows its change (the record's next version).
async fn press_and_wait_for_the_change(client: &Client, button: &str) {
    let version = "const v = document.querySelector('input[name=lock_version]'); return v ? v.value : null;";
    let before = script(client, version).await;
    client
        .find(Locator::XPath(&format!("//button[normalize-space()='{button}']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for _ in 0..100 {
        if client.execute(version, Vec::new()).await.is_ok_and(|now| now != before) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{button} changed nothing");
}

#[tokio::test]
async fn in_chromium_a_day_of_triage_works_as_people_would_do_it() {
    use incident_desk::demo::{DEMO_PASSWORD, logins};
    let app = demo_app().await;
    let base = app.address.clone();
    let driver = chromedriver();

    // Every dashboard figure, and every panel's count, opens a list of exactly that many rows whose filter form
    // shows each filter it applies.
    let mut problems = Vec::new();
    for login in logins() {
        let client = chromium(&driver).await;
        sign_in_with(&client, &base, login.email, DEMO_PASSWORD).await;
        let links = script(&client, "return [...document.querySelectorAll('main a[data-count]')].map(a => [a.getAttribute('href'), Number(a.dataset.count)]);").await;
        let links: Vec<(String, i64)> = serde_json::from_value(links).unwrap();
        assert!(!links.is_empty() || login.role == Role::AccountManager, "{:?} has figures to follow", login.role);
        for (href, count) in links {
            let (rows, hidden) = rows_and_hidden_filters(&client, &base, &href).await;
            if rows != count {
                problems.push(format!("{:?}: {href} counts {count}, its list shows {rows}", login.role));
            }
            if !hidden.is_empty() {
                problems.push(format!("{:?}: {href} applies {hidden:?}, which its form does not show", login.role));
            }
        }
        client.close().await.unwrap();
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // Technical support: the report form's main button is the one Enter presses, with the severity they chose.
    let client = chromium(&driver).await;
    client.set_window_size(1366, 900).await.unwrap();
    sign_in_with(&client, &base, "support@example.com", DEMO_PASSWORD).await;
    client.goto(&format!("{base}/incidents/new")).await.unwrap();
    let chosen = script(&client, "return document.querySelector('input[name=severity]:checked');").await;
    assert!(chosen.is_null(), "no severity is chosen for the reporter");
    for (css, value) in [("#category", "Performance"), ("#client_id", ""), ("#component_id", "")] {
        script(
            &client,
            &format!("const s = document.querySelector('{css}'); s.value = '{value}' || s.options[1].value;"),
        )
        .await;
    }
    for radio in ["severity][value=P2", "impact_level][value=high", "urgency_level][value=high"] {
        client.find(Locator::Css(&format!("input[name={radio}]"))).await.unwrap().click().await.unwrap();
    }
    // Enter submits the form and leaves the page, so the field is gone by the time the keys are acknowledged.
    let _ = client.find(Locator::Id("title")).await.unwrap().send_keys("Checkout pages time out\u{E007}").await;
    wait_for(&client, |path| path.starts_with("/incidents/") && path != "/incidents/new").await;
    let badge = client.find(Locator::Css(".record-head .badge")).await.unwrap().text().await.unwrap();
    assert_eq!(badge, "P2 High", "Enter reported the incident with the severity chosen");

    // The list fits at least fifteen rows on a 1366 x 900 screen, and shows its sort with an arrow.
    client.goto(&format!("{base}/incidents?status=&sort=sla")).await.unwrap();
    let fitting = script(&client, "return [...document.querySelectorAll('main table tbody tr')].filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length;").await;
    assert!(fitting.as_i64().unwrap() >= 15, "{fitting} rows fit above the fold");
    let sorted = client.find(Locator::Css("th[aria-sort=ascending]")).await.unwrap().text().await.unwrap();
    assert_eq!(sorted, "SLA ▲");

    // The focus ring stands out at least 3:1 from the page around it.
    let ratio = script(
        &client,
        "const a = document.querySelector('main a'); a.focus();
         const style = getComputedStyle(a);
         const rgb = c => c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
         const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
         const contrast = (x, y) => { const [l1, l2] = [lum(x), lum(y)].sort((p, q) => q - p); return (l1 + 0.05) / (l2 + 0.05); };
         return style.outlineStyle === 'none' ? 0 : contrast(style.outlineColor, getComputedStyle(document.body).backgroundColor);",
    )
    .await;
    assert!(ratio.as_f64().unwrap() >= 3.0, "focus ring contrast {ratio}");

    // Take an unassigned incident and move it along with the buttons, to resolved; the manager closes it.
    client.goto(&format!("{base}/incidents?status=open&assignee=none&sort=severity")).await.unwrap();
    client.find(Locator::Css("main table tbody tr a")).await.unwrap().click().await.unwrap();
    wait_for(&client, |path| path.starts_with("/incidents/")).await;
    let incident = client.current_url().await.unwrap().path().to_string();
    for button in ["Take it (assign to me)", "Acknowledge", "Start work"] {
        press_and_wait_for_the_change(&client, button).await;
        let flash = client.find(Locator::Css("[role=status]")).await.unwrap().text().await.unwrap();
        assert!(!flash.is_empty(), "{button}: {flash}");
    }
    client.find(Locator::Id("resolution_note")).await.unwrap().send_keys("Failed over to the standby.").await.unwrap();
    press_and_wait_for_the_change(&client, "Resolve").await;
    let status = client.find(Locator::Css(".record-head .badge.status-resolved")).await.unwrap().text().await.unwrap();
    assert_eq!(status, "Resolved");

    // A saved view comes back after signing out and in.
    client.goto(&format!("{base}/incidents?status=open&status=investigating&severity=P1&sort=sla")).await.unwrap();
    client.find(Locator::XPath("//summary[normalize-space()='Save this view']")).await.unwrap().click().await.unwrap();
    client.find(Locator::Id("view_name")).await.unwrap().send_keys("P1s to start").await.unwrap();
    client.find(Locator::XPath("//button[normalize-space()='Save view']")).await.unwrap().click().await.unwrap();
    wait_until(
        &client,
        "const f = document.querySelector('[role=status]'); return !!f && f.textContent.includes('was saved');",
    )
    .await;
    client.find(Locator::Css(".top-bar button.link-button")).await.unwrap().click().await.unwrap();
    wait_for(&client, |path| path == "/login").await;
    sign_in_with(&client, &base, "support@example.com", DEMO_PASSWORD).await;
    client.find(Locator::LinkText("P1s to start")).await.unwrap().click().await.unwrap();
    wait_for(&client, |path| path == "/incidents").await;
    let query = client.current_url().await.unwrap().query().unwrap_or_default().to_string();
    assert_eq!(query, "status=open&status=investigating&severity=P1&sort=sla");
    let errors = console_errors(&client).await;
    assert!(errors.is_empty(), "console errors {errors:?}");
    client.close().await.unwrap();

    let manager = chromium(&driver).await;
    sign_in_with(&manager, &base, "manager@example.com", DEMO_PASSWORD).await;
    manager.goto(&format!("{base}{incident}")).await.unwrap();
    manager
        .find(Locator::XPath("//summary[normalize-space()='Close incident…']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    manager
        .find(Locator::XPath("//button[starts-with(normalize-space(), 'Close incident ')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The page was the incident's before the click too: wait for the closed badge that the answer brings.
    let status = manager
        .wait()
        .for_element(Locator::Css(".record-head .badge.status-closed"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(status, "Closed", "the buttons took the incident from open to closed");
    manager.close().await.unwrap();

    // At 390 px, no page scrolls sideways: the navigation folds behind its menu and tables scroll in their box.
    let phone = chromium_as(&driver, Some((390, 844))).await;
    sign_in_with(&phone, &base, "manager@example.com", DEMO_PASSWORD).await;
    for page in ["/", "/incidents", "/incidents?status=", incident.as_str(), "/incidents/new", "/changes", "/reports/1"]
    {
        phone.goto(&format!("{base}{page}")).await.unwrap();
        let widths = script(&phone, "return [document.documentElement.scrollWidth, document.documentElement.clientWidth, getComputedStyle(document.querySelector('.nav-bar')).display, getComputedStyle(document.querySelector('.nav-menu')).display];").await;
        let (scroll, client_width, bar, menu): (i64, i64, String, String) = serde_json::from_value(widths).unwrap();
        assert!(scroll <= client_width, "{page} scrolls sideways at 390 px: {scroll} > {client_width}");
        assert_eq!((bar.as_str(), menu.as_str()), ("none", "block"), "{page}: the navigation folds behind its menu");
    }
    phone.goto(&format!("{base}{incident}")).await.unwrap();
    let order = script(&phone, "const y = s => document.querySelector(s).getBoundingClientRect().top; return y('.actions') < y('#timeline-title');").await;
    assert_eq!(order, serde_json::json!(true), "the actions come before the timeline");
    phone.close().await.unwrap();

    // A report prints on A4 and Letter with its running head in a space of its own on every page.
    let client = chromium(&driver).await;
    sign_in_with(&client, &base, "executive@example.com", DEMO_PASSWORD).await;
    client.goto(&format!("{base}/reports/1/print")).await.unwrap();
    for (paper, size) in [("A4", fantoccini::wd::PrintSize::A4), ("Letter", fantoccini::wd::PrintSize::US_LETTER)] {
        let config = fantoccini::wd::PrintConfiguration::builder().size(size).build().unwrap();
        let pdf = client.print(config).await.unwrap();
        let words = words_on_page(&pdf, 2);
        assert!(!words.is_empty(), "the report runs to a second page on {paper}");
        let head = words.iter().find(|(word, ..)| word == "printed").expect("the running head on page 2");
        let (head_top, head_bottom) = words
            .iter()
            .filter(|(_, top, _)| (top - head.1).abs() < 1.0)
            .fold((f64::MAX, 0.0_f64), |(t, b), (_, top, bottom)| (t.min(*top), b.max(*bottom)));
        let below: Vec<_> = words.iter().filter(|(_, top, _)| (top - head.1).abs() >= 1.0).collect();
        let first = below.iter().map(|(_, top, _)| *top).fold(f64::MAX, f64::min);
        assert!(
            head_top < first && head_bottom <= first,
            "{paper}: the running head ({head_top}–{head_bottom}) and the page's first line (from {first}) overlap"
        );
    }
    let text = {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.pdf");
        std::fs::write(&path, client.print(fantoccini::wd::PrintConfiguration::default()).await.unwrap()).unwrap();
        String::from_utf8_lossy(&Command::new("pdftotext").arg(&path).arg("-").output().unwrap().stdout).to_string()
    };
    for (words, why) in [("Met", "metrics are marked met or missed"), ("Closed", "values are labels")] {
        assert!(text.contains(words), "{why}: {text}");
    }
    for code in ["post_mortem", "in_progress", "closed\n", "P1\n", "P2\n", "P3\n", "P4\n"] {
        assert!(!text.contains(code), "no code {code:?} is printed: {text}");
    }
    client.close().await.unwrap();
}
