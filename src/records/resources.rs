//! The administered record types (domain.md §3.1–3.7) and the incident summary their pages link to.
use super::spec::*;
use crate::domain::enums::*;
use crate::forms::field;
use FieldKind::*;

fn timezones() -> Vec<(&'static str, &'static str)> {
    vec![("UTC", "UTC"), ("GMT", "GMT"), ("CET", "CET"), ("EST", "EST"), ("CST", "CST"), ("PST", "PST")]
}

/// How a client's contacts may be told about its incidents without anyone writing (the methods the product
/// delivers itself).
fn notice_methods() -> Vec<(&'static str, &'static str)> {
    [DeliveryMethod::Email, DeliveryMethod::DashboardNotification].map(|m| (m.as_str(), m.label())).to_vec()
}

pub static CLIENT_REF: RefTable = RefTable {
    table: "clients",
    key: "client_id",
    label: "client_name",
    noun: "client",
    path: Some("/clients"),
    rows: Rows::Clients,
};
pub static VENDOR_REF: RefTable = RefTable {
    table: "vendors",
    key: "vendor_id",
    label: "vendor_name",
    noun: "vendor",
    path: Some("/vendors"),
    rows: Rows::Catalogue,
};
pub static PRODUCT_REF: RefTable = RefTable {
    table: "products",
    key: "product_id",
    label: "product_name",
    noun: "product",
    path: Some("/products"),
    rows: Rows::Catalogue,
};
pub static SUBSCRIPTION_REF: RefTable = RefTable {
    table: "subscriptions",
    key: "subscription_id",
    label: "(SELECT client_name FROM clients c WHERE c.client_id = subscriptions.client_id) || ' · ' || \
            (SELECT product_name FROM products p WHERE p.product_id = subscriptions.product_id) || ' · ' || sla_tier || ' · #' || subscription_id",
    noun: "subscription",
    path: Some("/subscriptions"),
    rows: Rows::OfClient,
};

pub static CLIENTS: Resource = Resource {
    kind: "client",
    noun: "Client",
    plural: "Clients",
    path: "/clients",
    table: "clients",
    key: "client_id",
    title: "client_name",
    fields: &[
        field("client_name", "Name", Text),
        field("registration_number", "Registration number", Text).hint("As registered, e.g. REG12345678"),
        field("contact_email", "Contact email", Email),
        field("client_type", "Client type", Choice(ClientType::choices)),
        field("industry", "Industry", Text).optional(),
        field("country", "Country", Text).optional(),
        field("status", "Status", Choice(OrganisationStatus::choices)).default("active"),
        field("incident_notices", "Incident notices to contacts", Choice(notice_methods)).optional().hint(
            "Tell this client's contacts, without anyone writing, when one of its incidents is reported, changes \
             status or is resolved. Leave empty for no automatic notices",
        ),
    ],
    columns: &["client_type", "industry", "status"],
    filters: &["status", "client_type"],
    unique: &[&["registration_number"], &["contact_email"]],
    related: &[
        Related { title: "Users", resource: &USERS, condition: "client_id = {}" },
        Related { title: "Subscriptions", resource: &SUBSCRIPTIONS, condition: "client_id = {}" },
        Related {
            title: "Service level agreements",
            resource: &SLAS,
            condition: "subscription_id IN (SELECT subscription_id FROM subscriptions WHERE client_id = {})",
        },
        Related { title: "Incidents", resource: &INCIDENT_SUMMARY, condition: "client_id = {}" },
    ],
    area: Area::Clients,
    rows: Rows::Clients,
    has_updated_at: true,
    approval: false,
    ..DEFAULTS
};

pub static USERS: Resource = Resource {
    kind: "user",
    behaviour: &super::kinds::users::Users,
    noun: "User",
    plural: "Users",
    path: "/users",
    table: "users",
    key: "user_id",
    title: "name",
    fields: &[
        field("name", "Full name", Text).missing("Enter the person's full name."),
        field("email", "Email", Email).hint("They sign in with it; it must be unique"),
        field("role", "Role", Choice(Role::choices)),
        field("department", "Department", Text).optional(),
        field("client_id", "Client", Reference(&CLIENT_REF))
            .optional()
            .hint("Required for client contacts; optional for account managers, to confine them to one client"),
        field("vendor_id", "Vendor", Reference(&VENDOR_REF)).optional().hint("Required for vendor contacts"),
        field("timezone", "Time zone", Choice(timezones)).default("UTC"),
        field("status", "Status", Choice(UserStatus::choices)).default("active"),
        field("password", "Initial password", NewPassword)
            .only_on_create()
            .hint("At least 12 characters. Give it to the user; they can change it after signing in"),
    ],
    columns: &["email", "role", "client_id", "vendor_id", "status"],
    filters: &["status", "role", "client_id", "vendor_id"],
    unique: &[&["email"]],
    related: &[],
    area: Area::Users,
    rows: Rows::People,
    has_updated_at: true,
    approval: false,
    ..DEFAULTS
};

pub static VENDORS: Resource = Resource {
    kind: "vendor",
    noun: "Vendor",
    plural: "Vendors",
    path: "/vendors",
    table: "vendors",
    key: "vendor_id",
    title: "vendor_name",
    fields: &[
        field("vendor_name", "Name", Text),
        field("vendor_type", "Vendor type", Choice(VendorType::choices)),
        field("contact_email", "Contact email", Email),
        field("contact_phone", "Contact phone", Phone).hint("International format, e.g. +15551234567"),
        field("status", "Status", Choice(OrganisationStatus::choices)).default("active"),
    ],
    columns: &["vendor_type", "contact_email", "status"],
    filters: &["status", "vendor_type"],
    unique: &[&["vendor_name"], &["contact_email"], &["contact_phone"]],
    related: &[
        Related { title: "Contacts", resource: &USERS, condition: "vendor_id = {}" },
        Related { title: "Supported products", resource: &PRODUCTS, condition: "support_vendor_id = {}" },
    ],
    area: Area::Vendors,
    rows: Rows::Catalogue,
    has_updated_at: false,
    approval: false,
    ..DEFAULTS
};

pub static PRODUCTS: Resource = Resource {
    kind: "product",
    noun: "Product",
    plural: "Products",
    path: "/products",
    table: "products",
    key: "product_id",
    title: "product_name",
    fields: &[
        field("product_name", "Name", Text),
        field("product_type", "Product type", Text)
            .hint("e.g. Software, Platform, Service, Infrastructure, Security, Database"),
        field("version", "Version", Text).optional().hint("e.g. 3.3.34"),
        field("support_vendor_id", "Support vendor", Reference(&VENDOR_REF)).optional(),
        field("status", "Status", Choice(ProductStatus::choices)).default("active"),
    ],
    columns: &["product_type", "version", "support_vendor_id", "status"],
    filters: &["status", "support_vendor_id"],
    unique: &[&["product_name"]],
    related: &[
        Related { title: "Infrastructure components", resource: &COMPONENTS, condition: "product_id = {}" },
        Related { title: "Subscriptions", resource: &SUBSCRIPTIONS, condition: "product_id = {}" },
    ],
    area: Area::Products,
    rows: Rows::Catalogue,
    has_updated_at: true,
    approval: false,
    ..DEFAULTS
};

pub static COMPONENTS: Resource = Resource {
    kind: "infrastructure_component",
    noun: "Infrastructure component",
    plural: "Infrastructure components",
    path: "/components",
    table: "infrastructure_components",
    key: "component_id",
    title: "component_name",
    fields: &[
        field("component_name", "Name", Text).hint("Unique within its product, e.g. Storage-main-36"),
        field("component_type", "Component type", Text)
            .hint("e.g. Server, Database, Network, Storage, Application, API, Cache"),
        field("product_id", "Product", Reference(&PRODUCT_REF)).optional(),
        field("environment", "Environment", Choice(Environment::choices)),
        field("location", "Location", Text).optional().hint("e.g. US-East, EU-Central"),
        field("port_number", "Port", Integer { min: 1, max: 65_535 }).optional(),
        field("operational_status", "Operational status", Choice(OperationalStatus::choices)).default("operational"),
    ],
    columns: &["component_type", "product_id", "environment", "operational_status"],
    filters: &["operational_status", "environment", "product_id"],
    unique: &[&["product_id", "component_name"]],
    related: &[Related { title: "Incidents", resource: &INCIDENT_SUMMARY, condition: "component_id = {}" }],
    area: Area::Components,
    rows: Rows::Catalogue,
    has_updated_at: true,
    approval: false,
    ..DEFAULTS
};

pub static SUBSCRIPTIONS: Resource = Resource {
    kind: "subscription",
    behaviour: &super::kinds::subscriptions::Subscriptions,
    noun: "Subscription",
    plural: "Subscriptions",
    path: "/subscriptions",
    table: "subscriptions",
    key: "subscription_id",
    title: "'Subscription ' || subscription_id",
    fields: &[
        field("client_id", "Client", Reference(&CLIENT_REF)),
        field("product_id", "Product", Reference(&PRODUCT_REF)),
        field("subscription_type", "Subscription type", Choice(SubscriptionType::choices)),
        field("sla_tier", "SLA tier", Choice(SlaTier::choices))
            .hint("Premium tier and custom subscriptions need an executive's approval"),
        field("rto_hours", "Recovery time objective (hours)", Integer { min: 1, max: 8_760 }).optional(),
        field("start_date", "Start date", Date),
        field("end_date", "End date", Date).hint("After the start date"),
        field("status", "Status", Choice(SubscriptionStatus::choices)).default("active"),
        field("approval_status", "Approval", Choice(ApprovalStatus::choices)).read_only(),
    ],
    columns: &["client_id", "product_id", "sla_tier", "end_date", "status", "approval_status"],
    filters: &["approval_status", "status", "sla_tier", "subscription_type", "client_id", "product_id"],
    unique: &[],
    related: &[Related { title: "Service level agreements", resource: &SLAS, condition: "subscription_id = {}" }],
    area: Area::Subscriptions,
    rows: Rows::OfClient,
    has_updated_at: true,
    approval: true,
    ..DEFAULTS
};

pub static SLAS: Resource = Resource {
    kind: "service_level_agreement",
    behaviour: &super::kinds::service_levels::ServiceLevels,
    noun: "Service level agreement",
    plural: "Service level agreements",
    path: "/slas",
    table: "service_level_agreements",
    key: "sla_id",
    title: "'SLA ' || sla_id || coalesce(' · ' || severity_level, '')",
    fields: &[
        field("subscription_id", "Subscription", Reference(&SUBSCRIPTION_REF))
            .hint("Only active subscriptions take SLAs"),
        field("severity_level", "Severity", Choice(Severity::choices)),
        field("response_time_minutes", "Response time (minutes)", Integer { min: 1, max: 100_000 })
            .missing("Enter the response time, in minutes.")
            .hint("Within the subscription tier's bounds"),
        field("resolution_time_hours", "Resolution time (hours)", Integer { min: 1, max: 10_000 })
            .missing("Enter the resolution time, in hours.")
            .hint("Within the subscription tier's bounds"),
        field("availability_percentage", "Availability (%)", Decimal { min: 0.0, max: 100.0 }).optional(),
        field("approval_status", "Approval", Choice(ApprovalStatus::choices)).read_only(),
    ],
    columns: &[
        "subscription_id",
        "severity_level",
        "response_time_minutes",
        "resolution_time_hours",
        "approval_status",
    ],
    filters: &["approval_status", "severity_level", "subscription_id"],
    unique: &[],
    related: &[],
    area: Area::Slas,
    rows: Rows::OfSubscription,
    has_updated_at: false,
    approval: true,
    ..DEFAULTS
};

/// Incidents as other records' pages list them; the incident pages themselves live in their own module.
pub static INCIDENT_SUMMARY: Resource = Resource {
    kind: "incident",
    noun: "Incident",
    plural: "Incidents",
    path: "/incidents",
    table: "incidents",
    key: "incident_id",
    title: "title",
    fields: &[
        field("severity", "Severity", Choice(Severity::choices)),
        field("status", "Status", Choice(IncidentStatus::choices)),
    ],
    columns: &["severity", "status"],
    filters: &[],
    unique: &[],
    related: &[],
    area: Area::Incidents,
    rows: Rows::Incidents,
    has_updated_at: true,
    // Incidents keep their own version; this summary never edits them.
    versioned: false,
    approval: false,
    ..DEFAULTS
};

/// The record types with administration pages, in navigation order.
pub static ADMINISTERED: &[&Resource] = &[&CLIENTS, &USERS, &VENDORS, &PRODUCTS, &COMPONENTS, &SUBSCRIPTIONS, &SLAS];
