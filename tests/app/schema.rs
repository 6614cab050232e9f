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
