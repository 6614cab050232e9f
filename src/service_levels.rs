//! Which SLA applies to an incident: the client's approved SLA for the severity, through an active, approved
//! subscription. A pending or rejected SLA (or subscription) never counts as a target.
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct SlaTarget {
    #[diesel(sql_type = Integer)]
    pub sla_id: i32,
    #[diesel(sql_type = Integer)]
    pub response_time_minutes: i32,
    #[diesel(sql_type = Integer)]
    pub resolution_time_hours: i32,
}

/// The strictest applicable SLA when a client has several subscriptions.
pub fn target(conn: &mut PgConnection, client_id: i32, severity: &str) -> QueryResult<Option<SlaTarget>> {
    diesel::sql_query(
        "SELECT sla.sla_id, sla.response_time_minutes, sla.resolution_time_hours \
         FROM service_level_agreements sla JOIN subscriptions s USING (subscription_id) \
         WHERE s.client_id = $1 AND sla.severity_level = $2 AND s.status = 'active' \
           AND s.approval_status = 'approved' AND sla.approval_status = 'approved' \
         ORDER BY sla.response_time_minutes, sla.resolution_time_hours, sla.sla_id LIMIT 1",
    )
    .bind::<Integer, _>(client_id)
    .bind::<Text, _>(severity)
    .get_result(conn)
    .optional()
}
