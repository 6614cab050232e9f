//! The procedures' own use cases beyond create and edit: computed metrics, report snapshots, change and
//! rollback approvals, and carrying out a rollback. Each runs in the caller's transaction with its audit entry.
use super::procedure_rules::{self, IncidentTimes};
use super::queries::{Extra, Record};
use super::spec::Resource;
use crate::access::{Action, Area, Target};
use crate::audit::{self, Actor, Changes};
use crate::clock::Clock;
use crate::domain::enums::{
    AnalysisStatus, ArticleStatus, ChangeStatus, ChangeType, IncidentStatus, MetricType, RiskLevel, RollbackStatus,
};
use crate::error::Refusal as RefusalOf;
use crate::forms::Values;
use crate::schema::{change_requests, incident_escalations, incidents, rollback_requests};
use crate::users::User;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

pub type Refusal = RefusalOf<Record>;

pub fn incident_status(conn: &mut PgConnection, incident_id: i32) -> QueryResult<Option<IncidentStatus>> {
    let status: Option<String> = incidents::table.find(incident_id).select(incidents::status).first(conn).optional()?;
    Ok(status.as_deref().and_then(IncidentStatus::parse))
}

pub fn change_status(conn: &mut PgConnection, change_id: i32) -> QueryResult<Option<ChangeStatus>> {
    let status: Option<String> =
        change_requests::table.find(change_id).select(change_requests::status).first(conn).optional()?;
    Ok(status.as_deref().and_then(ChangeStatus::parse))
}

fn value<'a>(values: &'a Values, name: &str) -> Option<&'a str> {
    values.get(name).and_then(|v| v.as_deref())
}

fn text(value: impl ToString, sql_type: &'static str, column: &'static str) -> Extra {
    Extra { column, value: Some(value.to_string()), sql_type }
}

/// Columns a new procedure record gets besides its form: the actor, computed values, a snapshot, an
/// approval on submission, the time a given status was entered. Returns them and whether the record was
/// approved on submission. A status given at submission is honoured where the policy lists it as an input; where
/// honouring it would break a rule, the form says so.
pub fn creation_extras(
    conn: &mut PgConnection,
    clock: &Clock,
    user: &User,
    resource: &Resource,
    values: &Values,
) -> Result<(Vec<Extra>, bool), Refusal> {
    let mut extras = Vec::new();
    if let Some(column) = resource.actor_column {
        extras.push(text(user.user_id, "integer", column));
    }
    let incident_id = value(values, "incident_id").and_then(|v| v.parse::<i32>().ok());
    let status = value(values, "status");
    let mut approved = false;
    match resource.kind {
        "performance_metric" => {
            let incident_id = incident_id.unwrap_or_default();
            let metric = value(values, "metric_type")
                .and_then(MetricType::parse)
                .ok_or_else(|| Refusal::field("metric_type", "Choose the metric."))?;
            let (times, client_id, severity) = incident_times(conn, incident_id)?;
            let minutes = procedure_rules::metric_minutes(metric, &times)
                .map_err(|message| Refusal::field("metric_type", message))?;
            let given = value(values, "calculated_value_minutes").and_then(|v| v.parse().ok());
            procedure_rules::check_given_value(metric, given, minutes)
                .map_err(|message| Refusal::field("calculated_value_minutes", message))?;
            // The recorder's target when given ("if specified"); else the SLA's, where it has one for the metric.
            let target = match value(values, "target_minutes").and_then(|v| v.parse::<i64>().ok()) {
                Some(target) => Some(target),
                None => match (metric, crate::service_levels::target(conn, client_id, &severity)?) {
                    (MetricType::ResponseTime, Some(sla)) => Some(i64::from(sla.response_time_minutes)),
                    (MetricType::ResolutionTime, Some(sla)) => Some(i64::from(sla.resolution_time_hours) * 60),
                    _ => None,
                },
            };
            extras.push(text(minutes, "integer", "calculated_value_minutes"));
            extras.push(Extra { column: "target_minutes", value: target.map(|t| t.to_string()), sql_type: "integer" });
            extras.push(text(clock.now().to_rfc3339(), "timestamptz", "recorded_at"));
        }
        "knowledge_base_article" => {
            let reviewer = value(values, "reviewer_user");
            procedure_rules::check_reviewer_change("draft", None, reviewer, Some(&user.user_id.to_string()))
                .map_err(|message| Refusal::field("reviewer_user", message))?;
            if let Some(status) = status.and_then(ArticleStatus::parse) {
                procedure_rules::check_article_submission(status)
                    .map_err(|message| Refusal::field("status", message))?;
            }
        }
        "root_cause_analysis" => {
            let status = status.and_then(AnalysisStatus::parse).unwrap_or(AnalysisStatus::InProgress);
            procedure_rules::check_analysis_submission(status, value(values, "completed_at").is_some())
                .map_err(|message| Refusal::field("completed_at", message))?;
        }
        "incident_report" => {
            extras.push(text(snapshot(conn, incident_id.unwrap_or_default())?, "jsonb", "snapshot"));
            extras.push(text(clock.now().to_rfc3339(), "timestamptz", "generated_at"));
        }
        "change_request" => {
            let risk = value(values, "risk_level").and_then(RiskLevel::parse);
            let change_type = value(values, "change_type").and_then(ChangeType::parse);
            let status = status.and_then(ChangeStatus::parse).unwrap_or(ChangeStatus::Requested);
            approved = procedure_rules::change_submitted_as(
                status,
                user.actor()
                    .may(Action::Decide(Area::Changes), &Target::change(risk, change_type))
                    .map(drop)
                    .map_err(|rule| rule.text),
            )
            .map_err(|message| Refusal::field("status", message))?;
        }
        "rollback_request" => {
            let status = status.and_then(RollbackStatus::parse).unwrap_or(RollbackStatus::Requested);
            approved = procedure_rules::rollback_submitted_as(
                status,
                user.actor().may(Action::Decide(Area::Rollbacks), &Target::Any).map(drop).map_err(|rule| rule.text),
                value(values, "completed_at").is_some(),
            )
            .map_err(|(field, message)| Refusal::field(field, message))?;
        }
        _ => {}
    }
    let now = clock.now().to_rfc3339();
    if approved {
        // Submitted by one who may approve it, already approved: recorded as approved by them.
        extras.push(text(user.user_id, "integer", "approved_by_user"));
        extras.push(text(&now, "timestamptz", "decided_at"));
    }
    // A status given at submission is entered as an edit enters it: its time is stamped, unless the form gave it.
    for (_, column) in resource.stamps.iter().filter(|(stamped, _)| Some(*stamped) == status) {
        if value(values, column).is_none() && !resource.fields.iter().any(|f| f.name == *column) {
            extras.push(text(&now, "timestamptz", column));
        }
    }
    Ok((extras, approved))
}

/// Columns an edit sets besides its form: the time a status is entered. Also checks the status move and, for
/// articles, that only the reviewer publishes; and an edit of a published article's text by anyone but its reviewer
/// sends it back to review (contacts see nothing of it until the reviewer publishes it again).
pub fn update_extras(
    clock: &Clock,
    user: &User,
    resource: &Resource,
    old: &Values,
    new: &mut Values,
) -> Result<Vec<Extra>, Refusal> {
    let (from, mut to) =
        (value(old, "status").unwrap_or_default().to_string(), value(new, "status").unwrap_or_default().to_string());
    if resource.kind == "knowledge_base_article" {
        procedure_rules::check_reviewer_change(
            &from,
            value(old, "reviewer_user"),
            value(new, "reviewer_user"),
            value(old, "created_by_user"),
        )
        .map_err(|message| Refusal::field("reviewer_user", message))?;
        let reviewer = value(old, "reviewer_user").and_then(|v| v.parse().ok());
        let text_changed =
            ["title", "body"].iter().any(|field| new.get(field).is_some_and(|v| v != old.get(field).unwrap_or(&None)));
        if procedure_rules::back_to_review(&from, &to, text_changed, reviewer, user.user_id) {
            to = "under_review".to_string();
            new.insert("status", Some(to.clone()));
            return Ok(Vec::new());
        }
    }
    if from == to {
        return Ok(Vec::new());
    }
    procedure_rules::check_transition(resource, &from, &to).map_err(|message| Refusal::field("status", message))?;
    if resource.kind == "knowledge_base_article" && to == "published" {
        // The reviewer who approves is the one the article was sent for review with.
        let reviewer = value(old, "reviewer_user").and_then(|v| v.parse().ok());
        procedure_rules::check_publish(reviewer, user.user_id).map_err(Refusal::Forbidden)?;
    }
    Ok(resource
        .stamps
        .iter()
        .filter(|(status, _)| *status == to.as_str())
        .map(|(_, column)| text(clock.now().to_rfc3339(), "timestamptz", column))
        .collect())
}

fn incident_times(conn: &mut PgConnection, incident_id: i32) -> Result<(IncidentTimes, i32, String), Refusal> {
    #[allow(clippy::type_complexity)]
    let (detected, created, acknowledged, resolved, client_id, severity): (
        DateTime<Utc>,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        i32,
        String,
    ) = incidents::table
        .find(incident_id)
        .select((
            incidents::detection_timestamp,
            incidents::created_at,
            incidents::acknowledged_at,
            incidents::resolution_timestamp,
            incidents::client_id,
            incidents::severity,
        ))
        .first(conn)?;
    let first_escalation = incident_escalations::table
        .filter(incident_escalations::incident_id.eq(incident_id))
        .select(diesel::dsl::min(incident_escalations::escalated_at))
        .first::<Option<DateTime<Utc>>>(conn)?;
    Ok((IncidentTimes { detected, created, acknowledged, resolved, first_escalation }, client_id, severity))
}

/// The incident and its related records as they are now, with the audit chain's head, for a report that
/// must not change afterwards.
pub fn snapshot(conn: &mut PgConnection, incident_id: i32) -> QueryResult<String> {
    #[derive(QueryableByName)]
    struct Snapshot {
        #[diesel(sql_type = diesel::sql_types::Text)]
        snapshot: String,
    }
    diesel::sql_query(format!("SELECT snapshot::text AS snapshot FROM ({}) s WHERE s.incident_id = $1", snapshots()))
        .bind::<diesel::sql_types::Integer, _>(incident_id)
        .get_result::<Snapshot>(conn)
        .map(|s| s.snapshot)
}

/// A query of every incident's snapshot as `(incident_id, snapshot json)`. The related records are grouped per
/// incident in one pass each, so the import snapshots tens of thousands of reports at once; a condition on
/// `incident_id` reaches into every group, so one incident's snapshot reads only its own rows.
///
/// What the snapshot holds and who reads it: a report is read by staff, and once published by the contacts of
/// its incident's client or vendor. Staff see every communication; a contact sees only those addressed to them
/// or to their kind of recipient, which depends on who reads, not on the report. So the communications are kept
/// whole with their addressees, and the printable page shows each reader only theirs (by the rule the incident's
/// own timeline uses): the snapshot holds nothing that none of its readers may see. Knowledge base articles are
/// kept only once published: drafts are work in progress, and a published report cites what was published.
pub fn snapshots() -> String {
    // Records of the same moment keep the order they were written in.
    let related = |table: &str, order: &str, key: &str| {
        format!(
            "LEFT JOIN (SELECT r.incident_id, json_agg(row_to_json(r) ORDER BY r.{order}, r.{key}) AS records \
               FROM {table} r GROUP BY r.incident_id) {table} ON {table}.incident_id = i.incident_id"
        )
    };
    // Assignment changes name people, not their ids.
    let person = |column: &str, alias: &str| {
        format!("CASE WHEN u.field_changed = 'assigned_to' THEN coalesce({alias}.name, u.{column}) ELSE u.{column} END")
    };
    let tables = [
        ("incident_escalations", "escalated_at", "escalation_id"),
        ("workarounds", "implemented_at", "workaround_id"),
        ("root_cause_analysis", "created_at", "analysis_id"),
        ("change_requests", "created_at", "change_id"),
        ("performance_metrics", "recorded_at", "metric_id"),
        ("post_incident_reviews", "scheduled_date", "review_id"),
    ];
    let related_fields: String =
        tables.iter().map(|(table, ..)| format!("'{table}', coalesce({table}.records, '[]'), ")).collect();
    let related_joins: Vec<String> = tables.iter().map(|(table, order, key)| related(table, order, key)).collect();
    // The incident's search vector is an index's material, not something that was true of the incident.
    format!(
        "SELECT i.incident_id, json_build_object(\
           'incident', to_jsonb(i) - 'title_search', \
           'client', c.client_name, \
           'component', ic.component_name, \
           'updates', coalesce(updates.records, '[]'), \
           {related_fields}\
           'rollbacks', coalesce(rollbacks.records, '[]'), \
           'problem_tickets', coalesce(problems.records, '[]'), \
           'work_orders', coalesce(orders.records, '[]'), \
           'communications', coalesce(messages.records, '[]'), \
           'knowledge_base_articles', coalesce(articles.records, '[]'), \
           'audit_head', (SELECT entry_hash FROM audit_logs ORDER BY audit_id DESC LIMIT 1) \
         ) AS snapshot \
         FROM incidents i \
         LEFT JOIN clients c ON c.client_id = i.client_id \
         LEFT JOIN infrastructure_components ic ON ic.component_id = i.component_id \
         LEFT JOIN (SELECT u.incident_id, json_agg(json_build_object('at', u.created_at, 'who', who.name, \
                      'type', u.update_type, 'field', u.field_changed, 'old', {person_old}, 'new', {person_new}) \
                      ORDER BY u.created_at, u.update_id) AS records \
                    FROM incident_updates u \
                    LEFT JOIN users who ON who.user_id = u.updated_by_user \
                    LEFT JOIN users old_person ON old_person.user_id::text = u.old_value \
                    LEFT JOIN users new_person ON new_person.user_id::text = u.new_value \
                    GROUP BY u.incident_id) updates ON updates.incident_id = i.incident_id \
         {} \
         LEFT JOIN (SELECT c.incident_id, json_agg(row_to_json(r) ORDER BY r.created_at, r.rollback_id) AS records \
                    FROM rollback_requests r JOIN change_requests c ON c.change_id = r.change_id \
                    GROUP BY c.incident_id) rollbacks ON rollbacks.incident_id = i.incident_id \
         LEFT JOIN (SELECT p.incident_id, json_agg(json_build_object('problem_id', p.problem_id, 'title', p.title, \
                      'status', p.status, 'issued_by', who.name, 'created_at', p.created_at) \
                      ORDER BY p.created_at, p.problem_id) AS records \
                    FROM problem_tickets p LEFT JOIN users who ON who.user_id = p.issued_by_user \
                    GROUP BY p.incident_id) problems ON problems.incident_id = i.incident_id \
         LEFT JOIN (SELECT w.incident_id, json_agg(json_build_object('workorder_id', w.workorder_id, 'title', w.title, \
                      'work_type', w.work_type, 'status', w.status, 'assignee', who.name, 'created_at', w.created_at) \
                      ORDER BY w.created_at, w.workorder_id) AS records \
                    FROM ({WORK_ORDERS_OF_INCIDENTS}) w LEFT JOIN users who ON who.user_id = w.assigned_to_user \
                    GROUP BY w.incident_id) orders ON orders.incident_id = i.incident_id \
         LEFT JOIN (SELECT m.incident_id, json_agg(json_build_object('communication_id', m.communication_id, \
                      'sender', sender.name, 'recipient_id', m.recipient_id, 'recipient_type', m.recipient_type, \
                      'to', coalesce(recipient.name, m.recipient_type), 'communication_type', m.communication_type, \
                      'delivery_method', m.delivery_method, 'delivery_status', m.delivery_status, \
                      'sent_at', m.sent_at, 'created_at', m.created_at, 'message', m.message) \
                      ORDER BY m.created_at, m.communication_id) AS records \
                    FROM communications m LEFT JOIN users sender ON sender.user_id = m.sender_id \
                    LEFT JOIN users recipient ON recipient.user_id = m.recipient_id \
                    GROUP BY m.incident_id) messages ON messages.incident_id = i.incident_id \
         LEFT JOIN (SELECT a.incident_id, json_agg(json_build_object('article_id', a.article_id, 'title', a.title, \
                      'article_type', a.article_type, 'category', a.category, 'status', a.status) \
                      ORDER BY a.created_at, a.article_id) AS records \
                    FROM knowledge_base_articles a WHERE a.status = 'published' \
                    GROUP BY a.incident_id) articles ON articles.incident_id = i.incident_id",
        related_joins.join(" "),
        person_old = person("old_value", "old_person"),
        person_new = person("new_value", "new_person"),
    )
}

/// Each incident's work orders, with the incident's id: those for the incident itself, and those for its problem
/// tickets and change requests (procedure 2 links an order to any of the three). Each branch reads only the
/// incident's own orders when the snapshot is of one incident.
const WORK_ORDERS_OF_INCIDENTS: &str = "SELECT w.incident_id, w.workorder_id, w.title, w.work_type, w.status, \
       w.assigned_to_user, w.created_at FROM work_orders w WHERE w.incident_id IS NOT NULL \
     UNION SELECT p.incident_id, w.workorder_id, w.title, w.work_type, w.status, w.assigned_to_user, w.created_at \
       FROM work_orders w JOIN problem_tickets p ON p.problem_id = w.problem_id \
     UNION SELECT c.incident_id, w.workorder_id, w.title, w.work_type, w.status, w.assigned_to_user, w.created_at \
       FROM work_orders w JOIN change_requests c ON c.change_id = w.change_id WHERE c.incident_id IS NOT NULL";

fn actor(user: &User) -> Actor {
    Actor::user(user.user_id, user.role())
}

/// Approves or rejects a requested change or rollback; a rejection needs a reason. The approver rule comes
/// is the access module's (an executive for high-risk and emergency changes).
pub fn decide_request(
    conn: &mut PgConnection,
    clock: &Clock,
    user: &User,
    resource: &'static Resource,
    record: &Record,
    approve: bool,
    reason: &str,
) -> Result<(), Refusal> {
    let id = super::view::id_of(resource, record);
    let values = super::service::values_of(resource, record);
    user.actor().may(Action::Decide(resource.area), &super::rules::target(resource, &values, Some(id)))?;
    let status = values.get("status").cloned().flatten().unwrap_or_default();
    let reason = check_decision(resource.noun, &status, "requested", approve, reason)?;
    let now = clock.now().to_rfc3339();
    let decided = if approve { "approved" } else { "rejected" };
    let mut extras = vec![
        text(decided, "text", "status"),
        Extra { column: "approved_by_user", value: approve.then(|| user.user_id.to_string()), sql_type: "integer" },
        Extra { column: "rejected_by_user", value: (!approve).then(|| user.user_id.to_string()), sql_type: "integer" },
        Extra { column: "rejection_reason", value: reason.clone(), sql_type: "text" },
        text(&now, "timestamptz", "decided_at"),
    ];
    if resource.has_updated_at {
        extras.push(text(&now, "timestamptz", "updated_at"));
    }
    let version = record.get("lock_version").and_then(|v| v.as_i64()).unwrap_or_default() as i32;
    if !super::queries::update(conn, resource, id, version, &Values::new(), &extras)? {
        return Err(Refusal::WrongState(format!(
            "{} approval: someone changed or decided this request a moment ago; reload it.",
            resource.noun
        )));
    }
    let changes =
        Changes::new().field("status", Some(status), Some(decided)).field("rejection_reason", None::<String>, reason);
    audit::record(conn, clock, actor(user), if approve { "approve" } else { "reject" }, resource.kind, id, changes)?;
    Ok(())
}

/// Both decisions act only on waiting requests; a rejection needs a reason (returned, trimmed).
fn check_decision(
    what: &str,
    status: &str,
    waiting: &str,
    approve: bool,
    reason: &str,
) -> Result<Option<String>, Refusal> {
    if status != waiting {
        return Err(Refusal::WrongState(format!(
            "{what} approval: this request is already {}; only requested ones can be decided.",
            status.replace('_', " ")
        )));
    }
    let reason = reason.trim();
    if approve {
        return Ok(None);
    }
    if crate::forms::is_blank(reason) || reason.chars().count() > 2_000 {
        return Err(Refusal::field(
            "rejection_reason",
            "Rejection: enter the reason (up to 2000 characters), so the requester knows what to change.",
        ));
    }
    Ok(Some(reason.to_string()))
}

/// Carries out an approved rollback: it is completed and its change becomes rolled back.
pub fn execute_rollback(conn: &mut PgConnection, clock: &Clock, user: &User, record: &Record) -> Result<i32, Refusal> {
    user.actor().may(Action::ExecuteRollback, &Target::Any)?;
    let id = record.get("rollback_id").and_then(|v| v.as_i64()).unwrap_or_default() as i32;
    let change_id = record.get("change_id").and_then(|v| v.as_i64()).unwrap_or_default() as i32;
    let status = record.get("status").and_then(|v| v.as_str()).unwrap_or_default();
    if status != "approved" || record.get("completed_at").is_some_and(|v| !v.is_null()) {
        return Err(Refusal::WrongState(format!(
            "Rollback: only an approved rollback that has not been carried out can be carried out; this one is {}{}.",
            status.replace('_', " "),
            if record.get("completed_at").is_some_and(|v| !v.is_null()) { " and done" } else { "" }
        )));
    }
    let now = clock.now();
    let carried_out = diesel::update(
        rollback_requests::table
            .find(id)
            .filter(rollback_requests::status.eq("approved"))
            .filter(rollback_requests::completed_at.is_null()),
    )
    .set((
        rollback_requests::completed_at.eq(now),
        rollback_requests::lock_version.eq(rollback_requests::lock_version + 1),
    ))
    .execute(conn)?;
    if carried_out == 0 {
        return Err(Refusal::WrongState("Rollback: someone carried out this rollback a moment ago.".into()));
    }
    let previous: String = change_requests::table.find(change_id).select(change_requests::status).first(conn)?;
    diesel::update(change_requests::table.find(change_id))
        .set((
            change_requests::status.eq("rolled_back"),
            change_requests::updated_at.eq(now),
            change_requests::lock_version.eq(change_requests::lock_version + 1),
        ))
        .execute(conn)?;
    let changes = Changes::new()
        .field("completed_at", None::<String>, Some(now.to_rfc3339()))
        .field("change_status", Some(previous), Some("rolled_back"))
        .field("change_id", None::<String>, Some(change_id));
    audit::record(conn, clock, actor(user), "execute", "rollback_request", id, changes)?;
    Ok(change_id)
}

/// Moves a work order along its statuses. Its vendor-contact assignee may do this (and nothing else to it).
pub fn set_work_order_status(
    conn: &mut PgConnection,
    clock: &Clock,
    user: &User,
    record: &Record,
    status: &str,
) -> Result<(), Refusal> {
    use crate::schema::work_orders;
    let id = record.get("workorder_id").and_then(|v| v.as_i64()).unwrap_or_default() as i32;
    let assignee = record.get("assigned_to_user").and_then(|v| v.as_i64()).map(|v| v as i32);
    user.actor().may(Action::SetWorkOrderStatus, &Target::WorkOrder { assignee })?;
    let from = record.get("status").and_then(|v| v.as_str()).unwrap_or_default().to_string();
    if crate::domain::enums::WorkOrderStatus::parse(status).is_none() {
        return Err(Refusal::field("status", "Choose the new status from the list."));
    }
    procedure_rules::check_transition(&super::procedures::WORK_ORDERS, &from, status)
        .map_err(|m| Refusal::field("status", m))?;
    let version = record.get("lock_version").and_then(|v| v.as_i64()).unwrap_or_default() as i32;
    let updated = diesel::update(work_orders::table.find(id).filter(work_orders::lock_version.eq(version)))
        .set((
            work_orders::status.eq(status),
            work_orders::updated_at.eq(clock.now()),
            work_orders::lock_version.eq(work_orders::lock_version + 1),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(Refusal::Conflict(Box::new(record.clone())));
    }
    audit::record(
        conn,
        clock,
        actor(user),
        "update",
        "work_order",
        id,
        Changes::new().field("status", Some(from), Some(status)),
    )?;
    Ok(())
}
