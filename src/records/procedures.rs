//! The records of the policy's procedures (SOPs): problem tickets, work orders, workarounds, root cause
//! analyses, change and rollback requests, performance metrics, incident reports, knowledge base articles and
//! post-incident reviews. Each hangs off an incident; its rules are in `rules`, its own use cases in
//! `procedure_service`.
use super::spec::*;
use crate::domain::enums::*;
use crate::forms::field;
use crate::incidents::service::COMPONENT_REF;
use crate::{column, table};
use FieldKind::*;

pub static INCIDENT_REF: RefTable = RefTable::new(table!(incidents), column!(incidents, incident_id), Rows::Incidents)
    .label("'Incident ' || incident_id || ': ' || title")
    .noun("incident")
    .page("/incidents");
pub static USER_REF: RefTable =
    RefTable::new(table!(users), column!(users, user_id), Rows::People).label("name").noun("user").page("/users");
pub static PROBLEM_REF: RefTable =
    RefTable::new(table!(problem_tickets), column!(problem_tickets, problem_id), Rows::OfIncident)
        .label("'Problem ' || problem_id || ': ' || title")
        .noun("problem ticket")
        .page("/problems");
pub static REVIEW_REF: RefTable =
    RefTable::new(table!(post_incident_reviews), column!(post_incident_reviews, review_id), Rows::OfIncident)
        .label("'Post-incident review ' || review_id || ' of incident ' || incident_id")
        .noun("post-incident review")
        .page("/reviews");
pub static CHANGE_REF: RefTable =
    RefTable::new(table!(change_requests), column!(change_requests, change_id), Rows::OfIncident)
        .label("'Change ' || change_id || ': ' || title")
        .noun("change request")
        .page("/changes");

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
    created_words: |c| format!("Raised a problem ticket: {}", c.title),
    noun: "Problem ticket",
    plural: "Problem tickets",
    path: "/problems",
    table: table!(problem_tickets),
    key: column!(problem_tickets, problem_id),
    title: "title",
    fields: &[
        field(column!(problem_tickets, incident_id), "Incident", Reference(&INCIDENT_REF)).only_on_create(),
        field(column!(problem_tickets, title), "Title", Text)
            .hint("e.g. Root cause investigation for recurring performance issues"),
        field(column!(problem_tickets, status), "Status", Choice(IncidentStatus::choices))
            .default("open")
            .optional_on_create(),
    ],
    columns: &[column!(problem_tickets, incident_id), column!(problem_tickets, status)],
    filters: &[column!(problem_tickets, status)],
    related: &[Related {
        title: "Work orders",
        resource: &WORK_ORDERS,
        link: Link::Column(column!(work_orders, problem_id)),
    }],
    area: Area::Problems,
    rows: Rows::OfIncident,
    actor_column: Some(column!(problem_tickets, issued_by_user)),
    transitions: LIFECYCLE,
    ..DEFAULTS
};

pub static WORK_ORDERS: Resource = Resource {
    kind: "work_order",
    created_words: |c| format!("Created a work order: {}", c.title),
    behaviour: &super::kinds::work_orders::WorkOrders,
    noun: "Work order",
    plural: "Work orders",
    path: "/work-orders",
    table: table!(work_orders),
    key: column!(work_orders, workorder_id),
    title: "title",
    fields: &[
        field(column!(work_orders, title), "Title", Text).hint("e.g. Configure network components"),
        field(column!(work_orders, work_type), "Type of work", Choice(work_types)),
        field(column!(work_orders, incident_id), "Incident", Reference(&INCIDENT_REF)).optional(),
        field(column!(work_orders, problem_id), "Problem ticket", Reference(&PROBLEM_REF)).optional(),
        field(column!(work_orders, change_id), "Change request", Reference(&CHANGE_REF)).optional(),
        field(column!(work_orders, review_id), "Follow-up of", Reference(&REVIEW_REF))
            .optional()
            .only_on_create()
            .hint("The post-incident review that raised this order as a follow-up action, on the same incident"),
        field(column!(work_orders, assigned_to_user), "Assigned to", Reference(&USER_REF))
            .optional()
            .hint("An active user"),
        field(column!(work_orders, status), "Status", Choice(WorkOrderStatus::choices))
            .default("created")
            .optional_on_create(),
    ],
    columns: &[column!(work_orders, work_type), column!(work_orders, assigned_to_user), column!(work_orders, status)],
    filters: &[column!(work_orders, status), column!(work_orders, work_type), column!(work_orders, assigned_to_user)],
    area: Area::WorkOrders,
    rows: Rows::WorkOrders,
    internal: &[
        column!(work_orders, incident_id),
        column!(work_orders, problem_id),
        column!(work_orders, change_id),
        column!(work_orders, review_id),
    ],
    actor_column: Some(column!(work_orders, created_by_user)),
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
    created_words: |c| format!("Put a workaround in place: {}", c.lower("effectiveness_level")),
    noun: "Workaround",
    plural: "Workarounds",
    path: "/workarounds",
    table: table!(workarounds),
    key: column!(workarounds, workaround_id),
    // Named by what it is and does, not by its number: "Workaround for incident 15: Restarted the consumer".
    title: "'Workaround for incident ' || incident_id || ': ' || left(coalesce(description, ''), 80)",
    fields: &[
        field(column!(workarounds, incident_id), "Incident", Reference(&INCIDENT_REF)).only_on_create(),
        field(column!(workarounds, effectiveness_level), "Effectiveness", Choice(Effectiveness::choices)),
        field(column!(workarounds, implemented_at), "Implemented at", DateTime)
            .hint("In your own time zone")
            .missing("Enter when the workaround was put in place."),
        field(column!(workarounds, description), "What was done", LongText).optional(),
        field(column!(workarounds, status), "Status", Choice(WorkaroundStatus::choices))
            .default("active")
            .optional_on_create(),
    ],
    columns: &[
        column!(workarounds, incident_id),
        column!(workarounds, effectiveness_level),
        column!(workarounds, status),
    ],
    filters: &[column!(workarounds, status), column!(workarounds, effectiveness_level)],
    area: Area::Workarounds,
    rows: Rows::OfIncident,
    actor_column: Some(column!(workarounds, implemented_by_user)),
    transitions: &[("active", "inactive"), ("active", "replaced"), ("inactive", "active"), ("inactive", "replaced")],
    has_updated_at: false,
    ..DEFAULTS
};

pub static ANALYSES: Resource = Resource {
    kind: "root_cause_analysis",
    created_words: |c| format!("Started a root cause analysis by {}", c.lower("analysis_method")),
    behaviour: &super::kinds::analyses::Analyses,
    noun: "Root cause analysis",
    plural: "Root cause analyses",
    path: "/analyses",
    table: table!(root_cause_analysis),
    key: column!(root_cause_analysis, analysis_id),
    title: "'Root cause analysis ' || analysis_id",
    fields: &[
        field(column!(root_cause_analysis, incident_id), "Incident", Reference(&INCIDENT_REF)).only_on_create(),
        field(column!(root_cause_analysis, analysis_method), "Method", Choice(AnalysisMethod::choices)),
        field(column!(root_cause_analysis, findings), "Findings", LongText).optional().hint("What caused it, and why"),
        field(column!(root_cause_analysis, status), "Status", Choice(AnalysisStatus::choices))
            .default("in_progress")
            .optional_on_create(),
        field(column!(root_cause_analysis, completed_at), "Completed at", DateTime)
            .optional()
            .only_on_create()
            .hint("For an analysis submitted as completed or reviewed; in your own time zone"),
    ],
    columns: &[
        column!(root_cause_analysis, incident_id),
        column!(root_cause_analysis, analysis_method),
        column!(root_cause_analysis, status),
    ],
    filters: &[column!(root_cause_analysis, status), column!(root_cause_analysis, analysis_method)],
    area: Area::Analyses,
    rows: Rows::OfIncident,
    actor_column: Some(column!(root_cause_analysis, conducted_by_user)),
    transitions: &[("in_progress", "completed"), ("completed", "reviewed")],
    stamps: &[("completed", column!(root_cause_analysis, completed_at))],
    has_updated_at: false,
    ..DEFAULTS
};

pub static CHANGES: Resource = Resource {
    kind: "change_request",
    created_words: |c| format!("Requested a change: {}", c.title),
    behaviour: &super::kinds::changes::Changes,
    noun: "Change request",
    plural: "Change requests",
    path: "/changes",
    table: table!(change_requests),
    key: column!(change_requests, change_id),
    title: "title",
    fields: &[
        field(column!(change_requests, title), "Title", Text).hint("e.g. Emergency change for security fix"),
        field(column!(change_requests, change_type), "Type of change", Choice(ChangeType::choices)).only_on_create(),
        field(column!(change_requests, risk_level), "Risk", Choice(RiskLevel::choices))
            .only_on_create()
            .hint("High-risk and emergency changes need an executive's approval"),
        field(column!(change_requests, incident_id), "Incident", Reference(&INCIDENT_REF)).optional().only_on_create(),
        field(column!(change_requests, component_id), "Affected component", Reference(&COMPONENT_REF))
            .optional()
            .hint("The component the change touches: incidents on it list the change among their recent changes"),
        field(column!(change_requests, justification), "Justification", LongText)
            .optional()
            .hint("Why the change is needed, and what happens without it"),
        field(column!(change_requests, scheduled_start_time), "Scheduled start", DateTime).optional().hint("In your own time zone"),
        field(column!(change_requests, scheduled_end_time), "Scheduled end", DateTime).optional(),
        field(column!(change_requests, status), "Status", Choice(ChangeStatus::choices))
            .default("requested")
            .optional_on_create()
            .hint("Approved or later only for those who may approve the change, who then approve it as they submit it; otherwise approval and rejection have their own buttons, and rollbacks set rolled back"),
        field(column!(change_requests, approved_by_user), "Approved by", Reference(&USER_REF)).optional().read_only(),
        field(column!(change_requests, actual_start_time), "Started", DateTime).optional().read_only(),
        field(column!(change_requests, actual_end_time), "Ended", DateTime).optional().read_only(),
        field(column!(change_requests, rejection_reason), "Reason for rejection", LongText).optional().read_only(),
    ],
    columns: &[column!(change_requests, change_type), column!(change_requests, risk_level), column!(change_requests, status)],
    filters: &[column!(change_requests, status), column!(change_requests, change_type), column!(change_requests, risk_level)],
    related: &[
        Related { title: "Rollback requests", resource: &ROLLBACKS, link: Link::Column(column!(rollback_requests, change_id)) },
        Related { title: "Work orders", resource: &WORK_ORDERS, link: Link::Column(column!(work_orders, change_id)) },
    ],
    area: Area::Changes,
    rows: Rows::OfIncident,
    actor_column: Some(column!(change_requests, requesting_user)),
    transitions: &[
        ("approved", "scheduled"),
        ("approved", "in_progress"),
        ("scheduled", "in_progress"),
        ("in_progress", "completed"),
        ("in_progress", "failed"),
    ],
    stamps: &[("in_progress", column!(change_requests, actual_start_time)), ("completed", column!(change_requests, actual_end_time)), ("failed", column!(change_requests, actual_end_time))],
    ..DEFAULTS
};

pub static ROLLBACKS: Resource = Resource {
    kind: "rollback_request",
    created_words: |c| format!("Requested a rollback of {}", (c.shown)("change_id").unwrap_or_else(|| "a change".into())),
    behaviour: &super::kinds::rollbacks::Rollbacks,
    noun: "Rollback request",
    plural: "Rollback requests",
    path: "/rollbacks",
    table: table!(rollback_requests),
    key: column!(rollback_requests, rollback_id),
    title: "'Rollback ' || rollback_id",
    fields: &[
        field(column!(rollback_requests, change_id), "Change request", Reference(&CHANGE_REF)).only_on_create(),
        field(column!(rollback_requests, incident_id), "Incident", Reference(&INCIDENT_REF)).optional().only_on_create(),
        field(column!(rollback_requests, justification), "Justification", LongText)
            .hint("Why the change must be reverted")
            .missing("Say why the change must be reverted."),
        field(column!(rollback_requests, status), "Status", Choice(RollbackStatus::choices))
            .default("requested")
            .optional()
            .only_on_create()
            .hint("Approved, in progress or failed only for those who may approve rollbacks, who then approve it as they submit it"),
        field(column!(rollback_requests, approved_by_user), "Approved by", Reference(&USER_REF)).optional().read_only(),
        field(column!(rollback_requests, completed_at), "Carried out", DateTime)
            .optional()
            .only_on_create()
            .hint("Only for a rollback submitted as failed; an approved one is carried out with its own button"),
        field(column!(rollback_requests, rejection_reason), "Reason for rejection", LongText).optional().read_only(),
    ],
    columns: &[column!(rollback_requests, change_id), column!(rollback_requests, status)],
    filters: &[column!(rollback_requests, status)],
    area: Area::Rollbacks,
    rows: Rows::OfIncident,
    actor_column: Some(column!(rollback_requests, requesting_user)),
    has_updated_at: false,
    ..DEFAULTS
};

pub static METRICS: Resource = Resource {
    kind: "performance_metric",
    created_words: |c| super::kinds::metrics::words(c.record, &(c.shown)("metric_type").unwrap_or_default()),
    behaviour: &super::kinds::metrics::Metrics,
    noun: "Performance metric",
    plural: "Performance metrics",
    path: "/metrics",
    table: table!(performance_metrics),
    key: column!(performance_metrics, metric_id),
    // "Resolution time of incident 15": the metric type's words, as its label writes them.
    title: "upper(left(replace(metric_type, '_', ' '), 1)) || substr(replace(metric_type, '_', ' '), 2) \
            || ' of incident ' || incident_id",
    fields: &[
        field(column!(performance_metrics, incident_id), "Incident", Reference(&INCIDENT_REF))
            .only_on_create()
            .hint("A closed incident"),
        field(column!(performance_metrics, metric_type), "Metric", Choice(MetricType::choices))
            .only_on_create()
            .hint("The value is computed from the incident's own times"),
        field(column!(performance_metrics, target_minutes), "Target (minutes)", Integer { min: 1, max: 1_000_000 })
            .optional()
            .only_on_create()
            .hint("Left empty, the target of the client's approved SLA for the incident's severity, if there is one"),
        field(
            column!(performance_metrics, calculated_value_minutes),
            "Value (minutes)",
            Integer { min: 0, max: i32::MAX as i64 },
        )
        .optional()
        .only_on_create()
        .hint("Left empty, it is computed from the incident's times; if given, it must agree with them"),
    ],
    columns: &[
        column!(performance_metrics, incident_id),
        column!(performance_metrics, calculated_value_minutes),
        column!(performance_metrics, target_minutes),
    ],
    filters: &[column!(performance_metrics, metric_type)],
    related: &[Related {
        title: "All metrics of this incident",
        resource: &METRICS,
        link: Link::Through {
            column: column!(performance_metrics, incident_id),
            select: column!(performance_metrics, incident_id),
            table: table!(performance_metrics),
            by: column!(performance_metrics, metric_id),
        },
    }],
    area: Area::Metrics,
    rows: Rows::OfIncident,
    actor_column: Some(column!(performance_metrics, recorded_by_user)),
    has_updated_at: false,
    versioned: false,
    ..DEFAULTS
};

pub static REPORTS: Resource = Resource {
    kind: "incident_report",
    created_words: |c| format!("Generated a report: {}", c.lower("report_type")),
    behaviour: &super::kinds::reports::Reports,
    noun: "Incident report",
    plural: "Incident reports",
    path: "/reports",
    table: table!(incident_reports),
    key: column!(incident_reports, report_id),
    title: "'Report ' || report_id || ': ' || upper(left(report_type, 1)) || replace(substr(report_type, 2), '_', ' ')",
    fields: &[
        field(column!(incident_reports, incident_id), "Incident", Reference(&INCIDENT_REF)).only_on_create(),
        field(column!(incident_reports, report_type), "Report type", Choice(ReportType::choices)).only_on_create(),
        field(column!(incident_reports, status), "Status", Choice(ReportStatus::choices))
            .optional()
            .default("completed")
            .hint("Contacts see published reports"),
        field(column!(incident_reports, generated_at), "Generated", DateTime).optional().read_only(),
    ],
    extra_columns: &[column!(incident_reports, snapshot)],
    columns: &[column!(incident_reports, incident_id), column!(incident_reports, status)],
    filters: &[column!(incident_reports, status), column!(incident_reports, report_type)],
    area: Area::Reports,
    rows: Rows::Reports,
    actor_column: Some(column!(incident_reports, generated_by_user)),
    transitions: &[("draft", "completed"), ("draft", "published"), ("completed", "published")],
    has_updated_at: false,
    ..DEFAULTS
};

pub static ARTICLES: Resource = Resource {
    kind: "knowledge_base_article",
    created_words: |c| format!("Wrote a knowledge base article: {}", c.title),
    behaviour: &super::kinds::articles::Articles,
    noun: "Knowledge base article",
    plural: "Knowledge base",
    path: "/kb",
    table: table!(knowledge_base_articles),
    key: column!(knowledge_base_articles, article_id),
    title: "title",
    fields: &[
        field(column!(knowledge_base_articles, title), "Title", Text).hint("e.g. How to handle data issues"),
        field(column!(knowledge_base_articles, article_type), "Type", Choice(ArticleType::choices)),
        field(column!(knowledge_base_articles, category), "Category", Choice(ArticleCategory::choices)),
        field(column!(knowledge_base_articles, body), "Article", LongText).optional(),
        field(column!(knowledge_base_articles, incident_id), "Incident", Reference(&INCIDENT_REF)).optional(),
        field(column!(knowledge_base_articles, reviewer_user), "Reviewer", Reference(&USER_REF))
            .optional()
            .hint("An active user; publishing needs their approval"),
        field(column!(knowledge_base_articles, created_by_user), "Author", Reference(&USER_REF)).optional().read_only(),
        field(column!(knowledge_base_articles, status), "Status", Choice(ArticleStatus::choices))
            .default("draft")
            .optional_on_create()
            .hint("Draft → under review → published (by its reviewer) → archived"),
    ],
    columns: &[
        column!(knowledge_base_articles, article_type),
        column!(knowledge_base_articles, category),
        column!(knowledge_base_articles, status),
    ],
    filters: &[
        column!(knowledge_base_articles, status),
        column!(knowledge_base_articles, article_type),
        column!(knowledge_base_articles, category),
    ],
    area: Area::Articles,
    rows: Rows::Articles,
    internal: &[column!(knowledge_base_articles, incident_id), column!(knowledge_base_articles, reviewer_user)],
    search: Some("title || ' ' || coalesce(body, '')"),
    actor_column: Some(column!(knowledge_base_articles, created_by_user)),
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
    created_words: |c| {
        let when = (c.shown)("scheduled_date").unwrap_or_else(|| "a date to be set".into());
        format!("Scheduled a post-incident review for {when}")
    },
    behaviour: &super::kinds::reviews::Reviews,
    noun: "Post-incident review",
    plural: "Post-incident reviews",
    path: "/reviews",
    table: table!(post_incident_reviews),
    key: column!(post_incident_reviews, review_id),
    title: "'Post-incident review ' || review_id",
    fields: &[
        field(column!(post_incident_reviews, incident_id), "Incident", Reference(&INCIDENT_REF))
            .only_on_create()
            .hint("A closed incident"),
        field(column!(post_incident_reviews, facilitator_user), "Facilitator", Reference(&USER_REF))
            .hint("An active user")
            .missing("Choose who facilitates the review."),
        field(column!(post_incident_reviews, scheduled_date), "Scheduled for", DateTime)
            .hint("In your own time zone")
            .missing("Enter when the review takes place."),
        field(column!(post_incident_reviews, overall_rating), "Overall rating", Choice(ReviewRating::choices)),
        field(column!(post_incident_reviews, notes), "Notes", LongText)
            .optional()
            .hint("What went well, what did not, and the actions agreed"),
        field(column!(post_incident_reviews, status), "Status", Choice(ReviewStatus::choices))
            .default("scheduled")
            .optional_on_create(),
    ],
    columns: &[
        column!(post_incident_reviews, incident_id),
        column!(post_incident_reviews, overall_rating),
        column!(post_incident_reviews, status),
    ],
    filters: &[column!(post_incident_reviews, status), column!(post_incident_reviews, overall_rating)],
    area: Area::Reviews,
    rows: Rows::OfIncident,
    related: &[Related {
        title: "Follow-up actions",
        resource: &WORK_ORDERS,
        link: Link::Column(column!(work_orders, review_id)),
    }],
    transitions: &[("scheduled", "completed"), ("scheduled", "cancelled")],
    stamps: &[("completed", column!(post_incident_reviews, completed_at))],
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_with_a_lifecycle_keeps_it_in_its_status_field() {
        let with_lifecycle: Vec<&str> = PROCEDURES
            .iter()
            .filter(|r| !r.transitions.is_empty() || !r.stamps.is_empty() || r.kind.ends_with("_request"))
            .map(|r| r.kind)
            .collect();
        assert!(with_lifecycle.len() >= 7, "the kinds with a lifecycle: {with_lifecycle:?}");
        for resource in PROCEDURES.iter().filter(|r| with_lifecycle.contains(&r.kind)) {
            let status = resource.field(STATUS).unwrap_or_else(|| panic!("{} has no {STATUS} field", resource.kind));
            let FieldKind::Choice(choices) = status.kind else { panic!("{}: the status is a choice", resource.kind) };
            let known: Vec<&str> = choices().into_iter().map(|(value, _)| value).collect();
            let named = resource.transitions.iter().flat_map(|&(from, to)| [from, to]);
            for value in named.chain(resource.stamps.iter().map(|&(entered, _)| entered)) {
                assert!(known.contains(&value), "{}: {value} is one of its statuses", resource.kind);
            }
        }
    }
}
