//! Checks a data set before anything is written: every error names the file, the record id and the field.
use super::spec::{Column, Kind, TABLES, Table, parse_date, parse_timestamp};
use super::{Dataset, ImportError};
use crate::domain::enums::Role;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

pub fn check(dataset: &Dataset) -> Result<(), ImportError> {
    let ids: HashMap<&str, HashSet<&str>> = TABLES
        .iter()
        .map(|table| {
            (
                table.name,
                dataset.get(table.name).map(|records| records.keys().map(String::as_str).collect()).unwrap_or_default(),
            )
        })
        .collect();
    // Tables are checked side by side, and the first error in load order is the one reported.
    std::thread::scope(|scope| {
        let checks: Vec<_> = TABLES.iter().map(|table| scope.spawn(|| check_table(dataset, table, &ids))).collect();
        checks.into_iter().try_for_each(|check| check.join().expect("a table check does not panic"))
    })
}

fn check_table(dataset: &Dataset, table: &Table, ids: &HashMap<&str, HashSet<&str>>) -> Result<(), ImportError> {
    let records = dataset
        .get(table.name)
        .ok_or_else(|| ImportError::File { file: file_of(table), message: "is missing from the data set".into() })?;
    let columns = read_columns(table, records);
    let mut seen: Vec<HashMap<String, &str>> = vec![HashMap::new(); table.unique().len()];
    let mut sorted: Vec<(&String, &Value)> = records.iter().collect();
    sorted.sort_by_cached_key(|(key, _)| key.parse::<i64>().unwrap_or(i64::MIN));
    for (key, record) in sorted {
        let Value::Object(record) = record else {
            return Err(error(table, key, "(record)", "must be a JSON object"));
        };
        check_record(table, &columns, key, record, ids)?;
        check_rules(table, key, record)?;
        for (group, seen) in table.unique().iter().zip(seen.iter_mut()) {
            let value =
                group.iter().map(|field| text_of(record.get(*field)).to_lowercase()).collect::<Vec<_>>().join("\u{1f}");
            if let Some(first) = seen.insert(value, key) {
                return Err(error(
                    table,
                    key,
                    &group.join(" + "),
                    &format!("duplicates the value of record {first}; it must be unique"),
                ));
            }
        }
    }
    Ok(())
}

/// The columns a table's file gives: the format's, and the product's that any of its records carries.
pub fn read_columns<'a>(table: &'a Table, records: &Map<String, Value>) -> Vec<&'a Column> {
    table
        .columns()
        .filter(|column| !column.product || records.values().any(|record| record.get(column.name).is_some()))
        .collect()
}

fn check_record(
    table: &Table,
    columns: &[&Column],
    key: &str,
    record: &Map<String, Value>,
    ids: &HashMap<&str, HashSet<&str>>,
) -> Result<(), ImportError> {
    for column in columns {
        let value = record.get(column.name).filter(|v| !v.is_null());
        let Some(value) = value else {
            if column.required {
                return Err(error(table, key, column.name, "is required but missing"));
            }
            continue;
        };
        let fail = |message: String| Err(error(table, key, column.name, &message));
        match column.kind {
            Kind::Id => {
                if value.as_str() != Some(key) || key.parse::<i32>().map_or(true, |id| id < 1) {
                    return fail(format!("must be the record's key \"{key}\" as a positive whole number"));
                }
            }
            Kind::Text => match value.as_str() {
                Some(text)
                    if column.required
                        && text.trim().is_empty()
                        && !matches!(column.name, "old_value" | "new_value") =>
                {
                    return fail("must not be empty".into());
                }
                Some(text) if text.contains('\0') => return fail("must not contain NUL characters".into()),
                Some(_) => {}
                None => return fail(format!("must be text, not {value}")),
            },
            Kind::Int => {
                if value.as_i64().is_none_or(|n| i32::try_from(n).is_err()) {
                    return fail(format!("must be a whole number, not {value}"));
                }
            }
            Kind::Target => {
                if value.as_i64().is_none_or(|n| !(0..=i64::from(i32::MAX)).contains(&n)) {
                    return fail(format!("must be a whole number of minutes, 0 or more, not {value}"));
                }
            }
            Kind::Float => {
                if !value.is_number() {
                    return fail(format!("must be a number, not {value}"));
                }
            }
            Kind::Timestamp => {
                if value.as_str().and_then(parse_timestamp).is_none() {
                    return fail(format!(
                        "must be an ISO 8601 date and time between the years 1900 and 2200, not {value}"
                    ));
                }
            }
            Kind::Date => {
                if value.as_str().and_then(parse_date).is_none() {
                    return fail(format!("must be a date as YYYY-MM-DD between the years 1900 and 2200, not {value}"));
                }
            }
            Kind::Enum(allowed) => {
                if !value.as_str().is_some_and(|v| allowed.contains(&v)) {
                    return fail(format!("{value} is not one of: {}", allowed.join(", ")));
                }
            }
            Kind::Json => {
                if !value.is_object() {
                    return fail(format!("must be a JSON object, not {value}"));
                }
            }
            Kind::Ref(target) => {
                let Some(id) = value.as_str() else {
                    return fail(format!("must be a record id as text, not {value}"));
                };
                if !ids.get(target).is_some_and(|ids| ids.contains(id)) {
                    return fail(format!("refers to {target} record {id}, which does not exist"));
                }
            }
        }
    }
    Ok(())
}

/// Rules that span fields, which the database enforces as well.
fn check_rules(table: &Table, key: &str, record: &Map<String, Value>) -> Result<(), ImportError> {
    let text = |field: &str| text_of(record.get(field));
    let role = Role::parse(&text("role"));
    match table.name {
        "users" if role == Some(Role::ClientContact) && text("client_id").is_empty() => {
            Err(error(table, key, "client_id", "is required for a client_contact"))
        }
        "users" if role == Some(Role::VendorContact) && text("vendor_id").is_empty() => {
            Err(error(table, key, "vendor_id", "is required for a vendor_contact"))
        }
        "communications" if text("recipient_id").is_empty() && text("recipient_type").is_empty() => {
            Err(error(table, key, "recipient_id", "is required when there is no recipient_type"))
        }
        "subscriptions" if text("end_date") <= text("start_date") => {
            Err(error(table, key, "end_date", "must be after start_date"))
        }
        _ => Ok(()),
    }
}

fn text_of(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn file_of(table: &Table) -> String {
    format!("{}.json", table.name)
}

fn error(table: &Table, key: &str, field: &str, message: &str) -> ImportError {
    ImportError::Record {
        file: file_of(table),
        record: key.to_string(),
        field: field.to_string(),
        message: message.to_string(),
    }
}
