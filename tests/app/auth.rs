//! Sign-in, sessions, CSRF and headers, end to end over HTTP.
use crate::support::*;
use incident_desk::domain::enums::Role;

#[tokio::test]
async fn sign_in_succeeds_renews_the_session_and_is_audited() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    create_user(&mut conn, "Ada Manager", "ada@example.com", Role::IncidentManager, None, None);
    let before = audit_count(&mut conn);

    let anonymous_cookie = app.get("/login").await.headers().get("set-cookie").map(|v| v.to_str().unwrap().to_string());
    let response = app.login("ADA@example.com", PASSWORD).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/");
    let new_cookie = response.headers().get("set-cookie").map(|v| v.to_str().unwrap().to_string());
    assert!(new_cookie.is_some() && new_cookie != anonymous_cookie, "a new session cookie is issued at sign-in");

    let home = app.get("/").await;
    assert_eq!(home.status(), 200);
    let body = home.text().await.unwrap();
    assert!(body.contains("<h1>Incident manager dashboard</h1>"), "{body}");
    assert!(body.contains("Signed in as Ada Manager."), "flash shown once");
    assert!(!app.get("/").await.text().await.unwrap().contains("Signed in as"), "flash is gone on the next page");

    assert_eq!(audit_count(&mut conn), before + 1);
    let (action, role): (String, Option<String>) = {
        use diesel::prelude::*;
        use incident_desk::schema::audit_logs::dsl::*;
        audit_logs.order(audit_id.desc()).select((action, actor_role)).first(&mut conn).unwrap()
    };
    assert_eq!((action.as_str(), role.as_deref()), ("login", Some("incident_manager")));
}

#[tokio::test]
async fn expired_sessions_are_swept_when_sessions_are_saved() {
    use diesel::prelude::*;
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    create_user(&mut conn, "Ada", "ada@example.com", Role::Executive, None, None);
    diesel::sql_query(
        "INSERT INTO sessions (session_key, state, expires_at) VALUES ('stale', '{}', now() - interval '1 minute'), ('live', '{}', now() + interval '1 hour')",
    )
    .execute(&mut conn)
    .unwrap();
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), 303, "signing in saves a session");
    let keys: Vec<String> =
        diesel::sql_query("SELECT session_key AS key FROM sessions WHERE session_key IN ('stale', 'live')")
            .load::<Key>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|k| k.key)
            .collect();
    assert_eq!(keys, ["live"]);
}

#[derive(diesel::QueryableByName)]
struct Key {
    #[diesel(sql_type = diesel::sql_types::Text)]
    key: String,
}

#[tokio::test]
async fn a_cookie_from_before_sign_in_is_not_signed_in() {
    let app = TestApp::spawn().await;
    create_user(&mut app.db.conn(), "Ada", "ada@example.com", Role::Executive, None, None);
    let anonymous = app.get("/login").await;
    let old_cookie =
        anonymous.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), 303);

    let response = client().get(app.url("/")).header("cookie", old_cookie).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login");
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer_and_are_audited() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    create_user(&mut conn, "Ada", "ada@example.com", Role::Executive, None, None);
    let before = audit_count(&mut conn);

    let wrong_password = app.login("ada@example.com", "not the password").await;
    assert_eq!(wrong_password.status(), 422);
    let wrong_password = wrong_password.text().await.unwrap();
    let unknown = app.login("nobody@example.com", "not the password").await;
    assert_eq!(unknown.status(), 422);
    let unknown = unknown.text().await.unwrap();

    let message = "The email address or password is not correct.";
    assert!(wrong_password.contains(message) && unknown.contains(message));
    assert!(wrong_password.contains("There is a problem"));
    assert!(unknown.contains("value=\"nobody@example.com\""), "what was typed is kept");
    assert!(!unknown.contains("not the password"), "the password is never echoed");
    assert_eq!(app.get("/").await.status(), 303, "not signed in");
    assert_eq!(audit_count(&mut conn), before + 2, "both failures audited");
}

#[tokio::test]
async fn inactive_and_on_leave_users_cannot_sign_in() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let inactive = create_user(&mut conn, "Ivy", "ivy@example.com", Role::TechnicalSupport, None, None);
    let away = create_user(&mut conn, "Olo", "olo@example.com", Role::TechnicalSupport, None, None);
    set_status(&mut conn, inactive.user_id, "inactive");
    set_status(&mut conn, away.user_id, "on_leave");

    for (email, words) in [("ivy@example.com", "inactive"), ("olo@example.com", "on leave")] {
        let response = app.login(email, PASSWORD).await;
        assert_eq!(response.status(), 422);
        assert!(response.text().await.unwrap().contains(words));
        assert_eq!(app.get("/").await.status(), 303);
    }
}

#[tokio::test]
async fn a_deactivated_users_session_ends_at_their_next_request() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let user = create_user(&mut conn, "Ada", "ada@example.com", Role::AccountManager, None, None);
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), 303);
    assert_eq!(app.get("/").await.status(), 200);

    set_status(&mut conn, user.user_id, "inactive");
    let response = app.get("/").await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login");
    set_status(&mut conn, user.user_id, "active");
    assert_eq!(app.get("/").await.status(), 303, "the session was ended, not just refused once");
}

#[tokio::test]
async fn a_post_without_the_right_csrf_token_is_refused_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    create_user(&mut conn, "Ada", "ada@example.com", Role::Executive, None, None);
    let before = audit_count(&mut conn);
    app.get("/login").await;

    let missing = app.post_raw("/login", &[("email", "ada@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(missing.status(), 403);
    assert!(missing.text().await.unwrap().contains("did not come from this site"));
    let wrong =
        app.post_raw("/login", &[("email", "ada@example.com"), ("password", PASSWORD), ("csrf_token", "0123")]).await;
    assert_eq!(wrong.status(), 403);

    assert_eq!(audit_count(&mut conn), before, "nothing written");
    assert_eq!(app.get("/").await.status(), 303, "not signed in");
}

#[tokio::test]
async fn the_sign_in_page_writes_no_session_and_its_token_holds_only_with_its_signed_cookie() {
    use diesel::prelude::*;
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    create_user(&mut conn, "Ada", "ada@example.com", Role::Executive, None, None);
    let sessions =
        |conn: &mut PgConnection| -> i64 { incident_desk::schema::sessions::table.count().get_result(conn).unwrap() };
    let before = (sessions(&mut conn), audit_count(&mut conn));
    let page = app.get("/login").await;
    let cookie = page.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
    assert!(cookie.starts_with("incident_desk_sign_in="), "{cookie}");
    let token = token_in(&page.text().await.unwrap()).unwrap();
    assert_eq!(sessions(&mut conn), before.0, "showing the sign-in page writes no session");

    let sign_in = |cookie: Option<String>| {
        let mut request = client().post(app.url("/login")).form(&[
            ("email", "ada@example.com"),
            ("password", PASSWORD),
            ("csrf_token", token.as_str()),
        ]);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send()
    };
    assert_eq!(sign_in(None).await.unwrap().status(), 403, "the token alone is refused");
    let forged = format!("incident_desk_sign_in={token}");
    assert_eq!(sign_in(Some(forged)).await.unwrap().status(), 403, "an unsigned cookie is refused");
    assert_eq!((sessions(&mut conn), audit_count(&mut conn)), before, "refusals write nothing");
    let signed_in = sign_in(Some(cookie)).await.unwrap();
    assert_eq!(signed_in.status(), 303, "the token with its signed cookie signs in");
    assert_eq!(sessions(&mut conn), before.0 + 1, "the session starts at sign-in");
}

#[tokio::test]
async fn repeated_failures_slow_down_that_account_only() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    create_user(&mut conn, "Ada", "ada@example.com", Role::Executive, None, None);
    create_user(&mut conn, "Bob", "bob@example.com", Role::Executive, None, None);
    for _ in 0..3 {
        assert_eq!(app.login("ada@example.com", "guess").await.status(), 422);
    }
    let throttled = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(throttled.status(), 429);
    let retry_after: u64 = throttled.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(throttled.text().await.unwrap().contains("Too many failed sign-in attempts"));
    assert_eq!(app.login("bob@example.com", PASSWORD).await.status(), 303, "other accounts are unaffected");
    // The guesser is slowed, but the real user is not locked out: after the short wait, the right password works.
    assert!((1..=2).contains(&retry_after), "a short wait after the first failures: {retry_after} s");
    tokio::time::sleep(std::time::Duration::from_secs(retry_after)).await;
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), 303, "the real user gets in");
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let app = TestApp::spawn().await;
    create_user(&mut app.db.conn(), "Ada", "ada@example.com", Role::Executive, None, None);
    app.login("ada@example.com", PASSWORD).await;
    let home = app.get("/").await.text().await.unwrap();
    let token = token_in(&home).expect("sign-out form carries a token");
    let response = app.post_raw("/logout", &[("csrf_token", &token)]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login");
    assert_eq!(app.get("/").await.status(), 303);
}

#[tokio::test]
async fn pages_carry_security_headers_and_cookie_flags() {
    let app = TestApp::spawn().await;
    let response = app.get("/login").await;
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    assert!(header("content-security-policy").contains("frame-ancestors 'none'"));
    assert!(!header("content-security-policy").contains("unsafe-inline"));
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("referrer-policy"), "same-origin");
    let cookie = header("set-cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let page = response.text().await.unwrap();
    assert!(page.contains("<label for=\"email\">") && page.contains("<h1>Sign in</h1>"));
}

#[tokio::test]
async fn health_check_and_error_pages() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    let missing = app.get("/no/such/page").await;
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Page not found"));
    assert_eq!(app.get("/").await.status(), 303, "anonymous users are sent to sign in");
    let head = app.client.head(app.url("/healthz")).send().await.unwrap();
    assert_eq!(head.status(), 200, "monitors may ask with HEAD");
    assert!(head.text().await.unwrap().is_empty(), "a HEAD answer has no body");
    assert_eq!(app.client.head(app.url("/incidents")).send().await.unwrap().status(), 303);
}

#[tokio::test]
async fn health_check_answers_503_when_the_database_is_down() {
    let unused_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = TestApp::spawn_on(TestDb::new(), &format!("postgres://postgres@127.0.0.1:{unused_port}/none"));
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 503);
    assert!(response.text().await.unwrap().contains("The database is not available"));
}

#[tokio::test]
async fn a_copied_session_cookie_stops_working_at_sign_out_and_password_change() {
    let app = TestApp::spawn().await;
    create_user(&mut app.db.conn(), "Ada", "ada@example.com", Role::Executive, None, None);
    let cookie_of = |response: &reqwest::Response| {
        response.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string()
    };
    let with_cookie = |cookie: String| {
        let url = app.url("/");
        async move { client().get(url).header("cookie", cookie).send().await.unwrap().status() }
    };

    let signed_in = app.login("ada@example.com", PASSWORD).await;
    let copied = cookie_of(&signed_in);
    assert_eq!(with_cookie(copied.clone()).await, 200, "the copy works while the session lives");
    let token = token_in(&app.get("/").await.text().await.unwrap()).unwrap();
    app.post_raw("/logout", &[("csrf_token", &token)]).await;
    assert_eq!(with_cookie(copied).await, 303, "signing out ends the session everywhere it was copied");

    let browser = app.browser();
    let copied = cookie_of(&browser.login("ada@example.com", PASSWORD).await);
    let other_device = app.browser();
    other_device.login("ada@example.com", PASSWORD).await;
    let changed = browser
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new password"),
                ("confirm_password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(changed.status(), 303);
    assert_eq!(with_cookie(copied).await, 303, "the old session key is gone");
    assert_eq!(other_device.get("/").await.status(), 303, "other sessions end at a password change");
    assert_eq!(browser.get("/").await.status(), 200, "the browser that changed it stays signed in");
}

#[tokio::test]
async fn a_nul_character_in_a_form_is_a_clear_400_and_refusals_carry_security_headers() {
    let app = TestApp::spawn().await;
    let response = app.post("/login", &[("email", "ada\0@example.com"), ("password", "x")]).await;
    assert_eq!(response.status(), 400);
    assert!(response.headers().contains_key("content-security-policy"));
    assert!(response.text().await.unwrap().contains("NUL character"));
    let csrf = app.post_raw("/login", &[("email", "a@example.com"), ("password", "x")]).await;
    assert_eq!(csrf.status(), 403);
    assert!(csrf.headers().contains_key("content-security-policy") && csrf.headers().contains_key("x-frame-options"));
}

#[tokio::test]
async fn an_oversized_form_is_a_clear_413_page() {
    let app = TestApp::spawn().await;
    // The server reads an oversized form to its end before answering, so the browser always gets the page (an
    // answer sent while it was still sending used to reach it as a reset connection, now and then).
    for size in [600_000, 4_000_000, 600_000, 4_000_000, 600_000] {
        let response = app.post("/login", &[("email", &"x".repeat(size)), ("password", "x")]).await;
        assert_eq!(response.status(), 413, "{size} bytes");
        assert!(response.headers().contains_key("content-security-policy"));
        assert!(response.text().await.unwrap().contains("The form is too large to send"));
    }
}

#[tokio::test]
async fn pages_answer_503_while_the_database_is_down() {
    let unused_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = TestApp::spawn_on(TestDb::new(), &format!("postgres://postgres@127.0.0.1:{unused_port}/none"));
    assert_eq!(app.get("/login").await.status(), 200, "the sign-in page itself needs no database");
    let login = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(login.status(), 503, "signing in says the database is down, not a bare 500");
    assert!(login.headers().contains_key("content-security-policy"));
    assert!(login.text().await.unwrap().contains("The database is not available right now"));
    assert_eq!(location(&app.get("/incidents").await), "/login", "anonymous requests still go to sign in");
}
