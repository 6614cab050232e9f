//! Turning records into what pages show: labels for choices, names and links for references, local times.
use super::form::Values;
use super::queries::Record;
use super::spec::{Field, FieldKind, Resource};
use crate::domain::enums::ApprovalStatus;
use crate::web::format;
use crate::web::page::FieldError;
use serde_json::Value;

pub struct FieldView {
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

pub fn field_view(field: &Field, record: &Record) -> FieldView {
    let raw = text(record, field.name);
    let (value, href) = match (field.kind, raw) {
        (_, None) => ("Not given".to_string(), None),
        (FieldKind::Choice(choices), Some(value)) => {
            (choices().into_iter().find(|(v, _)| *v == value).map_or(value, |(_, label)| label.to_string()), None)
        }
        (FieldKind::Reference(target), Some(id)) => {
            let name =
                text(record, &format!("{}__label", field.name)).unwrap_or_else(|| format!("{} {id}", target.noun));
            (name, target.path.map(|path| format!("{path}/{id}")))
        }
        (_, Some(value)) => (value, None),
    };
    FieldView { label: field.label, value, href }
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
        fields: shown(resource).map(|f| field_view(f, record)).collect(),
        created_at: time(record, "created_at", zone).unwrap_or_default(),
        updated_at: time(record, "updated_at", zone),
        lock_version: record.get("lock_version").and_then(Value::as_i64).unwrap_or_default() as i32,
        approval,
    }
}

pub fn row_view(resource: &'static Resource, record: &Record) -> RowView {
    let cells =
        resource.columns.iter().filter_map(|name| resource.field(name)).map(|f| field_view(f, record)).collect();
    RowView {
        href: format!("{}/{}", resource.path, id_of(resource, record)),
        title: text(record, "__title").unwrap_or_default(),
        cells,
    }
}

/// How a form field is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Text,
    Email,
    Tel,
    Number,
    Date,
    TextArea,
    Password,
    Radios,
    Select,
}

pub struct FormField {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: Option<&'static str>,
    pub required: bool,
    pub input: Input,
    pub value: String,
    pub options: Vec<(String, String)>,
    pub error: Option<String>,
}

impl FormField {
    pub fn is(&self, input: Input) -> bool {
        self.input == input
    }

    pub fn selected(&self, option: &str) -> bool {
        self.value == option
    }
}

/// The form's fields with what was typed (or stored) and their errors. `references` holds each reference
/// field's choices.
pub fn form_fields(
    resource: &'static Resource,
    creating: bool,
    typed: &dyn Fn(&str) -> Option<String>,
    references: &dyn Fn(&str) -> Vec<(String, String)>,
    errors: &[FieldError],
) -> Vec<FormField> {
    resource
        .fields
        .iter()
        .filter(|f| super::form::on_form(f, creating))
        .map(|field| {
            let (input, options) = match field.kind {
                FieldKind::Text => (Input::Text, Vec::new()),
                FieldKind::LongText => (Input::TextArea, Vec::new()),
                FieldKind::Email => (Input::Email, Vec::new()),
                FieldKind::Phone => (Input::Tel, Vec::new()),
                FieldKind::Integer { .. } | FieldKind::Decimal { .. } => (Input::Number, Vec::new()),
                FieldKind::Date => (Input::Date, Vec::new()),
                FieldKind::NewPassword => (Input::Password, Vec::new()),
                FieldKind::Choice(choices) => {
                    let options: Vec<(String, String)> =
                        choices().into_iter().map(|(v, l)| (v.to_string(), l.to_string())).collect();
                    // Up to five choices read best as radio buttons; more as a list.
                    (if options.len() <= 5 { Input::Radios } else { Input::Select }, options)
                }
                FieldKind::Reference(_) => (Input::Select, references(field.name)),
            };
            let value = if input == Input::Password { String::new() } else { typed(field.name).unwrap_or_default() };
            FormField {
                name: field.name,
                label: field.label,
                hint: field.hint,
                required: field.required,
                input,
                value,
                options,
                error: errors.iter().find(|e| e.field == field.name).map(|e| e.message.clone()),
            }
        })
        .collect()
}

/// The stored values as a form shows them.
pub fn typed_from(values: &Values) -> impl Fn(&str) -> Option<String> + '_ {
    move |name| values.get(name).cloned().flatten()
}
