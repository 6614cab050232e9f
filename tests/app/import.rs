//! Import of data sets in the 22-table format, and every kind of bad file. The data sets come from the project
//! itself: the demo data as the format writes it (as the reference's files look), and the demo data written out
//! by `export` (with the product's own columns), spoiled for each bad case. Nothing here reads outside the
//! repository.
use crate::support::*;
use diesel::prelude::*;
use incident_desk::audit::chain;
use incident_desk::import::{self, Dataset, ImportError, LoadOptions};
use incident_desk::{demo, export};
use std::path::Path;

/// The demo data set, made anew (the same `now` gives the same records).
pub fn demo_dataset() -> Dataset {
    demo::dataset(chrono::Utc::now(), demo::DEMO_INCIDENTS)
}

/// Writes a data set as the format's 22 files, as the reference's look (no product columns).
pub fn write_dataset(dataset: &Dataset, dir: &Path) {
    for (table, records) in dataset {
        std::fs::write(dir.join(format!("{table}.json")), serde_json::to_string_pretty(records).unwrap()).unwrap();
    }
}

/// The demo data loaded into a database and written out by `export`.
pub fn exported_demo() -> tempfile::TempDir {
    let db = TestDb::new();
    let mut conn = db.conn();
    load(&mut conn, &demo_dataset()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    export::write_dir(&mut conn, dir.path()).unwrap();
    dir
}

fn total_rows(conn: &mut PgConnection) -> i64 {
    import::spec::TABLES.iter().map(|t| count(conn, t.name)).sum()
}

fn load(conn: &mut PgConnection, dataset: &Dataset) -> Result<import::Counts, ImportError> {
    conn.transaction(|conn| import::load(conn, dataset, &LoadOptions::default()))
}

/// Every index and constraint of the public schema, by name and definition.
fn catalog(conn: &mut PgConnection) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Definition {
        #[diesel(sql_type = diesel::sql_types::Text)]
        definition: String,
    }
    diesel::sql_query(
        "SELECT indexname || ': ' || indexdef AS definition FROM pg_indexes WHERE schemaname = 'public' \
         UNION ALL SELECT conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE connamespace = 'public'::regnamespace ORDER BY 1",
    )
    .load::<Definition>(conn)
    .unwrap()
    .into_iter()
    .map(|d| d.definition)
    .collect()
}

#[test]
fn a_data_set_in_the_reference_format_imports_with_its_counts_ids_and_a_valid_chain() {
    let dir = tempfile::tempdir().unwrap();
    let written = demo_dataset();
    write_dataset(&written, dir.path());
    let db = TestDb::new();
    let mut conn = db.conn();
    let dataset = import::read_dir(dir.path()).unwrap();
    let migrated = catalog(&mut conn);
    let counts = load(&mut conn, &dataset).unwrap();
    // The load sets keys, unique constraints and indexes aside and makes them again: all of them.
    assert!(migrated.iter().any(|d| d.starts_with("audit_logs_entry_hash_key: UNIQUE")), "{migrated:?}");
    assert!(migrated.iter().any(|d| d.starts_with("users_email_key: CREATE UNIQUE INDEX")), "{migrated:?}");
    assert_eq!(catalog(&mut conn), migrated);

    assert_eq!(counts.len(), 22, "every table of the format");
    for (table, records) in &written {
        let records = records.len() as i64;
        assert!(records > 0, "{table} has records");
        assert_eq!(count(&mut conn, table), records, "{table}");
        assert!(counts.iter().any(|(t, n)| t == table && *n as i64 == records), "{table} reported");
    }
    let verification = chain::verify(&mut conn).unwrap();
    assert_eq!(verification.broken, None);
    assert_eq!(verification.entries as usize, written["audit_logs"].len());

    // Ids are kept, and new records continue after them.
    let title: String = diesel::sql_query("SELECT title FROM incidents WHERE incident_id = 1")
        .get_result::<Title>(&mut conn)
        .unwrap()
        .title;
    assert_eq!(title, written["incidents"]["1"]["title"].as_str().unwrap());
    let next: i32 = diesel::sql_query(
        "INSERT INTO clients (client_name, registration_number, contact_email, client_type) \
         VALUES ('New', 'REG00000000', 'new@example.com', 'startup') RETURNING client_id AS id",
    )
    .get_result::<Id>(&mut conn)
    .unwrap()
    .id;
    assert_eq!(next as usize, written["clients"].len() + 1);
    // What the format lacks, the import derives: each report's snapshot, and when incidents were acknowledged.
    assert_eq!(count_where(&mut conn, "incident_reports", "snapshot IS NULL"), 0);
    assert!(count_where(&mut conn, "incidents", "acknowledged_at IS NOT NULL") > 0);
}

fn count_where(conn: &mut PgConnection, table: &str, condition: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(format!("SELECT count(*) AS n FROM {table} WHERE {condition}"))
        .get_result::<Count>(conn)
        .unwrap()
        .n
}

#[derive(QueryableByName)]
struct Title {
    #[diesel(sql_type = diesel::sql_types::Text)]
    title: String,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    id: i32,
}

#[test]
fn the_initial_password_lets_imported_users_sign_in_and_is_not_stored_in_the_clear() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let exported = exported_demo();
    let dataset = import::read_dir(exported.path()).unwrap();
    let hash = incident_desk::auth::password::hash("imported password 1").unwrap();
    conn.transaction(|conn| import::load(conn, &dataset, &LoadOptions { password_hash: Some(&hash) })).unwrap();
    let stored: Vec<Option<String>> = incident_desk::schema::users::table
        .select(incident_desk::schema::users::password_hash)
        .load(&mut conn)
        .unwrap();
    assert_eq!(stored.len(), dataset["users"].len());
    assert!(stored.iter().all(|h| h.as_deref() == Some(hash.as_str())));
}

/// Lets `change` spoil one file of an exported data set, and imports it.
fn import_spoiled(exported: &Path, file: &str, change: impl FnOnce(&mut serde_json::Value)) -> (String, i64) {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(exported).unwrap().flatten() {
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    let path = dir.path().join(file);
    let mut value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    change(&mut value);
    std::fs::write(&path, value.to_string()).unwrap();
    let db = TestDb::new();
    let mut conn = db.conn();
    let error = import::read_dir(dir.path()).and_then(|dataset| load(&mut conn, &dataset)).unwrap_err();
    (error.to_string(), total_rows(&mut conn))
}

#[test]
fn malformed_json_names_the_file_and_writes_nothing() {
    let dir = exported_demo();
    std::fs::write(dir.path().join("vendors.json"), "{\"1\": {\"vendor_id\": ").unwrap();
    let error = import::read_dir(dir.path()).unwrap_err().to_string();
    assert!(error.starts_with("vendors.json: is not valid JSON"), "{error}");
}

#[test]
fn each_bad_record_is_named_by_file_record_and_field_and_nothing_is_written() {
    type Spoil = Box<dyn FnOnce(&mut serde_json::Value)>;
    let cases: Vec<(&str, Spoil, &str)> = vec![
        (
            "incidents.json",
            Box::new(|v| v["7"]["severity"] = "P9".into()),
            "incidents.json, record 7, field severity: \"P9\" is not one of: P1, P2, P3, P4",
        ),
        (
            "users.json",
            Box::new(|v| {
                v["3"].as_object_mut().unwrap().remove("email");
            }),
            "users.json, record 3, field email: is required but missing",
        ),
        (
            "work_orders.json",
            Box::new(|v| v["5"]["created_by_user"] = "999".into()),
            "work_orders.json, record 5, field created_by_user: refers to users record 999, which does not exist",
        ),
        (
            "clients.json",
            Box::new(|v| {
                let email = v["1"]["contact_email"].clone();
                v["2"]["contact_email"] = email;
            }),
            "clients.json, record 2, field contact_email: duplicates the value of record 1",
        ),
        (
            "subscriptions.json",
            Box::new(|v| v["4"]["start_date"] = "2025-02-30".into()),
            "subscriptions.json, record 4, field start_date: must be a date",
        ),
        (
            "audit_logs.json",
            Box::new(|v| v["9"]["created_at"] = "yesterday".into()),
            "audit_logs.json, record 9, field created_at: must be an ISO 8601 date and time",
        ),
        // The product's own columns, which an export carries, are checked as closely.
        (
            "incident_reports.json",
            Box::new(|v| v["1"]["snapshot"] = "not a snapshot".into()),
            "incident_reports.json, record 1, field snapshot: must be a JSON object",
        ),
        (
            "clients.json",
            Box::new(|v| {
                v["2"].as_object_mut().unwrap().remove("lock_version");
            }),
            "clients.json, record 2, field lock_version: is required but missing",
        ),
        (
            "communications.json",
            Box::new(|v| {
                v["3"].as_object_mut().unwrap().remove("recipient_id");
                v["3"]["recipient_type"] = serde_json::Value::Null;
            }),
            "communications.json, record 3, field recipient_id: is required when there is no recipient_type",
        ),
        // An entry altered after it was written no longer matches the hash it carries: importing it would
        // chain it anew and hide the change.
        (
            "audit_logs.json",
            Box::new(|v| v["9"]["action"] = "approve".into()),
            "audit_logs.json, record 9, field entry_hash: is ",
        ),
        (
            "audit_logs.json",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("9");
            }),
            "audit_logs.json, record 10, field prev_hash: is ",
        ),
    ];
    let exported = exported_demo();
    for (file, change, expected) in cases {
        let (error, rows) = import_spoiled(exported.path(), file, change);
        assert!(error.starts_with(expected), "expected «{expected}», got «{error}»");
        assert_eq!(rows, 0, "{file}: nothing written");
    }
}

#[test]
fn importing_into_a_database_with_records_is_refused() {
    let db = TestDb::new();
    let mut conn = db.conn();
    create_user(
        &mut conn,
        "Existing",
        "existing@example.com",
        incident_desk::domain::enums::Role::SystemAdministrator,
        None,
        None,
    );
    let error = load(&mut conn, &demo_dataset()).unwrap_err();
    assert!(matches!(error, ImportError::NotEmpty(ref tables) if tables == "users"), "{error}");
    assert_eq!(total_rows(&mut conn), 1);
}

/// The command line's words for each table: `table count` lines.
fn printed_counts(stdout: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|line| match line.split_whitespace().collect::<Vec<_>>()[..] {
            [table, count] if count.parse::<u64>().is_ok() => Some((table.to_string(), count.to_string())),
            _ => None,
        })
        .collect()
}

#[test]
fn the_command_line_exports_the_demo_imports_the_folder_and_verify_passes() {
    let binary = env!("CARGO_BIN_EXE_incident-desk");
    let run = |db: &TestDb, args: &[&str]| {
        let output = std::process::Command::new(binary).args(args).env("DATABASE_URL", &db.url).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        (output, stderr)
    };
    let source = TestDb::new();
    let (demo, stderr) = run(&source, &["demo"]);
    assert!(demo.status.success(), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("export");
    let (exported, stderr) = run(&source, &["export", folder.to_str().unwrap()]);
    assert!(exported.status.success(), "{stderr}");
    let written = printed_counts(&exported.stdout);
    assert_eq!(written.len(), 22, "a count per table");
    assert_eq!(written, printed_counts(&demo.stdout), "the export holds what the demo loaded");
    let (again, stderr) = run(&source, &["export", folder.to_str().unwrap()]);
    assert!(!again.status.success() && stderr.contains("already exists"), "nothing is overwritten: {stderr}");

    let target = TestDb::new();
    let (imported, stderr) =
        run(&target, &["import", folder.to_str().unwrap(), "--initial-password", "imported password 1"]);
    assert!(imported.status.success(), "{stderr}");
    assert_eq!(printed_counts(&imported.stdout), written);
    let (again, stderr) = run(&target, &["import", folder.to_str().unwrap()]);
    assert!(!again.status.success() && stderr.contains("already holds records"), "{stderr}");

    let heads: Vec<String> = [&source, &target]
        .map(|db| {
            let (verify, _) = run(db, &["audit", "verify"]);
            let stdout = String::from_utf8_lossy(&verify.stdout).to_string();
            assert!(verify.status.success(), "{stdout}");
            assert!(stdout.starts_with("audit chain intact: "), "{stdout}");
            stdout
        })
        .to_vec();
    assert_eq!(heads[0], heads[1], "the same entries and the same head");
}

#[test]
fn a_target_of_zero_means_none_and_impossible_years_are_named() {
    let exported = exported_demo();
    let path = exported.path().join("performance_metrics.json");
    let mut metrics: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    metrics["3"]["target_minutes"] = 0.into();
    std::fs::write(&path, metrics.to_string()).unwrap();
    let db = TestDb::new();
    let mut conn = db.conn();
    load(&mut conn, &import::read_dir(exported.path()).unwrap()).unwrap();
    let target: Option<i32> = incident_desk::schema::performance_metrics::table
        .find(3)
        .select(incident_desk::schema::performance_metrics::target_minutes)
        .first(&mut conn)
        .unwrap();
    assert_eq!(target, None);

    let (error, rows) =
        import_spoiled(exported.path(), "incidents.json", |v| v["2"]["created_at"] = "0000-01-01T00:00:00".into());
    assert!(error.starts_with("incidents.json, record 2, field created_at: must be an ISO 8601 date and time between the years 1900 and 2200"), "{error}");
    assert_eq!(rows, 0);
}

#[test]
fn the_command_line_creates_the_first_administrator_who_can_then_sign_in() {
    let db = TestDb::new();
    let binary = env!("CARGO_BIN_EXE_incident-desk");
    let run = |args: &[&str]| {
        std::process::Command::new(binary)
            .args(args)
            .env("DATABASE_URL", &db.url)
            .env("INCIDENT_DESK_PASSWORD", "first admin password")
            .output()
            .unwrap()
    };
    let created = run(&["user", "create", "--name", "First Admin", "--email", "root@provider.example"]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    assert!(String::from_utf8_lossy(&created.stdout).contains("(System administrator)"));
    let again = run(&["user", "create", "--name", "Again", "--email", "ROOT@provider.example"]);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let contact = run(&["user", "create", "--name", "C", "--email", "c@example.com", "--role", "client_contact"]);
    assert!(!contact.status.success() && String::from_utf8_lossy(&contact.stderr).contains("staff role"));
    let hash: Option<String> = incident_desk::schema::users::table
        .select(incident_desk::schema::users::password_hash)
        .first(&mut db.conn())
        .unwrap();
    assert!(incident_desk::auth::password::verify("first admin password", hash.as_deref()));
    for command in [
        &["--help"][..],
        &["serve", "--help"],
        &["import", "--help"],
        &["demo", "--help"],
        &["user", "create", "--help"],
        &["audit", "verify", "--help"],
        &["migrate", "--help"],
    ] {
        assert!(run(command).status.success(), "{command:?}");
    }
}
