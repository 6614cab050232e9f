//! Which SLA applies to an incident: the client's approved SLA for the severity, through an active, approved
//! subscription. A pending or rejected SLA (or subscription) never counts as a target.
use crate::db::prepared::{PreparedSql, prepared};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Jsonb, Text, Timestamptz};
use std::collections::HashMap;

/// When an SLA applies, over `sla` and its subscription `s`: approved, of an active and approved subscription.
const APPLIES: &str = "s.status = 'active' AND s.approval_status = 'approved' AND sla.approval_status = 'approved'";
/// Of several that apply, the strictest comes first.
const STRICTEST_FIRST: &str = "sla.response_time_minutes, sla.resolution_time_hours, sla.sla_id";

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

/// The targets of every SLA that applies, by (client, severity): (response minutes, resolution hours), the
/// strictest where a client has several, as `target` picks them. They are few (four a client at most), so a page
/// reads them once and both draws its clocks from them and hands them to the SQL that filters and sorts by them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets(HashMap<(i32, String), (i32, i32)>);

impl Targets {
    pub fn get(&self, client_id: i32, severity: &str) -> Option<(i32, i32)> {
        self.0.get(&(client_id, severity.to_string())).copied()
    }

    /// The targets as a JSON object keyed "client:severity", for SQL to look up an incident's in one step.
    fn to_json(&self) -> serde_json::Value {
        self.0
            .iter()
            .map(|((client, severity), (response, resolution))| {
                (format!("{client}:{severity}"), serde_json::json!([response, resolution]))
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    }
}

/// Every applicable SLA's targets.
pub fn applicable(conn: &mut PgConnection) -> QueryResult<Targets> {
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
    let rows: Vec<Row> = prepared(format!(
        "SELECT DISTINCT ON (s.client_id, sla.severity_level) s.client_id, sla.severity_level, \
                sla.response_time_minutes AS response, sla.resolution_time_hours AS resolution \
         FROM service_level_agreements sla JOIN subscriptions s USING (subscription_id) \
         WHERE sla.severity_level IS NOT NULL AND {APPLIES} ORDER BY s.client_id, sla.severity_level, {STRICTEST_FIRST}"
    ))
    .load(conn)?;
    Ok(Targets(rows.into_iter().map(|r| ((r.client_id, r.severity_level), (r.response, r.resolution))).collect()))
}

/// A target of the incident of the surrounding query (`incidents`) as an interval, looked up in the bound targets:
/// NULL when no SLA applies. `part` 0 is the response target (minutes), 1 the resolution target (hours).
fn target_of_the_incident(sql: PreparedSql<'static>, targets: &Targets, part: u8) -> PreparedSql<'static> {
    let unit = if part == 0 { "minute" } else { "hour" };
    sql.sql("((").bind::<Jsonb, _>(targets.to_json()).sql(format!(
        " -> (incidents.client_id::text || ':' || incidents.severity)) ->> {part})::integer * interval '1 {unit}'"
    ))
}

/// When the incident's next SLA clock runs out: the response clock until it is acknowledged, the resolution
/// clock until it is resolved; NULL when no SLA applies or both have stopped. The incident list sorts by it.
pub fn due(targets: &Targets) -> PreparedSql<'static> {
    let sql = prepared("least(CASE WHEN incidents.acknowledged_at IS NULL THEN incidents.detection_timestamp + ");
    let sql = target_of_the_incident(sql, targets, 0)
        .sql(" END, CASE WHEN incidents.resolution_timestamp IS NULL THEN incidents.detection_timestamp + ");
    target_of_the_incident(sql, targets, 1).sql(" END)")
}

/// Whether a running clock of the incident needs attention at `now`: breached or, unless `breached_only`, at risk
/// (less than a quarter of its target left). `sla_clock::Clock`'s rule in SQL, for the lists that filter and count
/// by it; a test holds the two to the same answers.
pub fn needs_attention(now: DateTime<Utc>, breached_only: bool, targets: &Targets) -> PreparedSql<'static> {
    // Breached: detected + target < now. At risk: (deadline - now) * 4 < target, that is detected + ¾ target < now,
    // which looks the target up once (a quarter of a whole number of minutes is a whole number of seconds).
    let share = if breached_only { "" } else { " * 0.75" };
    let running = |sql: PreparedSql<'static>, stopped: &str, part: u8| {
        let sql = sql.sql(format!("(incidents.{stopped} IS NULL AND incidents.detection_timestamp + "));
        target_of_the_incident(sql, targets, part).sql(format!("{share} < ")).bind::<Timestamptz, _>(now).sql(")")
    };
    let either = running(prepared("coalesce("), "acknowledged_at", 0).sql(" OR ");
    running(either, "resolution_timestamp", 1).sql(", false)")
}

/// The resolution target of the incident of the surrounding query as an interval, NULL when no SLA applies.
pub fn resolution_target(targets: &Targets) -> PreparedSql<'static> {
    target_of_the_incident(prepared(""), targets, 1)
}
