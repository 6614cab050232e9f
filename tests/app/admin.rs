//! Administration forms end to end: happy paths with their audit entries, each refusal, roles, scope,
//! approvals and concurrent edits.
use crate::fixtures::{ROLES, World, world};
use crate::support::*;
use diesel::prelude::*;
use incident_desk::domain::enums::Role;

/// The newest audit entry: action, entity type, entity id, actor role and changes.
fn last_audit(conn: &mut PgConnection) -> (String, String, String, Option<String>, serde_json::Value) {
    use incident_desk::schema::audit_logs::dsl::*;
    audit_logs.order(audit_id.desc()).select((action, entity_type, entity_id, actor_role, changes)).first(conn).unwrap()
}

/// A valid new record for each form, the table it lands in, and the roles that may create it.
type ValidForm = (&'static str, &'static str, Vec<(&'static str, String)>, &'static [Role]);

fn valid_forms(w: &World) -> Vec<ValidForm> {
    use Role::*;
    vec![
        (
            "/clients",
            "clients",
            vec![
                ("client_name", "Cobalt Energy".into()),
                ("registration_number", "REG20000001".into()),
                ("contact_email", "desk@cobalt.example".into()),
                ("client_type", "startup".into()),
                ("status", "active".into()),
            ],
            &[SystemAdministrator],
        ),
        (
            "/users",
            "users",
            vec![
                ("name", "Nia Tech".into()),
                ("email", "nia@provider.example".into()),
                ("role", "technical_support".into()),
                ("timezone", "CET".into()),
                ("status", "active".into()),
                ("password", "a long enough password".into()),
            ],
            &[SystemAdministrator, IncidentManager],
        ),
        (
            "/vendors",
            "vendors",
            vec![
                ("vendor_name", "Tessellate Security".into()),
                ("vendor_type", "security_provider".into()),
                ("contact_email", "help@tessellate.example".into()),
                ("contact_phone", "+15550000099".into()),
                ("status", "active".into()),
            ],
            &[SystemAdministrator, IncidentManager, Executive],
        ),
        (
            "/products",
            "products",
            vec![
                ("product_name", "Ledger Vault".into()),
                ("product_type", "Database".into()),
                ("version", "1.0.0".into()),
                ("support_vendor_id", w.vendor.to_string()),
                ("status", "active".into()),
            ],
            &[SystemAdministrator, TechnicalSupport],
        ),
        (
            "/components",
            "infrastructure_components",
            vec![
                ("component_name", "Vault-db-1".into()),
                ("component_type", "Database".into()),
                ("product_id", w.product.to_string()),
                ("environment", "production".into()),
                ("port_number", "5432".into()),
                ("operational_status", "operational".into()),
            ],
            &[SystemAdministrator, TechnicalSupport],
        ),
        (
            "/subscriptions",
            "subscriptions",
            vec![
                ("client_id", w.client_a.to_string()),
                ("product_id", w.product.to_string()),
                ("subscription_type", "full_service".into()),
                ("sla_tier", "standard".into()),
                ("start_date", "2026-02-01".into()),
                ("end_date", "2027-02-01".into()),
                ("status", "active".into()),
            ],
            &[SystemAdministrator, AccountManager, IncidentManager, Executive],
        ),
        (
            "/slas",
            "service_level_agreements",
            vec![
                ("subscription_id", w.subscription_a.to_string()),
                ("severity_level", "P1".into()),
                ("response_time_minutes", "20".into()),
                ("resolution_time_hours", "3".into()),
                ("availability_percentage", "99.9".into()),
            ],
            &[SystemAdministrator, AccountManager, IncidentManager, Executive],
        ),
    ]
}

#[tokio::test]
async fn each_form_creates_its_record_with_one_audit_entry() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    for (path, table, fields, roles) in valid_forms(&w) {
        let browser = app.signed_in(w.emails[&roles[0]]).await;
        let (status, form) = browser.text(&format!("{path}/new")).await;
        assert_eq!(status, 200, "{path}/new");
        for (name, _) in &fields {
            assert!(form.contains(&format!("name=\"{name}\"")), "{path}/new has a field named {name}");
        }
        let (rows, audits) = (count(&mut conn, table), audit_count(&mut conn));
        let response = browser.post(path, &pairs(&fields)).await;
        assert_eq!(response.status(), 303, "{path}: {}", response.text().await.unwrap());
        let target = location(&response).to_string();
        assert!(target.starts_with(&format!("{path}/")), "{target}");
        assert_eq!(count(&mut conn, table), rows + 1, "{path}: one record");
        let (action, _, id, role, changes) = last_audit(&mut conn);
        // The first allowed role never approves (approvals are tested on their own), so: one entry.
        assert_eq!(audit_count(&mut conn) - audits, 1, "{path}: one audit entry");
        assert_eq!(action, "create", "{path}");
        assert_eq!(format!("{path}/{id}"), target);
        assert_eq!(role.as_deref(), Some(roles[0].as_str()));
        let (first_field, first_value) = &fields[0];
        assert_eq!(changes[first_field]["new"].as_str(), Some(first_value.as_str()), "{path}: changed fields recorded");
        let (status, page) = browser.text(&target).await;
        assert_eq!(status, 200);
        assert!(page.contains("was created"), "{path}: flash");
        assert!(
            page.contains("<h2 id=\"history-title\">History</h2>") && page.contains("<strong>Created</strong>"),
            "{path}: history shown"
        );
        // The history names the records the new one points to, as its page does.
        if let Some((_, client)) = fields.iter().find(|(name, _)| *name == "client_id") {
            let name: String = incident_desk::schema::clients::table
                .find(client.parse::<i32>().unwrap())
                .select(incident_desk::schema::clients::client_name)
                .first(&mut conn)
                .unwrap();
            let history = page.split_once("id=\"history-title\"").unwrap().1;
            assert!(history.contains(&name), "{path}: the client by name in the history: {history}");
            assert!(!history.contains(&format!("client {client}")), "{path}: not by its number: {history}");
        }
    }
    let stored: Option<String> = incident_desk::schema::users::table
        .filter(incident_desk::schema::users::email.eq("nia@provider.example"))
        .select(incident_desk::schema::users::password_hash)
        .first(&mut conn)
        .unwrap();
    assert!(stored.unwrap().starts_with("$argon2id$"));
    let audit_text: Vec<serde_json::Value> = incident_desk::schema::audit_logs::table
        .select(incident_desk::schema::audit_logs::changes)
        .load(&mut conn)
        .unwrap();
    let audit_text = serde_json::to_string(&audit_text).unwrap();
    assert!(
        !audit_text.contains("a long enough password") && !audit_text.contains("argon2"),
        "no password or hash in the audit log"
    );
}

#[tokio::test]
async fn each_form_refuses_every_role_that_may_not_use_it() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let mut browsers = Vec::new();
    for role in ROLES {
        browsers.push((role, app.signed_in(w.emails[&role]).await));
    }
    for (path, table, fields, roles) in valid_forms(&w) {
        for (role, browser) in &browsers {
            if roles.contains(role) {
                continue;
            }
            let before = (count(&mut conn, table), audit_count(&mut conn));
            let response = browser.post(path, &pairs(&fields)).await;
            assert_eq!(response.status(), 403, "{path} by {role:?}");
            let page = response.text().await.unwrap();
            assert!(
                page.contains("only") && page.contains(&role.label().to_lowercase()),
                "{path} by {role:?}: the rule is named: {page}"
            );
            assert_eq!(
                (count(&mut conn, table), audit_count(&mut conn)),
                before,
                "{path} by {role:?}: nothing written"
            );
            assert_eq!(browser.get(&format!("{path}/new")).await.status(), 403, "{path}/new by {role:?}");
        }
    }
    for role in [Role::ClientContact, Role::VendorContact] {
        let browser = &browsers.iter().find(|(r, _)| *r == role).unwrap().1;
        assert_eq!(browser.get("/clients").await.status(), 403, "contacts do not administer");
        assert_eq!(browser.get(&format!("/clients/{}", w.client_a)).await.status(), 403);
    }
}

#[tokio::test]
async fn each_validation_refusal_names_the_field_keeps_the_input_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let forms = valid_forms(&w);
    let inactive_sub = w.expired_subscription.to_string();
    let cases: Vec<(&str, &str, String, &str)> = vec![
        (
            "/clients",
            "registration_number",
            "REG10000001".into(),
            "A client with this registration number already exists",
        ),
        ("/clients", "contact_email", "OPS@ACME.EXAMPLE".into(), "A client with this contact email already exists"),
        ("/clients", "client_type", "conglomerate".into(), "Client type must be one of"),
        ("/clients", "client_name", "".into(), "Enter the name."),
        ("/clients", "client_name", "\u{200B}\u{FEFF}".into(), "Enter the name."),
        ("/users", "email", "admin@provider.example".into(), "A user with this email already exists"),
        ("/users", "role", "client_contact".into(), "A client contact needs a client"), // shown on client_id
        ("/users", "client_id", "9999".into(), "The client chosen does not exist"),
        ("/users", "password", "short".into(), "at least 12 characters"),
        ("/vendors", "vendor_name", "northwind cloud".into(), "A vendor with this name already exists"),
        ("/vendors", "contact_phone", "+15550000001".into(), "A vendor with this contact phone already exists"),
        ("/vendors", "contact_phone", "call me".into(), "international format"),
        ("/products", "product_name", "QueueManager Pro".into(), "A product with this name already exists"),
        ("/products", "support_vendor_id", "424242".into(), "The vendor chosen does not exist"),
        ("/components", "component_name", "Queue-main-1".into(), "already exists"),
        ("/components", "port_number", "99999".into(), "Port must be between 1 and 65535"),
        ("/subscriptions", "end_date", "2026-01-15".into(), "The end date must be after the start date"),
        ("/subscriptions", "start_date", "2026-13-01".into(), "Start date must be a real date"),
        ("/subscriptions", "product_id", "".into(), "Choose the product."),
        (
            "/slas",
            "response_time_minutes",
            "45".into(),
            "breaks the Premium tier's bound for P1: it must be at most 30 minutes",
        ),
        ("/slas", "resolution_time_hours", "1".into(), "it must be at least 2 hours"),
        (
            "/slas",
            "subscription_id",
            inactive_sub,
            "SLAs can only be set on an active subscription; this subscription is expired",
        ),
        ("/slas", "severity_level", "P7".into(), "Severity must be one of"),
    ];
    let admin = app.signed_in(w.emails[&Role::SystemAdministrator]).await;
    for (path, field, value, message) in cases {
        let (_, table, fields, _) = forms.iter().find(|(p, ..)| *p == path).unwrap();
        let mut submitted = pairs(fields);
        submitted.retain(|(k, _)| *k != field);
        submitted.push((field, &value));
        let before = (count(&mut conn, table), audit_count(&mut conn));
        let response = admin.post(path, &submitted).await;
        assert_eq!(response.status(), 422, "{path} {field}={value}");
        let page = response.text().await.unwrap();
        assert!(page.contains(&escape(message)), "{path} {field}={value}: expected «{message}»");
        // The error sits on the field to fix: for a contact without a client, that is the client.
        let fix = if message.contains("needs a client") { "client_id" } else { field };
        assert!(
            page.contains("There is a problem") && page.contains(&format!("href=\"#{fix}\"")),
            "{path} {field}: error summary links the field"
        );
        let kept = &fields.iter().find(|(k, _)| *k != field && *k != "password").unwrap().1;
        assert!(page.contains(&escape(kept)), "{path}: what was typed is kept");
        assert_eq!((count(&mut conn, table), audit_count(&mut conn)), before, "{path} {field}: nothing written");
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&#38;").replace('\'', "&#39;").replace('"', "&#34;").replace('<', "&#60;").replace('>', "&#62;")
}

#[tokio::test]
async fn a_scoped_account_manager_acts_only_on_their_client() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let manager = app.signed_in(w.scoped_manager).await;

    let (_, clients) = manager.text("/clients").await;
    assert!(clients.contains("Acme Logistics") && !clients.contains("Borealis Bank"), "the list is scoped");
    let (_, subscriptions) = manager.text("/subscriptions").await;
    assert!(!subscriptions.contains(&format!("/subscriptions/{}\"", w.subscription_b)));
    for path in [
        format!("/clients/{}", w.client_b),
        format!("/clients/{}/edit", w.client_b),
        format!("/subscriptions/{}", w.subscription_b),
    ] {
        let response = manager.get(&path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(!response.text().await.unwrap().contains("Borealis"), "{path}: nothing leaks");
    }
    let before = audit_count(&mut conn);
    let edit =
        manager.post(&format!("/clients/{}", w.client_b), &[("client_name", "Hijacked"), ("lock_version", "1")]).await;
    assert_eq!(edit.status(), 404);
    let subscription = manager
        .post(
            "/subscriptions",
            &[
                ("client_id", &w.client_b.to_string()),
                ("product_id", &w.product.to_string()),
                ("subscription_type", "trial"),
                ("sla_tier", "basic"),
                ("start_date", "2026-03-01"),
                ("end_date", "2026-06-01"),
                ("status", "active"),
            ],
        )
        .await;
    assert_eq!(subscription.status(), 422);
    assert!(subscription.text().await.unwrap().contains("The client chosen does not exist"));
    assert_eq!(audit_count(&mut conn), before, "nothing written");

    // Their own client they may update.
    let edit = manager
        .post(
            &format!("/clients/{}", w.client_a),
            &[
                ("client_name", "Acme Logistics Group"),
                ("registration_number", "REG10000001"),
                ("contact_email", "ops@acme.example"),
                ("client_type", "enterprise"),
                ("status", "active"),
                ("lock_version", "1"),
            ],
        )
        .await;
    assert_eq!(edit.status(), 303);
    let (action, kind, id, _, changes) = last_audit(&mut conn);
    assert_eq!((action.as_str(), kind.as_str(), id), ("update", "client", w.client_a.to_string()));
    assert_eq!(changes["client_name"]["old"], "Acme Logistics");
    assert_eq!(changes["client_name"]["new"], "Acme Logistics Group");
    assert_eq!(changes.as_object().unwrap().len(), 1, "only the changed field is recorded");
}

#[tokio::test]
async fn subscription_approvals_follow_the_roles() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let accounts = app.signed_in(w.emails[&Role::AccountManager]).await;
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let executive = app.signed_in(w.emails[&Role::Executive]).await;
    let client = w.client_a.to_string();
    let product = w.product.to_string();
    let submit = async |tier: &'static str| {
        let response = accounts
            .post(
                "/subscriptions",
                &[
                    ("client_id", &client),
                    ("product_id", &product),
                    ("subscription_type", "full_service"),
                    ("sla_tier", tier),
                    ("start_date", "2026-03-01"),
                    ("end_date", "2027-03-01"),
                    ("status", "active"),
                ],
            )
            .await;
        assert_eq!(response.status(), 303);
        location(&response).to_string()
    };

    // A standard subscription from an account manager waits for an incident manager or executive.
    let standard = submit("standard").await;
    let (_, page) = accounts.text(&standard).await;
    assert!(page.contains("Waiting for approval") && page.contains("incident managers and executives"), "{page}");
    assert!(!page.contains("/decide\""), "the submitter cannot approve");
    assert_eq!(accounts.post(&format!("{standard}/approve"), &[]).await.status(), 403);
    let before = audit_count(&mut conn);
    let approved = manager.post(&format!("{standard}/approve"), &[]).await;
    assert_eq!(approved.status(), 303);
    let (action, _, _, role, changes) = last_audit(&mut conn);
    assert_eq!((action.as_str(), role.as_deref()), ("approve", Some("incident_manager")));
    assert_eq!(changes["approval_status"]["new"], "approved");
    assert_eq!(audit_count(&mut conn), before + 1);
    let (_, page) = manager.text(&standard).await;
    assert!(page.contains("approved by Incident manager"), "who approved is shown");
    assert_eq!(manager.post(&format!("{standard}/approve"), &[]).await.status(), 409, "already decided");

    // A premium one needs an executive.
    let premium = submit("premium").await;
    let (_, page) = accounts.text(&premium).await;
    assert!(page.contains("an executive"));
    let refused = manager.post(&format!("{premium}/approve"), &[]).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("only executives may approve"));
    // A rejection needs a reason.
    let no_reason = executive.post(&format!("{premium}/reject"), &[("rejection_reason", " ")]).await;
    assert_eq!(no_reason.status(), 422);
    assert!(no_reason.text().await.unwrap().contains("enter the reason"));
    let rejected =
        executive.post(&format!("{premium}/reject"), &[("rejection_reason", "Premium is not in the contract")]).await;
    assert_eq!(rejected.status(), 303);
    let (action, _, _, _, changes) = last_audit(&mut conn);
    assert_eq!(action, "reject");
    assert_eq!(changes["rejection_reason"]["new"], "Premium is not in the contract");
    let (_, page) = accounts.text(&premium).await;
    assert!(page.contains("Rejected by Executive") && page.contains("Premium is not in the contract"));

    // An executive's own premium submission is in force at once, audited as create and approve.
    let before = audit_count(&mut conn);
    let own = executive
        .post(
            "/subscriptions",
            &[
                ("client_id", &w.client_b.to_string()),
                ("product_id", &w.product.to_string()),
                ("subscription_type", "custom"),
                ("sla_tier", "premium"),
                ("start_date", "2026-03-01"),
                ("end_date", "2027-03-01"),
                ("status", "active"),
            ],
        )
        .await;
    assert_eq!(own.status(), 303);
    assert_eq!(audit_count(&mut conn), before + 2);
    let status: String =
        diesel::sql_query("SELECT approval_status AS title FROM subscriptions ORDER BY subscription_id DESC LIMIT 1")
            .get_result::<Text>(&mut conn)
            .unwrap()
            .title;
    assert_eq!(status, "approved");
}

#[derive(QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    title: String,
}

#[tokio::test]
async fn an_sla_by_an_account_manager_waits_and_an_edit_by_one_waits_again() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let accounts = app.signed_in(w.emails[&Role::AccountManager]).await;
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let sla = [
        ("subscription_id", w.subscription_b.to_string()),
        ("severity_level", "P2".to_string()),
        ("response_time_minutes", "300".to_string()),
        ("resolution_time_hours", "30".to_string()),
    ];
    let response = accounts.post("/slas", &pairs(&sla)).await;
    assert_eq!(response.status(), 303);
    let path = location(&response).to_string();
    assert!(accounts.text(&path).await.1.contains("incident managers and executives"));
    assert_eq!(manager.post(&format!("{path}/approve"), &[]).await.status(), 303);

    let mut edit = pairs(&sla);
    edit.retain(|(k, _)| *k != "response_time_minutes");
    edit.push(("response_time_minutes", "360"));
    edit.push(("lock_version", "2"));
    let response = accounts.post(&path, &edit).await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    let (_, page) = accounts.text(&path).await;
    assert!(page.contains("waits for approval again") && page.contains("Waiting for approval"));
    let (action, _, _, _, changes) = last_audit(&mut conn);
    assert_eq!(action, "update");
    assert_eq!(changes["response_time_minutes"]["new"], "360");
    assert_eq!(changes["approval_status"]["old"], "approved");
    assert_eq!(changes["approval_status"]["new"], "pending");
}

#[tokio::test]
async fn the_second_of_two_concurrent_edits_gets_a_conflict_page_and_overwrites_nothing() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let first = app.signed_in(w.emails[&Role::SystemAdministrator]).await;
    let second = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    let path = format!("/products/{}", w.product);
    for browser in [&first, &second] {
        let (status, form) = browser.text(&format!("{path}/edit")).await;
        assert_eq!(status, 200);
        assert!(form.contains("name=\"lock_version\" value=\"1\""));
    }
    let product = |version: &'static str| {
        [
            ("product_name", "QueueManager Pro"),
            ("product_type", "Software"),
            ("version", version),
            ("support_vendor_id", ""),
            ("status", "active"),
            ("lock_version", "1"),
        ]
    };
    assert_eq!(first.post(&path, &product("2.2.0")).await.status(), 303);
    let before = audit_count(&mut conn);
    let conflict = second.post(&path, &product("9.9.9")).await;
    assert_eq!(conflict.status(), 409);
    let page = conflict.text().await.unwrap();
    assert!(page.contains("Someone else saved this record"));
    assert!(page.contains("The record as it is now") && page.contains("2.2.0"), "the current values are shown");
    assert!(page.contains("value=\"9.9.9\""), "the second editor's input is kept");
    assert!(page.contains("name=\"lock_version\" value=\"2\""), "saving again is a deliberate choice");
    assert_eq!(audit_count(&mut conn), before);
    let version: Option<String> = incident_desk::schema::products::table
        .find(w.product)
        .select(incident_desk::schema::products::version)
        .first(&mut conn)
        .unwrap();
    assert_eq!(version.as_deref(), Some("2.2.0"));
}

#[tokio::test]
async fn lists_filter_and_paginate_and_bad_filters_are_refused() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    for n in 0..55 {
        diesel::sql_query(format!(
            "INSERT INTO clients (client_name, registration_number, contact_email, client_type, status) VALUES ('Client {n:02}', 'REG3{n:07}', 'c{n}@example.com', 'startup', '{}')",
            if n % 5 == 0 { "suspended" } else { "active" }
        ))
        .execute(&mut conn)
        .unwrap();
    }
    let admin = app.signed_in(w.emails[&Role::SystemAdministrator]).await;
    let (status, first) = admin.text("/clients").await;
    assert_eq!(status, 200);
    assert!(first.contains("showing 1–50 of 57") && first.contains("rel=\"next\""), "{first}");
    let (_, second) = admin.text("/clients?page=2").await;
    assert!(second.contains("showing 51–57 of 57") && second.contains("rel=\"prev\""));
    let (_, suspended) = admin.text("/clients?status=suspended").await;
    assert!(suspended.contains("of 11") && !suspended.contains("Acme Logistics"));
    let (_, none) = admin.text("/clients?status=inactive").await;
    assert!(none.contains("No clients match these filters."));
    // A page past the end says how many pages there are, rather than that there are no clients.
    let (status, past) = admin.text("/clients?page=3").await;
    assert_eq!(status, 400);
    assert!(past.contains("There is no page 3: this list has 2 pages."), "{past}");
    let (status, past) = admin.text("/clients?status=suspended&page=2").await;
    assert!(status == 400 && past.contains("this list has one page"), "{past}");
    assert!(!suspended.contains("aria-label=\"Pages\""), "a list of one page has no page links");
    for bad in ["/clients?status=bogus", "/clients?page=0", "/clients?page=abc", "/subscriptions?client_id=abc"] {
        let response = admin.get(bad).await;
        assert_eq!(response.status(), 400, "{bad}");
    }
    assert_eq!(admin.get("/clients/not-a-number").await.status(), 404);
    let (status, component) = admin.text(&format!("/components/{}", w.component)).await;
    assert_eq!(status, 200);
    assert!(
        component.contains("Queue-main-1")
            && component.contains("Incidents (0)")
            && component.contains("QueueManager Pro")
    );
    assert_eq!(admin.get("/clients/999999").await.status(), 404);
}

#[tokio::test]
async fn role_and_status_changes_belong_to_administrators_and_incident_managers() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let support_id: i32 = incident_desk::schema::users::table
        .filter(incident_desk::schema::users::email.eq(w.emails[&Role::TechnicalSupport]))
        .select(incident_desk::schema::users::user_id)
        .first(&mut conn)
        .unwrap();
    let change = [
        ("name", "Technical support"),
        ("email", w.emails[&Role::TechnicalSupport]),
        ("role", "incident_manager"),
        ("timezone", "UTC"),
        ("status", "on_leave"),
        ("lock_version", "1"),
    ];
    let executive = app.signed_in(w.emails[&Role::Executive]).await;
    assert_eq!(executive.post(&format!("/users/{support_id}"), &change).await.status(), 403);
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let response = manager.post(&format!("/users/{support_id}"), &change).await;
    assert_eq!(response.status(), 303);
    let (action, _, _, _, changes) = last_audit(&mut conn);
    assert_eq!(action, "update");
    assert_eq!(
        (changes["role"]["new"].as_str(), changes["status"]["new"].as_str()),
        (Some("incident_manager"), Some("on_leave"))
    );
    let refused = app.browser().login(w.emails[&Role::TechnicalSupport], PASSWORD).await;
    assert_eq!(refused.status(), 422, "a user on leave cannot sign in");
}

#[tokio::test]
async fn passwords_are_set_by_administrators_and_changed_by_their_owners() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let support_email = w.emails[&Role::TechnicalSupport];
    let support_id: i32 = incident_desk::schema::users::table
        .filter(incident_desk::schema::users::email.eq(support_email))
        .select(incident_desk::schema::users::user_id)
        .first(&mut conn)
        .unwrap();
    let admin = app.signed_in(w.emails[&Role::SystemAdministrator]).await;
    let short = admin.post(&format!("/users/{support_id}/password"), &[("password", "short")]).await;
    assert_eq!(short.status(), 422);
    assert_eq!(
        admin
            .post(&format!("/users/{support_id}/password"), &[("password", "set by the administrator")])
            .await
            .status(),
        303
    );
    let (action, _, _, _, changes) = last_audit(&mut conn);
    assert_eq!(action, "update");
    assert_eq!(changes["password_hash"]["new"], "[redacted]");
    let (_, page) = admin.text(&format!("/users/{support_id}")).await;
    let history = page.split_once("id=\"history-title\"").unwrap().1;
    assert!(history.contains("set anew (not shown)") && !history.contains("Password hash"), "{history}");
    let executive = app.signed_in(w.emails[&Role::Executive]).await;
    assert_eq!(
        executive
            .post(&format!("/users/{support_id}/password"), &[("password", "executive tries this")])
            .await
            .status(),
        403
    );

    let user = app.browser();
    assert_eq!(user.login(support_email, "set by the administrator").await.status(), 303);
    let wrong = user
        .post(
            "/account/password",
            &[
                ("current_password", "not it"),
                ("new_password", "my own new password"),
                ("confirm_password", "my own new password"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert!(wrong.text().await.unwrap().contains("Your current password is not correct."));
    let mismatch = user
        .post(
            "/account/password",
            &[
                ("current_password", "set by the administrator"),
                ("new_password", "my own new password"),
                ("confirm_password", "my own new passw0rd"),
            ],
        )
        .await;
    assert_eq!(mismatch.status(), 422);
    let before_cookie = user.get("/").await.status();
    assert_eq!(before_cookie, 200);
    let changed = user
        .post(
            "/account/password",
            &[
                ("current_password", "set by the administrator"),
                ("new_password", "my own new password"),
                ("confirm_password", "my own new password"),
            ],
        )
        .await;
    assert_eq!(changed.status(), 303);
    assert!(changed.headers().get("set-cookie").is_some(), "the session is renewed");
    assert_eq!(user.get("/").await.status(), 200, "still signed in");
    assert_eq!(app.browser().login(support_email, "my own new password").await.status(), 303);
    assert_eq!(app.browser().login(support_email, "set by the administrator").await.status(), 422);
}

#[tokio::test]
async fn only_approved_slas_count_as_targets() {
    use incident_desk::service_levels::target;
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    assert_eq!(target(&mut conn, w.client_a, "P1").unwrap(), None, "no SLA yet: no target");
    let accounts = app.signed_in(w.emails[&Role::AccountManager]).await;
    let executive = app.signed_in(w.emails[&Role::Executive]).await;
    let submit = async |response: &str| {
        let sla = [
            ("subscription_id", w.subscription_a.to_string()),
            ("severity_level", "P1".to_string()),
            ("response_time_minutes", response.to_string()),
            ("resolution_time_hours", "4".to_string()),
        ];
        let created = accounts.post("/slas", &pairs(&sla)).await;
        assert_eq!(created.status(), 303);
        location(&created).to_string()
    };
    let pending = submit("15").await;
    assert_eq!(target(&mut conn, w.client_a, "P1").unwrap(), None, "a pending SLA is not a target");
    assert_eq!(executive.post(&format!("{pending}/reject"), &[("rejection_reason", "Too tight")]).await.status(), 303);
    assert_eq!(target(&mut conn, w.client_a, "P1").unwrap(), None, "a rejected SLA is not a target");
    let approved = submit("30").await;
    assert_eq!(executive.post(&format!("{approved}/approve"), &[]).await.status(), 303);
    let found = target(&mut conn, w.client_a, "P1").unwrap().expect("the approved SLA applies");
    assert_eq!((found.response_time_minutes, found.resolution_time_hours), (30, 4));
    assert_eq!(target(&mut conn, w.client_b, "P1").unwrap(), None, "another client's SLA never applies");
}

#[tokio::test]
async fn nobody_raises_their_own_rights_or_resets_an_administrators_password_without_being_one() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let manager_id = crate::fixtures::user_id(&mut conn, w.emails[&Role::IncidentManager]);
    let admin_id = crate::fixtures::user_id(&mut conn, w.emails[&Role::SystemAdministrator]);
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let before = audit_count(&mut conn);
    let promote = manager
        .post(
            &format!("/users/{manager_id}"),
            &[
                ("name", "Incident manager"),
                ("email", w.emails[&Role::IncidentManager]),
                ("role", "system_administrator"),
                ("timezone", "UTC"),
                ("status", "active"),
                ("lock_version", "1"),
            ],
        )
        .await;
    assert_eq!(promote.status(), 403);
    assert!(promote.text().await.unwrap().contains("nobody changes their own role or status"));
    let reset_admin =
        manager.post(&format!("/users/{admin_id}/password"), &[("password", "taking over the admin")]).await;
    assert_eq!(reset_admin.status(), 403);
    assert!(
        reset_admin
            .text()
            .await
            .unwrap()
            .contains(&escape("only system administrators set a system administrator's password"))
    );
    assert_eq!(
        manager.get(&format!("/users/{manager_id}/password")).await.status(),
        403,
        "one's own password is changed on My password"
    );
    assert_eq!(audit_count(&mut conn), before, "nothing written");
    assert_eq!(app.browser().login(w.emails[&Role::SystemAdministrator], PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn an_approvers_edit_of_a_rejected_record_is_audited_as_an_approval() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let accounts = app.signed_in(w.emails[&Role::AccountManager]).await;
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    let sla = [
        ("subscription_id", w.subscription_b.to_string()),
        ("severity_level", "P3".to_string()),
        ("response_time_minutes", "1440".to_string()),
        ("resolution_time_hours", "80".to_string()),
    ];
    let created = accounts.post("/slas", &pairs(&sla)).await;
    let path = location(&created).to_string();
    assert_eq!(manager.post(&format!("{path}/reject"), &[("rejection_reason", "Use 72 hours")]).await.status(), 303);
    let mut edit = pairs(&sla);
    edit.push(("lock_version", "2"));
    let before = audit_count(&mut conn);
    assert_eq!(manager.post(&path, &edit).await.status(), 303);
    assert_eq!(audit_count(&mut conn), before + 2, "update and approve");
    let (action, _, _, _, changes) = last_audit(&mut conn);
    assert_eq!(action, "approve");
    assert_eq!(changes["approval_status"]["old"], "rejected");
    assert_eq!(changes["rejection_reason"]["old"], "Use 72 hours");
}

#[tokio::test]
async fn slas_need_an_approved_subscription_and_dates_stay_within_sensible_years() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    diesel::sql_query(format!(
        "UPDATE subscriptions SET approval_status = 'pending' WHERE subscription_id = {}",
        w.subscription_b
    ))
    .execute(&mut conn)
    .unwrap();
    let executive = app.signed_in(w.emails[&Role::Executive]).await;
    let sla = [
        ("subscription_id", w.subscription_b.to_string()),
        ("severity_level", "P1".to_string()),
        ("response_time_minutes", "60".to_string()),
        ("resolution_time_hours", "8".to_string()),
    ];
    let refused = executive.post("/slas", &pairs(&sla)).await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("SLAs can only be set on an approved subscription; this subscription is waiting for approval")
    );
    for year in ["0000-01-01", "+10000-01-01", "1066-10-14"] {
        let response = executive
            .post(
                "/subscriptions",
                &[
                    ("client_id", &w.client_a.to_string()),
                    ("product_id", &w.product.to_string()),
                    ("subscription_type", "trial"),
                    ("sla_tier", "basic"),
                    ("start_date", year),
                    ("end_date", "2027-01-01"),
                    ("status", "active"),
                ],
            )
            .await;
        assert_eq!(response.status(), 422, "{year}");
        assert!(response.text().await.unwrap().contains("between the years 1900 and 2200"));
    }
}

#[tokio::test]
async fn lists_sort_by_their_columns_and_the_knowledge_base_is_searched() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let admin = app.signed_in(w.emails[&Role::SystemAdministrator]).await;
    let (_, ascending) = admin.text("/clients?sort=client_type").await;
    let (_, descending) = admin.text("/clients?sort=-client_type").await;
    let position = |page: &str, name: &str| page.find(name).unwrap_or_else(|| panic!("{name}"));
    assert!(
        position(&ascending, "Acme Logistics") < position(&ascending, "Borealis Bank"),
        "enterprise before mid-market"
    );
    assert!(position(&descending, "Borealis Bank") < position(&descending, "Acme Logistics"));
    assert!(
        ascending.contains("aria-sort=\"ascending\"")
            && ascending.contains("href=\"/clients?sort=-client_type&#38;page=1\"")
    );
    assert_eq!(admin.get("/clients?sort=password_hash").await.status(), 400, "only described columns sort");

    let author = crate::fixtures::user_id(&mut conn, w.emails[&Role::TechnicalSupport]);
    for (title, body) in
        [("Restarting the broker", "Drain queues first."), ("Rotating certificates", "Renew before expiry.")]
    {
        diesel::sql_query(format!("INSERT INTO knowledge_base_articles (title, article_type, category, created_by_user, status, body) VALUES ('{title}', 'faq', 'technical', {author}, 'published', '{body}')")).execute(&mut conn).unwrap();
    }
    let client = app.signed_in(w.emails[&Role::ClientContact]).await;
    let (_, found) = client.text("/kb?q=queues").await;
    assert!(found.contains("Restarting the broker") && !found.contains("Rotating certificates"), "{found}");
}

#[tokio::test]
async fn every_record_list_exports_its_filtered_rows_as_csv_within_scope() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let manager = app.signed_in(w.scoped_manager).await;
    let csv = manager.get("/clients.csv").await;
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap();
    // Labels over the columns as the list shows them; the client's name once, since it is a field.
    assert!(csv.starts_with("ID,Name,Registration number,Contact email,Client type,"), "{csv}");
    let acme = csv.lines().find(|line| line.contains("Acme Logistics")).expect("Acme's row");
    assert!(!acme.contains("Not given"), "an empty field is an empty cell: {acme}");
    assert!(csv.contains("Acme Logistics") && !csv.contains("Borealis"), "scoped: {csv}");
    let admin = app.signed_in(w.emails[&Role::SystemAdministrator]).await;
    let filtered = admin.text("/subscriptions.csv?sla_tier=premium").await.1;
    assert_eq!(filtered.lines().count(), 2, "the header and the one premium subscription: {filtered}");
    let users = admin.text("/users.csv").await.1;
    assert!(!users.contains("argon2") && !users.contains("password"), "no password hashes");
    let contact = app.signed_in(w.emails[&Role::ClientContact]).await;
    assert_eq!(contact.get("/clients.csv").await.status(), 403);
    assert_eq!(admin.get("/clients.csv?status=bogus").await.status(), 400);
}
