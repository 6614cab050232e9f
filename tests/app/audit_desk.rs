//! The auditors' desk, `/audit`: filters, keyset pages, CSV, the chain's panel and its background check.
use crate::fixtures::{self, World, user_id, world};
use crate::hostile::unescape;
use crate::support::*;
use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use incident_desk::audit::{self, Actor, Changes, NewEntry, verification};
use incident_desk::clock::Clock;
use incident_desk::domain::enums::Role;
use incident_desk::schema::audit_logs;

/// One seeded entry: who, action, record type and id, and when.
struct Seed {
    user: i32,
    role: Role,
    action: &'static str,
    entity_type: &'static str,
    entity_id: &'static str,
    at: DateTime<Utc>,
}

fn append(conn: &mut PgConnection, seed: &Seed, changes: Changes) -> i64 {
    audit::append(
        conn,
        NewEntry {
            action: seed.action,
            entity_type: seed.entity_type,
            entity_id: seed.entity_id.to_string(),
            actor: Actor::user(seed.user, seed.role),
            created_at: seed.at,
            changes: changes.into_value(),
        },
    )
    .unwrap()
    .audit_id
}

fn noon(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0).unwrap()
}

/// A grid of entries: two people, three actions, two record types, two records, two days.
fn seed_grid(conn: &mut PgConnection, people: [(i32, Role); 2]) {
    for (user, role) in people {
        for action in ["create", "update", "refuse"] {
            for entity_type in ["client", "incident"] {
                for entity_id in ["1", "2"] {
                    for day in [20, 22] {
                        let seed = Seed { user, role, action, entity_type, entity_id, at: noon(day) };
                        append(conn, &seed, Changes::new());
                    }
                }
            }
        }
    }
}

/// The app with the fixtures' world and a grid of entries by its incident manager and its technical support.
async fn seeded() -> (TestApp, World, i32, i32) {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let manager = user_id(&mut conn, w.emails[&Role::IncidentManager]);
    let support = user_id(&mut conn, w.emails[&Role::TechnicalSupport]);
    seed_grid(&mut conn, [(manager, Role::IncidentManager), (support, Role::TechnicalSupport)]);
    (app, w, manager, support)
}

/// The entry numbers a trail page lists, in its order.
fn listed(page: &str) -> Vec<i64> {
    page.split("<tr class=\"timeline-entry\">")
        .skip(1)
        .filter_map(|row| row.split("<th scope=\"row\">").nth(1)?.split('<').next()?.trim().parse().ok())
        .collect()
}

/// The address of the next older page, if the page has one.
fn older_link(page: &str) -> Option<String> {
    let before = page.split("rel=\"next\"").next()?;
    let href = before.rsplit("href=\"").next()?.split('"').next()?;
    page.contains("rel=\"next\"").then(|| unescape(href))
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// The entries that match `condition`, newest first, at most a page.
fn expected(conn: &mut PgConnection, condition: &str) -> Vec<i64> {
    diesel::sql_query(format!(
        "SELECT audit_id AS id FROM audit_logs WHERE {condition} ORDER BY created_at DESC, audit_id DESC LIMIT 50"
    ))
    .load::<Id>(conn)
    .unwrap()
    .into_iter()
    .map(|r| r.id)
    .collect()
}

#[tokio::test]
async fn each_filter_alone_and_combined_lists_exactly_the_matching_entries() {
    let (app, w, manager, support) = seeded().await;
    let mut conn = app.db.conn();
    let auditor = app.signed_in(w.emails[&Role::Executive]).await;
    let cases = [
        (format!("user={manager}"), format!("audit_by_user = {manager}")),
        ("role=technical_support".into(), "actor_role = 'technical_support'".into()),
        ("action=refuse".into(), "action = 'refuse'".into()),
        ("entity_type=incident".into(), "entity_type = 'incident'".into()),
        ("entity_id=2".into(), "entity_id = '2'".into()),
        ("from=2026-11-21".into(), "created_at >= '2026-11-21'".into()),
        ("to=2026-11-21".into(), "created_at < '2026-11-22'".into()),
        // "Everything this person changed on 22 November."
        (
            format!("user={manager}&from=2026-11-22&to=2026-11-22"),
            format!("audit_by_user = {manager} AND created_at >= '2026-11-22' AND created_at < '2026-11-23'"),
        ),
        // "Every refusal that day."
        (
            "action=refuse&from=2026-11-20&to=2026-11-20".into(),
            "action = 'refuse' AND created_at >= '2026-11-20' AND created_at < '2026-11-21'".into(),
        ),
        ("entity_type=client&entity_id=1".into(), "entity_type = 'client' AND entity_id = '1'".into()),
        (
            format!(
                "user={support}&role=technical_support&action=update&entity_type=client&entity_id=2&from=2026-11-22&to=2026-11-22"
            ),
            format!(
                "audit_by_user = {support} AND actor_role = 'technical_support' AND action = 'update' AND entity_type = 'client' \
                 AND entity_id = '2' AND created_at >= '2026-11-22' AND created_at < '2026-11-23'"
            ),
        ),
        (format!("user={manager}&role=technical_support"), "false".into()),
    ];
    for (query, condition) in cases {
        let (status, page) = auditor.text(&format!("/audit?{query}")).await;
        assert_eq!(status, 200, "{query}");
        let wanted = expected(&mut conn, &condition);
        assert_eq!(listed(&page), wanted, "{query}");
        if wanted.is_empty() {
            assert!(page.contains("No entries match these filters."), "{query}");
        }
        // The filters stay in the address and in the form, so the view can be shared.
        assert!(page.contains("Clear the filters"), "{query}");
    }
    for bad in
        ["user=abc", "role=pirate", "action=sneak", "from=2026-02-30", "from=2026-11-22&to=2026-11-21", "before=x"]
    {
        let (status, _) = auditor.text(&format!("/audit?{bad}")).await;
        assert_eq!(status, 400, "{bad}");
    }
}

#[tokio::test]
async fn entries_read_in_words_in_the_viewers_zone_with_a_link_to_their_record() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let manager = user_id(&mut conn, w.emails[&Role::IncidentManager]);
    let support = user_id(&mut conn, w.emails[&Role::TechnicalSupport]);
    diesel::sql_query("UPDATE users SET timezone = 'EST' WHERE role = 'executive'").execute(&mut conn).unwrap();
    let seed = Seed {
        user: manager,
        role: Role::IncidentManager,
        action: "update",
        entity_type: "incident",
        entity_id: "7",
        at: noon(22),
    };
    let changes = Changes::new()
        .field("status", Some("in_progress"), Some("resolved"))
        .field("severity", Some("P3"), Some("P1"))
        .field("assigned_to", Some(manager), Some(support));
    let id = append(&mut conn, &seed, changes);
    let refused = Seed { action: "refuse", entity_type: "work_order", entity_id: "", ..seed };
    append(&mut conn, &refused, Changes::new().field("reason", None::<String>, Some("Work orders: only …")));
    let auditor = app.signed_in(w.emails[&Role::Executive]).await;
    let (_, page) = auditor.text("/audit?entity_type=incident").await;
    assert_eq!(listed(&page), [id]);
    for words in [
        "2026-11-22 07:00 EST",
        "Incident manager",
        "Updated",
        "<a href=\"/incidents/7\">Incident number 7</a>",
        "Status: In progress → Resolved",
        "Severity: P3 Medium → P1 Critical",
        "Assigned to: Incident manager → Technical support",
    ] {
        assert!(page.contains(words), "{words} in {page}");
    }
    assert!(!page.contains("in_progress") && !page.contains("assigned_to"), "no codes: {page}");
    let (_, refusals) = auditor.text("/audit?action=refuse").await;
    assert!(refusals.contains("Refused") && refusals.contains("Reason: Work orders: only …"), "{refusals}");
}

/// The text of each cell of each row of a trail page.
fn page_rows(page: &str) -> Vec<Vec<String>> {
    let text = |html: &str| {
        let mut out = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        unescape(&out).trim().to_string()
    };
    page.split("<tr class=\"timeline-entry\">")
        .skip(1)
        .map(|row| {
            let row = row.split("</tr>").next().unwrap();
            row.split("<t").skip(1).map(|cell| text(&format!("<t{}", cell.split("</t").next().unwrap()))).collect()
        })
        .collect()
}

#[tokio::test]
async fn the_csv_holds_exactly_the_entries_of_the_filtered_page() {
    let (app, w, manager, _) = seeded().await;
    let mut conn = app.db.conn();
    let seed = Seed {
        user: manager,
        role: Role::IncidentManager,
        action: "update",
        entity_type: "client",
        entity_id: "1",
        at: noon(23),
    };
    append(
        &mut conn,
        &seed,
        Changes::new().field("status", Some("active"), Some("suspended")).field(
            "industry",
            None::<String>,
            Some("Energy, \"retail\""),
        ),
    );
    let auditor = app.signed_in(w.emails[&Role::SystemAdministrator]).await;
    let query = format!("user={manager}&entity_type=client");
    let (_, page) = auditor.text(&format!("/audit?{query}")).await;
    let on_page = page_rows(&page);
    assert_eq!(on_page.len(), 13);
    let response = auditor.get(&format!("/audit.csv?{query}")).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, ["entry", "time", "who", "role", "action", "record", "link", "changes", "entry hash"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), on_page.len());
    for (row, cells) in rows.iter().zip(&on_page) {
        let changes = if row[7].is_empty() { "—".to_string() } else { row[7].replace("; ", "") };
        let as_on_page = [
            row[0].to_string(),
            row[1].to_string(),
            format!("{} ({})", &row[2], &row[3]),
            row[4].to_string(),
            row[5].to_string(),
            changes,
        ];
        assert_eq!(cells.as_slice(), as_on_page, "{row:?}");
    }
    assert_eq!(&rows[0][7], "Industry: Energy, \"retail\"; Status: Active → Suspended");
    assert_eq!(&rows[0][6], "/clients/1");
    // Every entry, not a page: the whole unfiltered trail streams in batches.
    let all = auditor.text("/audit.csv").await.1;
    assert_eq!(csv::Reader::from_reader(all.as_bytes()).records().count() as i64, count(&mut conn, "audit_logs"));
}

#[tokio::test]
async fn others_are_refused_the_trail_and_a_refused_check_is_audited() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    for role in
        [Role::IncidentManager, Role::TechnicalSupport, Role::AccountManager, Role::ClientContact, Role::VendorContact]
    {
        let browser = app.signed_in(w.emails[&role]).await;
        let (status, page) = browser.text("/audit").await;
        assert_eq!(status, 403, "{role:?}");
        assert!(page.contains("only system administrators and executives may see the audit trail"), "{page}");
        assert!(!page.contains("Audit trail</a>"), "no link to the trail for {role:?}");
        assert_eq!(browser.get("/audit.csv").await.status(), 403);
        assert_eq!(browser.post("/audit/verify", &[]).await.status(), 403);
        // The refused POST is audited, as every refused POST is; the refused pages write nothing.
        let (kind, reason) = refusals(&mut conn).remove(0);
        assert!(kind == "audit_log" && reason.starts_with("Audit trail:"), "{kind}: {reason}");
        let (_, home) = browser.text("/").await;
        assert!(!home.contains("href=\"/audit\""), "{role:?} is not shown the trail");
    }
    assert_eq!(count(&mut conn, "audit_verifications"), 0, "no check was started");
    let (_, home) = app.signed_in(w.emails[&Role::Executive]).await.text("/").await;
    assert!(home.contains("href=\"/audit\""), "readers find it in the navigation");
}

#[tokio::test]
async fn keyset_pages_walk_ten_thousand_entries_newest_first_without_gaps() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let manager = user_id(&mut conn, w.emails[&Role::IncidentManager]);
    let first = count(&mut conn, "audit_logs") + 1;
    let entries: Vec<(i64, NewEntry<'_>)> = (first..first + 10_020)
        .map(|id| {
            let entry = NewEntry {
                action: if id % 3 == 0 { "update" } else { "create" },
                entity_type: "client",
                entity_id: (id % 7).to_string(),
                actor: Actor::user(manager, Role::IncidentManager),
                created_at: noon(1) + chrono::Duration::seconds(id),
                changes: serde_json::json!({}),
            };
            (id, entry)
        })
        .collect();
    conn.transaction(|conn| {
        audit::append_with_ids(conn, &entries)?;
        diesel::sql_query(
            "SELECT setval(pg_get_serial_sequence('audit_logs', 'audit_id'), max(audit_id)) FROM audit_logs",
        )
        .execute(conn)
    })
    .unwrap();
    let auditor = app.signed_in(w.emails[&Role::SystemAdministrator]).await;
    let total = count(&mut conn, "audit_logs");
    let mut seen: Vec<i64> = Vec::new();
    let mut next = Some("/audit".to_string());
    let mut pages = 0;
    while let Some(path) = next {
        let (status, page) = auditor.text(&path).await;
        assert_eq!(status, 200, "{path}");
        let ids = listed(&page);
        assert!(ids.len() == 50 || older_link(&page).is_none(), "{path}: {} entries", ids.len());
        pages += 1;
        if pages == 3 {
            // Back one page, then on again: the same entries.
            let newer = page.split("rel=\"prev\"").next().unwrap().rsplit("href=\"").next().unwrap();
            let back = auditor.text(&unescape(newer.split('"').next().unwrap())).await.1;
            assert_eq!(listed(&back), seen[50..100]);
            assert!(back.contains("Audit entries 51–100, newest first"), "{back}");
        }
        seen.extend(ids);
        next = older_link(&page);
    }
    assert_eq!(seen.len() as i64, total, "every entry once");
    assert!(seen.windows(2).all(|pair| pair[0] > pair[1]), "newest first, no repeats");
    assert_eq!(pages, (total + 49) / 50);
    // A filtered walk goes the same way over its own entries.
    let mut updates = 0;
    let mut next = Some("/audit?action=update".to_string());
    while let Some(path) = next {
        let page = auditor.text(&path).await.1;
        updates += listed(&page).len() as i64;
        next = older_link(&page);
    }
    assert_eq!(
        updates,
        audit_logs::table.filter(audit_logs::action.eq("update")).count().get_result::<i64>(&mut conn).unwrap()
    );
}

#[tokio::test]
async fn verify_now_runs_in_the_background_and_reports_a_row_altered_behind_the_apps_back() {
    let (app, w, _, _) = seeded().await;
    let mut conn = app.db.conn();
    let auditor = app.signed_in(w.emails[&Role::SystemAdministrator]).await;
    let (_, before) = auditor.text("/audit").await;
    assert!(before.contains("by the newest entry's number (a check counts them exactly)"), "{before}");
    let started = auditor.post("/audit/verify", &[]).await;
    assert_eq!((started.status().as_u16(), location(&started)), (303, "/audit"));
    let page = finished_check(&auditor).await;
    assert!(page.contains("Intact: every entry matches its hash"), "{page}");
    let entries = count(&mut conn, "audit_logs");
    assert!(page.contains(&format!("<dt>Entries</dt><dd>{entries}</dd>")), "counted exactly: {page}");

    let altered: i64 =
        audit_logs::table.select(audit_logs::audit_id).order(audit_logs::audit_id).offset(5).first(&mut conn).unwrap();
    conn.transaction(|conn| {
        diesel::sql_query("SET LOCAL session_replication_role = replica").execute(conn)?;
        diesel::sql_query(format!("UPDATE audit_logs SET action = 'approve' WHERE audit_id = {altered}")).execute(conn)
    })
    .unwrap();
    assert_eq!(auditor.post("/audit/verify", &[]).await.status(), 303);
    let page = finished_check(&auditor).await;
    assert!(page.contains("BROKEN"), "{page}");
    assert!(
        page.contains(&format!("The chain breaks at <a href=\"/audit?at={altered}\">entry {altered}</a>")),
        "{page}"
    );
    assert!(page.contains("the row was altered"), "{page}");
    let (_, from_there) = auditor.text(&format!("/audit?at={altered}")).await;
    assert_eq!(listed(&from_there).first(), Some(&altered), "the link shows the broken entry first");
    // Each check was asked for, and audited as such.
    let checks: Vec<(String, Option<i64>)> = incident_desk::schema::audit_verifications::table
        .select((
            incident_desk::schema::audit_verifications::status,
            incident_desk::schema::audit_verifications::broken_id,
        ))
        .order(incident_desk::schema::audit_verifications::verification_id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(checks, [("intact".to_string(), None), ("broken".to_string(), Some(altered))]);
    let started: i64 = audit_logs::table
        .filter(audit_logs::action.eq("execute").and(audit_logs::entity_type.eq("audit_verification")))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(started, 2);
}

/// Reads the trail's page until its check is no longer running.
async fn finished_check(browser: &Browser) -> String {
    for _ in 0..200 {
        let (status, page) = browser.text("/audit").await;
        assert_eq!(status, 200);
        // A running check's page reloads itself, and says how far it got.
        if !page.contains("<meta http-equiv=\"refresh\"") {
            return page;
        }
        assert!(page.contains("Running: ") || page.contains("Starting: "), "{page}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the check did not finish");
}

#[test]
fn one_check_runs_at_a_time_and_a_stalled_one_gives_way() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let admin = create_user(&mut conn, "Ada", "ada@example.com", Role::SystemAdministrator, None, None);
    let clock = Clock::system();
    let actor = Actor::user(admin.user_id, Role::SystemAdministrator);
    let start = |conn: &mut PgConnection| conn.transaction(|conn| verification::start(conn, &clock, actor)).unwrap();
    let (first, new) = start(&mut conn);
    assert!(new);
    assert_eq!(start(&mut conn), (first, false), "while it runs, asking again shows the same check");
    diesel::sql_query("UPDATE audit_verifications SET updated_at = now() - interval '5 minutes'")
        .execute(&mut conn)
        .unwrap();
    let (second, new) = start(&mut conn);
    assert!(new && second != first, "a check that stopped making progress gives way");
    let (run, _) = verification::latest(&mut conn).unwrap().unwrap();
    assert_eq!(run.verification_id, second);
    let statuses: Vec<String> = incident_desk::schema::audit_verifications::table
        .select(incident_desk::schema::audit_verifications::status)
        .order(incident_desk::schema::audit_verifications::verification_id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(statuses, ["interrupted", "running"]);
}

#[tokio::test]
async fn a_records_history_and_the_incident_page_link_to_its_entries_for_readers_of_the_trail() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    let incident = fixtures::incident(&mut conn, "Queue stalls", w.client_a, w.component, "open");
    let auditor = app.signed_in(w.emails[&Role::Executive]).await;
    let (_, client) = auditor.text(&format!("/clients/{}", w.client_a)).await;
    let href = format!("/audit?entity_type=client&#38;entity_id={}", w.client_a);
    assert!(client.contains(&href), "{client}");
    let (_, page) = auditor.text(&format!("/incidents/{incident}")).await;
    assert!(page.contains(&format!("/audit?entity_type=incident&#38;entity_id={incident}")), "{page}");
    let support = app.signed_in(w.emails[&Role::TechnicalSupport]).await;
    assert!(!support.text(&format!("/clients/{}", w.client_a)).await.1.contains("/audit?"));
    assert!(!support.text(&format!("/incidents/{incident}")).await.1.contains("/audit?"));
}
