//! One timeline of everything that happened to an incident, newest first.
use super::Incident;
use super::queries;
use crate::access::{Action, Area, Sight, Target};
use crate::domain::enums::{DeliveryMethod, DeliveryStatus, EscalationLevel, RecipientType};
use crate::schema::{incident_escalations, incident_updates};
use crate::users::User;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub who: String,
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
    ids.extend(escalations.iter().flat_map(|e| [Some(e.0), Some(e.1), e.7]).flatten());
    ids.extend(messages.iter().flat_map(|m| [m.sender_id, m.recipient_id]).flatten());
    ids.sort_unstable();
    ids.dedup();
    let names: HashMap<i32, String> = queries::names(conn, &ids)?.into_iter().collect();
    let name = |id: i32| names.get(&id).cloned().unwrap_or_else(|| format!("user {id}"));

    let mut entries = vec![Entry {
        at: incident.created_at,
        who: name(incident.reporter_user_id),
        kind: "Reported",
        summary: format!("Reported the incident ({} {})", incident.severity, words(&incident.category).to_lowercase()),
        detail: None,
        href: None,
    }];
    for (by, update_type, field, old, new, at) in updates {
        let (kind, summary, detail) = if update_type == "progress_note" {
            ("Progress", "Posted a progress update".to_string(), Some(new))
        } else {
            let show = |v: &str| if v.is_empty() { "nothing".to_string() } else { words(v) };
            let (old, new) = if field == "assigned_to" {
                let person = |v: &str| v.parse().map(&name).unwrap_or_else(|_| show(v));
                (person(&old), person(&new))
            } else {
                (show(&old), show(&new))
            };
            ("Change", format!("Changed {} from {old} to {new}", words(&field)), None)
        };
        entries.push(Entry { at, who: name(by), kind, summary, detail, href: None });
    }
    for (by, to, level, reason, status, at, ended, ended_by) in escalations {
        let level = EscalationLevel::parse(&level).map_or(level.clone(), |l| l.label().to_lowercase());
        entries.push(Entry {
            at,
            who: name(by),
            kind: "Escalation",
            summary: format!("Escalated to {} ({level} level)", name(to)),
            detail: reason,
            href: None,
        });
        if let Some(ended) = ended {
            entries.push(Entry {
                at: ended,
                // Imported escalations do not say who ended them; the product's own do.
                who: ended_by.map_or_else(|| name(to), &name),
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
            who: message.sender_id.map_or_else(|| "Incident Desk".to_string(), &name),
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

/// The procedure records of the incident that the viewer may see, as timeline entries.
fn procedure_entries(conn: &mut PgConnection, incident_id: i32, viewer: &User) -> QueryResult<Vec<Entry>> {
    use crate::records::{procedures::PROCEDURES, queries};
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
            let status = text("status").map(|s| format!(" ({})", words(&s))).unwrap_or_default();
            let id = crate::records::view::id_of(resource, &record);
            entries.push(Entry {
                at,
                who: text("__actor").unwrap_or_else(|| "Someone".into()),
                kind: resource.noun,
                summary: format!("{}{status}", text("__title").unwrap_or_default()),
                detail: None,
                href: Some(format!("{}/{id}", resource.path)),
            });
        }
    }
    Ok(entries)
}
