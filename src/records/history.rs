//! Audit entries in words: the fields they changed by their labels, old → new, with the people and incidents they
//! name looked up, times in the reader's zone. Shared by the audit trail and each record's history. It reads the
//! records' descriptions, so it lives here, above the audit writer, which every area uses.
use super::procedures::{INCIDENT_REF, PROCEDURES, USER_REF};
use super::queries;
use super::resources::{ADMINISTERED, INCIDENT_SUMMARY};
use super::row::Cell;
use super::view as record_view;
use crate::access::Sight;
use crate::audit::AuditEntry;
use crate::audit::trail::{self, Cursor, Filter, Lookups};
use crate::domain::enums::{Choices, Role};
use crate::format;
use crate::forms::{Field, FieldKind, RefTable, field};
use serde_json::Value;

pub struct ChangeView {
    pub field: String,
    /// None for a field that was set (a record made); then only the new value is shown.
    pub old: Option<String>,
    pub new: String,
}

pub struct EntryView {
    pub id: i64,
    pub when: String,
    pub who: String,
    pub role: String,
    pub action: String,
    pub record: String,
    pub href: Option<String>,
    pub changes: Vec<ChangeView>,
    pub hash: String,
}

impl EntryView {
    /// The changes on one line, for the CSV.
    pub fn changes_text(&self) -> String {
        self.changes
            .iter()
            .map(|c| match &c.old {
                Some(old) => format!("{}: {old} → {}", c.field, c.new),
                None => format!("{}: {}", c.field, c.new),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// What a kind of record is called, where its pages are, and the descriptions of its fields.
struct Described {
    noun: &'static str,
    path: Option<&'static str>,
    fields: Vec<&'static [Field]>,
}

fn described(entity_type: &str) -> Option<Described> {
    use crate::incidents::forms as incidents;
    if let Some(resource) = ADMINISTERED.iter().chain(PROCEDURES).find(|r| r.kind == entity_type) {
        return Some(Described { noun: resource.noun, path: Some(resource.path), fields: vec![resource.fields] });
    }
    let (noun, path, fields): (&str, Option<&str>, Vec<&'static [Field]>) = match entity_type {
        "incident" => (
            INCIDENT_SUMMARY.noun,
            Some(INCIDENT_SUMMARY.path),
            vec![INCIDENT_SUMMARY.fields, incidents::EDIT_FIELDS, incidents::REPORT_FIELDS],
        ),
        "incident_escalation" => ("Escalation", None, vec![incidents::ESCALATION_FIELDS, ESCALATION_PARTS]),
        "communication" => ("Communication", None, vec![incidents::COMMUNICATION_FIELDS, PARTS]),
        "incident_update" => ("Progress update", None, vec![PARTS]),
        _ => OTHER_KINDS.iter().find(|(kind, _)| *kind == entity_type).map(|(_, noun)| (*noun, None, Vec::new()))?,
    };
    Some(Described { noun, path, fields })
}

/// What entries about an incident's parts hold besides their forms' fields.
static PARTS: &[Field] = &[field("incident_id", "Incident", FieldKind::Reference(&INCIDENT_REF))];
static ESCALATION_PARTS: &[Field] = &[
    field("incident_id", "Incident", FieldKind::Reference(&INCIDENT_REF)),
    field("status", "Status", FieldKind::Choice(crate::domain::enums::EscalationStatus::choices)),
];

/// The incident's change log calls the assignee `assigned_to`; its form `assigned_to_user_id`.
fn field_name(name: &str) -> &str {
    if name == "assigned_to" { "assigned_to_user_id" } else { name }
}

fn find_field(described: Option<&Described>, name: &str) -> Option<&'static Field> {
    let name = field_name(name);
    described?.fields.iter().flat_map(|fields| fields.iter()).find(|f| f.name == name)
}

/// "in_progress" → "In progress"; a key without a description reads as its words.
fn words(text: &str) -> String {
    let spaced = text.replace('_', " ");
    let mut chars = spaced.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn is_code(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// A value in words: a choice's label, a person's name, a time in the viewer's zone.
fn value_words(field: Option<&Field>, name: &str, value: &str, lookups: &Lookups, zone: &str) -> String {
    if value == crate::audit::REDACTED {
        return "(not shown)".into();
    }
    match field {
        Some(field) => {
            let mut cell = Cell::parse(field.kind, value);
            if let (FieldKind::Reference(target), Cell::Reference { id, label }) = (field.kind, &mut cell)
                && let Ok(id) = i32::try_from(*id)
            {
                *label = if target.table == USER_REF.table {
                    lookups.names.get(&id).cloned()
                } else {
                    lookups.labels.get(&(target.table.to_string(), id)).cloned()
                };
            }
            record_view::cell_view(field, &cell, zone).value
        }
        None if name.ends_with("_at") || name.ends_with("timestamp") || name.ends_with("_time") => {
            format::parse(value).map_or_else(|| value.to_string(), |at| format::datetime(at, zone))
        }
        None if is_code(value) => words(value),
        None => value.to_string(),
    }
}

fn entry_view(entry: &AuditEntry, name: Option<&str>, lookups: &Lookups, zone: &str) -> EntryView {
    let kind = described(&entry.entity_type);
    let noun = kind.as_ref().map_or_else(|| words(&entry.entity_type), |k| k.noun.to_string());
    let id: Option<i32> = entry.entity_id.parse().ok();
    let incident = id.and_then(|id| lookups.incidents.get(&(entry.entity_type.clone(), id)));
    let href = match (kind.as_ref().and_then(|k| k.path), id, incident) {
        (Some(path), Some(id), _) => Some(format!("{path}/{id}")),
        (None, _, Some(incident)) => Some(format!("/incidents/{incident}")),
        _ => None,
    };
    // People by their names; other records by their number, as an auditor quotes them.
    let person = id.filter(|_| entry.entity_type == "user").and_then(|id| lookups.names.get(&id));
    let record = match (incident, person) {
        _ if entry.entity_id.is_empty() => noun,
        (_, Some(name)) => format!("{noun}: {name}"),
        (Some(incident), None) => format!("{noun} number {} of incident {incident}", entry.entity_id),
        (None, None) => format!("{noun} number {}", entry.entity_id),
    };
    let changes = entry
        .changes
        .as_object()
        .map(|fields| {
            fields
                .iter()
                .map(|(name, change)| {
                    if change.get("new").and_then(Value::as_str) == Some(crate::audit::REDACTED) {
                        // A secret (a password's hash): that it was set, never what it was.
                        let field = words(name.trim_end_matches("_hash"));
                        return ChangeView { field, old: None, new: "set anew (not shown)".into() };
                    }
                    let field = find_field(kind.as_ref(), name);
                    let side = |key: &str| {
                        change
                            .get(key)
                            .and_then(Value::as_str)
                            .map(|value| value_words(field, name, value, lookups, zone))
                    };
                    let label = field.map_or_else(|| words(name.trim_end_matches("_id")), |f| f.label.to_string());
                    ChangeView { field: label, old: side("old"), new: side("new").unwrap_or_else(|| "(none)".into()) }
                })
                .collect()
        })
        .unwrap_or_default();
    EntryView {
        id: entry.audit_id,
        when: format::datetime(entry.created_at, zone),
        who: match (entry.audit_by_user, name) {
            (None, _) => "Someone not signed in".into(),
            (Some(_), Some(name)) => name.to_string(),
            (Some(id), None) => format!("User {id}"),
        },
        role: entry.actor_role.as_deref().and_then(Role::parse).map_or_else(String::new, |r| r.label().to_string()),
        action: ACTIONS
            .iter()
            .find(|(code, _)| *code == entry.action)
            .map_or_else(|| words(&entry.action), |(_, label)| label.to_string()),
        record,
        href,
        changes,
        hash: entry.entry_hash.clone(),
    }
}

/// Reads a page of entries and puts them in words.
pub fn entry_views(
    conn: &mut diesel::PgConnection,
    filter: &Filter,
    cursor: Cursor,
    limit: i64,
    (zone, viewer): (&str, Sight),
) -> diesel::QueryResult<Vec<EntryView>> {
    let entries = trail::page(conn, filter, cursor, limit)?;
    in_words(conn, &entries, zone, viewer)
}

/// Entries in words, with the people and incidents they name looked up (one statement, when they name any).
pub fn in_words(
    conn: &mut diesel::PgConnection,
    entries: &[trail::Named],
    zone: &str,
    viewer: Sight,
) -> diesel::QueryResult<Vec<EntryView>> {
    let mut people = Vec::new();
    let mut parts = Vec::new();
    // The records other than people that the entries' changes point to, by their table.
    let mut named: Vec<(&'static RefTable, Vec<i32>)> = Vec::new();
    for (entry, _) in entries {
        let kind = described(&entry.entity_type);
        if entry.entity_type == "user" {
            people.extend(entry.entity_id.parse::<i32>().ok());
        }
        if let Ok(id) = entry.entity_id.parse::<i32>()
            && trail::PARTS_OF_INCIDENTS.iter().any(|(k, ..)| *k == entry.entity_type)
        {
            parts.push((entry.entity_type.as_str(), id));
        }
        for (name, change) in entry.changes.as_object().into_iter().flatten() {
            if let Some(FieldKind::Reference(target)) = find_field(kind.as_ref(), name).map(|f| f.kind) {
                let ids = ["old", "new"].iter().filter_map(|side| change.get(side)?.as_str()?.parse::<i32>().ok());
                if target.table == USER_REF.table {
                    people.extend(ids);
                } else if let Some((_, listed)) = named.iter_mut().find(|(t, _)| t.table == target.table) {
                    listed.extend(ids);
                } else {
                    named.push((target, ids.collect()));
                }
            }
        }
    }
    // In table order, so that a page naming the same kinds of record runs the same statement text.
    named.sort_by_key(|(target, _)| target.table);
    let labels: Vec<_> = named.into_iter().map(|(target, ids)| queries::labels_query(target, ids, viewer)).collect();
    let lookups = if people.is_empty() && parts.is_empty() && labels.is_empty() {
        Lookups::default()
    } else {
        trail::lookups(conn, &people, &parts, labels)?
    };
    Ok(entries.iter().map(|(entry, name)| entry_view(entry, name.as_deref(), &lookups, zone)).collect())
}

/// The actions entries record, in words. Entries may hold others (imported ones); they read as their words.
pub const ACTIONS: &[(&str, &str)] = &[
    ("create", "Created"),
    ("update", "Updated"),
    ("approve", "Approved"),
    ("reject", "Rejected"),
    ("execute", "Carried out"),
    ("delete", "Deleted"),
    ("refuse", "Refused"),
    ("login", "Signed in"),
    ("login_failed", "Failed to sign in"),
    ("logout", "Signed out"),
    ("escalate", "Escalated"),
    ("view", "Viewed"),
    ("export", "Exported"),
];

/// The kinds of record an entry is about that have no description of their own among the records.
pub const OTHER_KINDS: &[(&str, &str)] = &[
    ("incident_update", "Progress update"),
    ("incident_escalation", "Escalation"),
    ("communication", "Communication"),
    ("audit_verification", "Audit chain check"),
];
