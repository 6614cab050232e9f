//! The records of the policy's procedures (SOPs): problem tickets, work orders, workarounds, root cause
//! analyses, change and rollback requests, performance metrics, incident reports, knowledge base articles and
//! post-incident reviews. Each hangs off an incident; its rules are in `rules`, its own use cases in
//! `procedure_service`.
use super::spec::*;
use crate::domain::enums::*;
use crate::forms::field;
use FieldKind::*;

pub static INCIDENT_REF: RefTable = RefTable {
    table: "incidents",
    key: "incident_id",
    label: "'Incident ' || incident_id || ': ' || title",
    noun: "incident",
    path: Some("/incidents"),
    rows: Rows::Incidents,
};
pub static USER_REF: RefTable =
    RefTable { table: "users", key: "user_id", label: "name", noun: "user", path: Some("/users"), rows: Rows::People };
pub static PROBLEM_REF: RefTable = RefTable {
    table: "problem_tickets",
    key: "problem_id",
    label: "'Problem ' || problem_id || ': ' || title",
    noun: "problem ticket",
    path: Some("/problems"),
    rows: Rows::OfIncident,
};
pub static CHANGE_REF: RefTable = RefTable {
    table: "change_requests",
    key: "change_id",
    label: "'Change ' || change_id || ': ' || title",
    noun: "change request",
    path: Some("/changes"),
    rows: Rows::OfIncident,
};

fn work_types() -> Vec<(&'static str, &'static str)> {
    vec![
        ("installation", "Installation"),
        ("configuration", "Configuration"),
        ("maintenance", "Maintenance"),
        ("repair", "Repair"),
        ("investigation", "Investigation"),
    ]
}

/// The incident lifecycle, which problem tickets share.
const LIFECYCLE: &[(&str, &str)] = &[
    ("open", "investigating"),
    ("investigating", "in_progress"),
    ("in_progress", "resolved"),
    ("resolved", "closed"),
    ("resolved", "in_progress"),
];

pub static PROBLEM_TICKETS: Resource = Resource {
    kind: "problem_ticket",
    noun: "Problem ticket",
    plural: "Problem tickets",
    path: "/problems",
    table: "problem_tickets",
    key: "problem_id",
    title: "title",
    fields: &[
        field("incident_id", "Incident", Reference(&INCIDENT_REF)).only_on_create(),
        field("title", "Title", Text).hint("e.g. Root cause investigation for recurring performance issues"),
        field("status", "Status", Choice(IncidentStatus::choices)).default("open").optional_on_create(),
    ],
    columns: &["incident_id", "status"],
    filters: &["status"],
    related: &[Related { title: "Work orders", resource: &WORK_ORDERS, condition: "problem_id = {}" }],
    area: Area::Problems,
    rows: Rows::OfIncident,
    actor_column: Some("issued_by_user"),
    transitions: LIFECYCLE,
    ..DEFAULTS
};

pub static WORK_ORDERS: Resource = Resource {
    kind: "work_order",
    behaviour: &super::kinds::work_orders::WorkOrders,
    noun: "Work order",
    plural: "Work orders",
    path: "/work-orders",
    table: "work_orders",
    key: "workorder_id",
    title: "title",
    fields: &[
        field("title", "Title", Text).hint("e.g. Configure network components"),
        field("work_type", "Type of work", Choice(work_types)),
        field("incident_id", "Incident", Reference(&INCIDENT_REF)).optional(),
        field("problem_id", "Problem ticket", Reference(&PROBLEM_REF)).optional(),
        field("change_id", "Change request", Reference(&CHANGE_REF)).optional(),
        field("assigned_to_user", "Assigned to", Reference(&USER_REF)).optional().hint("An active user"),
        field("status", "Status", Choice(WorkOrderStatus::choices)).default("created").optional_on_create(),
    ],
    columns: &["work_type", "assigned_to_user", "status"],
    filters: &["status", "work_type", "assigned_to_user"],
    area: Area::WorkOrders,
    rows: Rows::WorkOrders,
    internal: &["incident_id", "problem_id", "change_id"],
    actor_column: Some("created_by_user"),
    transitions: &[
        ("created", "assigned"),
        ("created", "in_progress"),
        ("assigned", "in_progress"),
        ("in_progress", "completed"),
        ("created", "cancelled"),
        ("assigned", "cancelled"),
        ("in_progress", "cancelled"),
    ],
    ..DEFAULTS
};

pub static WORKAROUNDS: Resource = Resource {
    kind: "workaround",
    noun: "Workaround",
    plural: "Workarounds",
    path: "/workarounds",
    table: "workarounds",
    key: "workaround_id",
    // Named by what it is and does, not by its number: "Workaround for incident 15: Restarted the consumer".
    title: "'Workaround for incident ' || incident_id || ': ' || left(coalesce(description, ''), 80)",
    fields: &[
        field("incident_id", "Incident", Reference(&INCIDENT_REF)).only_on_create(),
        field("effectiveness_level", "Effectiveness", Choice(Effectiveness::choices)),
        field("implemented_at", "Implemented at", DateTime)
            .hint("In your own time zone")
            .missing("Enter when the workaround was put in place."),
        field("description", "What was done", LongText).optional(),
        field("status", "Status", Choice(WorkaroundStatus::choices)).default("active").optional_on_create(),
    ],
    columns: &["incident_id", "effectiveness_level", "status"],
    filters: &["status", "effectiveness_level"],
    area: Area::Workarounds,
    rows: Rows::OfIncident,
    actor_column: Some("implemented_by_user"),
    transitions: &[("active", "inactive"), ("active", "replaced"), ("inactive", "active"), ("inactive", "replaced")],
    has_updated_at: false,
    ..DEFAULTS
};

pub static ANALYSES: Resource = Resource {
    kind: "root_cause_analysis",
    behaviour: &super::kinds::analyses::Analyses,
    noun: "Root cause analysis",
    plural: "Root cause analyses",
    path: "/analyses",
    table: "root_cause_analysis",
    key: "analysis_id",
    title: "'Root cause analysis ' || analysis_id",
    fields: &[
        field("incident_id", "Incident", Reference(&INCIDENT_REF)).only_on_create(),
        field("analysis_method", "Method", Choice(AnalysisMethod::choices)),
        field("findings", "Findings", LongText).optional().hint("What caused it, and why"),
        field("status", "Status", Choice(AnalysisStatus::choices)).default("in_progress").optional_on_create(),
        field("completed_at", "Completed at", DateTime)
            .optional()
            .only_on_create()
            .hint("For an analysis submitted as completed or reviewed; in your own time zone"),
    ],
    columns: &["incident_id", "analysis_method", "status"],
    filters: &["status", "analysis_method"],
    area: Area::Analyses,
    rows: Rows::OfIncident,
    actor_column: Some("conducted_by_user"),
    transitions: &[("in_progress", "completed"), ("completed", "reviewed")],
    stamps: &[("completed", "completed_at")],
    has_updated_at: false,
    ..DEFAULTS
};

pub static CHANGES: Resource = Resource {
    kind: "change_request",
    behaviour: &super::kinds::changes::Changes,
    noun: "Change request",
    plural: "Change requests",
    path: "/changes",
    table: "change_requests",
    key: "change_id",
    title: "title",
    fields: &[
        field("title", "Title", Text).hint("e.g. Emergency change for security fix"),
        field("change_type", "Type of change", Choice(ChangeType::choices)).only_on_create(),
        field("risk_level", "Risk", Choice(RiskLevel::choices))
            .only_on_create()
            .hint("High-risk and emergency changes need an executive's approval"),
        field("incident_id", "Incident", Reference(&INCIDENT_REF)).optional().only_on_create(),
        field("justification", "Justification", LongText)
            .optional()
            .hint("Why the change is needed, and what happens without it"),
        field("scheduled_start_time", "Scheduled start", DateTime).optional().hint("In your own time zone"),
        field("scheduled_end_time", "Scheduled end", DateTime).optional(),
        field("status", "Status", Choice(ChangeStatus::choices))
            .default("requested")
            .optional_on_create()
            .hint("Approved or later only for those who may approve the change, who then approve it as they submit it; otherwise approval and rejection have their own buttons, and rollbacks set rolled back"),
        field("approved_by_user", "Approved by", Reference(&USER_REF)).optional().read_only(),
        field("actual_start_time", "Started", DateTime).optional().read_only(),
        field("actual_end_time", "Ended", DateTime).optional().read_only(),
        field("rejection_reason", "Reason for rejection", LongText).optional().read_only(),
    ],
    columns: &["change_type", "risk_level", "status"],
    filters: &["status", "change_type", "risk_level"],
    related: &[
        Related { title: "Rollback requests", resource: &ROLLBACKS, condition: "change_id = {}" },
        Related { title: "Work orders", resource: &WORK_ORDERS, condition: "change_id = {}" },
    ],
    area: Area::Changes,
    rows: Rows::OfIncident,
    actor_column: Some("requesting_user"),
    transitions: &[
        ("approved", "scheduled"),
        ("approved", "in_progress"),
        ("scheduled", "in_progress"),
        ("in_progress", "completed"),
        ("in_progress", "failed"),
    ],
    stamps: &[("in_progress", "actual_start_time"), ("completed", "actual_end_time"), ("failed", "actual_end_time")],
    ..DEFAULTS
};

pub static ROLLBACKS: Resource = Resource {
    kind: "rollback_request",
    behaviour: &super::kinds::rollbacks::Rollbacks,
    noun: "Rollback request",
    plural: "Rollback requests",
    path: "/rollbacks",
    table: "rollback_requests",
    key: "rollback_id",
    title: "'Rollback ' || rollback_id",
    fields: &[
        field("change_id", "Change request", Reference(&CHANGE_REF)).only_on_create(),
        field("incident_id", "Incident", Reference(&INCIDENT_REF)).optional().only_on_create(),
        field("justification", "Justification", LongText)
            .hint("Why the change must be reverted")
            .missing("Say why the change must be reverted."),
        field("status", "Status", Choice(RollbackStatus::choices))
            .default("requested")
            .optional()
            .only_on_create()
            .hint("Approved, in progress or failed only for those who may approve rollbacks, who then approve it as they submit it"),
        field("approved_by_user", "Approved by", Reference(&USER_REF)).optional().read_only(),
        field("completed_at", "Carried out", DateTime)
            .optional()
            .only_on_create()
            .hint("Only for a rollback submitted as failed; an approved one is carried out with its own button"),
        field("rejection_reason", "Reason for rejection", LongText).optional().read_only(),
    ],
    columns: &["change_id", "status"],
    filters: &["status"],
    area: Area::Rollbacks,
    rows: Rows::OfIncident,
    actor_column: Some("requesting_user"),
    has_updated_at: false,
    ..DEFAULTS
};

pub static METRICS: Resource = Resource {
    kind: "performance_metric",
    behaviour: &super::kinds::metrics::Metrics,
    noun: "Performance metric",
    plural: "Performance metrics",
    path: "/metrics",
    table: "performance_metrics",
    key: "metric_id",
    // "Resolution time of incident 15": the metric type's words, as its label writes them.
    title: "upper(left(replace(metric_type, '_', ' '), 1)) || substr(replace(metric_type, '_', ' '), 2) \
            || ' of incident ' || incident_id",
    fields: &[
        field("incident_id", "Incident", Reference(&INCIDENT_REF)).only_on_create().hint("A closed incident"),
        field("metric_type", "Metric", Choice(MetricType::choices))
            .only_on_create()
            .hint("The value is computed from the incident's own times"),
        field("target_minutes", "Target (minutes)", Integer { min: 1, max: 1_000_000 })
            .optional()
            .only_on_create()
            .hint("Left empty, the target of the client's approved SLA for the incident's severity, if there is one"),
        field("calculated_value_minutes", "Value (minutes)", Integer { min: 0, max: i32::MAX as i64 })
            .optional()
            .only_on_create()
            .hint("Left empty, it is computed from the incident's times; if given, it must agree with them"),
    ],
    columns: &["incident_id", "calculated_value_minutes", "target_minutes"],
    filters: &["metric_type"],
    related: &[Related {
        title: "All metrics of this incident",
        resource: &METRICS,
        condition: "incident_id = (SELECT incident_id FROM performance_metrics WHERE metric_id = {})",
    }],
    area: Area::Metrics,
    rows: Rows::OfIncident,
    actor_column: Some("recorded_by_user"),
    has_updated_at: false,
    versioned: false,
    ..DEFAULTS
};

pub static REPORTS: Resource = Resource {
    kind: "incident_report",
    behaviour: &super::kinds::reports::Reports,
    noun: "Incident report",
    plural: "Incident reports",
    path: "/reports",
    table: "incident_reports",
    key: "report_id",
    title: "'Report ' || report_id || ': ' || replace(report_type, '_', ' ')",
    fields: &[
        field("incident_id", "Incident", Reference(&INCIDENT_REF)).only_on_create(),
        field("report_type", "Report type", Choice(ReportType::choices)).only_on_create(),
        field("status", "Status", Choice(ReportStatus::choices))
            .optional()
            .default("completed")
            .hint("Contacts see published reports"),
        field("generated_at", "Generated", DateTime).optional().read_only(),
    ],
    extra_columns: &["snapshot"],
    columns: &["incident_id", "status"],
    filters: &["status", "report_type"],
    area: Area::Reports,
    rows: Rows::Reports,
    actor_column: Some("generated_by_user"),
    transitions: &[("draft", "completed"), ("draft", "published"), ("completed", "published")],
    has_updated_at: false,
    ..DEFAULTS
};

pub static ARTICLES: Resource = Resource {
    kind: "knowledge_base_article",
    behaviour: &super::kinds::articles::Articles,
    noun: "Knowledge base article",
    plural: "Knowledge base",
    path: "/kb",
    table: "knowledge_base_articles",
    key: "article_id",
    title: "title",
    fields: &[
        field("title", "Title", Text).hint("e.g. How to handle data issues"),
        field("article_type", "Type", Choice(ArticleType::choices)),
        field("category", "Category", Choice(ArticleCategory::choices)),
        field("body", "Article", LongText).optional(),
        field("incident_id", "Incident", Reference(&INCIDENT_REF)).optional(),
        field("reviewer_user", "Reviewer", Reference(&USER_REF))
            .optional()
            .hint("An active user; publishing needs their approval"),
        field("created_by_user", "Author", Reference(&USER_REF)).optional().read_only(),
        field("status", "Status", Choice(ArticleStatus::choices))
            .default("draft")
            .optional_on_create()
            .hint("Draft → under review → published (by its reviewer) → archived"),
    ],
    columns: &["article_type", "category", "status"],
    filters: &["status", "article_type", "category"],
    area: Area::Articles,
    rows: Rows::Articles,
    internal: &["incident_id", "reviewer_user"],
    search: Some("title || ' ' || coalesce(body, '')"),
    actor_column: Some("created_by_user"),
    transitions: &[
        ("draft", "under_review"),
        ("under_review", "draft"),
        ("under_review", "published"),
        ("published", "archived"),
    ],
    ..DEFAULTS
};

pub static REVIEWS: Resource = Resource {
    kind: "post_incident_review",
    behaviour: &super::kinds::reviews::Reviews,
    noun: "Post-incident review",
    plural: "Post-incident reviews",
    path: "/reviews",
    table: "post_incident_reviews",
    key: "review_id",
    title: "'Post-incident review ' || review_id",
    fields: &[
        field("incident_id", "Incident", Reference(&INCIDENT_REF)).only_on_create().hint("A closed incident"),
        field("facilitator_user", "Facilitator", Reference(&USER_REF))
            .hint("An active user")
            .missing("Choose who facilitates the review."),
        field("scheduled_date", "Scheduled for", DateTime)
            .hint("In your own time zone")
            .missing("Enter when the review takes place."),
        field("overall_rating", "Overall rating", Choice(ReviewRating::choices)),
        field("notes", "Notes", LongText).optional().hint("What went well, what did not, and the actions agreed"),
        field("status", "Status", Choice(ReviewStatus::choices)).default("scheduled").optional_on_create(),
    ],
    columns: &["incident_id", "overall_rating", "status"],
    filters: &["status", "overall_rating"],
    area: Area::Reviews,
    rows: Rows::OfIncident,
    transitions: &[("scheduled", "completed"), ("scheduled", "cancelled")],
    stamps: &[("completed", "completed_at")],
    has_updated_at: false,
    ..DEFAULTS
};

/// The procedure records, in the policy's order.
pub static PROCEDURES: &[&Resource] = &[
    &PROBLEM_TICKETS,
    &WORK_ORDERS,
    &WORKAROUNDS,
    &ANALYSES,
    &CHANGES,
    &ROLLBACKS,
    &METRICS,
    &REPORTS,
    &ARTICLES,
    &REVIEWS,
];
