//! The incident page's intelligence in one statement: recent changes and similar incidents with their fixes, as
//! JSON, within the viewer's sight.
use super::{Insight, RECENT_HOURS, RecentChange, SIMILAR, TitleMatch};
use crate::access::{Rows, Sight};
use crate::db::prepared::{PreparedSql, prepared};
use crate::incidents::Incident;
use crate::records::procedures::{ANALYSES, ARTICLES, CHANGES, WORKAROUNDS};
use crate::records::spec::Resource;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamptz};

/// How many of the latest resolved incidents on the component, of its product's and of its category's are ranked.
const CANDIDATES: i64 = 100;
/// How many incidents with alike titles are ranked: the last of the likenesses, so a few fill what the others leave.
/// Common titles match one incident in ten, and PostgreSQL finds them by testing titles in turn (about 6 µs each):
/// at a million incidents, 100 of them took 7 ms of the incident page's 12 ms statement.
const TITLE_CANDIDATES: i64 = 25;
/// When a change's window started: its actual start, else its scheduled one.
const WINDOW: &str = "coalesce(change_requests.actual_start_time, change_requests.scheduled_start_time)";
/// A resolved or closed incident, over `incidents`.
const RESOLVED: &str = "incidents.status IN ('resolved', 'closed')";

/// How this server compares titles, asked once per process: whether it has `pg_trgm` (the migration installs it
/// where the server offers it).
pub fn title_match(conn: &mut PgConnection) -> QueryResult<TitleMatch> {
    static ASKED: std::sync::OnceLock<TitleMatch> = std::sync::OnceLock::new();
    if let Some(matching) = ASKED.get() {
        return Ok(*matching);
    }
    let matching = server_title_match(conn)?;
    Ok(*ASKED.get_or_init(|| matching))
}

fn server_title_match(conn: &mut PgConnection) -> QueryResult<TitleMatch> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        found: bool,
    }
    let found: Found =
        prepared("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') AS found").get_result(conn)?;
    Ok(if found.found { TitleMatch::Trigram } else { TitleMatch::FullText })
}

/// `condition AND` the rows of `resource` that `sight` sees, under the alias `alias`.
fn seen(sight: Sight, rows: Rows, alias: &str) -> PreparedSql<'static> {
    match sight.rows(rows, alias) {
        Some(condition) => prepared(" AND ").append(condition),
        None => prepared(""),
    }
}

/// The title `title` as a full-text query that any of its words matches.
fn any_word(title: &str) -> PreparedSql<'static> {
    prepared("to_tsquery('english', nullif(array_to_string(tsvector_to_array(to_tsvector('english', ")
        .bind::<Text, _>(title.to_string())
        .sql(")), ' | '), ''))")
}

/// Whether an incident's title is alike `title`, and how alike (higher is more), over `incidents`.
fn alike(title: &str, matching: TitleMatch) -> (PreparedSql<'static>, PreparedSql<'static>) {
    match matching {
        TitleMatch::Trigram => (
            prepared("incidents.title % ").bind::<Text, _>(title.to_string()),
            prepared("similarity(incidents.title, ").bind::<Text, _>(title.to_string()).sql(")"),
        ),
        TitleMatch::FullText => (
            prepared("incidents.title_search @@ ").append(any_word(title)),
            prepared("coalesce(ts_rank(incidents.title_search, ").append(any_word(title)).sql("), 0)"),
        ),
    }
}

/// The fixes of the similar incident `s`: a JSON list of `{id, text, code}` from `resource`'s table, as `sight`
/// sees them.
fn fixes(resource: &Resource, shown: &str, code: &str, sight: Sight) -> PreparedSql<'static> {
    let (table, key) = (resource.table, resource.key);
    prepared(format!(
        "(SELECT coalesce(json_agg(json_build_object('id', f.{key}, 'text', coalesce({shown}, ''), 'code', {code}) \
           ORDER BY f.{key}), '[]') \
         FROM {table} f WHERE f.incident_id = s.incident_id"
    ))
    .append(seen(sight, resource.rows, "f"))
    .sql(")")
}

/// The changes on the incident's component, or linked to its other incidents, whose window started in the hours
/// before detection; `NULL` for one who may not read change requests.
fn recent_changes(incident: &Incident, sight: Sight) -> PreparedSql<'static> {
    prepared(format!(
        "(SELECT coalesce(json_agg(c ORDER BY c.started_at DESC, c.change_id DESC), '[]') FROM (\
           SELECT change_requests.change_id, change_requests.title, change_requests.status, \
                  change_requests.risk_level, {WINDOW} AS started_at, \
                  change_requests.actual_start_time IS NOT NULL AS actual, \
                  CASE WHEN change_requests.component_id IS DISTINCT FROM "
    ))
    .bind::<Integer, _>(incident.component_id)
    .sql(format!(
        " THEN change_requests.incident_id END AS through_incident FROM change_requests WHERE {WINDOW} BETWEEN "
    ))
    .bind::<Timestamptz, _>(incident.detection_timestamp - chrono::Duration::hours(RECENT_HOURS))
    .sql(" AND ")
    .bind::<Timestamptz, _>(incident.detection_timestamp)
    .sql(" AND (change_requests.component_id = ")
    .bind::<Integer, _>(incident.component_id)
    .sql(
        " OR EXISTS (SELECT 1 FROM incidents o WHERE o.incident_id = change_requests.incident_id AND o.component_id = ",
    )
    .bind::<Integer, _>(incident.component_id)
    .sql(" AND o.incident_id <> ")
    .bind::<Integer, _>(incident.incident_id)
    .sql("))")
    .append(seen(sight, CHANGES.rows, "change_requests"))
    .sql(format!(" ORDER BY {WINDOW} DESC LIMIT 20) c)"))
}

/// Up to `SIMILAR` resolved or closed incidents the viewer sees, ranked by the same component, then the same
/// product, then the same category, then how alike their titles are. The candidates are bounded whatever the
/// history: the latest resolved incidents on the component, some of the product's and of the category's, and those
/// with alike titles (which the title index finds).
fn similar(incident: &Incident, sight: Sight, matching: TitleMatch) -> PreparedSql<'static> {
    let (is_alike, alikeness) = alike(&incident.title, matching);
    let candidates_where = |condition: PreparedSql<'static>| {
        prepared(format!("(SELECT incidents.incident_id FROM incidents WHERE {RESOLVED} AND incidents.incident_id <> "))
            .bind::<Integer, _>(incident.incident_id)
            .sql(" AND ")
            .append(condition)
            .append(seen(sight, Rows::Incidents, "incidents"))
    };
    let product_components = || {
        prepared(
            "(SELECT p.component_id FROM infrastructure_components p WHERE p.product_id = \
                  (SELECT product_id FROM infrastructure_components WHERE component_id = ",
        )
        .bind::<Integer, _>(incident.component_id)
        .sql("))")
    };
    let candidates = PreparedSql::join(
        [
            candidates_where(prepared("incidents.component_id = ").bind::<Integer, _>(incident.component_id))
                .sql(format!(" ORDER BY incidents.resolution_timestamp DESC LIMIT {CANDIDATES})")),
            candidates_where(prepared("incidents.component_id IN ").append(product_components()))
                .sql(format!(" LIMIT {CANDIDATES})")),
            candidates_where(prepared("incidents.category = ").bind::<Text, _>(incident.category.clone()))
                .sql(format!(" LIMIT {CANDIDATES})")),
            candidates_where(is_alike).sql(format!(" LIMIT {TITLE_CANDIDATES})")),
        ],
        " UNION ",
    );
    let rank = prepared("CASE WHEN incidents.component_id = ")
        .bind::<Integer, _>(incident.component_id)
        .sql(" THEN 0 WHEN ic.product_id = (SELECT product_id FROM infrastructure_components WHERE component_id = ")
        .bind::<Integer, _>(incident.component_id)
        .sql(") THEN 1 WHEN incidents.category = ")
        .bind::<Text, _>(incident.category.clone())
        .sql(" THEN 2 ELSE 3 END");
    prepared(
        "(SELECT coalesce(json_agg(json_build_object('incident_id', s.incident_id, 'title', s.title, \
           'severity', s.severity, 'resolved_at', s.resolved_at, \
           'likeness', (ARRAY['same_component', 'same_product', 'same_category', 'alike_title'])[s.rank + 1], \
           'workarounds', ",
    )
    .append(fixes(&WORKAROUNDS, "f.description", "f.effectiveness_level", sight))
    .sql(", 'analyses', ")
    .append(fixes(&ANALYSES, "f.findings", "f.analysis_method", sight))
    .sql(", 'articles', ")
    .append(fixes(&ARTICLES, "f.title", "NULL", sight))
    .sql(") ORDER BY s.rank, s.alike DESC, s.resolved_at DESC), '[]') FROM (SELECT incidents.incident_id, incidents.title, incidents.severity, incidents.resolution_timestamp AS resolved_at, ")
    .append(rank)
    .sql(" AS rank, ")
    .append(alikeness)
    .sql(" AS alike FROM incidents JOIN infrastructure_components ic ON ic.component_id = incidents.component_id WHERE incidents.incident_id IN (")
    .append(candidates)
    .sql(format!(") ORDER BY rank, alike DESC, resolved_at DESC LIMIT {SIMILAR}) s)"))
}

/// The incident's recent changes alone, as `sight` sees them (for the check of a suspected cause).
pub fn recent_changes_of(conn: &mut PgConnection, incident: &Incident, sight: Sight) -> QueryResult<Vec<RecentChange>> {
    #[derive(QueryableByName)]
    struct Json {
        #[diesel(sql_type = Text)]
        changes: String,
    }
    let row: Json =
        prepared("SELECT (").append(recent_changes(incident, sight)).sql(")::text AS changes").get_result(conn)?;
    serde_json::from_str(&row.changes).map_err(|e| {
        diesel::result::Error::DeserializationError(
            format!("the incident's recent changes are not as read: {e}").into(),
        )
    })
}

/// What the history says about `incident`, as `sight` may see it; `reads_changes` says whether the viewer may read
/// change requests at all.
pub fn insight(
    conn: &mut PgConnection,
    incident: &Incident,
    sight: Sight,
    reads_changes: bool,
    matching: TitleMatch,
) -> QueryResult<Insight> {
    #[derive(QueryableByName)]
    struct Json {
        #[diesel(sql_type = Text)]
        insight: String,
    }
    let changes = if reads_changes { recent_changes(incident, sight) } else { prepared("NULL") };
    let row: Json = prepared("SELECT json_build_object('recent_changes', ")
        .append(changes)
        .sql(", 'similar', ")
        .append(similar(incident, sight, matching))
        .sql(")::text AS insight")
        .get_result(conn)?;
    serde_json::from_str(&row.insight).map(Insight::in_words).map_err(|e| {
        diesel::result::Error::DeserializationError(format!("the incident's intelligence is not as read: {e}").into())
    })
}
