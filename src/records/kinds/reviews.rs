//! Post-incident reviews: held once the incident is closed.
use super::{Behaviour, Refusal, closed_incident_only};
use crate::forms::{FieldError, Values};
use diesel::PgConnection;

#[derive(Debug)]
pub struct Reviews;

impl Behaviour for Reviews {
    fn check(&self, conn: &mut PgConnection, values: &Values) -> Result<Vec<FieldError>, Refusal> {
        closed_incident_only(conn, "Post-incident reviews", values)
    }
}
