//! Forms described as data: each field's name (the domain field name), label, kind and rules. Reading a
//! submission checks required values, types, ranges and choices; `view` turns fields into what templates draw.
//! Pure: no database, no actix.
pub mod address;
pub mod password;
pub mod view;

use chrono::{Datelike, NaiveDate};
use std::collections::{BTreeMap, HashMap};

pub type ChoiceList = fn() -> Vec<(&'static str, &'static str)>;

/// A table other records point to, and how to name one of its records:
/// `RefTable::new(table!(clients), column!(clients, client_id), Rows::Clients).label("client_name")...`.
#[derive(Debug)]
pub struct RefTable {
    pub table: &'static str,
    pub key: &'static str,
    /// SQL expression over the table that names a record in choices and pages.
    pub label: &'static str,
    /// "client", for messages.
    pub noun: &'static str,
    /// Where a record's page is, if it has one: "/clients".
    pub path: Option<&'static str>,
    /// How the table's rows are tied to what an actor sees.
    pub rows: crate::access::Rows,
}

impl RefTable {
    /// A table whose records are named by `key` until `label` says how, with no page.
    pub const fn new(table: &'static str, key: &'static str, rows: crate::access::Rows) -> RefTable {
        RefTable { table, key, label: key, noun: table, path: None, rows }
    }

    pub const fn label(self, label: &'static str) -> RefTable {
        RefTable { label, ..self }
    }

    pub const fn noun(self, noun: &'static str) -> RefTable {
        RefTable { noun, ..self }
    }

    pub const fn page(self, path: &'static str) -> RefTable {
        RefTable { path: Some(path), ..self }
    }
}

#[derive(Debug, Clone, Copy)]
pub enum FieldKind {
    Text,
    LongText,
    Email,
    Phone,
    Integer {
        min: i64,
        max: i64,
    },
    Decimal {
        min: f64,
        max: f64,
    },
    Date,
    /// A date and time as typed in the user's time zone (`datetime-local`), kept as `YYYY-MM-DDTHH:MM`.
    DateTime,
    Choice(ChoiceList),
    Reference(&'static RefTable),
    /// Write-only: hashed when given, never read back or shown.
    NewPassword,
}

impl FieldKind {
    /// The SQL type a submitted text is cast to.
    pub fn sql_type(self) -> &'static str {
        match self {
            FieldKind::Integer { .. } | FieldKind::Reference(_) => "integer",
            FieldKind::Decimal { .. } => "double precision",
            FieldKind::Date => "date",
            FieldKind::DateTime => "timestamptz",
            _ => "text",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Editable {
    Always,
    OnlyOnCreate,
    /// Not on the form that creates a record, which starts at the field's default (e.g. a status).
    OnlyOnUpdate,
    /// Shown and filterable, but set by the product, never typed (e.g. approval status).
    Never,
}

#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    pub required: bool,
    pub hint: Option<&'static str>,
    pub editable: Editable,
    /// The value a new record's form starts with.
    pub default: Option<&'static str>,
    /// Required when editing, but may be left empty when creating: the record then starts at the default.
    pub optional_on_create: bool,
    /// What to say when a required field is left empty, where "Enter the <label>" would not read well.
    pub missing: Option<&'static str>,
}

/// A required field that is always on the form; the methods below adjust it.
pub const fn field(name: &'static str, label: &'static str, kind: FieldKind) -> Field {
    Field {
        name,
        label,
        kind,
        required: true,
        hint: None,
        editable: Editable::Always,
        default: None,
        optional_on_create: false,
        missing: None,
    }
}

impl Field {
    pub const fn optional(mut self) -> Self {
        self.required = false;
        self
    }
    pub const fn hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }
    pub const fn default(mut self, value: &'static str) -> Self {
        self.default = Some(value);
        self
    }
    /// The message for an empty required field, written for it: "Enter when the incident was detected".
    pub const fn missing(mut self, message: &'static str) -> Self {
        self.missing = Some(message);
        self
    }
    pub const fn only_on_create(mut self) -> Self {
        self.editable = Editable::OnlyOnCreate;
        self
    }
    pub const fn only_on_update(mut self) -> Self {
        self.editable = Editable::OnlyOnUpdate;
        self
    }
    pub const fn read_only(mut self) -> Self {
        self.editable = Editable::Never;
        self
    }
    /// An input the policy makes optional when a record is made (a status with a default), which its edits keep.
    pub const fn optional_on_create(mut self) -> Self {
        self.optional_on_create = true;
        self
    }
    /// Whether a value must be given on the form that creates (or edits) a record.
    pub fn required_on(&self, creating: bool) -> bool {
        self.required && !(creating && self.optional_on_create)
    }
}

/// A form field's error, linked from the error summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    /// What a rule of one field says, as that field's errors: none when it holds.
    pub fn of(field: &'static str, rule: Result<(), String>) -> Vec<FieldError> {
        rule.err().map(|message| FieldError { field, message }).into_iter().collect()
    }
}

/// Submitted values after checking, as normalised text (`None` for empty), keyed by field name.
pub type Values = BTreeMap<&'static str, Option<String>>;

/// The most characters a text field takes.
pub const MAX_TEXT: usize = 200;
/// Dates outside these years are typing mistakes (and outside what every part of the stack can store).
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;
/// The most characters a long text takes.
pub const MAX_LONG_TEXT: usize = 20_000;

/// Whether a field is on the form: every field when creating, only editable ones when editing.
pub fn on_form(field: &Field, creating: bool) -> bool {
    match field.editable {
        Editable::Always => true,
        Editable::OnlyOnCreate => creating,
        Editable::OnlyOnUpdate => !creating,
        Editable::Never => false,
    }
}

pub fn parse(fields: &'static [Field], input: &HashMap<String, String>, creating: bool) -> (Values, Vec<FieldError>) {
    let mut values = Values::new();
    let mut errors = Vec::new();
    for field in fields.iter().filter(|f| on_form(f, creating)) {
        let raw = input.get(field.name).map(|v| v.trim()).filter(|v| !is_blank(v));
        match raw.map(|text| parse_value(field, text)).transpose() {
            Ok(Some(value)) => {
                values.insert(field.name, Some(value));
            }
            Ok(None) if field.required_on(creating) => {
                errors.push(FieldError { field: field.name, message: missing(field) })
            }
            Ok(None) => {
                values.insert(field.name, None);
            }
            Err(message) => errors.push(FieldError { field: field.name, message }),
        }
    }
    (values, errors)
}

/// A submission read into a use case's typed input: `parse` checks each field, then `build` takes the checked
/// values as their types through `Typed`. A field that is missing or does not read as its type is an error naming
/// it, never a default: the input exists only when every field read.
pub fn read<T>(
    fields: &'static [Field],
    submitted: &HashMap<String, String>,
    build: impl FnOnce(&mut Typed<'_>) -> Option<T>,
) -> Result<T, Vec<FieldError>> {
    let (values, errors) = parse(fields, submitted, true);
    let mut typed = Typed { fields, values: &values, errors };
    let input = build(&mut typed);
    match input {
        Some(input) if typed.errors.is_empty() => Ok(input),
        _ => Err(typed.errors),
    }
}

/// Checked values, taken as the types a use case wants; what does not read becomes its field's error.
pub struct Typed<'a> {
    fields: &'static [Field],
    values: &'a Values,
    errors: Vec<FieldError>,
}

impl<'a> Typed<'a> {
    /// A value that must be there.
    pub fn required<T: std::str::FromStr>(&mut self, name: &'static str) -> Option<T> {
        let value = self.optional(name);
        if value.is_none() {
            let message = self.field(name).map_or_else(|| format!("Enter the {name}."), missing);
            self.refuse(name, message);
        }
        value
    }

    /// A value that may be left empty: `None` then; a value that does not read as `T` is an error.
    pub fn optional<T: std::str::FromStr>(&mut self, name: &'static str) -> Option<T> {
        let text = self.text(name)?;
        let value = text.parse().ok();
        if value.is_none() {
            let message = match self.field(name).map(|f| (f.label, f.kind)) {
                Some((_, FieldKind::Reference(target))) => format!("Choose a {} from the list.", target.noun),
                Some((label, _)) => format!("{label}: the value {text:?} cannot be read."),
                None => format!("The value {text:?} cannot be read."),
            };
            self.refuse(name, message);
        }
        value
    }

    /// The checked text of a field, `None` when left empty.
    pub fn text(&self, name: &str) -> Option<&'a str> {
        self.values.get(name).and_then(|v| v.as_deref())
    }

    /// Refuses a field with `message`, unless checking it already said what is wrong.
    pub fn refuse(&mut self, field: &'static str, message: impl Into<String>) {
        if !self.errors.iter().any(|e| e.field == field) {
            self.errors.push(FieldError { field, message: message.into() });
        }
    }

    fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// The version of the record a form was shown with (its hidden `lock_version`), if it has a readable one; the
/// service refuses a save without it.
pub fn lock_version(input: &HashMap<String, String>) -> Option<i32> {
    input.get("lock_version").and_then(|v| v.trim().parse::<i32>().ok())
}

/// Whether a text shows nothing: only spaces, line breaks, control characters and the characters Unicode says
/// to draw as nothing (zero-width spaces, byte-order marks, direction marks, variation selectors). Such text
/// must not pass for a filled-in field.
pub fn is_blank(text: &str) -> bool {
    text.chars().all(|c| c.is_whitespace() || c.is_control() || is_default_ignorable(c))
}

/// Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt, Unicode 15.1).
fn is_default_ignorable(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}'..='\u{1160}' | '\u{17B4}'..='\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}'
        | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// A label inside a sentence: in lower case, but for the abbreviations it holds ("the SLA tier").
pub fn in_sentence(label: &str) -> String {
    let is_abbreviation =
        |word: &str| word.chars().filter(|c| c.is_alphabetic()).count() > 1 && word == word.to_uppercase();
    label
        .split(' ')
        .map(|word| if is_abbreviation(word) { word.to_string() } else { word.to_lowercase() })
        .collect::<Vec<_>>()
        .join(" ")
}

fn missing(field: &Field) -> String {
    if let Some(message) = field.missing {
        return message.to_string();
    }
    let what = in_sentence(field.label);
    match field.kind {
        FieldKind::Choice(_) | FieldKind::Reference(_) => format!("Choose the {what}."),
        _ => format!("Enter the {what}."),
    }
}

fn parse_value(field: &Field, text: &str) -> Result<String, String> {
    let label = field.label;
    if text.contains('\0') {
        return Err(format!("{label} must not contain NUL characters."));
    }
    let limit = if matches!(field.kind, FieldKind::LongText) { MAX_LONG_TEXT } else { MAX_TEXT };
    if text.chars().count() > limit {
        return Err(format!("{label} must be {limit} characters or fewer."));
    }
    match field.kind {
        FieldKind::Text | FieldKind::LongText => Ok(text.to_string()),
        FieldKind::Email => {
            let parts: Vec<&str> = text.split('@').collect();
            let valid =
                parts.len() == 2 && parts.iter().all(|p| !p.is_empty()) && !text.chars().any(char::is_whitespace);
            if valid {
                Ok(text.to_string())
            } else {
                Err(format!("{label}: enter an email address like name@example.com."))
            }
        }
        FieldKind::Phone => {
            let digits = text.strip_prefix('+').unwrap_or_default();
            if (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
                Ok(text.to_string())
            } else {
                Err(format!("{label}: enter a phone number in international format, like +15551234567."))
            }
        }
        FieldKind::Integer { min, max } => match text.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n.to_string()),
            Ok(_) => Err(format!("{label} must be between {min} and {max}.")),
            Err(_) => Err(format!("{label} must be a whole number, like {min}.")),
        },
        FieldKind::Decimal { min, max } => match text.parse::<f64>() {
            Ok(n) if n.is_finite() && (min..=max).contains(&n) => Ok(n.to_string()),
            Ok(_) => Err(format!("{label} must be between {min} and {max}.")),
            Err(_) => Err(format!("{label} must be a number, like 99.5.")),
        },
        FieldKind::Date => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .filter(|d| YEARS.contains(&d.year()))
            .map(|d| d.format("%Y-%m-%d").to_string())
            .ok_or_else(|| format!("{label} must be a real date between the years 1900 and 2200, like 2026-01-31.")),
        FieldKind::DateTime => ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
            .iter()
            .find_map(|format| chrono::NaiveDateTime::parse_from_str(text, format).ok())
            .filter(|at| YEARS.contains(&at.year()))
            .map(|at| at.format("%Y-%m-%dT%H:%M").to_string())
            .ok_or_else(|| format!("{label} must be a real date and time, like 2026-01-31 14:30.")),
        FieldKind::Choice(choices) => {
            let choices = choices();
            if choices.iter().any(|(value, _)| *value == text) {
                Ok(text.to_string())
            } else {
                let names: Vec<&str> = choices.iter().map(|(_, label)| *label).collect();
                Err(format!("{label} must be one of: {}.", names.join(", ")))
            }
        }
        FieldKind::Reference(target) => match text.parse::<i32>() {
            Ok(id) if id > 0 => Ok(id.to_string()),
            _ => Err(format!("Choose a {} from the list.", target.noun)),
        },
        FieldKind::NewPassword => password::check_new_password(text).map(|_| text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_inside_a_sentence_keeps_its_abbreviations() {
        for (label, words) in
            [("Client type", "client type"), ("SLA tier", "SLA tier"), ("RTO (hours)", "RTO (hours)"), ("Name", "name")]
        {
            assert_eq!(in_sentence(label), words);
        }
    }
    use crate::records::resources::{COMPONENTS, SUBSCRIPTIONS, USERS, VENDORS};
    use crate::records::spec::Resource;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn error_of(resource: &'static Resource, pairs: &[(&str, &str)], field: &str) -> Option<String> {
        parse(resource.fields, &form(pairs), true).1.into_iter().find(|e| e.field == field).map(|e| e.message)
    }

    #[test]
    fn each_kind_of_bad_value_gets_a_message_naming_the_field() {
        let cases: &[(&'static Resource, &str, &str, &str)] = &[
            (&VENDORS, "contact_email", "not-an-email", "Contact email: enter an email address"),
            (&VENDORS, "contact_phone", "555-1234", "Contact phone: enter a phone number"),
            (&VENDORS, "vendor_type", "pirate", "Vendor type must be one of"),
            (&VENDORS, "vendor_name", "", "Enter the name."),
            (&VENDORS, "vendor_name", "\u{200B}\u{FEFF} \u{2060}", "Enter the name."),
            (&VENDORS, "vendor_name", "nul\0byte", "must not contain NUL"),
            (&COMPONENTS, "port_number", "70000", "Port must be between 1 and 65535."),
            (&COMPONENTS, "port_number", "eighty", "Port must be a whole number"),
            (&COMPONENTS, "product_id", "-3", "Choose a product from the list."),
            (&SUBSCRIPTIONS, "start_date", "2026-02-30", "Start date must be a real date"),
            (&SUBSCRIPTIONS, "client_id", "", "Choose the client."),
            (&USERS, "password", "short", "at least 12 characters"),
        ];
        for (resource, field, value, expected) in cases {
            let message = error_of(resource, &[(field, value)], field).unwrap_or_default();
            assert!(message.contains(expected), "{field}={value:?}: {message:?}");
        }
        let long = "x".repeat(201);
        assert!(
            error_of(&VENDORS, &[("vendor_name", &long)], "vendor_name").unwrap().contains("200 characters or fewer")
        );
    }

    #[test]
    fn good_values_are_normalised_and_optional_ones_may_be_empty() {
        let (values, errors) = parse(
            COMPONENTS.fields,
            &form(&[
                ("component_name", " Db-1 "),
                ("component_type", "Database"),
                ("environment", "production"),
                ("port_number", "05432"),
                ("operational_status", "operational"),
            ]),
            true,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(values["component_name"].as_deref(), Some("Db-1"));
        assert_eq!(values["port_number"].as_deref(), Some("5432"));
        assert_eq!(values["product_id"], None);
    }

    #[test]
    fn text_is_blank_when_it_shows_nothing() {
        for (text, blank) in [
            ("", true),
            (" \t\r\n", true),
            ("\u{200B}", true),
            ("\u{FEFF}\u{200E}\u{200F}", true),
            ("\u{00AD}\u{3164}\u{FE0F}", true),
            ("\u{1}\u{7F}", true),
            ("x", false),
            (" \u{200B}x\u{200B} ", false),
            ("👩\u{200D}💻", false),
            ("\u{00A0}é", false),
        ] {
            assert_eq!(is_blank(text), blank, "{text:?}");
        }
    }

    #[test]
    fn create_only_fields_are_not_read_when_editing() {
        let (values, _) = parse(USERS.fields, &form(&[("password", "x")]), false);
        assert!(!values.contains_key("password"));
    }
}
