//! A small, realistic world for the page tests: two clients, a vendor with a product and a component,
//! subscriptions, and an active user for every role.
use crate::support::*;
use diesel::prelude::*;
use incident_desk::domain::enums::Role;
use std::collections::HashMap;

pub struct World {
    pub client_a: i32,
    pub client_b: i32,
    pub vendor: i32,
    pub product: i32,
    pub component: i32,
    /// Active, premium, for client A.
    pub subscription_a: i32,
    /// Active, standard, for client B.
    pub subscription_b: i32,
    /// Expired, for client A.
    pub expired_subscription: i32,
    /// A second vendor, its product and component: outside the first vendor's scope.
    pub other_vendor: i32,
    pub other_component: i32,
    pub emails: HashMap<Role, &'static str>,
    /// An account manager confined to client A.
    pub scoped_manager: &'static str,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    id: i32,
}

pub fn insert(conn: &mut PgConnection, sql: &str) -> i32 {
    diesel::sql_query(sql).get_result::<Id>(conn).unwrap_or_else(|e| panic!("{sql}: {e}")).id
}

pub const ROLES: [Role; 7] = [
    Role::SystemAdministrator,
    Role::IncidentManager,
    Role::TechnicalSupport,
    Role::AccountManager,
    Role::Executive,
    Role::ClientContact,
    Role::VendorContact,
];

pub fn world(conn: &mut PgConnection) -> World {
    let client_a = insert(
        conn,
        "INSERT INTO clients (client_name, registration_number, contact_email, client_type) VALUES ('Acme Logistics', 'REG10000001', 'ops@acme.example', 'enterprise') RETURNING client_id AS id",
    );
    let client_b = insert(
        conn,
        "INSERT INTO clients (client_name, registration_number, contact_email, client_type) VALUES ('Borealis Bank', 'REG10000002', 'it@borealis.example', 'mid_market') RETURNING client_id AS id",
    );
    let vendor = insert(
        conn,
        "INSERT INTO vendors (vendor_name, vendor_type, contact_email, contact_phone) VALUES ('Northwind Cloud', 'cloud_provider', 'support@northwind.example', '+15550000001') RETURNING vendor_id AS id",
    );
    let product = insert(
        conn,
        &format!(
            "INSERT INTO products (product_name, product_type, version, support_vendor_id) VALUES ('QueueManager Pro', 'Software', '2.1.0', {vendor}) RETURNING product_id AS id"
        ),
    );
    let component = insert(
        conn,
        &format!(
            "INSERT INTO infrastructure_components (component_name, component_type, product_id, environment) VALUES ('Queue-main-1', 'Service', {product}, 'production') RETURNING component_id AS id"
        ),
    );
    let other_vendor = insert(
        conn,
        "INSERT INTO vendors (vendor_name, vendor_type, contact_email, contact_phone) VALUES ('Oakridge Networks', 'infrastructure_provider', 'noc@oakridge.example', '+15550000002') RETURNING vendor_id AS id",
    );
    let other_product = insert(
        conn,
        &format!(
            "INSERT INTO products (product_name, product_type, support_vendor_id) VALUES ('EdgeRouter X', 'Infrastructure', {other_vendor}) RETURNING product_id AS id"
        ),
    );
    let other_component = insert(
        conn,
        &format!(
            "INSERT INTO infrastructure_components (component_name, component_type, product_id, environment) VALUES ('Edge-router-1', 'Network', {other_product}, 'production') RETURNING component_id AS id"
        ),
    );
    let subscription = |client: i32, tier: &str, status: &str| {
        format!(
            "INSERT INTO subscriptions (client_id, product_id, subscription_type, sla_tier, start_date, end_date, status) \
             VALUES ({client}, {product}, 'full_service', '{tier}', '2026-01-01', '2027-01-01', '{status}') RETURNING subscription_id AS id"
        )
    };
    let subscription_a = insert(conn, &subscription(client_a, "premium", "active"));
    let subscription_b = insert(conn, &subscription(client_b, "standard", "active"));
    let expired_subscription = insert(conn, &subscription(client_a, "basic", "expired"));
    let emails: HashMap<Role, &'static str> = [
        (Role::SystemAdministrator, "admin@provider.example"),
        (Role::IncidentManager, "manager@provider.example"),
        (Role::TechnicalSupport, "support@provider.example"),
        (Role::AccountManager, "accounts@provider.example"),
        (Role::Executive, "executive@provider.example"),
        (Role::ClientContact, "contact@acme.example"),
        (Role::VendorContact, "contact@northwind.example"),
    ]
    .into_iter()
    .collect();
    for role in ROLES {
        let client = (role == Role::ClientContact).then_some(client_a);
        let vendor_id = (role == Role::VendorContact).then_some(vendor);
        create_user(conn, role.label(), emails[&role], role, client, vendor_id);
    }
    let scoped_manager = "scoped.accounts@provider.example";
    create_user(conn, "Scoped Account Manager", scoped_manager, Role::AccountManager, Some(client_a), None);
    World {
        client_a,
        client_b,
        vendor,
        product,
        component,
        subscription_a,
        subscription_b,
        expired_subscription,
        other_vendor,
        other_component,
        emails,
        scoped_manager,
    }
}

/// Inserts an incident directly (as if reported earlier), returning its id.
pub fn incident(conn: &mut PgConnection, title: &str, client: i32, component: i32, status: &str) -> i32 {
    let reporter: i32 = diesel::sql_query("SELECT user_id AS id FROM users ORDER BY user_id LIMIT 1")
        .get_result::<Id>(conn)
        .unwrap()
        .id;
    let resolved = if matches!(status, "resolved" | "closed") { "now()" } else { "NULL" };
    insert(
        conn,
        &format!(
            "INSERT INTO incidents (title, category, severity, impact_level, urgency_level, status, client_id, component_id, reporter_user_id, detection_timestamp, created_at, resolution_timestamp) \
             VALUES ('{title}', 'Performance', 'P2', 'high', 'high', '{status}', {client}, {component}, {reporter}, now() - interval '2 days', now() - interval '2 days', {resolved}) RETURNING incident_id AS id"
        ),
    )
}

pub fn user_id(conn: &mut PgConnection, email: &str) -> i32 {
    use incident_desk::schema::users::dsl;
    dsl::users.filter(dsl::email.eq(email)).select(dsl::user_id).first(conn).unwrap()
}
