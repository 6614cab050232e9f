//! An incident report's snapshot, read for its printable page. The snapshot was taken when the report was
//! generated, so the printout says what was known then, whatever changed afterwards.
use super::queries::Record;
use crate::format;
use crate::users::User;
use serde_json::Value;

pub struct Section {
    pub title: &'static str,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

pub struct Snapshot {
    pub incident_id: i64,
    pub title: String,
    pub client: String,
    pub component: String,
    /// (label, value) pairs describing the incident.
    pub facts: Vec<(&'static str, String)>,
    /// (when, who, what), oldest first.
    pub timeline: Vec<(String, String, String)>,
    pub sections: Vec<Section>,
}

/// How a snapshot value is shown.
#[derive(Clone, Copy)]
enum Show {
    Text,
    Words,
    Time,
}

fn show(value: Option<&Value>, how: Show, zone: &str) -> String {
    let text = match value {
        None | Some(Value::Null) => return "—".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    match how {
        Show::Text => text,
        Show::Words => text.replace('_', " "),
        Show::Time => format::parse(&text).map_or(text, |at| format::datetime(at, zone)),
    }
}

/// A section's columns: (header, snapshot key, how shown).
type Columns = &'static [(&'static str, &'static str, Show)];

/// The record types a report lists, with the columns shown for each.
const SECTIONS: &[(&str, &str, Columns)] = &[
    (
        "incident_escalations",
        "Escalations",
        &[
            ("Level", "escalation_level", Show::Words),
            ("Status", "status", Show::Words),
            ("Escalated", "escalated_at", Show::Time),
            ("Reason", "reason", Show::Text),
        ],
    ),
    (
        "communications",
        "Communications",
        &[
            ("Sent", "created_at", Show::Time),
            ("From", "sender", Show::Text),
            ("To", "to", Show::Words),
            ("Type", "communication_type", Show::Words),
            ("By", "delivery_method", Show::Words),
            ("Delivery", "delivery_status", Show::Words),
            ("Message", "message", Show::Text),
        ],
    ),
    (
        "workarounds",
        "Workarounds",
        &[
            ("Effectiveness", "effectiveness_level", Show::Words),
            ("Status", "status", Show::Words),
            ("Implemented", "implemented_at", Show::Time),
            ("What was done", "description", Show::Text),
        ],
    ),
    (
        "root_cause_analysis",
        "Root cause analyses",
        &[
            ("Method", "analysis_method", Show::Words),
            ("Status", "status", Show::Words),
            ("Completed", "completed_at", Show::Time),
            ("Findings", "findings", Show::Text),
        ],
    ),
    (
        "problem_tickets",
        "Problem tickets",
        &[
            ("Problem", "title", Show::Text),
            ("Status", "status", Show::Words),
            ("Issued by", "issued_by", Show::Text),
            ("Opened", "created_at", Show::Time),
        ],
    ),
    (
        "work_orders",
        "Work orders",
        &[
            ("Order", "title", Show::Text),
            ("Type", "work_type", Show::Words),
            ("Status", "status", Show::Words),
            ("Assigned to", "assignee", Show::Text),
        ],
    ),
    (
        "change_requests",
        "Changes",
        &[
            ("Change", "title", Show::Text),
            ("Type", "change_type", Show::Words),
            ("Risk", "risk_level", Show::Words),
            ("Status", "status", Show::Words),
        ],
    ),
    (
        "rollbacks",
        "Rollbacks",
        &[
            ("Change", "change_id", Show::Text),
            ("Status", "status", Show::Words),
            ("Completed", "completed_at", Show::Time),
            ("Justification", "justification", Show::Text),
        ],
    ),
    (
        "performance_metrics",
        "Metrics against targets",
        &[
            ("Metric", "metric_type", Show::Words),
            ("Minutes", "calculated_value_minutes", Show::Text),
            ("Target", "target_minutes", Show::Text),
            ("Recorded", "recorded_at", Show::Time),
        ],
    ),
    (
        "post_incident_reviews",
        "Post-incident review",
        &[
            ("Scheduled", "scheduled_date", Show::Time),
            ("Rating", "overall_rating", Show::Words),
            ("Status", "status", Show::Words),
            ("Notes", "notes", Show::Text),
        ],
    ),
    (
        "knowledge_base_articles",
        "Knowledge base articles",
        &[
            ("Article", "title", Show::Text),
            ("Type", "article_type", Show::Words),
            ("Category", "category", Show::Words),
        ],
    ),
];

/// Whether the reader may see a row of a section: communications only where they are addressed to them or to
/// their kind of recipient (the snapshot keeps them all, with their addressees; see `snapshots`).
fn shown_to(reader: &User, section: &str, row: &Value) -> bool {
    section != "communications"
        || crate::access::Sight::of(&reader.actor()).sees_communication(
            reader.user_id,
            row.get("recipient_id").and_then(Value::as_i64).and_then(|id| i32::try_from(id).ok()),
            row.get("recipient_type").and_then(Value::as_str),
        )
}

impl Snapshot {
    /// The snapshot as `reader` may see it, with times in `zone`.
    pub fn read(report: &Record, zone: &str, reader: &User) -> Snapshot {
        let empty = Value::Null;
        let snapshot = report.get("snapshot").unwrap_or(&empty);
        let incident = &snapshot["incident"];
        let field = |key: &str, how: Show| show(incident.get(key), how, zone);
        let facts = vec![
            ("Severity", field("severity", Show::Text)),
            ("Status", field("status", Show::Words)),
            ("Category", field("category", Show::Text)),
            ("Impact", field("impact_level", Show::Words)),
            ("Urgency", field("urgency_level", Show::Words)),
            ("Detected", field("detection_timestamp", Show::Time)),
            ("Reported", field("created_at", Show::Time)),
            ("Acknowledged", field("acknowledged_at", Show::Time)),
            ("Resolved", field("resolution_timestamp", Show::Time)),
            ("Closed", field("closed_at", Show::Time)),
        ];
        let timeline = snapshot["updates"]
            .as_array()
            .map(|updates| {
                updates
                    .iter()
                    .map(|u| {
                        let what = if u["type"] == "progress_note" {
                            show(u.get("new"), Show::Text, zone)
                        } else {
                            format!(
                                "{}: {} → {}",
                                show(u.get("field"), Show::Words, zone),
                                show(u.get("old"), Show::Words, zone),
                                show(u.get("new"), Show::Words, zone)
                            )
                        };
                        (show(u.get("at"), Show::Time, zone), show(u.get("who"), Show::Text, zone), what)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let sections = SECTIONS
            .iter()
            .map(|(key, title, columns)| Section {
                title,
                headers: columns.iter().map(|(header, _, _)| *header).collect(),
                rows: snapshot[*key]
                    .as_array()
                    .map(|rows| {
                        rows.iter()
                            .filter(|row| shown_to(reader, key, row))
                            .map(|row| columns.iter().map(|(_, name, how)| show(row.get(*name), *how, zone)).collect())
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        Snapshot {
            incident_id: incident["incident_id"].as_i64().unwrap_or_default(),
            title: show(incident.get("title"), Show::Text, zone),
            client: show(snapshot.get("client"), Show::Text, zone),
            component: show(snapshot.get("component"), Show::Text, zone),
            facts,
            timeline,
            sections,
        }
    }
}
