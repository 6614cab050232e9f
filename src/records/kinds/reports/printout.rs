//! An incident report's snapshot, read for its printable page. The snapshot was taken when the report was
//! generated, so the printout says what was known then, whatever changed afterwards. It is printed in words:
//! labels rather than codes, names rather than ids, metrics against their targets, and one timeline of everything
//! the snapshot holds.
use crate::column;
use crate::domain::enums::*;
use crate::format;
use crate::forms::ChoiceList;
use crate::incidents::sla_clock::span;
use crate::records::queries::Record;
use crate::users::User;
use serde_json::Value;
use std::collections::HashMap;

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
    /// (when, who, what), oldest first: the changes, escalations and procedure records of the incident.
    pub timeline: Vec<(String, String, String)>,
    pub sections: Vec<Section>,
}

/// How a snapshot value is shown.
#[derive(Clone, Copy)]
enum Show {
    Text,
    Time,
    /// An enumeration's value, by its label.
    Label(ChoiceList),
    /// A number of minutes, as a span ("1 d 8 h").
    Minutes,
    /// A person's id, by their name.
    Person,
    /// Whether a metric met its target.
    Verdict,
    /// A value without a list of labels (a communication's type, a kind of work, a group of recipients), in words.
    Words,
}

/// The people a snapshot names by id, and what they are called.
pub type Names = HashMap<i32, String>;

fn show(row: &Value, key: &str, how: Show, zone: &str, names: &Names) -> String {
    let value = row.get(key);
    let text = match value {
        None | Some(Value::Null) if !matches!(how, Show::Verdict) => return "—".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    match how {
        Show::Text => text,
        Show::Words => capitalised(&text.replace('_', " ")),
        Show::Time => format::parse(&text).map_or(text, |at| format::datetime(at, zone)),
        Show::Label(choices) => choices().into_iter().find(|(v, _)| *v == text).map_or(text, |(_, l)| l.to_string()),
        Show::Minutes => text.parse::<i64>().map_or(text, |m| span(chrono::Duration::minutes(m))),
        Show::Person => text.parse::<i32>().ok().and_then(|id| names.get(&id).cloned()).unwrap_or_else(|| "—".into()),
        Show::Verdict => {
            let minutes = |key| row.get(key).and_then(Value::as_i64);
            match (minutes("calculated_value_minutes"), minutes("target_minutes")) {
                (Some(value), Some(target)) if value <= target => "Met".into(),
                (Some(_), Some(_)) => "Missed".into(),
                _ => "No target".into(),
            }
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A section's columns: (header, snapshot key, how shown).
type Columns = &'static [(&'static str, &'static str, Show)];

/// The record types a report lists, with the columns shown for each.
const SECTIONS: &[(&str, &str, Columns)] = &[
    (
        "incident_escalations",
        "Escalations",
        &[
            ("Level", "escalation_level", Show::Label(EscalationLevel::choices)),
            ("To", "escalated_to_user", Show::Person),
            ("Status", "status", Show::Label(EscalationStatus::choices)),
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
            ("By", "delivery_method", Show::Label(DeliveryMethod::choices)),
            ("Delivery", "delivery_status", Show::Label(DeliveryStatus::choices)),
            ("Message", "message", Show::Text),
        ],
    ),
    (
        "workarounds",
        "Workarounds",
        &[
            ("Effectiveness", "effectiveness_level", Show::Label(Effectiveness::choices)),
            ("Status", "status", Show::Label(WorkaroundStatus::choices)),
            ("Implemented", "implemented_at", Show::Time),
            ("What was done", "description", Show::Text),
        ],
    ),
    (
        "root_cause_analysis",
        "Root cause analyses",
        &[
            ("Method", "analysis_method", Show::Label(AnalysisMethod::choices)),
            ("Status", "status", Show::Label(AnalysisStatus::choices)),
            ("Completed", "completed_at", Show::Time),
            ("Findings", "findings", Show::Text),
        ],
    ),
    (
        "problem_tickets",
        "Problem tickets",
        &[
            ("Problem", "title", Show::Text),
            ("Status", "status", Show::Label(IncidentStatus::choices)),
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
            ("Status", "status", Show::Label(WorkOrderStatus::choices)),
            ("Assigned to", "assignee", Show::Text),
            ("Follow-up of", "follow_up", Show::Text),
        ],
    ),
    (
        "change_requests",
        "Changes",
        &[
            ("Change", "title", Show::Text),
            ("Type", "change_type", Show::Label(ChangeType::choices)),
            ("Risk", "risk_level", Show::Label(RiskLevel::choices)),
            ("Status", "status", Show::Label(ChangeStatus::choices)),
        ],
    ),
    (
        "rollbacks",
        "Rollbacks",
        &[
            ("Status", "status", Show::Label(RollbackStatus::choices)),
            ("Requested by", "requesting_user", Show::Person),
            ("Completed", "completed_at", Show::Time),
            ("Justification", "justification", Show::Text),
        ],
    ),
    (
        "performance_metrics",
        "Metrics against targets",
        &[
            ("Metric", "metric_type", Show::Label(MetricType::choices)),
            ("Value", "calculated_value_minutes", Show::Minutes),
            ("Target", "target_minutes", Show::Minutes),
            ("Against the target", "target_minutes", Show::Verdict),
            ("Recorded", "recorded_at", Show::Time),
        ],
    ),
    (
        "post_incident_reviews",
        "Post-incident review",
        &[
            ("Scheduled", "scheduled_date", Show::Time),
            ("Facilitator", "facilitator_user", Show::Person),
            ("Rating", "overall_rating", Show::Label(ReviewRating::choices)),
            ("Status", "status", Show::Label(ReviewStatus::choices)),
            ("Notes", "notes", Show::Text),
        ],
    ),
    (
        "knowledge_base_articles",
        "Knowledge base articles",
        &[
            ("Article", "title", Show::Text),
            ("Type", "article_type", Show::Label(ArticleType::choices)),
            ("Category", "category", Show::Label(ArticleCategory::choices)),
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

/// The records of the snapshot that the timeline tells, each as (moment, person, words): the moment's key and how
/// to say what happened.
type Told = (&'static str, &'static str, fn(&Value, &dyn Fn(&Value, &str, Show) -> String) -> String);

const TOLD: &[(&str, &[Told])] = &[
    (
        "incident_escalations",
        &[
            ("escalated_at", "escalated_by_user", |row, show| {
                format!(
                    "Escalated to {} ({} level){}",
                    show(row, "escalated_to_user", Show::Person),
                    show(row, "escalation_level", Show::Label(EscalationLevel::choices)).to_lowercase(),
                    row.get("reason").and_then(Value::as_str).map(|r| format!(": {r}")).unwrap_or_default()
                )
            }),
            ("resolved_at", "resolved_by_user", |row, show| {
                format!(
                    "The escalation to {} ended ({})",
                    show(row, "escalated_to_user", Show::Person),
                    show(row, "status", Show::Label(EscalationStatus::choices)).to_lowercase()
                )
            }),
        ],
    ),
    (
        "workarounds",
        &[("implemented_at", "implemented_by_user", |row, show| {
            format!(
                "Workaround put in place ({}): {}",
                show(row, "effectiveness_level", Show::Label(Effectiveness::choices)).to_lowercase(),
                show(row, "description", Show::Text)
            )
        })],
    ),
    (
        "root_cause_analysis",
        &[
            ("created_at", "conducted_by_user", |row, show| {
                format!(
                    "Root cause analysis started ({})",
                    show(row, "analysis_method", Show::Label(AnalysisMethod::choices)).to_lowercase()
                )
            }),
            ("completed_at", "conducted_by_user", |row, _| match row.get("findings").and_then(Value::as_str) {
                Some(findings) => format!("Root cause analysis completed: {findings}"),
                None => "Root cause analysis completed".into(),
            }),
        ],
    ),
    (
        "change_requests",
        &[("created_at", "requesting_user", |row, show| {
            format!(
                "Change requested: {} ({}, {} risk; now {})",
                show(row, "title", Show::Text),
                show(row, "change_type", Show::Label(ChangeType::choices)).to_lowercase(),
                show(row, "risk_level", Show::Label(RiskLevel::choices)).to_lowercase(),
                show(row, "status", Show::Label(ChangeStatus::choices)).to_lowercase()
            )
        })],
    ),
    (
        "rollbacks",
        &[
            ("created_at", "requesting_user", |row, show| {
                format!("Rollback requested: {}", show(row, "justification", Show::Text))
            }),
            ("completed_at", "approved_by_user", |_, _| "Rollback carried out".into()),
        ],
    ),
    (
        "performance_metrics",
        &[("recorded_at", "recorded_by_user", |row, show| {
            format!(
                "{} recorded: {} against a target of {} ({})",
                show(row, "metric_type", Show::Label(MetricType::choices)),
                show(row, "calculated_value_minutes", Show::Minutes),
                show(row, "target_minutes", Show::Minutes),
                show(row, "target_minutes", Show::Verdict).to_lowercase()
            )
        })],
    ),
    (
        "post_incident_reviews",
        &[("scheduled_date", "facilitator_user", |row, show| {
            format!(
                "Post-incident review ({}), rated {}",
                show(row, "status", Show::Label(ReviewStatus::choices)).to_lowercase(),
                show(row, "overall_rating", Show::Label(ReviewRating::choices)).to_lowercase()
            )
        })],
    ),
];

/// A changed field of the incident and its values in words, as the incident page says them.
fn change_words(field: &str, old: &str, new: &str) -> String {
    let label = |value: &str| -> String {
        let choices: Option<ChoiceList> = match field {
            "status" => Some(IncidentStatus::choices),
            "severity" => Some(Severity::choices),
            "impact_level" | "urgency_level" => Some(Level::choices),
            _ => None,
        };
        match choices.and_then(|c| c().into_iter().find(|(v, _)| *v == value)) {
            Some((_, label)) => label.to_string(),
            None if value.is_empty() || value == "—" => "nobody".into(),
            None => value.to_string(),
        }
    };
    let name = match field {
        "assigned_to" => "Assignee",
        "impact_level" => "Impact",
        "urgency_level" => "Urgency",
        "status" => "Status",
        "severity" => "Severity",
        other => other,
    };
    format!("{name}: {} → {}", label(old), label(new))
}

impl Snapshot {
    /// The people the snapshot names by id, whose names the printout needs.
    pub fn people(report: &Record) -> Vec<i32> {
        let snapshot = report.document(column!(incident_reports, snapshot)).cloned().unwrap_or(Value::Null);
        let keys = [
            "escalated_by_user",
            "escalated_to_user",
            "resolved_by_user",
            "implemented_by_user",
            "conducted_by_user",
            "requesting_user",
            "approved_by_user",
            "recorded_by_user",
            "facilitator_user",
        ];
        let mut ids: Vec<i32> = SECTIONS
            .iter()
            .filter_map(|(table, _, _)| snapshot[*table].as_array())
            .flatten()
            .flat_map(|row| keys.iter().filter_map(|key| row.get(*key)?.as_i64()).map(|id| id as i32))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The snapshot as `reader` may see it, with times in `zone` and people by their names.
    pub fn read(report: &Record, zone: &str, names: &Names, reader: &User) -> Snapshot {
        let empty = Value::Null;
        let snapshot = report.document(column!(incident_reports, snapshot)).unwrap_or(&empty);
        let incident = &snapshot["incident"];
        let field = |key: &str, how: Show| show(incident, key, how, zone, names);
        let facts = vec![
            ("Severity", field("severity", Show::Label(Severity::choices))),
            ("Status", field("status", Show::Label(IncidentStatus::choices))),
            ("Category", field("category", Show::Text)),
            ("Impact", field("impact_level", Show::Label(Level::choices))),
            ("Urgency", field("urgency_level", Show::Label(Level::choices))),
            ("Detected", field("detection_timestamp", Show::Time)),
            ("Reported", field("created_at", Show::Time)),
            ("Acknowledged", field("acknowledged_at", Show::Time)),
            ("Resolved", field("resolution_timestamp", Show::Time)),
            ("Closed", field("closed_at", Show::Time)),
        ];
        // Every dated thing the snapshot holds, in the order it happened (ties keep the snapshot's order).
        let mut told: Vec<(String, String, String, String)> = Vec::new();
        for update in snapshot["updates"].as_array().into_iter().flatten() {
            let what = if update["type"] == "progress_note" {
                show(update, "new", Show::Text, zone, names)
            } else {
                let text = |key| update.get(key).and_then(Value::as_str).unwrap_or_default();
                change_words(text("field"), text("old"), text("new"))
            };
            let at = update.get("at").and_then(Value::as_str).unwrap_or_default().to_string();
            told.push((
                at,
                show(update, "at", Show::Time, zone, names),
                show(update, "who", Show::Text, zone, names),
                what,
            ));
        }
        let shown = |row: &Value, key: &str, how: Show| show(row, key, how, zone, names);
        for (table, ways) in TOLD {
            for row in snapshot[*table].as_array().into_iter().flatten() {
                for (moment, person, words) in *ways {
                    let Some(at) = row.get(*moment).and_then(Value::as_str).filter(|at| !at.is_empty()) else {
                        continue;
                    };
                    let who = shown(row, person, Show::Person);
                    told.push((at.to_string(), shown(row, moment, Show::Time), who, words(row, &shown)));
                }
            }
        }
        told.sort_by_key(|(at, ..)| format::parse(at));
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
                            .map(|row| columns.iter().map(|(_, name, how)| shown(row, name, *how)).collect())
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        Snapshot {
            incident_id: incident["incident_id"].as_i64().unwrap_or_default(),
            title: field("title", Show::Text),
            client: show(snapshot, "client", Show::Text, zone, names),
            component: show(snapshot, "component", Show::Text, zone, names),
            facts,
            timeline: told.into_iter().map(|(_, when, who, what)| (when, who, what)).collect(),
            sections,
        }
    }
}
