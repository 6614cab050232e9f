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
                required: field.required_on(creating),
                input,
                value,
                options,
                error: errors.iter().find(|e| e.field == field.name).map(|e| e.message.clone()),
            }
        })
        .collect()
}

/// A filter's group of checkboxes, which folds away but keeps saying what it holds: its name, its choices and what
/// is chosen in words.
pub struct CheckGroup {
    pub name: &'static str,
    pub label: &'static str,
    /// (value, label, checked)
    pub options: Vec<(&'static str, &'static str, bool)>,
    /// What is chosen ("Open, Investigating"), or "Any" when nothing narrows the list.
    pub chosen: String,
}

impl CheckGroup {
    /// The choices, with those whose value `is_chosen` says ticked.
    pub fn new(
        name: &'static str,
        label: &'static str,
        choices: Vec<(&'static str, &'static str)>,
        is_chosen: impl Fn(&str) -> bool,
    ) -> Self {
        let options: Vec<_> = choices.into_iter().map(|(value, text)| (value, text, is_chosen(value))).collect();
        let picked: Vec<&str> = options.iter().filter(|(_, _, on)| *on).map(|(_, text, _)| *text).collect();
        let chosen = if picked.is_empty() || picked.len() == options.len() { "Any".into() } else { picked.join(", ") };
        CheckGroup { name, label, options, chosen }
    }
}

/// The stored values as a form shows them.
pub fn typed_from(values: &Values) -> impl Fn(&str) -> Option<String> + '_ {
    move |name| values.get(name).cloned().flatten()
}
