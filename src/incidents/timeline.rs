//! One timeline of everything that happened to an incident, newest first.
use super::Incident;
use super::queries;
use crate::access::{Action, Area, Sight, Target};
use crate::domain::enums::{
    DeliveryMethod, DeliveryStatus, EscalationLevel, IncidentStatus, Level, RecipientType, Severity,
};
use crate::users::User;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

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

/// The incident's timeline, and what else the page shows of its history: the reporter's and the assignee's names
/// and the active escalations (id, level, to whom), newest first.
pub struct Timeline {
    pub entries: Vec<Entry>,
    pub reporter: String,
    pub assignee: Option<String>,
    pub active_escalations: Vec<(i32, String, String)>,
}

/// Someone no longer in the product is still someone: "a former user".
fn named(name: Option<String>) -> String {
    name.unwrap_or_else(|| "a former user".to_string())
}

pub fn load(conn: &mut PgConnection, incident: &Incident, viewer: &User) -> QueryResult<Timeline> {
    let queries::History { reporter, assignee, updates, escalations, messages } = queries::history(conn, incident)?;
    let reporter = named(reporter);
    let mut entries = vec![Entry {
        at: incident.created_at,
        who: Some(reporter.clone()),
        kind: "Reported",
        summary: format!(
            "Reported the incident: {}, {}",
            value_words("severity", &incident.severity),
            words(&incident.category).to_lowercase()
        ),
        detail: None,
        href: None,
    }];
    for update in updates {
        let field = update.field_changed;
        let (kind, summary, detail) = if update.update_type == "progress_note" {
            ("Progress", "Posted a progress update".to_string(), Some(update.new_value))
        } else {
            let show = |value: &str, name: Option<String>| match value.parse::<i32>() {
                Ok(_) if field == "assigned_to" => named(name),
                _ => value_words(&field, value),
            };
            let (old, new) = (show(&update.old_value, update.old_name), show(&update.new_value, update.new_name));
            ("Change", format!("Changed {} from {old} to {new}", field_words(&field)), None)
        };
        entries.push(Entry { at: update.created_at, who: Some(named(update.by)), kind, summary, detail, href: None });
    }
    let mut active_escalations = Vec::new();
    for escalation in escalations {
        let to = named(escalation.to);
        let level = &escalation.escalation_level;
        if escalation.status == "active" {
            active_escalations.push((escalation.escalation_id, level.clone(), to.clone()));
        }
        let level = EscalationLevel::parse(level).map_or(level.clone(), |l| l.label().to_lowercase());
        entries.push(Entry {
            at: escalation.escalated_at,
            who: Some(named(escalation.by)),
            kind: "Escalation",
            summary: format!("Escalated to {to} ({level} level)"),
            detail: escalation.reason,
            href: None,
        });
        if let Some(ended) = escalation.resolved_at {
            entries.push(Entry {
                at: ended,
                // Imported escalations do not say who ended them; the product's own do.
                who: Some(escalation.resolved_by_user.map_or_else(|| to.clone(), |_| named(escalation.resolved_by))),
                kind: "Escalation",
                summary: format!("The escalation to {to} was {}", escalation.status),
                detail: None,
                href: None,
            });
        }
    }
    let sight = Sight::of(&viewer.actor());
    // How each delivery went is the provider's to see.
    let staff = viewer.actor().can(Action::ReadInternal(Area::Incidents), &Target::Any);
    for queries::MessageRow { row: message, sender, recipient: recipient_name } in messages {
        let (recipient, recipient_type) = (message.recipient_id, message.recipient_type.as_deref());
        if !sight.sees_communication(viewer.user_id, recipient, recipient_type) {
            continue;
        }
        let (kind, method, status) = (&message.communication_type, &message.delivery_method, &message.delivery_status);
        let to = match (recipient, recipient_type.and_then(RecipientType::parse)) {
            (Some(_), _) => named(recipient_name),
            (None, Some(group)) => group.label().to_lowercase(),
            (None, None) => "nobody".into(),
        };
        let method = DeliveryMethod::parse(method).map_or(method.clone(), |m| m.label().to_string());
        let status = DeliveryStatus::parse(status).map_or(status.clone(), |s| s.label().to_lowercase());
        let href = format!("/incidents/{}/communications/{}", incident.incident_id, message.communication_id);
        entries.push(Entry {
            at: message.created_at,
            // The product's own communications (automatic notices) have no sender.
            who: Some(message.sender_id.map_or_else(|| "Incident Desk".to_string(), |_| named(sender))),
            kind: "Communication",
            summary: format!("Sent {} {} to {to} by {method} ({status})", article(kind), words(kind)),
            detail: message.message,
            // Staff see how its deliveries went.
            href: staff.then_some(href),
        });
    }
    entries.extend(procedure_entries(conn, incident.incident_id, viewer)?);
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.at));
    Ok(Timeline { entries, reporter, assignee, active_escalations })
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }
}

/// The procedure records of the incident that the viewer may see, as timeline entries: what was done, in words,
/// by whom the record names.
fn procedure_entries(conn: &mut PgConnection, incident_id: i32, viewer: &User) -> QueryResult<Vec<Entry>> {
    use crate::records::{procedures::PROCEDURES, queries, spec::Created, spec::Link, view};
    let mut entries = Vec::new();
    let actor = viewer.actor();
    let readable: Vec<_> = PROCEDURES
        .iter()
        .filter(|r| r.field("incident_id").is_some() && actor.can(Action::Read(r.area), &Target::Any))
        .collect();
    let lists: Vec<_> = readable.iter().map(|r| (**r, Link::Column("incident_id"), incident_id)).collect();
    for (resource, (records, _)) in readable.iter().zip(queries::first_pages(conn, Sight::of(&actor), &lists)?) {
        for record in records {
            // A field's value as the record's page shows it: a label, a name, a time in the viewer's zone.
            let shown = |name: &str| {
                resource
                    .field(name)
                    .filter(|_| record.is_set(name))
                    .map(|field| view::field_view(field, &record, &viewer.timezone).value)
            };
            let status = shown("status").map(|s| format!(" ({})", s.to_lowercase())).unwrap_or_default();
            let what = (resource.created_words)(&Created { title: &record.title, shown: &shown, record: &record });
            entries.push(Entry {
                at: record.created_at,
                who: record.actor.clone().or_else(|| shown("facilitator_user")),
                kind: resource.noun,
                summary: format!("{what}{status}"),
                detail: None,
                href: Some(format!("{}/{}", resource.path, record.id)),
            });
        }
    }
    Ok(entries)
}
