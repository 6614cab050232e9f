//! The migrated schema: its tables and the database-level checks behind the domain rules.
use crate::support::*;
use diesel::prelude::*;

fn refused(conn: &mut PgConnection, statement: &str) -> String {
    conn.transaction(|conn| diesel::sql_query(statement).execute(conn)).expect_err(statement).to_string()
}

#[test]
fn every_table_of_the_domain_exists() {
    let db = TestDb::new();
    let mut conn = db.conn();
    for table in incident_desk::import::spec::TABLES {
        diesel::sql_query(format!("SELECT 1 FROM {} LIMIT 1", table.name))
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("{}: {e}", table.name));
    }
    assert_eq!(incident_desk::import::spec::TABLES.len(), 22);
}

#[test]
fn the_database_checks_enumerations_uniqueness_and_scope_rules() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let client = "INSERT INTO clients (client_name, registration_number, contact_email, client_type) VALUES";
    diesel::sql_query(format!("{client} ('A', 'REG1', 'a@example.com', 'startup')")).execute(&mut conn).unwrap();

    let cases = [
        (format!("{client} ('B', 'REG2', 'b@example.com', 'huge')"), "clients_client_type_check"),
        (format!("{client} ('B', 'REG1', 'b@example.com', 'startup')"), "clients_registration_number_key"),
        (format!("{client} ('B', 'REG2', 'a@example.com', 'startup')"), "clients_contact_email_key"),
        ("INSERT INTO users (name, email, role) VALUES ('C', 'c@example.com', 'client_contact')".to_string(), "users_client_contact_has_client"),
        ("INSERT INTO users (name, email, role, status) VALUES ('C', 'c@example.com', 'executive', 'away')".to_string(), "users_status_check"),
        ("INSERT INTO users (name, email, role) VALUES ('C', 'c@example.com', 'executive'), ('D', 'C@EXAMPLE.COM', 'executive')".to_string(), "users_email_key"),
        ("INSERT INTO users (name, email, role, client_id) VALUES ('C', 'c@example.com', 'client_contact', 999)".to_string(), "users_client_id_fkey"),
    ];
    for (statement, constraint) in cases {
        let error = refused(&mut conn, &statement);
        assert!(error.contains(constraint), "{statement}: {error}");
    }
}

#[test]
fn incident_counts_follow_every_insert_update_delete_and_truncate() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let w = crate::fixtures::world(&mut conn);
    let differences = |conn: &mut PgConnection| -> i64 {
        // Rows in one and not the other, both ways; zero counts left behind by updates stand for no rows.
        let counted = "SELECT client_id, status, severity, count(*) AS n FROM incidents GROUP BY 1, 2, 3";
        let kept = "SELECT client_id, status, severity, n FROM incident_counts WHERE n <> 0";
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "(SELECT count(*) FROM (({counted} EXCEPT {kept}) UNION ALL ({kept} EXCEPT {counted})) differences)"
        )))
        .get_result(conn)
        .unwrap()
    };
    for n in 0..5 {
        crate::fixtures::incident(&mut conn, &format!("Counted {n}"), w.client_a, w.component, "open");
    }
    crate::fixtures::incident(&mut conn, "Counted closed", w.client_b, w.component, "closed");
    assert_eq!(differences(&mut conn), 0, "after inserts");
    for statement in [
        "UPDATE incidents SET status = 'investigating' WHERE title IN ('Counted 0', 'Counted 1')",
        "UPDATE incidents SET severity = 'P1', client_id = (SELECT max(client_id) FROM clients) WHERE title = 'Counted 2'",
        "DELETE FROM incidents WHERE title = 'Counted 3'",
    ] {
        diesel::sql_query(statement).execute(&mut conn).unwrap();
        assert_eq!(differences(&mut conn), 0, "after {statement}");
    }
    diesel::sql_query("TRUNCATE incidents CASCADE").execute(&mut conn).unwrap();
    let left: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT coalesce(sum(n), 0)::bigint FROM incident_counts)",
    ))
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(left, 0, "after TRUNCATE");
}

/// What the records' descriptions and the code shared by several kinds name, held to the migrated tables: the
/// `column!` checks compare them with `schema.rs` as the crate builds, and this compares them with the database.
#[test]
fn every_description_names_columns_the_database_has() {
    use diesel::sql_types::Text;
    use incident_desk::records::columns::*;
    use incident_desk::records::spec::{FieldKind, STATUS};
    use incident_desk::records::{procedures::PROCEDURES, resources::ADMINISTERED};

    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        column_name: String,
    }
    let db = TestDb::new();
    let columns: Vec<Column> = diesel::sql_query(
        "SELECT table_name::text, column_name::text FROM information_schema.columns WHERE table_schema = 'public'",
    )
    .load(&mut db.conn())
    .unwrap();
    let descriptions: Vec<_> = ADMINISTERED.iter().chain(PROCEDURES).collect();
    assert_eq!(descriptions.len(), 17);
    for resource in descriptions {
        let table = resource.table;
        let has = |name: &str| columns.iter().any(|c| c.table_name == table && c.column_name == name);
        let fields = resource.fields.iter().filter(|f| !matches!(f.kind, FieldKind::NewPassword)).map(|f| f.name);
        let named = fields
            .chain([resource.key, CREATED_AT])
            .chain(resource.actor_column)
            .chain(resource.extra_columns.iter().copied());
        for name in named.chain(resource.stamps.iter().map(|(_, column)| *column)) {
            assert!(has(name), "{table} has no column {name}");
        }
        assert_eq!(has(UPDATED_AT), resource.has_updated_at, "{table}: updated_at as its description says");
        assert_eq!(has("lock_version"), resource.versioned, "{table}: lock_version as its description says");
        for name in [APPROVAL_STATUS, APPROVAL_DECIDED_BY, APPROVAL_DECIDED_AT] {
            assert_eq!(has(name), resource.approval, "{table}: {name} as its description says");
        }
        if !resource.transitions.is_empty() {
            assert!(has(STATUS), "{table} has no {STATUS}");
        }
    }
}
