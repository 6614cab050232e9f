//! One timeline of everything that happened to an incident, newest first.
use super::Incident;
use super::queries;
use crate::access::{Action, Area, Sight, Target};
use crate::domain::enums::{
    DeliveryMethod, DeliveryStatus, EscalationLevel, IncidentStatus, Level, RecipientType, Severity,
};
use crate::schema::{incident_escalations, incident_updates};
use crate::users::User;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct Entry {
    pub at: DateTime<Utc>,
    /// Who did it, by name; `None` where the record does not say.
    pub who: Option<String>,
    /// A short word for the kind of entry, shown as a badge: "Update", "Escalation", …
    pub kind: &'static str,
    pub summary: String,
    pub detail: Option<String>,
    /// The record the entry is about, when it has a page of its own.
    pub href: Option<String>,
}

fn words(value: &str) -> String {
    value.replace('_', " ")
}

/// A changed field of the incident, named as a sentence does: "the status".
fn field_words(field: &str) -> String {
    match field {
        "assigned_to" => "the assignee".into(),
        "impact_level" => "the impact".into(),
        "urgency_level" => "the urgency".into(),
        other => format!("the {}", words(other)),
    }
}

/// A value of a changed field in words: the label of a status, severity or level, as the pages show them.
fn value_words(field: &str, value: &str) -> String {
    let label = match field {
        "status" => IncidentStatus::parse(value).map(IncidentStatus::label),
        "severity" => Severity::parse(value).map(Severity::label),
        "impact_level" | "urgency_level" => Level::parse(value).map(Level::label),
        _ => None,
    };
    match (label, value) {
        (Some(label), _) => label.to_string(),
        (None, "") => "nobody".into(),
        (None, other) => words(other),
    }
}

pub fn load(conn: &mut PgConnection, incident: &Incident, viewer: &User) -> QueryResult<Vec<Entry>> {
    let updates: Vec<(i32, String, String, String, String, DateTime<Utc>)> = incident_updates::table
        .filter(incident_updates::incident_id.eq(incident.incident_id))
        .select((
            incident_updates::updated_by_user,
            incident_updates::update_type,
            incident_updates::field_changed,
            incident_updates::old_value,
            incident_updates::new_value,
            incident_updates::created_at,
        ))
        .load(conn)?;
    #[allow(clippy::type_complexity)]
    let escalations: Vec<(
        i32,
        i32,
        String,
        Option<String>,
        String,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<i32>,
    )> = incident_escalations::table
        .filter(incident_escalations::incident_id.eq(incident.incident_id))
        .select((
            incident_escalations::escalated_by_user,
            incident_escalations::escalated_to_user,
            incident_escalations::escalation_level,
            incident_escalations::reason,
            incident_escalations::status,
            incident_escalations::escalated_at,
            incident_escalations::resolved_at,
            incident_escalations::resolved_by_user,
        ))
        .load(conn)?;
    #[allow(clippy::type_complexity)]
    let messages = queries::communications_of(conn, incident.incident_id)?;

    let mut ids = vec![incident.reporter_user_id];
    ids.extend(updates.iter().map(|u| u.0));
    // An assignment change names the people it moved the incident between.
    ids.extend(
        updates
            .iter()
            .filter(|u| u.2 == "assigned_to")
            .flat_map(|u| [u.3.parse::<i32>().ok(), u.4.parse::<i32>().ok()])
            .flatten(),
    );
    ids.extend(escalations.iter().flat_map(|e| [Some(e.0), Some(e.1), e.7]).flatten());
    ids.extend(messages.iter().flat_map(|m| [m.sender_id, m.recipient_id]).flatten());
    ids.sort_unstable();
    ids.dedup();
    let names: HashMap<i32, String> = queries::names(conn, &ids)?.into_iter().collect();
    // Someone no longer in the product (or out of the viewer's sight) is still someone: "a former user".
    let name = |id: i32| names.get(&id).cloned().unwrap_or_else(|| "a former user".to_string());

    let mut entries = vec![Entry {
        at: incident.created_at,
        who: Some(name(incident.reporter_user_id)),
        kind: "Reported",
        summary: format!(
            "Reported the incident: {}, {}",
            value_words("severity", &incident.severity),
            words(&incident.category).to_lowercase()
        ),
        detail: None,
        href: None,
    }];
    for (by, update_type, field, old, new, at) in updates {
        let (kind, summary, detail) = if update_type == "progress_note" {
            ("Progress", "Posted a progress update".to_string(), Some(new))
        } else {
            let show = |v: &str| match v.parse::<i32>() {
                Ok(id) if field == "assigned_to" => name(id),
                _ => value_words(&field, v),
            };
            ("Change", format!("Changed {} from {} to {}", field_words(&field), show(&old), show(&new)), None)
        };
        entries.push(Entry { at, who: Some(name(by)), kind, summary, detail, href: None });
    }
    for (by, to, level, reason, status, at, ended, ended_by) in escalations {
        let level = EscalationLevel::parse(&level).map_or(level.clone(), |l| l.label().to_lowercase());
        entries.push(Entry {
            at,
            who: Some(name(by)),
            kind: "Escalation",
            summary: format!("Escalated to {} ({level} level)", name(to)),
            detail: reason,
            href: None,
        });
        if let Some(ended) = ended {
            entries.push(Entry {
                at: ended,
                // Imported escalations do not say who ended them; the product's own do.
                who: Some(ended_by.map_or_else(|| name(to), &name)),
                kind: "Escalation",
                summary: format!("The escalation to {} was {status}", name(to)),
                detail: None,
                href: None,
            });
        }
    }
    let sight = Sight::of(&viewer.actor());
    // How each delivery went is the provider's to see.
    let staff = viewer.actor().can(Action::ReadInternal(Area::Incidents), &Target::Any);
    for message in messages {
        let (recipient, recipient_type) = (message.recipient_id, message.recipient_type.as_deref());
        if !sight.sees_communication(viewer.user_id, recipient, recipient_type) {
            continue;
        }
        let (kind, method, status) = (&message.communication_type, &message.delivery_method, &message.delivery_status);
        let to = match (recipient, recipient_type.and_then(RecipientType::parse)) {
            (Some(id), _) => name(id),
            (None, Some(group)) => group.label().to_lowercase(),
            (None, None) => "nobody".into(),
        };
        let method = DeliveryMethod::parse(method).map_or(method.clone(), |m| m.label().to_string());
        let status = DeliveryStatus::parse(status).map_or(status.clone(), |s| s.label().to_lowercase());
        let href = format!("/incidents/{}/communications/{}", incident.incident_id, message.communication_id);
        entries.push(Entry {
            at: message.created_at,
            // The product's own communications (automatic notices) have no sender.
            who: Some(message.sender_id.map_or_else(|| "Incident Desk".to_string(), &name)),
            kind: "Communication",
            summary: format!("Sent {} {} to {to} by {method} ({status})", article(kind), words(kind)),
            detail: message.message,
            // Staff see how its deliveries went.
            href: staff.then_some(href),
        });
    }
    entries.extend(procedure_entries(conn, incident.incident_id, viewer)?);
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.at));
    Ok(entries)
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }
}

/// The procedure records of the incident that the viewer may see, as timeline entries: what was done, in words,
/// by whom the record names.
fn procedure_entries(conn: &mut PgConnection, incident_id: i32, viewer: &User) -> QueryResult<Vec<Entry>> {
    use crate::records::{procedures::PROCEDURES, queries, view};
    let mut entries = Vec::new();
    let actor = viewer.actor();
    for resource in PROCEDURES.iter().filter(|r| r.field("incident_id").is_some()) {
        if !actor.can(Action::Read(resource.area), &Target::Any) {
            continue;
        }
        let (records, _) =
            queries::list(conn, resource, Sight::of(&actor), &[], Some(("incident_id = {}", incident_id)), 1)?;
        for record in records {
            let text = |key: &str| record.get(key).and_then(|v| v.as_str()).map(str::to_string);
            let Some(at) = text("created_at").and_then(|t| crate::format::parse(&t)) else { continue };
            // A field's value as the record's page shows it: a label, a name, a time in the viewer's zone.
            let shown = |name: &str| {
                resource.field(name).and_then(|field| match record.get(name) {
                    None | Some(serde_json::Value::Null) => None,
                    Some(_) => Some(view::field_view(field, &record, &viewer.timezone).value),
                })
            };
            let status = shown("status").map(|s| format!(" ({})", s.to_lowercase())).unwrap_or_default();
            let title = text("__title").unwrap_or_default();
            let what = match resource.kind {
                "problem_ticket" => format!("Raised a problem ticket: {title}"),
                "work_order" => format!("Created a work order: {title}"),
                "workaround" => format!(
                    "Put a workaround in place: {}",
                    shown("effectiveness_level").unwrap_or_default().to_lowercase()
                ),
                "root_cause_analysis" => format!(
                    "Started a root cause analysis by {}",
                    shown("analysis_method").unwrap_or_default().to_lowercase()
                ),
                "change_request" => format!("Requested a change: {title}"),
                "rollback_request" => {
                    format!("Requested a rollback of {}", shown("change_id").unwrap_or_else(|| "a change".into()))
                }
                "performance_metric" => metric_words(&record, shown("metric_type").unwrap_or_default()),
                "incident_report" => {
                    format!("Generated a report: {}", shown("report_type").unwrap_or_default().to_lowercase())
                }
                "knowledge_base_article" => format!("Wrote a knowledge base article: {title}"),
                "post_incident_review" => format!(
                    "Scheduled a post-incident review for {}",
                    shown("scheduled_date").unwrap_or_else(|| "a date to be set".into())
                ),
                _ => title,
            };
            entries.push(Entry {
                at,
                who: text("__actor").or_else(|| shown("facilitator_user")),
                kind: resource.noun,
                summary: format!("{what}{status}"),
                detail: None,
                href: Some(format!("{}/{}", resource.path, view::id_of(resource, &record))),
            });
        }
    }
    Ok(entries)
}

/// A metric in words: "Recorded the resolution time: 32 h 38 min against a target of 24 h 0 min (missed)".
fn metric_words(record: &crate::records::queries::Record, kind: String) -> String {
    use super::sla_clock::span;
    let minutes = |key: &str| record.get(key).and_then(serde_json::Value::as_i64);
    let value = minutes("calculated_value_minutes").map(|m| span(chrono::Duration::minutes(m)));
    let target = minutes("target_minutes");
    let verdict = match (minutes("calculated_value_minutes"), target) {
        (Some(value), Some(target)) if value <= target => " (met)",
        (Some(_), Some(_)) => " (missed)",
        _ => "",
    };
    match (value, target) {
        (Some(value), Some(target)) => format!(
            "Recorded the {}: {value} against a target of {}{verdict}",
            kind.to_lowercase(),
            span(chrono::Duration::minutes(target))
        ),
        (Some(value), None) => format!("Recorded the {}: {value}, with no target", kind.to_lowercase()),
        _ => format!("Recorded the {}", kind.to_lowercase()),
    }
}
