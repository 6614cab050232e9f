//! Incident reports: a snapshot of the incident and its records taken as the report is generated, which does not
//! change afterwards, and a printable page.
use super::{Behaviour, Creation, PageActions, Refusal};
use crate::access::{Actor, Target};
use crate::column;
use crate::records::queries::{Extra, Record};
use diesel::prelude::*;

pub mod printout;

#[derive(Debug)]
pub struct Reports;

impl Behaviour for Reports {
    fn creation_extras(&self, conn: &mut PgConnection, new: &mut Creation<'_>) -> Result<bool, Refusal> {
        let incident_id = new
            .submitted
            .reference(column!(incident_reports, incident_id))
            .ok_or_else(|| Refusal::field("incident_id", "Choose the incident the report is of."))?;
        new.extras.push(Extra::document(column!(incident_reports, snapshot), snapshot(conn, incident_id)?));
        new.extras.push(Extra::new(column!(incident_reports, generated_at), new.clock.now()));
        Ok(false)
    }

    fn page_actions(&self, _actor: &Actor, _target: &Target, id: i32, _record: &Record) -> PageActions {
        PageActions { print_href: Some(format!("/reports/{id}/print")), ..PageActions::default() }
    }
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
                      'work_type', w.work_type, 'status', w.status, 'assignee', who.name, 'created_at', w.created_at, \
                      'follow_up', CASE WHEN w.review_id IS NOT NULL THEN 'Post-incident review ' || w.review_id END) \
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
       w.assigned_to_user, w.created_at, w.review_id FROM work_orders w WHERE w.incident_id IS NOT NULL \
     UNION SELECT p.incident_id, w.workorder_id, w.title, w.work_type, w.status, w.assigned_to_user, w.created_at, \
       w.review_id FROM work_orders w JOIN problem_tickets p ON p.problem_id = w.problem_id \
     UNION SELECT c.incident_id, w.workorder_id, w.title, w.work_type, w.status, w.assigned_to_user, w.created_at, \
       w.review_id FROM work_orders w JOIN change_requests c ON c.change_id = w.change_id WHERE c.incident_id IS NOT NULL";
