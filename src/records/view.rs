//! Turning records into what pages show: labels for choices, names and links for references, local times.
use super::row::{Cell, Record};
use super::spec::{Field, FieldKind, Resource};
use crate::domain::enums::ApprovalStatus;
use crate::format;
use chrono::{DateTime, Utc};

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

fn time(at: Option<DateTime<Utc>>, zone: &str) -> Option<String> {
    at.map(|at| format::datetime(at, zone))
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
    cell_view(field, record.cell(field.name), zone)
}

/// A field's value as a page shows it: a choice by its label, a reference by its name with a link, a time in the
/// viewer's zone.
pub fn cell_view(field: &Field, cell: &Cell, zone: &str) -> FieldView {
    let (value, href) = match (field.kind, cell) {
        (_, Cell::Null) => ("Not given".to_string(), None),
        (FieldKind::Choice(_), Cell::Text(value)) => (choice_label(field, value), None),
        (FieldKind::Reference(target), Cell::Reference { id, label }) => (
            label.clone().unwrap_or_else(|| format!("{} {id}", target.noun)),
            target.path.map(|path| format!("{path}/{id}")),
        ),
        (_, Cell::Time(at)) => (format::datetime(*at, zone), None),
        (_, other) => (other.to_string(), None),
    };
    FieldView { name: field.name, label: field.label, value, href }
}

fn shown(resource: &'static Resource) -> impl Iterator<Item = &'static Field> {
    resource.fields.iter().filter(|f| !matches!(f.kind, FieldKind::NewPassword))
}

pub fn record_view(resource: &'static Resource, record: &Record, zone: &str) -> RecordView {
    let approval = record.decision.as_ref().map(|decision| ApprovalView {
        status: decision.status,
        decided_by: decision.decided_by_name.clone(),
        decided_at: time(decision.decided_at, zone),
        reason: decision.rejection_reason.clone(),
    });
    RecordView {
        id: record.id,
        title: record.title.clone(),
        fields: shown(resource).map(|f| field_view(f, record, zone)).collect(),
        created_at: format::datetime(record.created_at, zone),
        updated_at: time(record.updated_at, zone),
        lock_version: record.lock_version.unwrap_or_default(),
        approval,
    }
}

pub fn row_view(resource: &'static Resource, record: &Record, zone: &str) -> RowView {
    let cells =
        resource.columns.iter().filter_map(|name| resource.field(name)).map(|f| field_view(f, record, zone)).collect();
    RowView { href: format!("{}/{}", resource.path, record.id), title: record.title.clone(), cells }
}
