//! What templates need to draw a form field: its input kind, value, choices and error.
use super::{Field, FieldError, FieldKind, Values};

/// How a form field is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Text,
    Email,
    Tel,
    Number,
    Date,
    DateTime,
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

    /// The ids of the hint and the error that describe the input, for `aria-describedby`; none when it has neither.
    pub fn described_by(&self) -> Option<String> {
        let ids: Vec<String> = [self.hint.map(|_| "hint"), self.error.as_ref().map(|_| "error")]
            .into_iter()
            .flatten()
            .map(|part| format!("{}-{part}", self.name))
            .collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

/// The form's fields with what was typed (or stored) and their errors. `references` holds each reference
/// field's choices.
pub fn form_fields(
    fields: &'static [Field],
    creating: bool,
    typed: &dyn Fn(&str) -> Option<String>,
    references: &dyn Fn(&str) -> Vec<(String, String)>,
    errors: &[FieldError],
) -> Vec<FormField> {
    fields
        .iter()
        .filter(|f| super::on_form(f, creating))
        .map(|field| {
            let (input, options) = match field.kind {
                FieldKind::Text => (Input::Text, Vec::new()),
                FieldKind::LongText => (Input::TextArea, Vec::new()),
                FieldKind::Email => (Input::Email, Vec::new()),
                FieldKind::Phone => (Input::Tel, Vec::new()),
                FieldKind::Integer { .. } | FieldKind::Decimal { .. } => (Input::Number, Vec::new()),
                FieldKind::Date => (Input::Date, Vec::new()),
                FieldKind::DateTime => (Input::DateTime, Vec::new()),
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
