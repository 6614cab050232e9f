//! Demo data (being written).
use crate::domain::enums::Role;
use crate::import::Dataset;
use chrono::{DateTime, Utc};

pub const DEMO_PASSWORD: &str = "incident-desk-demo";

pub struct DemoLogin {
    pub role: Role,
    pub email: &'static str,
}

pub fn logins() -> Vec<DemoLogin> {
    Vec::new()
}

pub fn dataset(_now: DateTime<Utc>) -> Dataset {
    Dataset::new()
}
