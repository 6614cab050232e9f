//! Subscriptions: a term that ends after it starts (their approval is the shared one of records in force).
use super::{Behaviour, Refusal};
use crate::access::Target;
use crate::column;
use crate::domain::enums::{SlaTier, SubscriptionType};
use crate::forms::FieldError;
use crate::records::row::Cells;
use diesel::PgConnection;

#[derive(Debug)]
pub struct Subscriptions;

impl Behaviour for Subscriptions {
    fn access_target(&self, cells: &Cells, _id: Option<i32>) -> Target {
        Target::subscription(
            cells.choice(column!(subscriptions, sla_tier), SlaTier::parse),
            cells.choice(column!(subscriptions, subscription_type), SubscriptionType::parse),
        )
    }

    fn check(&self, _conn: &mut PgConnection, submitted: &Cells) -> Result<Vec<FieldError>, Refusal> {
        Ok(FieldError::of("end_date", check_term(submitted)))
    }
}

/// A subscription ends after it starts.
pub fn check_term(submitted: &Cells) -> Result<(), String> {
    match (submitted.date(column!(subscriptions, start_date)), submitted.date(column!(subscriptions, end_date))) {
        (Some(start), Some(end)) if end <= start => {
            Err(format!("The end date must be after the start date ({start})."))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::resources::SUBSCRIPTIONS;

    #[test]
    fn subscription_end_must_follow_start() {
        let term = |start, end| Cells::of(&SUBSCRIPTIONS, &[("start_date", start), ("end_date", end)]);
        assert!(check_term(&term("2026-05-01", "2026-05-01")).is_err());
        assert!(check_term(&term("2026-05-01", "2027-05-01")).is_ok());
    }
}
