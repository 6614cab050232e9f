//! One timeline of everything that happened to an incident, newest first.
use super::Incident;
use super::queries;
use crate::domain::enums::{DeliveryMethod, DeliveryStatus, EscalationLevel, RecipientType, Role};
use crate::schema::{communications, incident_escalations, incident_updates};
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

/// Which communications a viewer sees: staff see all; contacts see those addressed to them, and client
/// contacts also those to their client's contacts or to all stakeholders.
pub fn sees_communication(viewer: &User, recipient_id: Option<i32>, recipient_type: Option<&str>) -> bool {
    match viewer.role() {
        Role::ClientContact => {
            recipient_id == Some(viewer.user_id)
                || matches!(recipient_type, Some("client_contacts" | "all_stakeholders"))
        }
        Role::VendorContact => recipient_id == Some(viewer.user_id) || recipient_type == Some("all_stakeholders"),
        _ => true,
    }
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
    let messages: Vec<(i32, Option<i32>, Option<String>, String, String, String, Option<String>, DateTime<Utc>)> =
        communications::table
            .filter(communications::incident_id.eq(incident.incident_id))
            .select((
                communications::sender_id,
                communications::recipient_id,
                communications::recipient_type,
                communications::communication_type,
                communications::delivery_method,
                communications::delivery_status,
                communications::message,
                communications::created_at,
            ))
            .load(conn)?;

    let mut ids = vec![incident.reporter_user_id];
    ids.extend(updates.iter().map(|u| u.0));
    ids.extend(escalations.iter().flat_map(|e| [Some(e.0), Some(e.1), e.7]).flatten());
    ids.extend(messages.iter().flat_map(|m| [Some(m.0), m.1]).flatten());
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
    for (sender, recipient, recipient_type, kind, method, status, message, at) in messages {
        if !sees_communication(viewer, recipient, recipient_type.as_deref()) {
            continue;
        }
        let to = match (recipient, recipient_type.as_deref().and_then(RecipientType::parse)) {
            (Some(id), _) => name(id),
            (None, Some(group)) => group.label().to_lowercase(),
            (None, None) => "nobody".into(),
        };
        let method = DeliveryMethod::parse(&method).map_or(method.clone(), |m| m.label().to_string());
        let status = DeliveryStatus::parse(&status).map_or(status.clone(), |s| s.label().to_lowercase());
        entries.push(Entry {
            at,
            who: name(sender),
            kind: "Communication",
            summary: format!("Sent {} {} to {to} by {method} ({status})", article(&kind), words(&kind)),
            detail: message,
            href: None,
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
    use crate::records::{Viewer, procedures::PROCEDURES, queries};
    let mut entries = Vec::new();
    for resource in PROCEDURES.iter().filter(|r| r.field("incident_id").is_some()) {
        if crate::records::rules::may_read(resource, viewer.role()).is_err() {
            continue;
        }
        let (records, _) =
            queries::list(conn, resource, Viewer::of(viewer), &[], Some(("incident_id = {}", incident_id)), 1)?;
        for record in records {
            let text = |key: &str| record.get(key).and_then(|v| v.as_str()).map(str::to_string);
            let Some(at) = text("created_at").and_then(|t| crate::web::format::parse(&t)) else { continue };
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
