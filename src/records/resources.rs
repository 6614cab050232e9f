//! The administered record types (domain.md §3.1–3.7) and the incident summary their pages link to.
use super::spec::*;
use crate::domain::enums::*;
use crate::forms::field;
use crate::{column, table};
use FieldKind::*;

fn timezones() -> Vec<(&'static str, &'static str)> {
    vec![("UTC", "UTC"), ("GMT", "GMT"), ("CET", "CET"), ("EST", "EST"), ("CST", "CST"), ("PST", "PST")]
}

/// How a client's contacts may be told about its incidents without anyone writing (the methods the product
/// delivers itself).
fn notice_methods() -> Vec<(&'static str, &'static str)> {
    [DeliveryMethod::Email, DeliveryMethod::DashboardNotification].map(|m| (m.as_str(), m.label())).to_vec()
}

pub static CLIENT_REF: RefTable = RefTable::new(table!(clients), column!(clients, client_id), Rows::Clients)
    .label("client_name")
    .noun("client")
    .page("/clients");
pub static VENDOR_REF: RefTable = RefTable::new(table!(vendors), column!(vendors, vendor_id), Rows::Catalogue)
    .label("vendor_name")
    .noun("vendor")
    .page("/vendors");
pub static PRODUCT_REF: RefTable = RefTable::new(table!(products), column!(products, product_id), Rows::Catalogue)
    .label("product_name")
    .noun("product")
    .page("/products");
pub static SUBSCRIPTION_REF: RefTable = RefTable::new(table!(subscriptions), column!(subscriptions, subscription_id), Rows::OfClient)
    .label("(SELECT client_name FROM clients c WHERE c.client_id = subscriptions.client_id) || ' · ' || \
            (SELECT product_name FROM products p WHERE p.product_id = subscriptions.product_id) || ' · ' || sla_tier || ' · #' || subscription_id")
    .noun("subscription")
    .page("/subscriptions");

pub static CLIENTS: Resource = Resource {
    kind: "client",
    noun: "Client",
    plural: "Clients",
    path: "/clients",
    table: table!(clients),
    key: column!(clients, client_id),
    title: "client_name",
    fields: &[
        field(column!(clients, client_name), "Name", Text),
        field(column!(clients, registration_number), "Registration number", Text)
            .hint("As registered, e.g. REG12345678"),
        field(column!(clients, contact_email), "Contact email", Email),
        field(column!(clients, client_type), "Client type", Choice(ClientType::choices)),
        field(column!(clients, industry), "Industry", Text).optional(),
        field(column!(clients, country), "Country", Text).optional(),
        field(column!(clients, status), "Status", Choice(OrganisationStatus::choices)).default("active"),
        field(column!(clients, incident_notices), "Incident notices to contacts", Choice(notice_methods))
            .optional()
            .hint(
                "Tell this client's contacts, without anyone writing, when one of its incidents is reported, changes \
             status or is resolved. Leave empty for no automatic notices",
            ),
    ],
    columns: &[column!(clients, client_type), column!(clients, industry), column!(clients, status)],
    filters: &[column!(clients, status), column!(clients, client_type)],
    unique: &[&[column!(clients, registration_number)], &[column!(clients, contact_email)]],
    related: &[
        Related { title: "Users", resource: &USERS, link: Link::Column(column!(users, client_id)) },
        Related {
            title: "Subscriptions",
            resource: &SUBSCRIPTIONS,
            link: Link::Column(column!(subscriptions, client_id)),
        },
        Related {
            title: "Service level agreements",
            resource: &SLAS,
            link: Link::Through {
                column: column!(service_level_agreements, subscription_id),
                select: column!(subscriptions, subscription_id),
                table: table!(subscriptions),
                by: column!(subscriptions, client_id),
            },
        },
        Related { title: "Incidents", resource: &INCIDENT_SUMMARY, link: Link::Column(column!(incidents, client_id)) },
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
    table: table!(users),
    key: column!(users, user_id),
    title: "name",
    fields: &[
        field(column!(users, name), "Full name", Text).missing("Enter the person's full name."),
        field(column!(users, email), "Email", Email).hint("They sign in with it; it must be unique"),
        field(column!(users, role), "Role", Choice(Role::choices)),
        field(column!(users, department), "Department", Text).optional(),
        field(column!(users, client_id), "Client", Reference(&CLIENT_REF))
            .optional()
            .hint("Required for client contacts; optional for account managers, to confine them to one client"),
        field(column!(users, vendor_id), "Vendor", Reference(&VENDOR_REF))
            .optional()
            .hint("Required for vendor contacts"),
        field(column!(users, timezone), "Time zone", Choice(timezones)).default("UTC"),
        field(column!(users, status), "Status", Choice(UserStatus::choices)).default("active"),
        field("password", "Initial password", NewPassword)
            .only_on_create()
            .hint("At least 12 characters. Give it to the user; they can change it after signing in"),
    ],
    columns: &[
        column!(users, email),
        column!(users, role),
        column!(users, client_id),
        column!(users, vendor_id),
        column!(users, status),
    ],
    filters: &[column!(users, status), column!(users, role), column!(users, client_id), column!(users, vendor_id)],
    unique: &[&[column!(users, email)]],
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
    table: table!(vendors),
    key: column!(vendors, vendor_id),
    title: "vendor_name",
    fields: &[
        field(column!(vendors, vendor_name), "Name", Text),
        field(column!(vendors, vendor_type), "Vendor type", Choice(VendorType::choices)),
        field(column!(vendors, contact_email), "Contact email", Email),
        field(column!(vendors, contact_phone), "Contact phone", Phone).hint("International format, e.g. +15551234567"),
        field(column!(vendors, status), "Status", Choice(OrganisationStatus::choices)).default("active"),
    ],
    columns: &[column!(vendors, vendor_type), column!(vendors, contact_email), column!(vendors, status)],
    filters: &[column!(vendors, status), column!(vendors, vendor_type)],
    unique: &[&[column!(vendors, vendor_name)], &[column!(vendors, contact_email)], &[column!(vendors, contact_phone)]],
    related: &[
        Related { title: "Contacts", resource: &USERS, link: Link::Column(column!(users, vendor_id)) },
        Related {
            title: "Supported products",
            resource: &PRODUCTS,
            link: Link::Column(column!(products, support_vendor_id)),
        },
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
    table: table!(products),
    key: column!(products, product_id),
    title: "product_name",
    fields: &[
        field(column!(products, product_name), "Name", Text),
        field(column!(products, product_type), "Product type", Text)
            .hint("e.g. Software, Platform, Service, Infrastructure, Security, Database"),
        field(column!(products, version), "Version", Text).optional().hint("e.g. 3.3.34"),
        field(column!(products, support_vendor_id), "Support vendor", Reference(&VENDOR_REF)).optional(),
        field(column!(products, status), "Status", Choice(ProductStatus::choices)).default("active"),
    ],
    columns: &[
        column!(products, product_type),
        column!(products, version),
        column!(products, support_vendor_id),
        column!(products, status),
    ],
    filters: &[column!(products, status), column!(products, support_vendor_id)],
    unique: &[&[column!(products, product_name)]],
    related: &[
        Related {
            title: "Infrastructure components",
            resource: &COMPONENTS,
            link: Link::Column(column!(infrastructure_components, product_id)),
        },
        Related {
            title: "Subscriptions",
            resource: &SUBSCRIPTIONS,
            link: Link::Column(column!(subscriptions, product_id)),
        },
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
    table: table!(infrastructure_components),
    key: column!(infrastructure_components, component_id),
    title: "component_name",
    fields: &[
        field(column!(infrastructure_components, component_name), "Name", Text)
            .hint("Unique within its product, e.g. Storage-main-36"),
        field(column!(infrastructure_components, component_type), "Component type", Text)
            .hint("e.g. Server, Database, Network, Storage, Application, API, Cache"),
        field(column!(infrastructure_components, product_id), "Product", Reference(&PRODUCT_REF)).optional(),
        field(column!(infrastructure_components, environment), "Environment", Choice(Environment::choices)),
        field(column!(infrastructure_components, location), "Location", Text)
            .optional()
            .hint("e.g. US-East, EU-Central"),
        field(column!(infrastructure_components, port_number), "Port", Integer { min: 1, max: 65_535 }).optional(),
        field(
            column!(infrastructure_components, operational_status),
            "Operational status",
            Choice(OperationalStatus::choices),
        )
        .default("operational"),
    ],
    columns: &[
        column!(infrastructure_components, component_type),
        column!(infrastructure_components, product_id),
        column!(infrastructure_components, environment),
        column!(infrastructure_components, operational_status),
    ],
    filters: &[
        column!(infrastructure_components, operational_status),
        column!(infrastructure_components, environment),
        column!(infrastructure_components, product_id),
    ],
    unique: &[&[column!(infrastructure_components, product_id), column!(infrastructure_components, component_name)]],
    related: &[Related {
        title: "Incidents",
        resource: &INCIDENT_SUMMARY,
        link: Link::Column(column!(incidents, component_id)),
    }],
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
    table: table!(subscriptions),
    key: column!(subscriptions, subscription_id),
    title: "'Subscription ' || subscription_id",
    fields: &[
        field(column!(subscriptions, client_id), "Client", Reference(&CLIENT_REF)),
        field(column!(subscriptions, product_id), "Product", Reference(&PRODUCT_REF)),
        field(column!(subscriptions, subscription_type), "Subscription type", Choice(SubscriptionType::choices)),
        field(column!(subscriptions, sla_tier), "SLA tier", Choice(SlaTier::choices))
            .hint("Premium tier and custom subscriptions need an executive's approval"),
        field(column!(subscriptions, rto_hours), "Recovery time objective (hours)", Integer { min: 1, max: 8_760 })
            .optional(),
        field(column!(subscriptions, start_date), "Start date", Date),
        field(column!(subscriptions, end_date), "End date", Date).hint("After the start date"),
        field(column!(subscriptions, status), "Status", Choice(SubscriptionStatus::choices)).default("active"),
        field(column!(subscriptions, approval_status), "Approval", Choice(ApprovalStatus::choices)).read_only(),
    ],
    columns: &[
        column!(subscriptions, client_id),
        column!(subscriptions, product_id),
        column!(subscriptions, sla_tier),
        column!(subscriptions, end_date),
        column!(subscriptions, status),
        column!(subscriptions, approval_status),
    ],
    filters: &[
        column!(subscriptions, approval_status),
        column!(subscriptions, status),
        column!(subscriptions, sla_tier),
        column!(subscriptions, subscription_type),
        column!(subscriptions, client_id),
        column!(subscriptions, product_id),
    ],
    unique: &[],
    related: &[Related {
        title: "Service level agreements",
        resource: &SLAS,
        link: Link::Column(column!(service_level_agreements, subscription_id)),
    }],
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
    table: table!(service_level_agreements),
    key: column!(service_level_agreements, sla_id),
    title: "'SLA ' || sla_id || coalesce(' · ' || severity_level, '')",
    fields: &[
        field(column!(service_level_agreements, subscription_id), "Subscription", Reference(&SUBSCRIPTION_REF))
            .hint("Only active subscriptions take SLAs"),
        field(column!(service_level_agreements, severity_level), "Severity", Choice(Severity::choices)),
        field(
            column!(service_level_agreements, response_time_minutes),
            "Response time (minutes)",
            Integer { min: 1, max: 100_000 },
        )
        .missing("Enter the response time, in minutes.")
        .hint("Within the subscription tier's bounds"),
        field(
            column!(service_level_agreements, resolution_time_hours),
            "Resolution time (hours)",
            Integer { min: 1, max: 10_000 },
        )
        .missing("Enter the resolution time, in hours.")
        .hint("Within the subscription tier's bounds"),
        field(
            column!(service_level_agreements, availability_percentage),
            "Availability (%)",
            Decimal { min: 0.0, max: 100.0 },
        )
        .optional(),
        field(column!(service_level_agreements, approval_status), "Approval", Choice(ApprovalStatus::choices))
            .read_only(),
    ],
    columns: &[
        column!(service_level_agreements, subscription_id),
        column!(service_level_agreements, severity_level),
        column!(service_level_agreements, response_time_minutes),
        column!(service_level_agreements, resolution_time_hours),
        column!(service_level_agreements, approval_status),
    ],
    filters: &[
        column!(service_level_agreements, approval_status),
        column!(service_level_agreements, severity_level),
        column!(service_level_agreements, subscription_id),
    ],
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
    table: table!(incidents),
    key: column!(incidents, incident_id),
    title: "title",
    fields: &[
        field(column!(incidents, severity), "Severity", Choice(Severity::choices)),
        field(column!(incidents, status), "Status", Choice(IncidentStatus::choices)),
    ],
    columns: &[column!(incidents, severity), column!(incidents, status)],
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
