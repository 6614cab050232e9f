//! The 22 tables of the import format: their fields, in load order (referenced tables first).
use crate::domain::enums::*;
use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use std::sync::LazyLock;
use strum::VariantNames;

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// The primary key: a decimal string equal to the record's key.
    Id,
    Text,
    Int,
    /// A whole number of minutes where 0 means "no target" (the reference stores it as null).
    Target,
    Float,
    Timestamp,
    Date,
    Enum(&'static [&'static str]),
    /// A reference to another table's id.
    Ref(&'static str),
    /// A JSON object (a report's snapshot, an audit entry's changes).
    Json,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    /// For a product column: required on every record once a file carries the column at all.
    pub required: bool,
    /// A PRODUCT ADDITION, absent from the reference's files. An export carries it, so that exporting and
    /// importing keeps every record as it was; a file without it leaves the column at its default.
    pub product: bool,
}

#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    columns: &'static [Column],
    /// Whether its records wait for approval: the product's approval columns follow the others.
    approval: bool,
}

/// The product's columns of a record that waits for approval.
const APPROVAL: &[Column] = &[
    added_req("approval_status", one_of(ApprovalStatus::VARIANTS)),
    added("approval_decided_by", Ref("users")),
    added("approval_decided_at", Timestamp),
    added("rejection_reason", Text),
];

impl Table {
    const fn new(name: &'static str, columns: &'static [Column]) -> Table {
        Table { name, columns, approval: false }
    }

    const fn waiting_for_approval(self) -> Table {
        Table { approval: true, ..self }
    }

    /// The columns as listed (the format's, with the product's additions among them), then the approval columns.
    pub fn columns(&self) -> impl Iterator<Item = &'static Column> + Clone {
        let approval = if self.approval { APPROVAL } else { &[] };
        self.columns.iter().chain(approval)
    }

    /// The primary key's column.
    pub fn key(&self) -> &'static str {
        self.columns.iter().find(|c| matches!(c.kind, Kind::Id)).expect("every table has an id").name
    }

    /// Groups of fields whose values must be unique together (compared without case), as the administered records'
    /// descriptions say.
    pub fn unique(&self) -> &'static [&'static [&'static str]] {
        crate::records::resources::ADMINISTERED.iter().find(|r| r.table == self.name).map_or(&[], |r| r.unique)
    }
}

const fn req(name: &'static str, kind: Kind) -> Column {
    Column { name, kind, required: true, product: false }
}
const fn opt(name: &'static str, kind: Kind) -> Column {
    Column { name, kind, required: false, product: false }
}
/// A product column that may be null.
const fn added(name: &'static str, kind: Kind) -> Column {
    Column { name, kind, required: false, product: true }
}
/// A product column that is never null (it has a default): a file that carries it gives it on every record.
const fn added_req(name: &'static str, kind: Kind) -> Column {
    Column { name, kind, required: true, product: true }
}
const LOCK_VERSION: Column = added_req("lock_version", Int);

use Kind::{Date, Float, Id, Int, Json, Ref, Target, Text, Timestamp};
const fn one_of(values: &'static [&'static str]) -> Kind {
    Kind::Enum(values)
}

pub const TABLES: &[Table] = &[
    Table::new(
        "clients",
        &[
            req("client_id", Id),
            req("client_name", Text),
            req("registration_number", Text),
            req("contact_email", Text),
            req("client_type", one_of(ClientType::VARIANTS)),
            opt("industry", Text),
            opt("country", Text),
            req("status", one_of(OrganisationStatus::VARIANTS)),
            req("created_at", Timestamp),
            req("updated_at", Timestamp),
            LOCK_VERSION,
            added("incident_notices", one_of(&["email", "dashboard_notification"])),
        ],
    ),
    Table::new(
        "vendors",
        &[
            req("vendor_id", Id),
            req("vendor_name", Text),
            req("vendor_type", one_of(VendorType::VARIANTS)),
            req("contact_email", Text),
            req("contact_phone", Text),
            req("status", one_of(OrganisationStatus::VARIANTS)),
            req("created_at", Timestamp),
            LOCK_VERSION,
        ],
    ),
    Table::new(
        "users",
        &[
            req("user_id", Id),
            req("name", Text),
            req("email", Text),
            req("role", one_of(Role::VARIANTS)),
            opt("department", Text),
            opt("client_id", Ref("clients")),
            opt("vendor_id", Ref("vendors")),
            req("timezone", Text),
            req("status", one_of(UserStatus::VARIANTS)),
            req("created_at", Timestamp),
            req("updated_at", Timestamp),
            // The password hash stays behind: an export is not a place for secrets.
            LOCK_VERSION,
        ],
    ),
    Table::new(
        "products",
        &[
            req("product_id", Id),
            req("product_name", Text),
            req("product_type", Text),
            opt("version", Text),
            opt("support_vendor_id", Ref("vendors")),
            req("status", one_of(ProductStatus::VARIANTS)),
            req("created_at", Timestamp),
            req("updated_at", Timestamp),
            LOCK_VERSION,
        ],
    ),
    Table::new(
        "infrastructure_components",
        &[
            req("component_id", Id),
            req("component_name", Text),
            req("component_type", Text),
            opt("product_id", Ref("products")),
            req("environment", one_of(Environment::VARIANTS)),
            opt("location", Text),
            opt("port_number", Text),
            req("operational_status", one_of(OperationalStatus::VARIANTS)),
            req("created_at", Timestamp),
            req("updated_at", Timestamp),
            LOCK_VERSION,
        ],
    ),
    Table::new(
        "subscriptions",
        &[
            req("subscription_id", Id),
            req("client_id", Ref("clients")),
            req("product_id", Ref("products")),
            req("subscription_type", one_of(SubscriptionType::VARIANTS)),
            req("sla_tier", one_of(SlaTier::VARIANTS)),
            opt("rto_hours", Int),
            req("start_date", Date),
            req("end_date", Date),
            req("status", one_of(SubscriptionStatus::VARIANTS)),
            req("created_at", Timestamp),
            req("updated_at", Timestamp),
            LOCK_VERSION,
        ],
    )
    .waiting_for_approval(),
    Table::new(
        "service_level_agreements",
        &[
            req("sla_id", Id),
            req("subscription_id", Ref("subscriptions")),
            opt("severity_level", one_of(Severity::VARIANTS)),
            req("response_time_minutes", Int),
            req("resolution_time_hours", Int),
            opt("availability_percentage", Float),
            req("created_at", Timestamp),
            LOCK_VERSION,
        ],
    )
    .waiting_for_approval(),
    Table::new(
        "incidents",
        &[
            req("incident_id", Id),
            req("title", Text),
            req("category", Text),
            req("severity", one_of(Severity::VARIANTS)),
            req("impact_level", one_of(Level::VARIANTS)),
            req("urgency_level", one_of(Level::VARIANTS)),
            req("status", one_of(IncidentStatus::VARIANTS)),
            req("client_id", Ref("clients")),
            req("component_id", Ref("infrastructure_components")),
            req("reporter_user_id", Ref("users")),
            opt("assigned_to_user_id", Ref("users")),
            req("detection_timestamp", Timestamp),
            opt("resolution_timestamp", Timestamp),
            req("created_at", Timestamp),
            req("updated_at", Timestamp),
            added("acknowledged_at", Timestamp),
            added("closed_at", Timestamp),
            added("suspected_change_id", Ref("change_requests")),
            LOCK_VERSION,
        ],
    ),
    Table::new(
        "incident_updates",
        &[
            req("update_id", Id),
            req("incident_id", Ref("incidents")),
            req("updated_by_user", Ref("users")),
            req("update_type", Text),
            req("field_changed", Text),
            req("old_value", Text),
            req("new_value", Text),
            req("created_at", Timestamp),
        ],
    ),
    Table::new(
        "incident_escalations",
        &[
            req("escalation_id", Id),
            req("incident_id", Ref("incidents")),
            req("escalated_by_user", Ref("users")),
            req("escalated_to_user", Ref("users")),
            req("escalation_level", one_of(EscalationLevel::VARIANTS)),
            opt("reason", Text),
            req("status", one_of(EscalationStatus::VARIANTS)),
            req("escalated_at", Timestamp),
            opt("resolved_at", Timestamp),
            req("created_at", Timestamp),
            added("resolved_by_user", Ref("users")),
            LOCK_VERSION,
        ],
    ),
    Table::new(
        "communications",
        &[
            req("communication_id", Id),
            req("incident_id", Ref("incidents")),
            // The reference always names a sender; the product's own notices have none.
            opt("sender_id", Ref("users")),
            // The reference always names a user; the product may address a kind of recipient instead.
            opt("recipient_id", Ref("users")),
            opt("recipient_type", one_of(RecipientType::VARIANTS)),
            req("communication_type", Text),
            req("delivery_method", one_of(DeliveryMethod::VARIANTS)),
            req("delivery_status", one_of(DeliveryStatus::VARIANTS)),
            opt("sent_at", Timestamp),
            req("created_at", Timestamp),
            added("message", Text),
            LOCK_VERSION,
            added("failure_reason", Text),
        ],
    ),
    Table::new(
        "workarounds",
        &[
            req("workaround_id", Id),
            req("incident_id", Ref("incidents")),
            req("implemented_by_user", Ref("users")),
            req("effectiveness_level", one_of(Effectiveness::VARIANTS)),
            req("status", one_of(WorkaroundStatus::VARIANTS)),
            req("implemented_at", Timestamp),
            req("created_at", Timestamp),
            added("description", Text),
            LOCK_VERSION,
        ],
    ),
    Table::new(
        "root_cause_analysis",
        &[
            req("analysis_id", Id),
            req("incident_id", Ref("incidents")),
            req("conducted_by_user", Ref("users")),
            req("analysis_method", one_of(AnalysisMethod::VARIANTS)),
            req("status", one_of(AnalysisStatus::VARIANTS)),
            opt("completed_at", Timestamp),
            req("created_at", Timestamp),
            added("findings", Text),
            LOCK_VERSION,
        ],
    ),
    Table::new(
        "change_requests",
        &[
            req("change_id", Id),
            opt("incident_id", Ref("incidents")),
            req("title", Text),
            req("change_type", one_of(ChangeType::VARIANTS)),
            req("risk_level", one_of(RiskLevel::VARIANTS)),
            req("status", one_of(ChangeStatus::VARIANTS)),
            req("requesting_user", Ref("users")),
            opt("approved_by_user", Ref("users")),
            opt("scheduled_start_time", Timestamp),
            opt("scheduled_end_time", Timestamp),
            opt("actual_start_time", Timestamp),
            opt("actual_end_time", Timestamp),
            req("created_at", Timestamp),
            req("updated_at", Timestamp),
            added("justification", Text),
            added("rejected_by_user", Ref("users")),
            added("rejection_reason", Text),
            added("decided_at", Timestamp),
            added("component_id", Ref("infrastructure_components")),
            LOCK_VERSION,
        ],
    ),
    Table::new(
        "rollback_requests",
        &[
            req("rollback_id", Id),
            req("change_id", Ref("change_requests")),
            opt("incident_id", Ref("incidents")),
            req("requesting_user", Ref("users")),
            req("status", one_of(RollbackStatus::VARIANTS)),
            opt("approved_by_user", Ref("users")),
            opt("completed_at", Timestamp),
            req("created_at", Timestamp),
            added("justification", Text),
            added("rejected_by_user", Ref("users")),
            added("rejection_reason", Text),
            added("decided_at", Timestamp),
            LOCK_VERSION,
        ],
    ),
    Table::new(
        "performance_metrics",
        &[
            req("metric_id", Id),
            req("incident_id", Ref("incidents")),
            req("metric_type", one_of(MetricType::VARIANTS)),
            req("calculated_value_minutes", Int),
            opt("target_minutes", Target),
            req("recorded_by_user", Ref("users")),
            req("recorded_at", Timestamp),
            req("created_at", Timestamp),
        ],
    ),
    Table::new(
        "incident_reports",
        &[
            req("report_id", Id),
            req("incident_id", Ref("incidents")),
            req("report_type", one_of(ReportType::VARIANTS)),
            req("generated_by_user", Ref("users")),
            req("status", one_of(ReportStatus::VARIANTS)),
            req("generated_at", Timestamp),
            req("created_at", Timestamp),
            added("snapshot", Json),
            LOCK_VERSION,
        ],
    ),
    Table::new(
        "knowledge_base_articles",
        &[
            req("article_id", Id),
            opt("incident_id", Ref("incidents")),
            req("title", Text),
            req("article_type", one_of(ArticleType::VARIANTS)),
            req("category", one_of(ArticleCategory::VARIANTS)),
            req("created_by_user", Ref("users")),
            opt("reviewer_user", Ref("users")),
            req("status", one_of(ArticleStatus::VARIANTS)),
            req("created_at", Timestamp),
            req("updated_at", Timestamp),
            added("body", Text),
            LOCK_VERSION,
        ],
    ),
    Table::new(
        "post_incident_reviews",
        &[
            req("review_id", Id),
            req("incident_id", Ref("incidents")),
            req("facilitator_user", Ref("users")),
            req("scheduled_date", Timestamp),
            req("overall_rating", one_of(ReviewRating::VARIANTS)),
            req("status", one_of(ReviewStatus::VARIANTS)),
            opt("completed_at", Timestamp),
            req("created_at", Timestamp),
            added("notes", Text),
            LOCK_VERSION,
        ],
    ),
    Table::new(
        "problem_tickets",
        &[
            req("problem_id", Id),
            req("incident_id", Ref("incidents")),
            req("title", Text),
            req("status", one_of(IncidentStatus::VARIANTS)),
            req("issued_by_user", Ref("users")),
            req("created_at", Timestamp),
            req("updated_at", Timestamp),
            LOCK_VERSION,
        ],
    ),
    Table::new(
        "work_orders",
        &[
            req("workorder_id", Id),
            opt("incident_id", Ref("incidents")),
            opt("change_id", Ref("change_requests")),
            opt("problem_id", Ref("problem_tickets")),
            req("title", Text),
            req("work_type", Text),
            req("status", one_of(WorkOrderStatus::VARIANTS)),
            opt("assigned_to_user", Ref("users")),
            req("created_by_user", Ref("users")),
            req("created_at", Timestamp),
            req("updated_at", Timestamp),
            added("review_id", Ref("post_incident_reviews")),
            LOCK_VERSION,
        ],
    ),
    Table::new(
        "audit_logs",
        &[
            req("audit_id", Id),
            req("action", Text),
            req("entity_type", Text),
            req("entity_id", Text),
            // The product records events of no known user (a sign-in with an unknown email) without one.
            opt("audit_by_user", Ref("users")),
            req("created_at", Timestamp),
            added("actor_role", one_of(Role::VARIANTS)),
            added_req("changes", Json),
            added("prev_hash", Text),
            added("entry_hash", Text),
        ],
    ),
];

/// A record id as a number (ids are validated before this is used; anything else sorts first).
pub fn id_of(value: Option<&Value>) -> i64 {
    match value {
        Some(Value::String(s)) => s.parse().unwrap_or(i64::MIN),
        Some(Value::Number(n)) => n.as_i64().unwrap_or(i64::MIN),
        _ => i64::MIN,
    }
}

/// Reads the reference's timestamps: ISO 8601 with or without an offset; without one it is UTC.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    parse_any_timestamp(text).filter(|at| (1900..=2200).contains(&chrono::Datelike::year(at)))
}

fn parse_any_timestamp(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    LOCAL_FORMATS
        .iter()
        .find_map(|items| {
            let mut parsed = Parsed::new();
            chrono::format::parse(&mut parsed, text, items.iter()).ok()?;
            parsed.to_naive_datetime_with_offset(0).ok()
        })
        .or_else(|| parse_date(text).and_then(|date| date.and_hms_opt(0, 0, 0)))
        .map(|naive| naive.and_utc())
}

/// Timestamps without an offset, read as these formats exactly. The formats are read once: a large data set has
/// millions of timestamps, and reading the format text took longer than reading the timestamp.
static LOCAL_FORMATS: LazyLock<[Vec<Item<'static>>; 2]> = LazyLock::new(|| {
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .map(|format| StrftimeItems::new(format).parse_to_owned().expect("the formats are valid"))
});

pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().filter(|d| (1900..=2200).contains(&chrono::Datelike::year(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_read_with_or_without_an_offset_and_impossible_ones_are_not() {
        let utc = |text: &str| parse_timestamp(text).map(|at| at.to_rfc3339());
        for (text, read) in [
            ("2026-03-14T09:30:00", Some("2026-03-14T09:30:00+00:00")),
            ("2026-03-14 09:30:00.5", Some("2026-03-14T09:30:00.500+00:00")),
            ("2026-03-14T09:30:00+02:00", Some("2026-03-14T07:30:00+00:00")),
            ("2026-03-14", Some("2026-03-14T00:00:00+00:00")),
            ("2026-02-30T10:00:00", None),
            ("2026-03-14T09:30", None),
            ("1899-12-31T23:59:59", None),
            ("yesterday", None),
        ] {
            assert_eq!(utc(text).as_deref(), read, "{text}");
        }
    }
}
