//! Subscriptions: a term that ends after it starts (their approval is the shared one of records in force).
use super::{Behaviour, Refusal, value};
use crate::forms::{FieldError, Values};
use diesel::PgConnection;

#[derive(Debug)]
pub struct Subscriptions;

impl Behaviour for Subscriptions {
    fn check(&self, _conn: &mut PgConnection, values: &Values) -> Result<Vec<FieldError>, Refusal> {
        Ok(check_term(values).err().map(|message| FieldError { field: "end_date", message }).into_iter().collect())
    }
}

/// A subscription ends after it starts.
pub fn check_term(values: &Values) -> Result<(), String> {
    let date = |name: &str| value(values, name).and_then(|v| chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").ok());
    match (date("start_date"), date("end_date")) {
        (Some(start), Some(end)) if end <= start => {
            Err(format!("The end date must be after the start date ({start})."))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::kinds::tests::values;

    #[test]
    fn subscription_end_must_follow_start() {
        assert!(check_term(&values(&[("start_date", "2026-05-01"), ("end_date", "2026-05-01")])).is_err());
        assert!(check_term(&values(&[("start_date", "2026-05-01"), ("end_date", "2027-05-01")])).is_ok());
    }
}
