//! Which SLA applies to an incident: the client's approved SLA for the severity, through an active, approved
//! subscription. A pending or rejected SLA (or subscription) never counts as a target.
use crate::db::prepared::{PreparedSql, prepared};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamptz};

/// When an SLA applies, over `sla` and its subscription `s`: approved, of an active and approved subscription.
const APPLIES: &str = "s.status = 'active' AND s.approval_status = 'approved' AND sla.approval_status = 'approved'";
/// Of several that apply, the strictest comes first.
const STRICTEST_FIRST: &str = "sla.response_time_minutes, sla.resolution_time_hours, sla.sla_id";
/// The two targets as intervals, and the moments the incident's clocks run out (over `incidents` and `sla`).
const RESPONSE_TARGET: &str = "sla.response_time_minutes * interval '1 minute'";
const RESOLUTION_TARGET: &str = "sla.resolution_time_hours * interval '1 hour'";

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
    .sql(format!(" AND {APPLIES} ORDER BY {STRICTEST_FIRST} LIMIT 1"))
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
    .sql(format!(
        ") AND sla.severity_level IS NOT NULL AND {APPLIES} ORDER BY s.client_id, sla.severity_level, {STRICTEST_FIRST}"
    ))
    .load(conn)?;
    Ok(rows.into_iter().map(|r| ((r.client_id, r.severity_level), (r.response, r.resolution))).collect())
}

/// `what` (SQL over `sla`) of the SLA that applies to the incident of the surrounding query (`incidents`), in
/// parentheses: NULL when none applies.
fn of_the_incident(what: PreparedSql<'static>) -> PreparedSql<'static> {
    prepared("(SELECT ").append(what).sql(format!(
        " FROM service_level_agreements sla JOIN subscriptions s USING (subscription_id) \
          WHERE s.client_id = incidents.client_id AND sla.severity_level = incidents.severity AND {APPLIES} \
          ORDER BY {STRICTEST_FIRST} LIMIT 1)"
    ))
}

/// When the incident's next SLA clock runs out: the response clock until it is acknowledged, the resolution
/// clock until it is resolved; NULL when no SLA applies or both have stopped. The incident list sorts by it.
pub fn due() -> PreparedSql<'static> {
    of_the_incident(prepared(format!(
        "least(CASE WHEN incidents.acknowledged_at IS NULL THEN incidents.detection_timestamp + {RESPONSE_TARGET} END, \
               CASE WHEN incidents.resolution_timestamp IS NULL THEN incidents.detection_timestamp + {RESOLUTION_TARGET} END)"
    )))
}

/// Whether a running clock of the incident needs attention at `now`: breached or, unless `breached_only`, at risk
/// (less than a quarter of its target left). `sla_clock::Clock`'s rule in SQL, for the lists that filter and count
/// by it; a test holds the two to the same answers.
pub fn needs_attention(now: DateTime<Utc>, breached_only: bool) -> PreparedSql<'static> {
    let running = |sql: PreparedSql<'static>, stopped: &str, target: &str| {
        let deadline = format!("incidents.detection_timestamp + {target}");
        let sql = sql.sql(format!("(incidents.{stopped} IS NULL AND "));
        if breached_only {
            sql.sql(format!("{deadline} < ")).bind::<Timestamptz, _>(now).sql(")")
        } else {
            sql.sql(format!("({deadline} - ")).bind::<Timestamptz, _>(now).sql(format!(") * 4 < {target})"))
        }
    };
    let either = running(prepared(""), "acknowledged_at", RESPONSE_TARGET).sql(" OR ");
    let either = running(either, "resolution_timestamp", RESOLUTION_TARGET);
    prepared("coalesce(").append(of_the_incident(either)).sql(", false)")
}
