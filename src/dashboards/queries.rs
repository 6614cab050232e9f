//! The dashboards' queries. Each takes the viewer's scope and confines incidents to it in SQL, with the access
//! module's one definition of it; values are bound, never written into the text.
use crate::access::Scope;
use crate::db::prepared::{PreparedSql, prepared};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz};

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

/// The dashboard figures over the history, read from the summaries that writes keep (`incident_months`,
/// `incident_weeks`, `metric_compliance`): a few rows per client, however many incidents there are.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct History {
    #[serde(default)]
    pub months: Vec<MonthTimes>,
    #[serde(default)]
    pub weeks: Vec<WeekCount>,
    #[serde(default)]
    pub compliance: Vec<Compliance>,
}

/// Which of the history figures a dashboard shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct HistoryParts {
    pub months: bool,
    pub weeks: bool,
    pub compliance: bool,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct MonthTimes {
    pub month: String,
    pub mtta_minutes: Option<f64>,
    pub mttr_minutes: Option<f64>,
    pub incidents: i64,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct WeekCount {
    pub week: String,
    pub severity: String,
    pub n: i64,
}

/// Per client: metrics recorded against a target, and how many met it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Compliance {
    pub client_name: String,
    pub measured: i64,
    pub met: i64,
}

/// The history figures of `parts` within the scope, in one statement: mean times to acknowledge and to resolve month
/// by month for incidents detected in the last six months, incidents reported per week by severity over the last
/// eight weeks, and SLA compliance per client. The summaries are kept per client, so a scope that is not a set of
/// whole clients (a vendor's; no vendor dashboard shows these) has none.
pub fn history(conn: &mut PgConnection, scope: Scope, now: DateTime<Utc>, parts: HistoryParts) -> QueryResult<History> {
    #[derive(QueryableByName)]
    struct Json {
        #[diesel(sql_type = Text)]
        history: String,
    }
    let Some(client) = scope.whole_clients() else { return Ok(History::default()) };
    // The scope's clients, over a summary's `client_id`.
    let of_scope = |sql: PreparedSql<'static>| {
        sql.sql(" AND (")
            .bind::<Nullable<Integer>, _>(client)
            .sql("::integer IS NULL OR s.client_id = ")
            .bind::<Nullable<Integer>, _>(client)
            .sql(")")
    };
    // A summary's rows from the start of a period some periods before now's (`head`, now, `since`), within the
    // scope, summed per `grouped`.
    let recent = |head: &'static str, since: &'static str, grouped: &'static str| {
        of_scope(prepared(head).bind::<Timestamptz, _>(now).sql(since)).sql(grouped)
    };
    let mut figures = Vec::new();
    if parts.months {
        figures.push(recent(
            "'months', (SELECT coalesce(json_agg(x ORDER BY x.month), '[]') FROM (\
             SELECT to_char(s.month, 'YYYY-MM') AS month, \
                    (sum(s.acknowledge_seconds) / nullif(sum(s.acknowledged), 0) / 60)::float8 AS mtta_minutes, \
                    (sum(s.resolve_seconds) / nullif(sum(s.resolved), 0) / 60)::float8 AS mttr_minutes, \
                    sum(s.incidents)::bigint AS incidents \
             FROM incident_months s WHERE s.month >= (date_trunc('month', ",
            " AT TIME ZONE 'UTC') - interval '5 months')::date",
            " GROUP BY s.month HAVING sum(s.incidents) > 0) x)",
        ));
    }
    if parts.weeks {
        figures.push(recent(
            "'weeks', (SELECT coalesce(json_agg(x ORDER BY x.week, x.severity), '[]') FROM (\
             SELECT to_char(s.week, 'YYYY-MM-DD') AS week, s.severity, sum(s.n)::bigint AS n \
             FROM incident_weeks s WHERE s.week >= (date_trunc('week', ",
            " AT TIME ZONE 'UTC') - interval '7 weeks')::date",
            " GROUP BY s.week, s.severity HAVING sum(s.n) > 0) x)",
        ));
    }
    if parts.compliance {
        let sql = prepared(
            "'compliance', (SELECT coalesce(json_agg(x ORDER BY x.client_name), '[]') FROM (\
             SELECT c.client_name, sum(s.measured)::bigint AS measured, sum(s.met)::bigint AS met \
             FROM metric_compliance s JOIN clients c USING (client_id) WHERE TRUE",
        );
        figures.push(of_scope(sql).sql(" GROUP BY c.client_name HAVING sum(s.measured) > 0) x)"));
    }
    if figures.is_empty() {
        return Ok(History::default());
    }
    let row: Json = prepared("SELECT json_build_object(")
        .append(PreparedSql::join(figures, ", "))
        .sql(")::text AS history")
        .get_result(conn)?;
    serde_json::from_str(&row.history).map_err(|e| {
        diesel::result::Error::DeserializationError(format!("the history figures are not JSON: {e}").into())
    })
}
