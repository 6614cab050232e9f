//! Import of the reference data set, and every kind of bad file.
use crate::support::*;
use diesel::prelude::*;
use incident_desk::audit::chain;
use incident_desk::import::{self, Dataset, ImportError, LoadOptions};
use std::path::{Path, PathBuf};

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference-data")
}

/// The counts SOURCE.md gives, read from its table.
fn expected_counts() -> Vec<(String, i64)> {
    std::fs::read_to_string(reference_dir().join("SOURCE.md"))
        .expect("SOURCE.md")
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let file = cells.get(1)?.strip_suffix(".json")?;
            Some((file.to_string(), cells.get(2)?.parse().ok()?))
        })
        .collect()
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
fn the_reference_data_set_imports_with_the_counts_of_its_source_and_a_valid_chain() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let dataset = import::read_dir(&reference_dir()).unwrap();
    let migrated = catalog(&mut conn);
    let counts = load(&mut conn, &dataset).unwrap();
    // The load sets keys, unique constraints and indexes aside and makes them again: all of them.
    assert!(migrated.iter().any(|d| d.starts_with("audit_logs_entry_hash_key: UNIQUE")), "{migrated:?}");
    assert!(migrated.iter().any(|d| d.starts_with("users_email_key: CREATE UNIQUE INDEX")), "{migrated:?}");
    assert_eq!(catalog(&mut conn), migrated);

    let expected = expected_counts();
    assert_eq!(expected.len(), 22, "SOURCE.md lists 22 tables");
    for (table, records) in &expected {
        assert_eq!(count(&mut conn, table), *records, "{table}");
        assert!(counts.iter().any(|(t, n)| t == table && *n as i64 == *records), "{table} reported");
    }
    let verification = chain::verify(&mut conn).unwrap();
    assert_eq!(verification.broken, None);
    assert_eq!(verification.entries, 100);

    // Ids are kept, and new records continue after them.
    let title: String = diesel::sql_query("SELECT title FROM incidents WHERE incident_id = 1")
        .get_result::<Title>(&mut conn)
        .unwrap()
        .title;
    assert_eq!(title, "Performance issue in staging");
    let next: i32 = diesel::sql_query(
        "INSERT INTO clients (client_name, registration_number, contact_email, client_type) \
         VALUES ('New', 'REG00000000', 'new@example.com', 'startup') RETURNING client_id AS id",
    )
    .get_result::<Id>(&mut conn)
    .unwrap()
    .id;
    assert_eq!(next, 16);
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
    let dataset = import::read_dir(&reference_dir()).unwrap();
    let hash = incident_desk::auth::password::hash("imported password 1").unwrap();
    conn.transaction(|conn| import::load(conn, &dataset, &LoadOptions { password_hash: Some(&hash) })).unwrap();
    let stored: Vec<Option<String>> = incident_desk::schema::users::table
        .select(incident_desk::schema::users::password_hash)
        .load(&mut conn)
        .unwrap();
    assert_eq!(stored.len(), 50);
    assert!(stored.iter().all(|h| h.as_deref() == Some(hash.as_str())));
}

/// Copies the reference data set, lets `change` spoil one file, and imports it.
fn import_spoiled(file: &str, change: impl FnOnce(&mut serde_json::Value)) -> (String, i64) {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(reference_dir()).unwrap().flatten() {
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
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(reference_dir()).unwrap().flatten() {
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
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
    ];
    for (file, change, expected) in cases {
        let (error, rows) = import_spoiled(file, change);
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
    let dataset = import::read_dir(&reference_dir()).unwrap();
    let error = load(&mut conn, &dataset).unwrap_err();
    assert!(matches!(error, ImportError::NotEmpty(ref tables) if tables == "users"), "{error}");
    assert_eq!(total_rows(&mut conn), 1);
}

#[test]
fn the_command_line_import_prints_counts_and_verify_passes() {
    let db = TestDb::new();
    let binary = env!("CARGO_BIN_EXE_incident-desk");
    let output = std::process::Command::new(binary)
        .args(["import", reference_dir().to_str().unwrap(), "--initial-password", "imported password 1"])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        stdout.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["performance_metrics", "103"]),
        "{stdout}"
    );

    let again = std::process::Command::new(binary)
        .args(["import", reference_dir().to_str().unwrap()])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds records"));

    let verify =
        std::process::Command::new(binary).args(["audit", "verify"]).env("DATABASE_URL", &db.url).output().unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
    assert!(String::from_utf8_lossy(&verify.stdout).contains("audit chain intact: 100 entries"));
}

#[test]
fn a_target_of_zero_means_none_and_impossible_years_are_named() {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(reference_dir()).unwrap().flatten() {
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    let path = dir.path().join("performance_metrics.json");
    let mut metrics: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    metrics["3"]["target_minutes"] = 0.into();
    std::fs::write(&path, metrics.to_string()).unwrap();
    let db = TestDb::new();
    let mut conn = db.conn();
    load(&mut conn, &import::read_dir(dir.path()).unwrap()).unwrap();
    let target: Option<i32> = incident_desk::schema::performance_metrics::table
        .find(3)
        .select(incident_desk::schema::performance_metrics::target_minutes)
        .first(&mut conn)
        .unwrap();
    assert_eq!(target, None);

    let (error, rows) = import_spoiled("incidents.json", |v| v["2"]["created_at"] = "0000-01-01T00:00:00".into());
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
