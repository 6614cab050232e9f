//! Incidents: reporting, the lifecycle, progress updates, escalations and communications, always within the
//! actor's client or vendor scope.
pub mod forms;
pub mod handlers;
pub mod list;
pub mod queries;
pub mod rules;
pub mod service;
pub mod sla_clock;
pub mod timeline;

use crate::domain::enums::{IncidentStatus, Severity};
use crate::schema::incidents;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = incidents, check_for_backend(diesel::pg::Pg))]
pub struct Incident {
    pub incident_id: i32,
    pub title: String,
    pub category: String,
    pub severity: String,
    pub impact_level: String,
    pub urgency_level: String,
    pub status: String,
    pub client_id: i32,
    pub component_id: i32,
    pub reporter_user_id: i32,
    pub assigned_to_user_id: Option<i32>,
    pub detection_timestamp: DateTime<Utc>,
    pub resolution_timestamp: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub lock_version: i32,
    /// The change an engineer marked as the suspected cause (`intelligence`).
    pub suspected_change_id: Option<i32>,
}

impl Incident {
    pub fn status(&self) -> IncidentStatus {
        IncidentStatus::parse(&self.status).unwrap_or(IncidentStatus::Open)
    }

    pub fn severity(&self) -> Severity {
        Severity::parse(&self.severity).unwrap_or(Severity::P4)
    }
}

/// The categories seen in the reference data; offered as choices.
pub fn categories() -> Vec<(&'static str, &'static str)> {
    ["Performance", "Connectivity", "Security", "Data", "Access", "Configuration", "Hardware"].map(|c| (c, c)).to_vec()
}
