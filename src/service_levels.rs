//! Which SLA applies to an incident: the client's approved SLA for the severity, through an active, approved
//! subscription. A pending or rejected SLA (or subscription) never counts as a target.
use crate::db::prepared::prepared;
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
    prepared(
        "SELECT sla.sla_id, sla.response_time_minutes, sla.resolution_time_hours \
         FROM service_level_agreements sla JOIN subscriptions s USING (subscription_id) WHERE s.client_id = ",
    )
    .bind::<Integer, _>(client_id)
    .sql(" AND sla.severity_level = ")
    .bind::<Text, _>(severity.to_string())
    .sql(
        " AND s.status = 'active' AND s.approval_status = 'approved' AND sla.approval_status = 'approved' \
         ORDER BY sla.response_time_minutes, sla.resolution_time_hours, sla.sla_id LIMIT 1",
    )
    .get_result(conn)
    .optional()
}

/// The SLA `target` picks, for several clients at once, by (client, severity), for a page of incidents.
pub fn targets_for(
    conn: &mut PgConnection,
    clients: &[i32],
) -> QueryResult<std::collections::HashMap<(i32, String), (i32, i32)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Integer)]
        client_id: i32,
        #[diesel(sql_type = Text)]
        severity_level: String,
        #[diesel(sql_type = Integer)]
        response: i32,
        #[diesel(sql_type = Integer)]
        resolution: i32,
    }
    let rows: Vec<Row> = prepared(
        "SELECT DISTINCT ON (s.client_id, sla.severity_level) s.client_id, sla.severity_level, \
                sla.response_time_minutes AS response, sla.resolution_time_hours AS resolution \
         FROM service_level_agreements sla JOIN subscriptions s USING (subscription_id) WHERE s.client_id = ANY(",
    )
    .bind::<diesel::sql_types::Array<Integer>, _>(clients.to_vec())
    .sql(
        ") AND sla.severity_level IS NOT NULL AND s.status = 'active' \
           AND s.approval_status = 'approved' AND sla.approval_status = 'approved' \
         ORDER BY s.client_id, sla.severity_level, sla.response_time_minutes, sla.resolution_time_hours, sla.sla_id",
    )
    .load(conn)?;
    Ok(rows.into_iter().map(|r| ((r.client_id, r.severity_level), (r.response, r.resolution))).collect())
}
