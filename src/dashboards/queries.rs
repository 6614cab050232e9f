//! The dashboards' queries. Each takes the viewer's scope and confines incidents to it in SQL.
use crate::db::prepared::prepared;
use crate::incidents::rules::Scope;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text, Timestamptz};

/// The SQL condition confining `alias`'s incidents to the scope. Only integers are written into it.
pub fn scope_sql(scope: Scope, alias: &str) -> String {
    match scope {
        Scope::All => "true".into(),
        Scope::Client(client) => format!("{alias}.client_id = {client}"),
        Scope::Vendor(vendor) => format!(
            "({alias}.component_id IN (SELECT c.component_id FROM infrastructure_components c JOIN products p USING (product_id) WHERE p.support_vendor_id = {vendor}) \
             OR {alias}.incident_id IN (SELECT e.incident_id FROM incident_escalations e JOIN users u ON u.user_id = e.escalated_to_user \
                                        WHERE e.escalation_level = 'vendor' AND u.vendor_id = {vendor}))"
        ),
        Scope::Nothing => "false".into(),
    }
}

#[derive(Debug, QueryableByName)]
pub struct Count {
    #[diesel(sql_type = Text)]
    pub label: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// Open (not resolved or closed) incidents by severity.
pub fn open_by_severity(conn: &mut PgConnection, scope: Scope) -> QueryResult<Vec<Count>> {
    prepared(format!(
        "SELECT i.severity AS label, count(*) AS n FROM incidents i WHERE i.status NOT IN ('resolved', 'closed') AND {} GROUP BY 1 ORDER BY 1",
        scope_sql(scope, "i")
    ))
    .load(conn)
}

/// An incident as dashboard panels list it.
#[derive(Debug, QueryableByName)]
pub struct IncidentLine {
    #[diesel(embed)]
    pub clock: ClockInputs,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub client_name: String,
}

/// Incidents matching `condition` (SQL over `i`, built only from constants and integers), within the scope.
pub fn incidents(
    conn: &mut PgConnection,
    scope: Scope,
    condition: &str,
    order: &str,
    limit: i64,
) -> QueryResult<Vec<IncidentLine>> {
    prepared(format!(
        "SELECT i.incident_id, i.title, i.severity, i.status, c.client_name, i.client_id, i.detection_timestamp, i.acknowledged_at, \
                i.resolution_timestamp \
         FROM incidents i JOIN clients c USING (client_id) WHERE {condition} AND {} ORDER BY {order} LIMIT {limit}",
        scope_sql(scope, "i")
    ))
    .load(conn)
}

/// What an incident's SLA clocks are computed from, without the rest of its row.
#[derive(Debug, QueryableByName)]
pub struct ClockInputs {
    #[diesel(sql_type = Integer)]
    pub incident_id: i32,
    #[diesel(sql_type = Integer)]
    pub client_id: i32,
    #[diesel(sql_type = Text)]
    pub severity: String,
    #[diesel(sql_type = Timestamptz)]
    pub detection_timestamp: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub acknowledged_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub resolution_timestamp: Option<DateTime<Utc>>,
}

/// Open incidents within the scope, longest-running first, `limit` at a time after `after` (detection time, id).
/// The open-detection index serves them in this order from its own entries.
pub fn open_clock_inputs(
    conn: &mut PgConnection,
    scope: Scope,
    after: Option<(DateTime<Utc>, i32)>,
    limit: i64,
) -> QueryResult<Vec<ClockInputs>> {
    let query = prepared(format!(
        "SELECT i.incident_id, i.client_id, i.severity, i.detection_timestamp, i.acknowledged_at, i.resolution_timestamp \
         FROM incidents i WHERE i.status NOT IN ('resolved', 'closed') AND {}",
        scope_sql(scope, "i")
    ));
    let query = match after {
        Some((detected, id)) => query
            .sql(" AND (i.detection_timestamp, i.incident_id) > (")
            .bind::<Timestamptz, _>(detected)
            .sql(", ")
            .bind::<Integer, _>(id)
            .sql(")"),
        None => query,
    };
    query.sql(format!(" ORDER BY i.detection_timestamp, i.incident_id LIMIT {limit}")).load(conn)
}

#[derive(Debug, QueryableByName)]
pub struct Line {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub detail: String,
}

/// A list of any records as (id, title, detail), from a query built of constants and integers.
pub fn lines(conn: &mut PgConnection, sql: &str) -> QueryResult<Vec<Line>> {
    prepared(sql).load(conn)
}

/// Counts of anything, from a query built of constants and integers, as (label, n).
pub fn counts(conn: &mut PgConnection, sql: &str) -> QueryResult<Vec<Count>> {
    prepared(sql).load(conn)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct MonthTimes {
    #[diesel(sql_type = Text)]
    pub month: String,
    #[diesel(sql_type = Nullable<Double>)]
    pub mtta_minutes: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub mttr_minutes: Option<f64>,
    #[diesel(sql_type = BigInt)]
    pub incidents: i64,
}

/// Mean time to acknowledge and to resolve, month by month, for incidents detected in the last six months.
pub fn mean_times(conn: &mut PgConnection, scope: Scope, now: DateTime<Utc>) -> QueryResult<Vec<MonthTimes>> {
    prepared(
        "SELECT to_char(date_trunc('month', i.detection_timestamp), 'YYYY-MM') AS month, \
                avg(extract(epoch FROM i.acknowledged_at - i.detection_timestamp) / 60)::float8 AS mtta_minutes, \
                avg(extract(epoch FROM i.resolution_timestamp - i.detection_timestamp) / 60)::float8 AS mttr_minutes, \
                count(*) AS incidents \
         FROM incidents i WHERE i.detection_timestamp >= date_trunc('month', ",
    )
    .bind::<Timestamptz, _>(now)
    .sql(format!("::timestamptz) - interval '5 months' AND {} GROUP BY 1 ORDER BY 1", scope_sql(scope, "i")))
    .load(conn)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct Compliance {
    #[diesel(sql_type = Text)]
    pub client_name: String,
    #[diesel(sql_type = BigInt)]
    pub measured: i64,
    #[diesel(sql_type = BigInt)]
    pub met: i64,
}

/// Per client: metrics recorded against a target, and how many met it.
pub fn sla_compliance(conn: &mut PgConnection, scope: Scope) -> QueryResult<Vec<Compliance>> {
    prepared(format!(
        "SELECT c.client_name, count(*) AS measured, count(*) FILTER (WHERE m.calculated_value_minutes <= m.target_minutes) AS met \
         FROM performance_metrics m JOIN incidents i USING (incident_id) JOIN clients c ON c.client_id = i.client_id \
         WHERE m.target_minutes IS NOT NULL AND {} GROUP BY c.client_name ORDER BY c.client_name",
        scope_sql(scope, "i")
    ))
    .load(conn)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct WeekCount {
    #[diesel(sql_type = Text)]
    pub week: String,
    #[diesel(sql_type = Text)]
    pub severity: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// Incidents reported per week, by severity, over the last eight weeks.
pub fn per_week(conn: &mut PgConnection, scope: Scope, now: DateTime<Utc>) -> QueryResult<Vec<WeekCount>> {
    prepared(
        "SELECT to_char(date_trunc('week', i.created_at), 'YYYY-MM-DD') AS week, i.severity, count(*) AS n \
         FROM incidents i WHERE i.created_at >= date_trunc('week', ",
    )
    .bind::<Timestamptz, _>(now)
    .sql(format!("::timestamptz) - interval '7 weeks' AND {} GROUP BY 1, 2 ORDER BY 1, 2", scope_sql(scope, "i")))
    .load(conn)
}
