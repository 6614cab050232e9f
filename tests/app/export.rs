//! `export` writes the whole database in the import's format: importing the folder into an empty database gives
//! the same rows, column for column (but the password hashes, which stay behind), and the same audit chain.
use crate::fixtures::user_id;
use crate::import::{demo_dataset, exported_demo};
use crate::support::*;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use incident_desk::audit::chain;
use incident_desk::clock::Clock;
use incident_desk::domain::enums::Role;
use incident_desk::import::spec::TABLES;
use incident_desk::import::{self, LoadOptions};
use incident_desk::records::{procedures, service};
use incident_desk::{demo, export, users};
use std::collections::HashMap;

#[derive(QueryableByName)]
struct Rows {
    #[diesel(sql_type = diesel::sql_types::Text)]
    rows: String,
}

/// A table's rows in key order, every column but the password hash, as JSON.
fn rows(conn: &mut PgConnection, table: &str) -> String {
    let key = TABLES.iter().find(|t| t.name == table).unwrap().key();
    diesel::sql_query(format!(
        "SELECT coalesce(json_agg(to_jsonb(t) - 'password_hash' ORDER BY t.{key}), '[]')::text AS rows FROM {table} t"
    ))
    .get_result::<Rows>(conn)
    .unwrap()
    .rows
}

fn filled(conn: &mut PgConnection, table: &str, condition: &str) -> bool {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        found: bool,
    }
    diesel::sql_query(format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE {condition}) AS found"))
        .get_result::<Found>(conn)
        .unwrap()
        .found
}

fn login(conn: &mut PgConnection, role: Role) -> users::User {
    let email = demo::logins().into_iter().find(|l| l.role == role).unwrap().email;
    let id = user_id(conn, email);
    users::queries::find(conn, id).unwrap().unwrap()
}

fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The demo data, and records the product made with its own columns (texts, approvals, audit entries with
/// their changes), so that every column of the format and of the product is filled somewhere.
fn source_database() -> TestDb {
    let db = TestDb::new();
    let mut conn = db.conn();
    let hash = incident_desk::auth::password::hash(PASSWORD).unwrap();
    conn.transaction(|conn| import::load(conn, &demo_dataset(), &LoadOptions { password_hash: Some(&hash) })).unwrap();
    let clock = Clock::system();
    let support = login(&mut conn, Role::TechnicalSupport);
    let manager = login(&mut conn, Role::IncidentManager);
    let made = [
        (
            &support,
            &procedures::WORKAROUNDS,
            form(&[
                ("incident_id", "1"),
                ("effectiveness_level", "partial_mitigation"),
                ("implemented_at", "2026-01-05T10:30"),
                ("description", "Restarted the consumers"),
            ]),
        ),
        (
            &support,
            &procedures::ARTICLES,
            form(&[
                ("title", "Consumer restarts"),
                ("article_type", "faq"),
                ("category", "technical"),
                ("body", "How."),
            ]),
        ),
        (&manager, &procedures::REPORTS, form(&[("incident_id", "1"), ("report_type", "technical_details")])),
    ];
    for (user, resource, input) in made {
        conn.transaction(|conn| service::create(conn, &clock, user, resource, &input, None))
            .unwrap_or_else(|e| panic!("{}: {e:?}", resource.kind));
    }
    let values = [
        ("recipient_type", "all_stakeholders"),
        ("communication_type", "update"),
        ("delivery_method", "email"),
        ("message", "We restarted the consumers."),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .into_iter()
    .collect();
    let told = incident_desk::incidents::forms::Communication::read(&values).expect("a readable communication");
    let on = incident_desk::incidents::service::OnIncident { clock: &clock, user: &manager, incident_id: 1 };
    conn.transaction(|conn| incident_desk::incidents::service::communicate(conn, on, &told))
        .unwrap_or_else(|e| panic!("communication: {e:?}"));
    // The rest of the product's columns, set directly.
    let mut sql = String::new();
    for table in TABLES.iter().filter(|t| t.columns().any(|c| c.name == "lock_version")) {
        let key = table.key();
        sql.push_str(&format!(
            "UPDATE {t} SET lock_version = lock_version + 2 WHERE {key} = (SELECT min({key}) FROM {t});\n",
            t = table.name
        ));
    }
    sql.push_str(
        "UPDATE subscriptions SET approval_status = 'rejected', approval_decided_by = 1, approval_decided_at = now(), \
           rejection_reason = 'Too generous' WHERE subscription_id = 1;
         UPDATE service_level_agreements SET approval_status = 'rejected', approval_decided_by = 1, \
           approval_decided_at = now(), rejection_reason = 'Too tight' WHERE sla_id = 1;
         UPDATE incident_escalations SET resolved_by_user = escalated_to_user WHERE escalation_id = 1;
         UPDATE root_cause_analysis SET findings = 'A full disk' WHERE analysis_id = 1;
         UPDATE change_requests SET justification = 'Stops the stalls', status = 'rejected', \
           rejected_by_user = requesting_user, rejection_reason = 'Not before the freeze', decided_at = now() \
           WHERE change_id = 1;
         UPDATE rollback_requests SET justification = 'The patch broke consumers', status = 'rejected', \
           rejected_by_user = requesting_user, rejection_reason = 'Fix forward', decided_at = now() \
           WHERE rollback_id = 1;
         UPDATE post_incident_reviews SET notes = 'Alerting came late' WHERE review_id = 1;
         UPDATE change_requests SET component_id = (SELECT min(component_id) FROM infrastructure_components) \
           WHERE change_id = 1;
         UPDATE incidents SET suspected_change_id = 1 WHERE incident_id = 1;
         UPDATE work_orders SET review_id = 1 WHERE workorder_id = (SELECT min(workorder_id) FROM work_orders);
         UPDATE clients SET incident_notices = 'email' WHERE client_id = 1;
         UPDATE communications SET sender_id = NULL, delivery_status = 'failed', \
           failure_reason = 'The mail server refused it' WHERE communication_id = (SELECT min(communication_id) FROM communications);",
    );
    conn.batch_execute(&sql).unwrap();
    db
}

#[test]
fn export_then_import_gives_identical_tables_and_the_same_chain() {
    let source = source_database();
    let mut conn = source.conn();
    // Every product column is filled somewhere, so the comparison covers it too.
    for table in TABLES {
        for column in table.columns().filter(|c| c.product) {
            let condition = if column.name == "lock_version" {
                "lock_version > 1".to_string()
            } else {
                format!("{} IS NOT NULL", column.name)
            };
            assert!(filled(&mut conn, table.name, &condition), "{}.{}: {condition} nowhere", table.name, column.name);
        }
    }
    assert!(filled(&mut conn, "audit_logs", "changes <> '{}'"), "some audit entries hold changes");
    let dir = tempfile::tempdir().unwrap();
    let counts = export::write_dir(&mut conn, dir.path()).unwrap();
    let users = std::fs::read_to_string(dir.path().join("users.json")).unwrap();
    assert!(!users.contains("argon2") && !users.contains("password_hash"), "no password hash is exported");

    let target = TestDb::new();
    let mut imported = target.conn();
    let dataset = import::read_dir(dir.path()).unwrap();
    let loaded = imported.transaction(|conn| import::load(conn, &dataset, &LoadOptions::default())).unwrap();
    assert_eq!(loaded, counts);
    for table in TABLES {
        let (before, after) = (rows(&mut conn, table.name), rows(&mut imported, table.name));
        assert!(before.len() > 2, "{} has rows", table.name);
        assert!(before == after, "{} differs after export and import:\n{before}\n{after}", table.name);
    }
    let (original, copy) = (chain::verify(&mut conn).unwrap(), chain::verify(&mut imported).unwrap());
    assert_eq!(copy.broken, None);
    assert_eq!((copy.entries, copy.head_hash), (original.entries, original.head_hash));
}

#[test]
fn an_export_does_not_write_into_a_folder_that_holds_a_data_set() {
    let exported = exported_demo();
    let before = std::fs::read_to_string(exported.path().join("clients.json")).unwrap();
    let db = TestDb::new();
    let error = export::write_dir(&mut db.conn(), exported.path()).unwrap_err().to_string();
    assert!(error.starts_with("clients.json: already exists"), "{error}");
    assert_eq!(std::fs::read_to_string(exported.path().join("clients.json")).unwrap(), before);
}
