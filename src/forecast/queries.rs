//! The forecast's figures in `resolution_forecasts`: per severity and component, product or category, how many
//! resolved incidents and the median and 80th percentile of their resolution minutes. Writes keep them (`refresh`
//! for the keys of an incident resolved or reopened, `compute_all` after a bulk load); pages look an incident's
//! forecast up by key, in the statement that reads the incident (`of_the_incident`).
use super::{Forecast, MINIMUM};
use crate::db::prepared::{PreparedSql, prepared};
use crate::schema::incidents;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};

/// Every resolved (or closed) incident once per key it counts under, `severity`, `basis`, `key`, with its
/// resolution `minutes`, for the conditions that follow.
const RESOLVED: &str = "SELECT i.severity, v.basis, v.key, \
       extract(epoch FROM i.resolution_timestamp - i.detection_timestamp)::double precision / 60 AS minutes \
     FROM incidents i JOIN infrastructure_components c USING (component_id) \
     CROSS JOIN LATERAL (VALUES (1::smallint, i.component_id::text), (2::smallint, c.product_id::text), \
                                (3::smallint, i.category)) v (basis, key) \
     WHERE i.status IN ('resolved', 'closed') AND i.resolution_timestamp IS NOT NULL AND v.key IS NOT NULL";

/// The figures of the group of `d`'s rows (none: n 0).
const FIGURES: &str = "count(d.minutes) AS n, \
     coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY d.minutes), 0) AS median_minutes, \
     coalesce(percentile_cont(0.8) WITHIN GROUP (ORDER BY d.minutes), 0) AS p80_minutes";

/// Computes every key's figures afresh from the whole history: the end of a bulk load (demo data, import).
pub fn compute_all(conn: &mut PgConnection) -> QueryResult<()> {
    prepared("DELETE FROM resolution_forecasts").execute(conn)?;
    prepared("INSERT INTO resolution_forecasts SELECT d.severity, d.basis, d.key, ")
        .sql(FIGURES)
        .sql(" FROM (")
        .sql(RESOLVED)
        .sql(") d GROUP BY 1, 2, 3")
        .execute(conn)?;
    Ok(())
}

/// The keys an incident counts under, for each of `severities`: its component, its component's product and its
/// category; rows `severity`, `basis`, `key`, in key order.
fn keys(severities: &[&str], component_id: i32, category: &str) -> PreparedSql<'static> {
    let severities: Vec<String> = severities.iter().map(|s| s.to_string()).collect();
    prepared("SELECT s.severity, k.basis, k.key FROM unnest(")
        .bind::<Array<Text>, _>(severities)
        .sql("::text[]) s (severity) CROSS JOIN (VALUES (1::smallint, ")
        .bind::<Integer, _>(component_id)
        .sql("::text), (2::smallint, (SELECT product_id::text FROM infrastructure_components WHERE component_id = ")
        .bind::<Integer, _>(component_id)
        .sql(")), (3::smallint, ")
        .bind::<Text, _>(category.to_string())
        .sql(")) k (basis, key) WHERE k.key IS NOT NULL")
}

/// Recomputes the figures of the keys an incident of `component_id` and `category` counts under, for each of
/// `severities` (its severity before and after a change), in the caller's transaction. The keys' rows are locked
/// first, in key order, so a concurrent refresh of the same keys waits for this one to commit and then counts its
/// incident too (the second statement reads what was committed before it began).
pub fn refresh(conn: &mut PgConnection, severities: &[&str], component_id: i32, category: &str) -> QueryResult<()> {
    let mut severities = severities.to_vec();
    severities.sort_unstable();
    severities.dedup();
    let severities = severities.as_slice();
    prepared("INSERT INTO resolution_forecasts AS f SELECT k.severity, k.basis, k.key, 0, 0, 0 FROM (")
        .append(keys(severities, component_id, category))
        .sql(") k ORDER BY 1, 2, 3 ON CONFLICT (severity, basis, key) DO UPDATE SET n = f.n")
        .execute(conn)?;
    // Resolved incidents read by the component's and its product's components, or by category: the indexes of both.
    prepared(
        "UPDATE resolution_forecasts f SET n = r.n, median_minutes = r.median_minutes, p80_minutes = r.p80_minutes \
              FROM (SELECT k.severity, k.basis, k.key, ",
    )
    .sql(FIGURES)
    .sql(" FROM (")
    .append(keys(severities, component_id, category))
    .sql(") k LEFT JOIN (")
    .sql(RESOLVED)
    .sql(" AND i.severity = ANY(")
    .bind::<Array<Text>, _>(severities.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    .sql(
        ") AND (i.component_id = ANY(ARRAY(SELECT o.component_id FROM infrastructure_components o \
             JOIN infrastructure_components m ON o.product_id = m.product_id OR o.component_id = m.component_id \
             WHERE m.component_id = ",
    )
    .bind::<Integer, _>(component_id)
    .sql(")) OR i.category = ")
    .bind::<Text, _>(category.to_string())
    .sql(
        ")) d USING (severity, basis, key) GROUP BY 1, 2, 3) r \
             WHERE (f.severity, f.basis, f.key) = (r.severity, r.basis, r.key)",
    )
    .execute(conn)?;
    Ok(())
}

/// The forecast of the incident of the surrounding query (`incidents`) as a JSON object (`Forecast`'s fields): of
/// its figures under the first key, in basis order, with at least `MINIMUM` incidents; NULL when there are too few.
/// `choose`'s rule in SQL, held to the same answers by a test. The figures with enough incidents are read once per
/// statement into one object keyed "severity:basis:key" (an uncorrelated scalar subquery, which PostgreSQL
/// evaluates once; `OFFSET 0` keeps it from being copied into each of the three lookups), and each incident looks
/// its keys up in it, where a subquery per incident scanned the table with an OR of the three keys (EXPLAIN ANALYZE
/// of the Likely-to-breach count over the default demo's 77 active incidents, warm: 1.7 ms before, 0.8 ms after).
fn of_the_incident() -> PreparedSql<'static> {
    prepared(
        "(SELECT coalesce(x.f -> (incidents.severity || ':1:' || incidents.component_id), \
                  x.f -> (incidents.severity || ':2:' || (SELECT c.product_id FROM infrastructure_components c \
                                                           WHERE c.component_id = incidents.component_id)), \
                  x.f -> (incidents.severity || ':3:' || incidents.category)) \
          FROM (SELECT (SELECT jsonb_object_agg(f.severity || ':' || f.basis || ':' || f.key, \
                       jsonb_build_object('basis', f.basis, 'n', f.n, 'median_minutes', f.median_minutes, \
                                          'p80_minutes', f.p80_minutes)) \
                FROM resolution_forecasts f WHERE f.n >= ",
    )
    .bind::<BigInt, _>(MINIMUM)
    .sql(") AS f OFFSET 0) x)")
}

/// The forecast of the incident of the surrounding query as JSON (`Forecast`'s fields), NULL when too few.
pub fn forecast_json() -> PreparedSql<'static> {
    of_the_incident().sql("::json")
}

/// By how long the 80th percentile of the open incident of the surrounding query passes its SLA's resolution
/// deadline (an interval; negative when it falls within it): NULL once it is resolved, or without a forecast or an
/// SLA. Likely to breach when positive (`likely_to_breach`); the list sorts the worst first.
pub fn overrun(targets: &crate::service_levels::Targets) -> PreparedSql<'static> {
    prepared("CASE WHEN incidents.resolution_timestamp IS NULL THEN ")
        .sql("(")
        .append(of_the_incident())
        .sql(" ->> 'p80_minutes')::double precision * interval '1 minute' - ")
        .append(crate::service_levels::resolution_target(targets))
        .sql(" END")
}

/// The forecast of one incident, if there are enough incidents like it.
pub fn of_incident(conn: &mut PgConnection, incident_id: i32) -> QueryResult<Option<Forecast>> {
    let json: Option<serde_json::Value> = incidents::table
        .find(incident_id)
        .select(forecast_json().expression::<Nullable<diesel::sql_types::Json>>())
        .first(conn)?;
    json.map(serde_json::from_value).transpose().map_err(|e| {
        diesel::result::Error::DeserializationError(format!("the forecast of incident {incident_id}: {e}").into())
    })
}
