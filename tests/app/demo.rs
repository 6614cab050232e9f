//! The demo data set: it loads through the import, keeps a valid audit chain, and every demo login works.
use crate::support::*;
use diesel::Connection;
use incident_desk::{audit::chain, auth::password, demo, import};

#[tokio::test]
async fn every_demo_login_reaches_its_roles_home_page() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let hash = password::hash(demo::DEMO_PASSWORD).unwrap();
    let dataset = demo::dataset(chrono::Utc::now());
    let counts = conn
        .transaction(|conn| import::load(conn, &dataset, &import::LoadOptions { password_hash: Some(&hash) }))
        .unwrap();
    assert_eq!(counts.len(), 22);
    assert!(counts.iter().all(|(table, n)| *n > 0 || panic!("{table} is empty")));
    assert_eq!(chain::verify(&mut conn).unwrap().broken, None);

    let app = TestApp::spawn_with(db);
    let logins = demo::logins();
    assert_eq!(logins.len(), 7);
    for login in logins {
        let browser = app.browser();
        let response = browser.login(login.email, demo::DEMO_PASSWORD).await;
        assert_eq!(response.status(), 303, "{}", login.email);
        let (status, home) = browser.text("/").await;
        assert_eq!(status, 200);
        assert!(home.contains(&format!("<h1>{} dashboard</h1>", login.role.label())), "{}: {home}", login.email);
    }
}
