//! A record as the engine reads it: the parts every record has, typed, and its described fields as cells whose
//! type follows each field's kind. A row is decoded once, where it is read (`queries`); nothing above sees the
//! JSON that carries it from PostgreSQL, and a row that does not decode is an error, never a row left out. A
//! submission is read the same way once its form is checked (`Cells::submitted`), so the rules read a record and
//! a form alike.
use super::columns;
use super::spec::{Field, FieldKind, Resource};
use crate::domain::enums::ApprovalStatus;
use crate::forms::Values;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};
use std::fmt;

/// A described field's value, of the type its kind gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    Integer(i64),
    Decimal(f64),
    Date(NaiveDate),
    Time(DateTime<Utc>),
    /// Another record's id, and its name when it lies in the reader's sight.
    Reference {
        id: i64,
        label: Option<String>,
    },
}

impl Cell {
    /// A value as a form or the audit trail writes it, read as the field's kind reads it; a text that is not of
    /// the kind stays text. Numbers and dates are read only as a checked form writes them, so a cell always
    /// writes back the text it was read from.
    pub fn parse(kind: FieldKind, text: &str) -> Cell {
        let as_written = |cell: Cell| if cell.to_string() == text { cell } else { Cell::Text(text.into()) };
        match kind {
            FieldKind::Reference(_) => {
                text.parse().map_or_else(|_| Cell::Text(text.into()), |id| Cell::Reference { id, label: None })
            }
            FieldKind::DateTime => crate::format::parse(text).map_or_else(|| Cell::Text(text.into()), Cell::Time),
            FieldKind::Integer { .. } => {
                text.parse::<i64>().map_or_else(|_| Cell::Text(text.into()), |n| as_written(Cell::Integer(n)))
            }
            FieldKind::Date => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_or_else(|_| Cell::Text(text.into()), |date| as_written(Cell::Date(date))),
            _ => Cell::Text(text.into()),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }
}

/// The value as a form holds it: times in RFC 3339, dates as `YYYY-MM-DD`, numbers in digits.
impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Null => Ok(()),
            Cell::Text(text) => f.write_str(text),
            Cell::Integer(n) | Cell::Reference { id: n, .. } => write!(f, "{n}"),
            Cell::Decimal(x) => write!(f, "{x}"),
            Cell::Date(date) => write!(f, "{}", date.format("%Y-%m-%d")),
            Cell::Time(at) => f.write_str(&at.to_rfc3339()),
        }
    }
}

/// How a record that waits for approval was decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub status: ApprovalStatus,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<i32>,
    /// The name of the person who decided.
    pub decided_by_name: Option<String>,
    pub rejection_reason: Option<String>,
}

/// A record of a described type.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub id: i32,
    /// The record's name, as its description's title expression gives it.
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub lock_version: Option<i32>,
    /// The name of the person the record's actor column names (who issued, requested, recorded it).
    pub actor: Option<String>,
    /// The approval, for records that wait for one.
    pub decision: Option<Decision>,
    /// The described fields, read through `Deref`: `record.text(column!(table, column))`.
    cells: Cells,
    /// Columns whose value is a JSON document (a report's snapshot), by column name.
    documents: Vec<(&'static str, Value)>,
}

static NULL: Cell = Cell::Null;

/// Described fields' values by column name, each a cell of its kind's type: a stored record's, or a checked
/// submission's. Read by names that `column!` checks against the schema.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cells(Vec<(&'static str, Cell)>);

impl Cells {
    /// A submission's values, checked by `forms::parse`, read as their fields' kinds read them. Every value a
    /// checked form holds reads as its kind, so a value of the wrong type never reaches the rules: it is the form's
    /// error naming its field. Fields the submission does not hold are not read; passwords are never read.
    pub fn submitted(fields: &'static [Field], values: &Values) -> Cells {
        Cells(
            fields
                .iter()
                .filter(|f| !matches!(f.kind, FieldKind::NewPassword))
                .filter_map(|f| {
                    let value = values.get(f.name)?.as_deref();
                    Some((f.name, value.map_or(Cell::Null, |text| Cell::parse(f.kind, text))))
                })
                .collect(),
        )
    }

    /// A described field's value; `Null` when it is empty or not read.
    pub fn cell(&self, column: &str) -> &Cell {
        self.0.iter().find(|(name, _)| *name == column).map_or(&NULL, |(_, cell)| cell)
    }

    pub fn text(&self, column: &str) -> Option<&str> {
        match self.cell(column) {
            Cell::Text(text) => Some(text),
            _ => None,
        }
    }

    /// A choice, read as its enum: `cells.choice(column!(users, role), Role::parse)`.
    pub fn choice<T>(&self, column: &str, parse: impl FnOnce(&str) -> Option<T>) -> Option<T> {
        self.text(column).and_then(parse)
    }

    /// An integer field, or a reference's id.
    pub fn integer(&self, column: &str) -> Option<i64> {
        match self.cell(column) {
            Cell::Integer(n) | Cell::Reference { id: n, .. } => Some(*n),
            _ => None,
        }
    }

    /// The id of the record a reference field names, as the key it is.
    pub fn reference(&self, column: &str) -> Option<i32> {
        match self.cell(column) {
            Cell::Reference { id, .. } => i32::try_from(*id).ok(),
            _ => None,
        }
    }

    pub fn date(&self, column: &str) -> Option<NaiveDate> {
        match self.cell(column) {
            Cell::Date(date) => Some(*date),
            _ => None,
        }
    }

    pub fn time(&self, column: &str) -> Option<DateTime<Utc>> {
        match self.cell(column) {
            Cell::Time(at) => Some(*at),
            _ => None,
        }
    }

    pub fn is_set(&self, column: &str) -> bool {
        !self.cell(column).is_null()
    }
}

#[cfg(test)]
impl Cells {
    /// A submission of `resource` given as (field, text) pairs, as the rules' tests write one.
    pub fn of(resource: &'static Resource, pairs: &[(&'static str, &str)]) -> Cells {
        let values: Values = pairs.iter().map(|(name, text)| (*name, Some(text.to_string()))).collect();
        Cells::submitted(resource.fields, &values)
    }
}

/// A record reads its described fields as any cells are read.
impl std::ops::Deref for Record {
    type Target = Cells;

    fn deref(&self) -> &Cells {
        &self.cells
    }
}

impl Record {
    /// A JSON document the description reads besides its fields.
    pub fn document(&self, column: &str) -> Option<&Value> {
        self.documents.iter().find(|(name, _)| *name == column).map(|(_, value)| value)
    }
}

/// Why a row could not be read as a record of its type.
#[derive(Debug, PartialEq)]
pub struct DecodeError(pub String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

/// The columns of one row, as the select list of `queries` names them.
struct Row<'a> {
    table: &'static str,
    columns: &'a Map<String, Value>,
}

impl Row<'_> {
    fn wrong(&self, column: &str, what: &str) -> DecodeError {
        let value = self.columns.get(column).unwrap_or(&Value::Null);
        DecodeError(format!("{}.{column} is not {what}: {value}", self.table))
    }

    fn value(&self, column: &str) -> Option<&Value> {
        self.columns.get(column).filter(|v| !v.is_null())
    }

    fn text(&self, column: &str) -> Result<Option<String>, DecodeError> {
        self.value(column).map(|v| v.as_str().map(str::to_string).ok_or_else(|| self.wrong(column, "text"))).transpose()
    }

    fn integer(&self, column: &str) -> Result<Option<i64>, DecodeError> {
        self.value(column).map(|v| v.as_i64().ok_or_else(|| self.wrong(column, "an integer"))).transpose()
    }

    fn int(&self, column: &str) -> Result<Option<i32>, DecodeError> {
        self.integer(column)?.map(|n| i32::try_from(n).map_err(|_| self.wrong(column, "a 32-bit integer"))).transpose()
    }

    fn time(&self, column: &str) -> Result<Option<DateTime<Utc>>, DecodeError> {
        self.text(column)?
            .map(|text| crate::format::parse(&text).ok_or_else(|| self.wrong(column, "a time")))
            .transpose()
    }

    fn required<T>(&self, column: &str, value: Option<T>) -> Result<T, DecodeError> {
        value.ok_or_else(|| self.wrong(column, "given"))
    }

    fn cell(&self, column: &str, kind: FieldKind) -> Result<Cell, DecodeError> {
        let Some(value) = self.value(column) else { return Ok(Cell::Null) };
        Ok(match kind {
            // A number the form asks for may be kept in a text column (a port), where an import may have put any text.
            FieldKind::Integer { .. } if value.is_string() => Cell::Text(self.required(column, self.text(column)?)?),
            FieldKind::Integer { .. } => Cell::Integer(self.required(column, self.integer(column)?)?),
            FieldKind::Decimal { .. } => Cell::Decimal(value.as_f64().ok_or_else(|| self.wrong(column, "a number"))?),
            FieldKind::Date => {
                let text = self.required(column, self.text(column)?)?;
                Cell::Date(NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| self.wrong(column, "a date"))?)
            }
            FieldKind::DateTime => Cell::Time(self.required(column, self.time(column)?)?),
            FieldKind::Reference(_) => Cell::Reference {
                id: self.required(column, self.integer(column)?)?,
                label: self.text(&format!("{column}__label"))?,
            },
            FieldKind::Text
            | FieldKind::LongText
            | FieldKind::Email
            | FieldKind::Phone
            | FieldKind::Choice(_)
            | FieldKind::NewPassword => Cell::Text(self.required(column, self.text(column)?)?),
        })
    }
}

/// A row of `resource`, as `queries`' select list gives it in JSON, read as a record.
pub fn decode(resource: &Resource, columns: &Map<String, Value>) -> Result<Record, DecodeError> {
    let row = Row { table: resource.table, columns };
    let decision = if resource.approval {
        let status = row.text(columns::APPROVAL_STATUS)?;
        Some(Decision {
            status: ApprovalStatus::parse(&row.required(columns::APPROVAL_STATUS, status)?)
                .ok_or_else(|| row.wrong(columns::APPROVAL_STATUS, "an approval status"))?,
            decided_at: row.time(columns::APPROVAL_DECIDED_AT)?,
            decided_by: row.int(columns::APPROVAL_DECIDED_BY)?,
            decided_by_name: row.text("approval_decided_by__label")?,
            rejection_reason: row.text(columns::REJECTION_REASON)?,
        })
    } else {
        None
    };
    Ok(Record {
        id: row.required(resource.key, row.int(resource.key)?)?,
        title: row.text("__title")?.unwrap_or_default(),
        created_at: row.required(columns::CREATED_AT, row.time(columns::CREATED_AT)?)?,
        updated_at: row.time(columns::UPDATED_AT)?,
        lock_version: row.int("lock_version")?,
        actor: row.text("__actor")?,
        decision,
        cells: Cells(
            resource
                .fields
                .iter()
                .filter(|f| !matches!(f.kind, FieldKind::NewPassword))
                .map(|f| Ok((f.name, row.cell(f.name, f.kind)?)))
                .collect::<Result<_, DecodeError>>()?,
        ),
        documents: resource
            .extra_columns
            .iter()
            .map(|c| (*c, columns.get(*c).cloned().unwrap_or(Value::Null)))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::resources::SLAS;
    use serde_json::json;

    fn sla(changes: Value) -> Result<Record, DecodeError> {
        let mut row = json!({
            "sla_id": 7, "__title": "SLA 7 · P1", "subscription_id": 3, "subscription_id__label": "Acme · #3",
            "severity_level": "P1", "response_time_minutes": 15, "resolution_time_hours": 4,
            "availability_percentage": 99.9, "approval_status": "approved",
            "created_at": "2026-03-01T09:30:00+00:00", "approval_decided_at": "2026-03-02T10:00:00.5+01:00",
            "approval_decided_by": 2, "approval_decided_by__label": "Ada", "rejection_reason": null,
            "lock_version": 1
        });
        for (key, value) in changes.as_object().unwrap() {
            row[key] = value.clone();
        }
        decode(&SLAS, row.as_object().unwrap())
    }

    #[test]
    fn a_row_is_read_into_typed_cells() {
        let record = sla(json!({})).unwrap();
        assert_eq!((record.id, record.title.as_str(), record.lock_version), (7, "SLA 7 · P1", Some(1)));
        assert_eq!(record.created_at.to_rfc3339(), "2026-03-01T09:30:00+00:00");
        assert_eq!(record.cell("subscription_id"), &Cell::Reference { id: 3, label: Some("Acme · #3".into()) });
        assert_eq!(record.integer("response_time_minutes"), Some(15));
        assert_eq!(record.cell("availability_percentage"), &Cell::Decimal(99.9));
        assert_eq!(record.text("severity_level"), Some("P1"));
        let decision = record.decision.unwrap();
        assert_eq!(decision.status, ApprovalStatus::Approved);
        assert_eq!(decision.decided_at.unwrap().to_rfc3339(), "2026-03-02T09:00:00.500+00:00");
        assert_eq!(decision.decided_by_name.as_deref(), Some("Ada"));
    }

    #[test]
    fn a_row_that_does_not_fit_its_description_is_an_error() {
        assert_eq!(
            sla(json!({"created_at": "yesterday"})).unwrap_err(),
            DecodeError("service_level_agreements.created_at is not a time: \"yesterday\"".into())
        );
        assert!(sla(json!({"approval_decided_at": "2026-13-40T00:00:00+00:00"})).is_err());
        assert!(sla(json!({"response_time_minutes": 1.5})).is_err());
        assert!(sla(json!({"subscription_id": "three"})).is_err());
        assert!(sla(json!({"sla_id": null})).is_err());
        assert!(sla(json!({"approval_status": "maybe"})).is_err());
    }

    #[test]
    fn a_number_kept_as_text_stays_text() {
        let row = json!({"component_id": 4, "__title": "db-1", "port_number": "5432/tcp",
            "created_at": "2026-03-01T09:30:00+00:00"});
        let record = decode(&crate::records::resources::COMPONENTS, row.as_object().unwrap()).unwrap();
        assert_eq!(record.text("port_number"), Some("5432/tcp"));
    }

    #[test]
    fn a_checked_submission_is_read_into_typed_cells() {
        use crate::column;
        use crate::domain::enums::SlaTier;
        use crate::records::resources::SUBSCRIPTIONS;
        let submit = |rto_hours: &str| {
            let form = [
                ("client_id", "3"),
                ("product_id", "5"),
                ("subscription_type", "full_service"),
                ("sla_tier", "premium"),
                ("rto_hours", rto_hours),
                ("start_date", "2026-05-01"),
                ("end_date", "2027-04-30"),
                ("status", "active"),
            ];
            let form = form.iter().map(|(name, text)| (name.to_string(), text.to_string())).collect();
            let (values, errors) = crate::forms::parse(SUBSCRIPTIONS.fields, &form, true);
            (Cells::submitted(SUBSCRIPTIONS.fields, &values), errors)
        };
        let (good, errors) = submit("012");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(good.reference(column!(subscriptions, client_id)), Some(3));
        assert_eq!(good.integer(column!(subscriptions, rto_hours)), Some(12));
        assert_eq!(good.date(column!(subscriptions, end_date)), NaiveDate::from_ymd_opt(2027, 4, 30));
        assert_eq!(good.choice(column!(subscriptions, sla_tier), SlaTier::parse), Some(SlaTier::Premium));
        assert_eq!(good.text(column!(subscriptions, status)), Some("active"));
        // A number that does not read is the form's error, on its field: the rules never see it.
        let (_, errors) = submit("twelve");
        assert_eq!(errors.iter().map(|e| e.field).collect::<Vec<_>>(), ["rto_hours"]);
        // An optional value left empty is read, as not set.
        let (empty, errors) = submit("");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(empty.cell(column!(subscriptions, rto_hours)), &Cell::Null);
        assert!(!empty.is_set(column!(subscriptions, rto_hours)) && empty.is_set(column!(subscriptions, start_date)));
    }

    #[test]
    fn a_number_or_date_not_written_as_a_form_writes_it_stays_text() {
        let port = crate::records::resources::COMPONENTS.field("port_number").unwrap().kind;
        assert_eq!(Cell::parse(port, "5432"), Cell::Integer(5432));
        assert_eq!(Cell::parse(port, "+5432"), Cell::Text("+5432".into()));
        let start = crate::records::resources::SUBSCRIPTIONS.field("start_date").unwrap().kind;
        assert_eq!(Cell::parse(start, "2026-1-5"), Cell::Text("2026-1-5".into()));
    }

    #[test]
    fn a_cell_is_written_as_a_form_holds_it() {
        let at = crate::format::parse("2026-03-01T09:30:00+00:00").unwrap();
        assert_eq!(Cell::Time(at).to_string(), "2026-03-01T09:30:00+00:00");
        assert_eq!(Cell::Decimal(100.0).to_string(), "100");
        assert_eq!(Cell::Decimal(99.95).to_string(), "99.95");
        assert_eq!(Cell::Date(NaiveDate::from_ymd_opt(2026, 1, 2).unwrap()).to_string(), "2026-01-02");
        assert_eq!(Cell::Null.to_string(), "");
    }
}
