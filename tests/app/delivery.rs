//! Communications that reach people: the outbox, the delivery worker against a real mail server on a local port
//! (`smtp::MailServer`), the `.eml` fallback, notifications and the clients' automatic notices.
use crate::fixtures::{self, World, world};
use crate::smtp::{MailServer, Mode};
use crate::support::*;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use incident_desk::clock::Clock;
use incident_desk::config::SecretUrl;
use incident_desk::db;
use incident_desk::delivery::mail::Mailer;
use incident_desk::delivery::worker::{Policy, Worker};
use incident_desk::domain::enums::Role;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PUBLIC_URL: &str = "http://desk.example";

fn from() -> lettre::message::Mailbox {
    "Incident Desk <desk@provider.example>".parse().unwrap()
}

fn smtp(server: &MailServer) -> Arc<Mailer> {
    let url = SecretUrl(url::Url::parse(&server.url()).unwrap());
    Arc::new(Mailer::smtp(&url, Duration::from_secs(5), from(), PUBLIC_URL).expect("mailer"))
}

/// Retries fast, so that giving up takes well under a second.
fn quick() -> Policy {
    Policy {
        first_retry: Duration::from_millis(50),
        give_up_after: Duration::from_millis(400),
        lease: Duration::from_secs(60),
        idle_wait: Duration::from_millis(20),
    }
}

fn worker(db: &TestDb, mailer: Arc<Mailer>, policy: Policy) -> Worker {
    Worker::new(db::pool(&db.url, 2, Duration::from_secs(5)), Clock::system(), mailer, policy)
}

/// The communication's status, when it was sent, and why it failed.
fn status(conn: &mut PgConnection, id: i32) -> (String, Option<DateTime<Utc>>, Option<String>) {
    use incident_desk::schema::communications::dsl::*;
    communications.find(id).select((delivery_status, sent_at, failure_reason)).first(conn).unwrap()
}

/// A delivery as the tests read it: (address, status, failure reason, message id).
type DeliveryRow = (Option<String>, String, Option<String>, Option<String>);

/// Each delivery of a communication.
fn deliveries_of(conn: &mut PgConnection, id: i32) -> Vec<DeliveryRow> {
    use incident_desk::schema::deliveries::dsl::*;
    deliveries
        .filter(communication_id.eq(id))
        .order(delivery_id)
        .select((address, status, failure_reason, message_id))
        .load(conn)
        .unwrap()
}

fn latest_communication(conn: &mut PgConnection) -> i32 {
    use incident_desk::schema::communications::dsl::*;
    communications.select(communication_id).order(communication_id.desc()).first(conn).unwrap()
}

/// Records a communication through the service, as the incident manager of the world.
fn record(conn: &mut PgConnection, w: &World, incident: i32, fields: &[(&'static str, &str)]) -> i32 {
    let manager_id = fixtures::user_id(conn, w.emails[&Role::IncidentManager]);
    let manager = incident_desk::users::queries::find(conn, manager_id).unwrap().unwrap();
    let submitted = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let told = incident_desk::incidents::forms::Communication::read(&submitted).expect("a readable communication");
    conn.transaction(|conn| {
        let on = incident_desk::incidents::service::OnIncident {
            clock: &Clock::system(),
            user: &manager,
            incident_id: incident,
        };
        incident_desk::incidents::service::communicate(conn, on, &told)
    })
    .unwrap_or_else(|refusal| panic!("recorded: {refusal:?}"))
}

fn email_to_client_contacts(message: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("recipient_type", "client_contacts"),
        ("communication_type", "update"),
        ("delivery_method", "email"),
        ("message", message),
    ]
}

/// Acme's contacts beyond the world's one: (active, inactive), and Borealis' contact.
fn more_contacts(conn: &mut PgConnection, w: &World) -> (Vec<String>, String, String) {
    let mut active = vec![w.emails[&Role::ClientContact].to_string()];
    for n in 1..=2 {
        let email = format!("contact{n}@acme.example");
        create_user(conn, &format!("Acme Contact {n}"), &email, Role::ClientContact, Some(w.client_a), None);
        active.push(email);
    }
    let gone = create_user(conn, "Acme Leaver", "leaver@acme.example", Role::ClientContact, Some(w.client_a), None);
    set_status(conn, gone.user_id, "inactive");
    create_user(conn, "Bo Borealis", "bo@borealis.example", Role::ClientContact, Some(w.client_b), None);
    (active, "leaver@acme.example".into(), "bo@borealis.example".into())
}

fn audit_by_system(conn: &mut PgConnection, entity: &str) -> Vec<serde_json::Value> {
    use incident_desk::schema::audit_logs::dsl::*;
    audit_logs
        .filter(actor_role.eq("system"))
        .filter(entity_type.eq(entity))
        .filter(audit_by_user.is_null())
        .order(audit_id)
        .select(changes)
        .load(conn)
        .unwrap()
}

#[tokio::test]
async fn an_email_to_client_contacts_reaches_each_active_contact_of_that_client_once_and_shows_sent() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let (active, leaver, other_client) = more_contacts(&mut conn, &w);
    let id = fixtures::incident(&mut conn, "Payment API timeouts", w.client_a, w.component, "investigating");
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;

    // The form says who sets the status, and refuses a status picked by hand for email.
    let (_, form) = manager.text(&format!("/incidents/{id}/communications/new")).await;
    assert!(form.contains("Incident Desk sends them and sets sent"), "the form says so");
    let mut fields = email_to_client_contacts("Payments are slow; we are failing over.");
    fields.push(("delivery_status", "sent"));
    let picked = manager.post(&format!("/incidents/{id}/communications"), &fields).await;
    assert_eq!(picked.status(), 422);
    assert!(picked.text().await.unwrap().contains("sets their status from the outcome"));
    assert_eq!(count(&mut conn, "communications"), 0, "nothing written");

    fields.pop();
    let recorded = manager.post(&format!("/incidents/{id}/communications"), &fields).await;
    assert_eq!(recorded.status(), 303);
    let communication = latest_communication(&mut conn);
    assert_eq!(status(&mut conn, communication), ("pending".into(), None, None), "pending until tried");
    assert_eq!(count(&mut conn, "deliveries"), 3, "one delivery per active contact of Acme");

    let server = MailServer::start(Mode::Accept);
    let attempts = worker(&app.db, smtp(&server), quick()).deliver_due().unwrap();
    assert_eq!(attempts, 3);
    let accepted = server.accepted();
    let mut addressed: Vec<String> = accepted.iter().flat_map(|m| m.to.clone()).collect();
    addressed.sort();
    let mut expected = active.clone();
    expected.sort();
    assert_eq!(addressed, expected, "each active Acme contact once; not {leaver}, not {other_client}");

    let mail = accepted.iter().find(|m| m.to == [w.emails[&Role::ClientContact]]).unwrap();
    assert_eq!(mail.from, "desk@provider.example");
    assert_eq!(mail.header("Subject").unwrap(), format!("[Incident {id}] Update: Payment API timeouts"));
    let body = mail.body();
    for words in [
        "Payments are slow; we are failing over.",
        "Incident:  Payment API timeouts",
        "Severity:  P2 High",
        "Status:    Investigating",
        "Client:    Acme Logistics",
        &format!("Open it:   {PUBLIC_URL}/incidents/{id}"),
    ] {
        assert!(body.contains(words), "the mail says {words:?}:\n{body}");
    }

    let (state, sent_at, reason) = status(&mut conn, communication);
    assert_eq!((state.as_str(), reason), ("sent", None));
    let sent_at = sent_at.expect("sent_at is set when the server accepts");
    assert!((Utc::now() - sent_at).num_seconds() < 60);
    let kept: Vec<String> = deliveries_of(&mut conn, communication).into_iter().filter_map(|d| d.3).collect();
    let mut used: Vec<String> = accepted.iter().map(|m| m.header("Message-ID").unwrap()).collect();
    used.sort();
    let mut kept_sorted = kept.clone();
    kept_sorted.sort();
    assert_eq!(used, kept_sorted, "the Message-ID of each message is kept");
    let audited = audit_by_system(&mut conn, "delivery");
    assert_eq!(audited.len(), 3, "each delivery's change is audited, by the system");
    assert_eq!(audited[0]["status"]["new"], "sent");
    let communication_audit = audit_by_system(&mut conn, "communication");
    assert_eq!(communication_audit.len(), 1);
    assert_eq!(communication_audit[0]["delivery_status"]["new"], "sent");

    // The communication's page shows it sent, with the time, and each delivery.
    let (status_code, page) = manager.text(&format!("/incidents/{id}/communications/{communication}")).await;
    assert_eq!(status_code, 200);
    assert!(page.contains("<strong>Sent</strong> at "), "{page}");
    // The page says where email goes (the test app is built without a mail server, as `cargo run` is).
    assert!(page.contains("Email is written as .eml files under the data folder"), "where mail goes");
    assert!(page.contains("contact1@acme.example") && page.contains("Accepted: 250"), "{page}");
    let (_, incident_page) = manager.text(&format!("/incidents/{id}")).await;
    assert!(incident_page.contains(&format!("/incidents/{id}/communications/{communication}")), "linked");

    // The contact sees it under Notifications.
    let contact = app.signed_in(w.emails[&Role::ClientContact]).await;
    let (_, home) = contact.text("/").await;
    assert!(home.contains("1 unread notification<"), "the header counts it");
    let (_, notifications) = contact.text("/notifications").await;
    assert!(notifications.contains("Payments are slow; we are failing over."));
    assert_eq!(contact.get(&format!("/incidents/{id}/communications/{communication}")).await.status(), 403);
}

#[tokio::test]
async fn a_refusing_mail_server_leaves_the_communication_failed_with_the_reason_after_the_retries() {
    let test_db = TestDb::new();
    let mut conn = test_db.conn();
    let w = world(&mut conn);
    let id = fixtures::incident(&mut conn, "Mail relay outage", w.client_a, w.component, "investigating");
    let server = MailServer::start(Mode::RefuseForNow);
    let communication = record(&mut conn, &w, id, &email_to_client_contacts("Are you there?"));
    let worker = worker(&test_db, smtp(&server), quick());
    let start = Instant::now();
    while status(&mut conn, communication).0 == "pending" && start.elapsed() < Duration::from_secs(20) {
        worker.deliver_due().unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    let (state, sent_at, reason) = status(&mut conn, communication);
    assert_eq!((state.as_str(), sent_at), ("failed", None));
    let reason = reason.unwrap();
    assert!(reason.contains("1 of 1 deliveries failed") && reason.contains("451"), "{reason}");
    assert!(reason.contains("Given up after"), "{reason}");
    assert!(server.attempts() >= 3, "retried with backoff: {} attempts", server.attempts());
    assert!(start.elapsed() < Duration::from_secs(10), "gave up within the bound");
    assert!(server.accepted().is_empty());
    let audited = audit_by_system(&mut conn, "communication");
    assert_eq!(audited.last().unwrap()["delivery_status"]["new"], "failed");

    // A refusal for good is not retried.
    server.set_mode(Mode::RefuseForGood);
    let before = server.attempts();
    let refused = record(&mut conn, &w, id, &email_to_client_contacts("Still there?"));
    worker.deliver_due().unwrap();
    let (state, _, reason) = status(&mut conn, refused);
    assert_eq!(state, "failed");
    assert!(reason.unwrap().contains("550"), "the server's words");
    assert_eq!(server.attempts() - before, 1, "one attempt");
}

#[tokio::test]
async fn two_workers_on_one_database_send_each_message_once() {
    let test_db = TestDb::new();
    let mut conn = test_db.conn();
    let w = world(&mut conn);
    let (active, _, _) = more_contacts(&mut conn, &w);
    let id = fixtures::incident(&mut conn, "Queue backlog", w.client_a, w.component, "investigating");
    let communications: Vec<i32> =
        (0..8).map(|n| record(&mut conn, &w, id, &email_to_client_contacts(&format!("Update number {n}")))).collect();
    let total = communications.len() * active.len();
    assert_eq!(count(&mut conn, "deliveries") as usize, total);
    let server = MailServer::start(Mode::Accept);
    let workers = [worker(&test_db, smtp(&server), quick()), worker(&test_db, smtp(&server), quick())];
    let barrier = std::sync::Barrier::new(2);
    let attempts: Vec<usize> = std::thread::scope(|scope| {
        let running: Vec<_> = workers
            .iter()
            .map(|worker| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    worker.deliver_due().unwrap()
                })
            })
            .collect();
        running.into_iter().map(|r| r.join().unwrap()).collect()
    });
    assert_eq!(attempts.iter().sum::<usize>(), total, "{attempts:?}: each delivery attempted once");
    let accepted = server.accepted();
    assert_eq!(accepted.len(), total, "each message handed over once");
    let mut ids: Vec<String> = accepted.iter().map(|m| m.header("Message-ID").unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "no Message-ID twice");
    let mut pairs: Vec<(String, String)> =
        accepted.iter().map(|m| (m.to.join(","), m.header("Subject").unwrap() + &m.body())).collect();
    pairs.sort();
    pairs.dedup();
    assert_eq!(pairs.len(), total, "no recipient got the same message twice");
    for communication in communications {
        assert_eq!(status(&mut conn, communication).0, "sent");
    }
}

/// The server process is killed while the mail server has a message in hand and has not answered; a new server
/// on the same database sends what was still waiting, and nothing twice.
#[test]
fn a_restart_in_the_middle_of_delivery_sends_nothing_twice() {
    let test_db = TestDb::new();
    let mut conn = test_db.conn();
    let w = world(&mut conn);
    let (active, _, _) = more_contacts(&mut conn, &w);
    let id = fixtures::incident(&mut conn, "Broker restart", w.client_a, w.component, "investigating");
    let communication = record(&mut conn, &w, id, &email_to_client_contacts("Restarting the broker."));
    let server = MailServer::start(Mode::AcceptThenStall(1));
    let data = tempfile::tempdir().unwrap();
    let serve = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_incident-desk"))
            .arg("serve")
            .env("DATABASE_URL", &test_db.url)
            .env("BIND_ADDR", "127.0.0.1:0")
            .env("INCIDENT_DESK_DATA_DIR", data.path())
            .env("SMTP_URL", server.url())
            .env("MAIL_TIMEOUT_SECONDS", "2")
            .env("MAIL_RETRY_SECONDS", "1")
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start the server")
    };
    let mut first = serve();
    let stalled = server.wait_for(Duration::from_secs(120), |s| s.stalled() == 1);
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(stalled, "the first server handed over one message and was stopped in the middle of the second");
    assert_eq!(server.accepted().len(), 1);
    let states: Vec<String> = deliveries_of(&mut conn, communication).into_iter().map(|d| d.1).collect();
    assert_eq!(states.iter().filter(|s| *s == "sent").count(), 1, "{states:?}");
    assert_eq!(states.iter().filter(|s| *s == "sending").count(), 1, "marked before it was sent: {states:?}");

    server.set_mode(Mode::Accept);
    let mut second = serve();
    let settled = {
        let start = Instant::now();
        loop {
            let states: Vec<String> = deliveries_of(&mut conn, communication).into_iter().map(|d| d.1).collect();
            if !states.iter().any(|s| s == "pending" || s == "sending") || start.elapsed() > Duration::from_secs(60) {
                break states;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    second.kill().unwrap();
    second.wait().unwrap();
    let accepted = server.accepted();
    let mut addressed: Vec<String> = accepted.iter().flat_map(|m| m.to.clone()).collect();
    addressed.sort();
    addressed.dedup();
    assert_eq!(addressed.len(), accepted.len(), "nobody got it twice: {addressed:?}");
    assert_eq!(accepted.len(), active.len() - 1, "the waiting ones were sent after the restart");
    assert_eq!(settled.iter().filter(|s| *s == "sent").count(), active.len() - 1, "{settled:?}");
    let interrupted: Vec<_> = deliveries_of(&mut conn, communication).into_iter().filter(|d| d.1 == "failed").collect();
    assert_eq!(interrupted.len(), 1);
    let reason = interrupted[0].2.clone().unwrap();
    assert!(reason.contains("interrupted") && reason.contains(interrupted[0].3.as_deref().unwrap()), "{reason}");
    let (state, _, reason) = status(&mut conn, communication);
    assert_eq!(state, "failed");
    assert!(reason.unwrap().contains(&format!("1 of {} deliveries failed", active.len())));
}

#[tokio::test]
async fn without_a_mail_server_each_message_is_an_eml_file_a_mail_client_can_open() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let id = fixtures::incident(&mut conn, "Disk full on db-2", w.client_a, w.component, "in_progress");
    let contact = fixtures::user_id(&mut conn, w.emails[&Role::ClientContact]).to_string();
    let communication = record(
        &mut conn,
        &w,
        id,
        &[
            ("recipient_id", &contact),
            ("communication_type", "resolution"),
            ("delivery_method", "email"),
            ("message", "Space freed; ünïcode survives."),
        ],
    );
    let folder = tempfile::tempdir().unwrap();
    let mailer = Arc::new(Mailer::files(folder.path().join("mail"), from(), PUBLIC_URL));
    assert!(mailer.described().contains("written as .eml files to"));
    worker(&app.db, mailer.clone(), quick()).deliver_due().unwrap();
    assert_eq!(status(&mut conn, communication).0, "sent");
    let files: Vec<_> = std::fs::read_dir(folder.path().join("mail")).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().unwrap(), "eml");
    let bytes = std::fs::read(&files[0]).unwrap();
    let mail = mailparse::parse_mail(&bytes).expect("a mail client can read it");
    use mailparse::MailHeaderMap;
    let header = |name: &str| mail.headers.get_first_value(name).unwrap_or_else(|| panic!("no {name} header"));
    assert_eq!(header("From"), "\"Incident Desk\" <desk@provider.example>");
    assert!(header("To").contains(w.emails[&Role::ClientContact]));
    assert_eq!(header("Subject"), format!("[Incident {id}] Resolution: Disk full on db-2"));
    assert!(mailparse::dateparse(&header("Date")).is_ok(), "an RFC 5322 date");
    assert_eq!(Some(header("Message-ID")), deliveries_of(&mut conn, communication)[0].3);
    assert_eq!(header("MIME-Version"), "1.0");
    assert_eq!(mail.ctype.mimetype, "text/plain");
    let body = mail.get_body().unwrap();
    assert!(body.contains("Space freed; ünïcode survives.") && body.contains("Status:    In progress"), "{body}");
}

#[tokio::test]
async fn notifications_show_what_is_addressed_to_the_reader_count_unread_and_mark_read() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    more_contacts(&mut conn, &w);
    let id = fixtures::incident(&mut conn, "VPN flaps", w.client_a, w.component, "investigating");
    let borealis_incident =
        fixtures::incident(&mut conn, "Borealis private outage", w.client_b, w.other_component, "open");
    let contact_id = fixtures::user_id(&mut conn, w.emails[&Role::ClientContact]);
    let dashboard = record(
        &mut conn,
        &w,
        id,
        &[
            ("recipient_type", "client_contacts"),
            ("communication_type", "notification"),
            ("delivery_method", "dashboard_notification"),
            ("message", "The VPN is being replaced tonight."),
        ],
    );
    let call = record(
        &mut conn,
        &w,
        id,
        &[
            ("recipient_id", &contact_id.to_string()),
            ("communication_type", "update"),
            ("delivery_method", "phone"),
            ("delivery_status", "delivered"),
            ("message", "Called about the VPN."),
        ],
    );
    record(&mut conn, &w, borealis_incident, &email_to_client_contacts("Borealis only."));
    assert_eq!(status(&mut conn, dashboard).0, "pending", "until the worker delivers it");
    let folder = tempfile::tempdir().unwrap();
    worker(&app.db, Arc::new(Mailer::files(folder.path().to_path_buf(), from(), PUBLIC_URL)), quick())
        .deliver_due()
        .unwrap();
    assert_eq!(status(&mut conn, dashboard).0, "sent");

    let contact = app.signed_in(w.emails[&Role::ClientContact]).await;
    let (_, page) = contact.text("/notifications").await;
    assert!(page.contains("2 unread notifications<"), "the header counts both");
    assert!(page.contains("The VPN is being replaced tonight.") && page.contains("Called about the VPN."));
    assert!(!page.contains("Borealis"), "another client's stay out of sight");

    let borealis = app.signed_in("bo@borealis.example").await;
    let (_, theirs) = borealis.text("/notifications").await;
    assert!(theirs.contains("Borealis only.") && !theirs.contains("VPN"), "scope");
    assert_eq!(borealis.post(&format!("/notifications/{dashboard}/read"), &[]).await.status(), 404);
    let executive = app.signed_in(w.emails[&Role::Executive]).await;
    let (_, nothing) = executive.text("/notifications").await;
    assert!(nothing.contains("No notifications yet") && nothing.contains("No unread notifications"));

    let before = audit_count(&mut conn);
    let read = contact.post(&format!("/notifications/{dashboard}/read"), &[]).await;
    assert_eq!((read.status().as_u16(), location(&read)), (303, "/notifications"));
    let (_, page) = contact.text("/notifications").await;
    assert!(page.contains("Notification marked read.") && page.contains("1 unread notification<"), "{page}");
    assert_eq!(audit_count(&mut conn), before + 1, "marking read is audited");
    let again = contact.post(&format!("/notifications/{dashboard}/read"), &[]).await;
    assert_eq!(again.status(), 409, "read already");
    assert!(again.text().await.unwrap().contains("this notification is read already"));
    assert_eq!(audit_count(&mut conn), before + 1, "and nothing changed");

    let all = contact.post("/notifications/read", &[]).await;
    assert_eq!(all.status(), 303);
    let (_, page) = contact.text("/notifications").await;
    assert!(page.contains("1 notification marked read.") && page.contains("No unread notifications"), "{page}");
    assert!(page.contains("Called about the VPN."), "read ones stay listed");
    assert!(!page.contains(&format!("/notifications/{call}/read")), "no button to read it again");
    assert_eq!(contact.post("/notifications/read", &[]).await.status(), 409, "nothing is unread");
}

#[tokio::test]
async fn clients_that_ask_for_it_have_their_contacts_told_about_their_incidents() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let (active, _, _) = more_contacts(&mut conn, &w);
    let admin = app.signed_in(w.emails[&Role::SystemAdministrator]).await;
    let opt_in = admin
        .post(
            &format!("/clients/{}", w.client_a),
            &[
                ("client_name", "Acme Logistics"),
                ("registration_number", "REG10000001"),
                ("contact_email", "ops@acme.example"),
                ("client_type", "enterprise"),
                ("status", "active"),
                ("incident_notices", "email"),
                ("lock_version", "1"),
            ],
        )
        .await;
    assert_eq!(opt_in.status(), 303);
    let (_, client_page) = admin.text(&format!("/clients/{}", w.client_a)).await;
    assert!(client_page.contains("Incident notices to contacts"));

    let support = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    let detected = (Utc::now() - chrono::Duration::minutes(10)).format("%Y-%m-%dT%H:%M").to_string();
    let report = |client: i32, title: &'static str| {
        vec![
            ("title", title.to_string()),
            ("category", "Performance".into()),
            ("severity", "P2".into()),
            ("impact_level", "high".into()),
            ("urgency_level", "high".into()),
            ("client_id", client.to_string()),
            ("component_id", w.component.to_string()),
            ("detection_timestamp", detected.clone()),
            ("confirm_duplicate", "yes".into()),
        ]
    };
    let quiet = support.post("/incidents", &pairs(&report(w.client_b, "Borealis asked for nothing"))).await;
    assert_eq!(quiet.status(), 303);
    assert_eq!(count(&mut conn, "communications"), 0, "Borealis did not ask for notices");
    let reported = support.post("/incidents", &pairs(&report(w.client_a, "Scanner queue stuck"))).await;
    assert_eq!(reported.status(), 303);
    let id: i32 = location(&reported).rsplit('/').next().unwrap().parse().unwrap();
    let notice = latest_communication(&mut conn);
    let (sender, kind, group): (Option<i32>, String, Option<String>) = {
        use incident_desk::schema::communications::dsl::*;
        communications.find(notice).select((sender_id, communication_type, recipient_type)).first(&mut conn).unwrap()
    };
    assert_eq!((sender, kind.as_str(), group.as_deref()), (None, "notification", Some("client_contacts")));
    assert_eq!(deliveries_of(&mut conn, notice).len(), active.len(), "one per active Acme contact");
    let audited = audit_by_system(&mut conn, "communication");
    assert_eq!(audited.len(), 1, "recorded as the system's");

    let (_, edit) = support.text(&format!("/incidents/{id}/edit")).await;
    let version = edit.split("name=\"lock_version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let moved = support
        .post(
            &format!("/incidents/{id}"),
            &[
                ("status", "investigating"),
                ("severity", "P2"),
                ("impact_level", "high"),
                ("urgency_level", "high"),
                ("lock_version", &version),
            ],
        )
        .await;
    assert_eq!(moved.status(), 303);
    let update = latest_communication(&mut conn);
    assert_ne!(update, notice);
    let message: Option<String> = {
        use incident_desk::schema::communications::dsl::*;
        communications.find(update).select(message).first(&mut conn).unwrap()
    };
    assert_eq!(message.as_deref(), Some(&*format!("Incident {id} is now investigating: Scanner queue stuck.")));

    let server = MailServer::start(Mode::Accept);
    worker(&app.db, smtp(&server), quick()).deliver_due().unwrap();
    assert_eq!(server.accepted().len(), 2 * active.len());
    assert!(server.accepted().iter().all(|m| m.to[0].ends_with("@acme.example")));
    let (_, timeline) = support.text(&format!("/incidents/{id}")).await;
    assert!(timeline.contains("<strong>Incident Desk</strong>"), "the timeline names the product as sender");
}

/// The password in `SMTP_URL` is used to sign in to the mail server and never shown.
#[tokio::test]
async fn the_mail_servers_password_is_used_and_never_shown() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let id = fixtures::incident(&mut conn, "Relay auth", w.client_a, w.component, "investigating");
    let communication = record(&mut conn, &w, id, &email_to_client_contacts("Signed in."));
    let server = MailServer::start(Mode::Accept);
    let url = SecretUrl(url::Url::parse(&format!("smtp://desk:s3cret-Pa55@127.0.0.1:{}", server.port)).unwrap());
    assert_eq!(format!("{url}"), format!("smtp://desk:********@127.0.0.1:{}", server.port));
    assert!(!format!("{url:?}").contains("s3cret"));
    let mailer = Arc::new(Mailer::smtp(&url, Duration::from_secs(5), from(), PUBLIC_URL).unwrap());
    assert!(mailer.described().contains("desk:********@") && !mailer.described().contains("s3cret"));
    worker(&app.db, mailer, quick()).deliver_due().unwrap();
    assert_eq!(status(&mut conn, communication).0, "sent");
    use base64::Engine;
    let login = server.logins().pop().expect("signed in");
    let decoded = base64::engine::general_purpose::STANDARD.decode(login).unwrap();
    assert_eq!(decoded, b"\0desk\0s3cret-Pa55");
    let trail: Vec<serde_json::Value> = {
        use incident_desk::schema::audit_logs::dsl::*;
        audit_logs.select(changes).load(&mut conn).unwrap()
    };
    assert!(!serde_json::to_string(&trail).unwrap().contains("s3cret"), "not in the audit trail");
}
