//! The dashboards' queries. Each takes the viewer's scope and confines incidents to it in SQL, with the access
//! module's one definition of it; values are bound, never written into the text.
use crate::access::Scope;
use crate::db::prepared::{PreparedSql, prepared};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text, Timestamptz};

/// The scope's incidents, as a condition on the `incidents` table of the query it is added to.
fn in_scope(scope: Scope) -> PreparedSql<'static> {
    prepared("").fragment(scope.incidents())
}

#[derive(Debug, QueryableByName)]
pub struct Count {
    #[diesel(sql_type = Text)]
    pub label: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
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

/// A list of any records as (id, title, detail).
pub fn lines(conn: &mut PgConnection, sql: PreparedSql<'static>) -> QueryResult<Vec<Line>> {
    sql.load(conn)
}

/// Counts of anything, as (label, n).
pub fn counts(conn: &mut PgConnection, sql: PreparedSql<'static>) -> QueryResult<Vec<Count>> {
    sql.load(conn)
}

/// A communication as a contact's dashboard lists it: its incident, its words and when it was sent.
#[derive(Debug, QueryableByName)]
pub struct Message {
    #[diesel(sql_type = Integer)]
    pub incident_id: i32,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub message: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// The latest communications addressed to a contact (to them, to their client's contacts or to all), within the
/// scope, newest first.
pub fn latest_messages(conn: &mut PgConnection, scope: Scope, contact: i32, limit: i64) -> QueryResult<Vec<Message>> {
    prepared(
        "SELECT incidents.incident_id, incidents.title, coalesce(m.message, m.communication_type) AS message, \
                m.created_at \
         FROM communications m JOIN incidents USING (incident_id) \
         WHERE (m.recipient_type IN ('client_contacts', 'all_stakeholders') OR m.recipient_id = ",
    )
    .bind::<Integer, _>(contact)
    .sql(") AND ")
    .append(in_scope(scope))
    .sql(format!(" ORDER BY m.created_at DESC LIMIT {limit}"))
    .load(conn)
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
        "SELECT to_char(date_trunc('month', incidents.detection_timestamp), 'YYYY-MM') AS month, \
                avg(extract(epoch FROM incidents.acknowledged_at - incidents.detection_timestamp) / 60)::float8 \
                  AS mtta_minutes, \
                avg(extract(epoch FROM incidents.resolution_timestamp - incidents.detection_timestamp) / 60)::float8 \
                  AS mttr_minutes, \
                count(*) AS incidents \
         FROM incidents WHERE incidents.detection_timestamp >= date_trunc('month', ",
    )
    .bind::<Timestamptz, _>(now)
    .sql("::timestamptz) - interval '5 months' AND ")
    .append(in_scope(scope))
    .sql(" GROUP BY 1 ORDER BY 1")
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
    prepared(
        "SELECT c.client_name, count(*) AS measured, \
                count(*) FILTER (WHERE m.calculated_value_minutes <= m.target_minutes) AS met \
         FROM performance_metrics m JOIN incidents USING (incident_id) JOIN clients c ON c.client_id = incidents.client_id \
         WHERE m.target_minutes IS NOT NULL AND ",
    )
    .append(in_scope(scope))
    .sql(" GROUP BY c.client_name ORDER BY c.client_name")
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
        "SELECT to_char(date_trunc('week', incidents.created_at), 'YYYY-MM-DD') AS week, incidents.severity, \
                count(*) AS n \
         FROM incidents WHERE incidents.created_at >= date_trunc('week', ",
    )
    .bind::<Timestamptz, _>(now)
    .sql("::timestamptz) - interval '7 weeks' AND ")
    .append(in_scope(scope))
    .sql(" GROUP BY 1, 2 ORDER BY 1, 2")
    .load(conn)
}
