//! Turning records into what pages show: labels for choices, names and links for references, local times.
use super::queries::Record;
use super::spec::{Field, FieldKind, Resource};
use crate::domain::enums::ApprovalStatus;
use crate::format;
use serde_json::Value;

pub struct FieldView {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
    pub href: Option<String>,
}

pub struct RowView {
    pub href: String,
    pub title: String,
    pub cells: Vec<FieldView>,
}

pub struct ApprovalView {
    pub status: ApprovalStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub reason: Option<String>,
}

pub struct RecordView {
    pub id: i32,
    pub title: String,
    pub fields: Vec<FieldView>,
    pub created_at: String,
    pub updated_at: Option<String>,
    pub lock_version: i32,
    pub approval: Option<ApprovalView>,
}

fn text(record: &Record, name: &str) -> Option<String> {
    match record.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    }
}

fn time(record: &Record, name: &str, zone: &str) -> Option<String> {
    text(record, name).map(|t| format::parse(&t).map_or(t, |at| format::datetime(at, zone)))
}

pub fn id_of(resource: &Resource, record: &Record) -> i32 {
    record.get(resource.key).and_then(Value::as_i64).unwrap_or_default() as i32
}

/// The words for a choice's value ("In progress" for `in_progress`), or the value itself if it is no choice.
pub fn choice_label(field: &Field, value: &str) -> String {
    match field.kind {
        FieldKind::Choice(choices) => {
            choices().into_iter().find(|(v, _)| *v == value).map_or(value, |(_, label)| label).to_string()
        }
        _ => value.to_string(),
    }
}

pub fn field_view(field: &Field, record: &Record, zone: &str) -> FieldView {
    let raw = text(record, field.name);
    let (value, href) = match (field.kind, raw) {
        (_, None) => ("Not given".to_string(), None),
        (FieldKind::Choice(_), Some(value)) => (choice_label(field, &value), None),
        (FieldKind::Reference(target), Some(id)) => {
            let name =
                text(record, &format!("{}__label", field.name)).unwrap_or_else(|| format!("{} {id}", target.noun));
            (name, target.path.map(|path| format!("{path}/{id}")))
        }
        (FieldKind::DateTime, Some(value)) => {
            (format::parse(&value).map_or(value, |at| format::datetime(at, zone)), None)
        }
        (_, Some(value)) => (value, None),
    };
    FieldView { name: field.name, label: field.label, value, href }
}

fn shown(resource: &'static Resource) -> impl Iterator<Item = &'static Field> {
    resource.fields.iter().filter(|f| !matches!(f.kind, FieldKind::NewPassword))
}

pub fn record_view(resource: &'static Resource, record: &Record, zone: &str) -> RecordView {
    let approval = resource.approval.then(|| ApprovalView {
        status: text(record, "approval_status")
            .as_deref()
            .and_then(ApprovalStatus::parse)
            .unwrap_or(ApprovalStatus::Approved),
        decided_by: text(record, "approval_decided_by__label"),
        decided_at: time(record, "approval_decided_at", zone),
        reason: text(record, "rejection_reason"),
    });
    RecordView {
        id: id_of(resource, record),
        title: text(record, "__title").unwrap_or_default(),
        fields: shown(resource).map(|f| field_view(f, record, zone)).collect(),
        created_at: time(record, "created_at", zone).unwrap_or_default(),
        updated_at: time(record, "updated_at", zone),
        lock_version: record.get("lock_version").and_then(Value::as_i64).unwrap_or_default() as i32,
        approval,
    }
}

pub fn row_view(resource: &'static Resource, record: &Record, zone: &str) -> RowView {
    let cells =
        resource.columns.iter().filter_map(|name| resource.field(name)).map(|f| field_view(f, record, zone)).collect();
    RowView {
        href: format!("{}/{}", resource.path, id_of(resource, record)),
        title: text(record, "__title").unwrap_or_default(),
        cells,
    }
}
