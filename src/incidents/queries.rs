//! Incident queries. Every read goes through `visible`, which applies the actor's scope in SQL.
use super::Incident;
pub use super::list::{Assignee, ListFilter, Order, SlaState};
use crate::access::Scope;
use crate::db::prepared::{PreparedSql, prepared};
use crate::domain::enums::{Role, Severity};
use crate::schema::{
    clients, communications, incident_escalations, incident_updates, incidents, infrastructure_components, products,
    users, vendors,
};
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;

pub const PAGE_SIZE: i64 = 50;

/// Incidents the scope may see.
pub fn visible<'a>(scope: Scope) -> incidents::BoxedQuery<'a, Pg> {
    incidents::table.into_boxed().filter(scope.incidents())
}

pub fn find(conn: &mut PgConnection, scope: Scope, incident_id: i32) -> QueryResult<Option<Incident>> {
    visible(scope).filter(incidents::incident_id.eq(incident_id)).select(Incident::as_select()).first(conn).optional()
}

/// The condition of an open incident (not resolved or closed), over `incidents`: the partial indexes' own words, so
/// the planner can use them.
pub const OPEN: &str = "incidents.status NOT IN ('resolved', 'closed')";

/// Open incidents that still lack a root cause analysis or a workaround, over `incidents`. Probes per incident,
/// stopping at the first record of each kind; written as "fewer than both" because the planner then expects a
/// third of open incidents to match and walks the index: `probe IS NULL` is expected to match 0.5 %, so it read and
/// sorted every open incident, and NOT EXISTS under an OR hashed every analysis and workaround there is.
const WAITING: &str = "(SELECT count(*) FROM (SELECT 1 FROM root_cause_analysis r \
                         WHERE r.incident_id = incidents.incident_id LIMIT 1) r) \
                       + (SELECT count(*) FROM (SELECT 1 FROM workarounds w \
                         WHERE w.incident_id = incidents.incident_id LIMIT 1) w) < 2";

/// What the list's SLA filter and order need: the time now, and the targets of every applicable SLA.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines<'a> {
    pub now: DateTime<Utc>,
    pub targets: &'a crate::service_levels::Targets,
}

/// The incidents of the list within the scope.
fn filtered<'a>(scope: Scope, filter: &ListFilter, deadlines: Deadlines<'_>) -> incidents::BoxedQuery<'a, Pg> {
    use diesel::sql_types::Bool;
    let mut query = visible(scope);
    if filter.only_active() {
        query = query.filter(prepared(OPEN).expression::<Bool>());
    } else if !filter.statuses.is_empty() {
        query = query.filter(incidents::status.eq_any(filter.statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>()));
    }
    if !filter.severities.is_empty() {
        query =
            query.filter(incidents::severity.eq_any(filter.severities.iter().map(|s| s.as_str()).collect::<Vec<_>>()));
    }
    if let Some(client) = filter.client_id {
        query = query.filter(incidents::client_id.eq(client));
    }
    match filter.assignee {
        Some(Assignee::Person(assignee)) => query = query.filter(incidents::assigned_to_user_id.eq(assignee)),
        Some(Assignee::Nobody) => query = query.filter(incidents::assigned_to_user_id.is_null()),
        None => {}
    }
    if filter.escalated {
        let active = incident_escalations::table
            .filter(incident_escalations::status.eq("active"))
            .select(incident_escalations::incident_id);
        query = query.filter(incidents::incident_id.eq_any(active));
    }
    if filter.waiting {
        query = query.filter(prepared(WAITING).expression::<Bool>());
    }
    if filter.likely_breach {
        let overrun = crate::forecast::queries::overrun(deadlines.targets);
        query = query.filter(prepared("(").append(overrun).sql(") > interval '0'").expression::<Bool>());
    }
    if let Some(sla) = filter.sla {
        let breached_only = sla == SlaState::Breached;
        let attention = crate::service_levels::needs_attention(deadlines.now, breached_only, deadlines.targets);
        query = query.filter(attention.expression::<Bool>());
    }
    if let Some(text) = &filter.text {
        use diesel::dsl::sql;
        use diesel::sql_types::{Bool, Text};
        // Through the stored search vectors, whose statistics let the planner tell a common word (walk the
        // newest-first index until the page is full) from a rare one (the few matches from the GIN indexes). The
        // incidents a message matches are read once into an array: with `IN (subquery)` the planner would guess
        // that half of all incidents match the OR, and walk the whole index for a rare word.
        let title = sql::<Bool>("(incidents.title_search @@ plainto_tsquery('english', ").bind::<Text, _>(text.clone());
        let messages = if filter.only_active() {
            // The active incidents are few whatever the history: probe each one's messages, a cost that follows
            // the queue, where the array below would read every matching message there ever was.
            ("EXISTS (SELECT 1 FROM communications c WHERE c.incident_id = incidents.incident_id AND ", ")))")
        } else {
            ("incidents.incident_id = ANY(ARRAY(SELECT incident_id FROM communications WHERE ", "))))")
        };
        query = if filter.search_messages {
            query.filter(
                title
                    .sql(") OR ")
                    .sql(messages.0)
                    .sql("message_search @@ plainto_tsquery('english', ")
                    .bind::<Text, _>(text.clone())
                    .sql(messages.1),
            )
        } else {
            query.filter(title.sql("))"))
        };
    }
    query
}

/// Whether the list's count can be summed from `incident_counts` (kept by triggers) rather than counted: for a
/// scope of whole clients, filtered by client, status and severity alone. Returns the client to sum, if one.
fn summable(scope: Scope, filter: &ListFilter) -> Option<Option<i32>> {
    let simple = filter.assignee.is_none()
        && filter.text.is_none()
        && filter.sla.is_none()
        && !filter.likely_breach
        && !filter.escalated
        && !filter.waiting;
    match scope.whole_clients() {
        _ if !simple => None,
        Some(None) => Some(filter.client_id),
        Some(Some(own)) if filter.client_id.is_none_or(|c| c == own) => Some(Some(own)),
        _ => None,
    }
}

/// The list's statuses and severities as arrays, empty for any.
fn choices_of(filter: &ListFilter) -> (Vec<String>, Vec<String>) {
    (
        filter.statuses.iter().map(|s| s.as_str().to_string()).collect(),
        filter.severities.iter().map(|s| s.as_str().to_string()).collect(),
    )
}

/// How many incidents the filtered list holds, by severity, as a query of rows (`severity`, `n`), for lists without a
/// text search (counting a search's matches would cost what finding them all does). Summed from `incident_counts`
/// (kept by triggers) where it can be; counted otherwise, which the filters of the other lists bound to the active
/// incidents and their partial index. The list's own total and the dashboards' figures both come from here.
fn by_severity(scope: Scope, filter: &ListFilter, deadlines: Deadlines<'_>) -> PreparedSql<'static> {
    match summable(scope, filter) {
        Some(client) => {
            use diesel::sql_types::{Array, Integer, Nullable, Text};
            let (statuses, severities) = choices_of(filter);
            prepared("SELECT severity, coalesce(sum(n), 0)::bigint AS n FROM incident_counts WHERE (")
                .bind::<Nullable<Integer>, _>(client)
                .sql("::integer IS NULL OR client_id = ")
                .bind::<Nullable<Integer>, _>(client)
                .sql(") AND (cardinality(")
                .bind::<Array<Text>, _>(statuses.clone())
                .sql(") = 0 OR status = ANY(")
                .bind::<Array<Text>, _>(statuses)
                .sql(")) AND (cardinality(")
                .bind::<Array<Text>, _>(severities.clone())
                .sql(") = 0 OR severity = ANY(")
                .bind::<Array<Text>, _>(severities)
                .sql(")) GROUP BY severity")
        }
        None => prepared("SELECT f.severity, count(*) AS n FROM (")
            .fragment(filtered(scope, filter, deadlines).select(incidents::severity))
            .sql(") f GROUP BY f.severity"),
    }
}

/// How many incidents the filtered list holds, by severity; see `by_severity`.
pub fn totals_by_severity(
    conn: &mut PgConnection,
    scope: Scope,
    filter: &ListFilter,
    deadlines: Deadlines<'_>,
) -> QueryResult<Vec<(Severity, i64)>> {
    #[derive(QueryableByName)]
    struct Total {
        #[diesel(sql_type = diesel::sql_types::Text)]
        severity: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let totals: Vec<Total> = by_severity(scope, filter, deadlines).load(conn)?;
    Ok(totals.into_iter().filter_map(|t| Some((Severity::parse(&t.severity)?, t.n))).collect())
}

/// How many incidents the filtered list holds, as an SQL expression (NULL for a text search, whose matches are not
/// counted), so a page of the list reads its rows and its total in one statement.
fn total_expression(scope: Scope, filter: &ListFilter, deadlines: Deadlines<'_>) -> PreparedSql<'static> {
    if filter.text.is_some() {
        return prepared("NULL::bigint");
    }
    prepared("(SELECT coalesce(sum(t.n), 0)::bigint FROM (").append(by_severity(scope, filter, deadlines)).sql(") t)")
}

/// Rows after `(created, id)` in the newest-first order. The first condition bounds the date index's walk; the
/// second passes over the rows of that same moment that came before. Plain diesel, so the statement stays
/// prepared (an SQL literal would make it planned anew on every page).
#[allow(clippy::type_complexity)]
fn before_in_newest_order(
    (created, id): (DateTime<Utc>, i32),
) -> diesel::dsl::And<
    diesel::dsl::LtEq<incidents::created_at, DateTime<Utc>>,
    diesel::dsl::Or<
        diesel::dsl::Lt<incidents::created_at, DateTime<Utc>>,
        diesel::dsl::Lt<incidents::incident_id, i32>,
    >,
> {
    incidents::created_at.le(created).and(incidents::created_at.lt(created).or(incidents::incident_id.lt(id)))
}

/// Writes every incident of the filtered list as CSV, newest first, in batches so memory stays flat;
/// `send` takes each chunk and returns false when the reader has gone.
pub fn export_csv(
    conn: &mut PgConnection,
    scope: Scope,
    filter: &ListFilter,
    deadlines: Deadlines<'_>,
    send: &mut dyn FnMut(Vec<u8>) -> bool,
) -> QueryResult<()> {
    const BATCH: usize = 2_000;
    let header = [
        "incident_id",
        "title",
        "category",
        "severity",
        "impact_level",
        "urgency_level",
        "status",
        "client",
        "component",
        "assignee",
        "detection_timestamp",
        "acknowledged_at",
        "resolution_timestamp",
        "closed_at",
        "created_at",
    ];
    #[allow(clippy::type_complexity)]
    let read = |after: Option<&(Incident, String, String, Option<String>)>| {
        let mut query = filtered(scope, filter, deadlines)
            .inner_join(clients::table)
            .inner_join(infrastructure_components::table)
            .left_join(users::table.on(users::user_id.nullable().eq(incidents::assigned_to_user_id)));
        if let Some((last, ..)) = after {
            query = query.filter(before_in_newest_order((last.created_at, last.incident_id)));
        }
        query
            .order((incidents::created_at.desc(), incidents::incident_id.desc()))
            .limit(BATCH as i64)
            .select((
                Incident::as_select(),
                clients::client_name,
                infrastructure_components::component_name,
                users::name.nullable(),
            ))
            .load(conn)
    };
    let time = |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    crate::format::write_csv(header.map(String::from), BATCH, send, read, |(i, client, component, assignee)| {
        vec![
            i.incident_id.to_string(),
            i.title.clone(),
            i.category.clone(),
            i.severity.clone(),
            i.impact_level.clone(),
            i.urgency_level.clone(),
            i.status.clone(),
            client.clone(),
            component.clone(),
            assignee.clone().unwrap_or_default(),
            time(Some(i.detection_timestamp)),
            time(i.acknowledged_at),
            time(i.resolution_timestamp),
            time(i.closed_at),
            time(Some(i.created_at)),
        ]
    })
}

/// A row of the incident list.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ListRow {
    pub incident_id: i32,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub client_name: String,
    #[serde(rename = "name")]
    pub assignee: Option<String>,
    pub client_id: i32,
    pub detection_timestamp: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolution_timestamp: Option<DateTime<Utc>>,
    /// The forecast, when there are enough incidents like it (the subquery's column takes its function's name).
    #[serde(rename = "json_build_object")]
    pub forecast: Option<crate::forecast::Forecast>,
}

/// Which page: its number, and for the default order the last row of the page before it, so a deep page
/// costs what the first does (keyset pagination).
#[derive(Debug, Clone, Copy, Default)]
pub struct Position {
    pub number: i64,
    pub after: Option<(DateTime<Utc>, i32)>,
}

/// A page of the incident list.
#[derive(Debug, Clone)]
pub struct ListPage {
    pub rows: Vec<ListRow>,
    /// Whether rows follow this page.
    pub more: bool,
    /// How many incidents the whole list holds, when known: always without a text search, and on a search's
    /// last page (its matches are not counted).
    pub total: Option<i64>,
}

/// A page of the filtered list. One row more than a page is read, so whether another page follows is known
/// without counting; the page and the list's count are read in one statement.
pub fn list(
    conn: &mut PgConnection,
    scope: Scope,
    filter: &ListFilter,
    order: Order,
    page: Position,
    deadlines: Deadlines<'_>,
) -> QueryResult<ListPage> {
    let mut pages =
        read_pages(conn, vec![(page_query(scope, filter, order, page, PAGE_SIZE, deadlines), page, PAGE_SIZE)])?;
    Ok(pages.remove(0))
}

/// The first `size` rows of each filtered list and how many each holds, for a dashboard's panels: one statement
/// for all of them.
pub fn tops(
    conn: &mut PgConnection,
    scope: Scope,
    lists: &[(&ListFilter, Order)],
    size: i64,
    deadlines: Deadlines<'_>,
) -> QueryResult<Vec<ListPage>> {
    let first = Position { number: 1, after: None };
    let queries = lists
        .iter()
        .map(|(filter, order)| (page_query(scope, filter, *order, first, size, deadlines), first, size))
        .collect();
    read_pages(conn, queries)
}

/// The first `size` rows of one filtered list and how many it holds.
pub fn top(
    conn: &mut PgConnection,
    scope: Scope,
    filter: &ListFilter,
    order: Order,
    size: i64,
    deadlines: Deadlines<'_>,
) -> QueryResult<ListPage> {
    Ok(tops(conn, scope, &[(filter, order)], size, deadlines)?.remove(0))
}

/// Pages of lists as `page_query` writes them, read in one statement.
fn read_pages(
    conn: &mut PgConnection,
    pages: Vec<(PreparedSql<'static>, Position, i64)>,
) -> QueryResult<Vec<ListPage>> {
    #[derive(QueryableByName)]
    struct Json {
        #[diesel(sql_type = diesel::sql_types::Text)]
        pages: String,
    }
    #[derive(serde::Deserialize)]
    struct Read {
        total: Option<i64>,
        rows: Vec<ListRow>,
    }
    let (queries, shapes): (Vec<_>, Vec<_>) =
        pages.into_iter().map(|(query, page, size)| (query, (page, size))).unzip();
    let json: Json = prepared("SELECT json_build_array(")
        .append(PreparedSql::join(queries, ", "))
        .sql(")::text AS pages")
        .get_result(conn)?;
    let read: Vec<Read> = serde_json::from_str(&json.pages).map_err(|e| {
        diesel::result::Error::DeserializationError(format!("a page of incidents is not JSON: {e}").into())
    })?;
    Ok(read
        .into_iter()
        .zip(shapes)
        .map(|(Read { total, mut rows }, (page, size))| {
            let more = rows.len() as i64 > size;
            rows.truncate(size as usize);
            // On the last page the pages before it and this one's rows are all there is.
            let skip = (page.number.max(1) - 1) * size;
            let total = total.or_else(|| (!more).then(|| skip + rows.len() as i64));
            ListPage { rows, more, total }
        })
        .collect())
}

/// A page of the filtered list (one row more than `size`) and the whole list's count (NULL for a text search), as
/// one JSON object, `total` and `rows`, for `read_pages`.
fn page_query(
    scope: Scope,
    filter: &ListFilter,
    order: Order,
    page: Position,
    size: i64,
    deadlines: Deadlines<'_>,
) -> PreparedSql<'static> {
    use diesel::sql_types::{Interval, Json, Nullable, Text, Timestamptz};
    let skip = (page.number.max(1) - 1) * size;
    let mut query = filtered(scope, filter, deadlines);
    let due = || crate::service_levels::due(deadlines.targets).expression::<Nullable<Timestamptz>>();
    query = match (order, page.after) {
        (Order::Newest, Some(after)) => query
            .filter(before_in_newest_order(after))
            .order((incidents::created_at.desc(), incidents::incident_id.desc())),
        (Order::Newest, None) => query.order((incidents::created_at.desc(), incidents::incident_id.desc())),
        (Order::Oldest, _) => query.order((incidents::created_at.asc(), incidents::incident_id.asc())),
        (Order::Severity, _) => {
            query.order((incidents::severity.asc(), due().asc().nulls_last(), incidents::incident_id.desc()))
        }
        (Order::SeverityLowFirst, _) => {
            query.order((incidents::severity.desc(), incidents::created_at.desc(), incidents::incident_id.desc()))
        }
        (Order::Status, _) => {
            query.order((incidents::status.asc(), incidents::created_at.desc(), incidents::incident_id.desc()))
        }
        (Order::SlaDue, _) => query.order((due().asc().nulls_last(), incidents::incident_id.desc())),
        (Order::Forecast, _) => query.order((
            crate::forecast::queries::overrun(deadlines.targets).expression::<Nullable<Interval>>().desc().nulls_last(),
            incidents::incident_id.desc(),
        )),
    };
    // A keyset page starts after its cursor; the others skip the pages before them.
    let offset = if matches!((order, page.after), (Order::Newest, Some(_))) { 0 } else { skip };
    // The columns are named as `ListRow` reads them: a subquery's column takes the name of the column it selects.
    let query = query.select((
        incidents::incident_id,
        incidents::title,
        incidents::severity,
        incidents::status,
        incidents::created_at,
        // Names by subqueries rather than joins: PostgreSQL reads them for the page's rows alone, after sorting,
        // where a join would read them for every incident sorted (every active one, on a dashboard). Written out
        // rather than diesel's `single_value`, whose bound `LIMIT $n` made PostgreSQL plan the statement anew on
        // every view (a generic plan with an unknown limit looks costly to it).
        prepared("(SELECT clients.client_name FROM clients WHERE clients.client_id = incidents.client_id)")
            .expression::<Text>(),
        prepared("(SELECT users.name FROM users WHERE users.user_id = incidents.assigned_to_user_id)")
            .expression::<Nullable<Text>>(),
        incidents::client_id,
        incidents::detection_timestamp,
        incidents::acknowledged_at,
        incidents::resolution_timestamp,
        crate::forecast::queries::forecast_json().expression::<Nullable<Json>>(),
    ));
    // The count is an uncorrelated subquery, run once; json_agg keeps the order of the sorted subquery it reads.
    prepared("json_build_object('total', ")
        .append(total_expression(scope, filter, deadlines))
        .sql(", 'rows', (SELECT coalesce(json_agg(r), '[]') FROM (")
        .fragment(crate::db::prepared::limited(query, size + 1, offset))
        .sql(") r))")
}

/// Open incidents of the same client and component reported in the 24 hours before `now`.
pub fn similar_open(
    conn: &mut PgConnection,
    client_id: i32,
    component_id: i32,
    now: DateTime<Utc>,
) -> QueryResult<Vec<(i32, String)>> {
    incidents::table
        .filter(incidents::client_id.eq(client_id))
        .filter(incidents::component_id.eq(component_id))
        .filter(incidents::status.ne_all(["resolved", "closed"]))
        .filter(incidents::created_at.ge(now - chrono::Duration::hours(24)))
        .order(incidents::created_at.desc())
        .select((incidents::incident_id, incidents::title))
        .load(conn)
}

/// What an incident's page names besides the incident: client, component, product and supporting vendor.
#[derive(Debug, Clone, Queryable)]
pub struct Context {
    pub client_name: String,
    pub component_name: String,
    pub product_name: Option<String>,
    pub vendor_id: Option<i32>,
    pub vendor_name: Option<String>,
}

pub fn context(conn: &mut PgConnection, incident: &Incident) -> QueryResult<Context> {
    // The client's name by a subquery, in the same statement (without diesel's bound `LIMIT $n`, so it stays planned).
    let client_name = prepared("(SELECT clients.client_name FROM clients WHERE clients.client_id = ")
        .bind::<diesel::sql_types::Integer, _>(incident.client_id)
        .sql(")")
        .expression::<diesel::sql_types::Text>();
    let (client_name, component_name, product_name, vendor_id, vendor_name) = infrastructure_components::table
        .find(incident.component_id)
        .left_join(products::table.left_join(vendors::table))
        .select((
            client_name,
            infrastructure_components::component_name,
            products::product_name.nullable(),
            vendors::vendor_id.nullable(),
            vendors::vendor_name.nullable(),
        ))
        .first(conn)?;
    Ok(Context { client_name, component_name, product_name, vendor_id, vendor_name })
}

/// The vendor that supports a component, if any.
pub fn supporting_vendor(conn: &mut PgConnection, component_id: i32) -> QueryResult<Option<i32>> {
    infrastructure_components::table
        .find(component_id)
        .left_join(products::table)
        .select(products::support_vendor_id.nullable())
        .first::<Option<i32>>(conn)
        .optional()
        .map(Option::flatten)
}

/// A person as forms and checks need them.
#[derive(Debug, Clone, Queryable, serde::Deserialize)]
pub struct Person {
    pub user_id: i32,
    pub name: String,
    pub role: Role,
    pub status: String,
    pub vendor_id: Option<i32>,
    pub client_id: Option<i32>,
    pub email: String,
}

impl Person {
    /// The person as the access rules see them.
    pub fn actor(&self) -> crate::access::Actor {
        crate::access::Actor {
            user_id: self.user_id,
            role: self.role,
            client_id: self.client_id,
            vendor_id: self.vendor_id,
            status: crate::domain::enums::UserStatus::parse(&self.status)
                .unwrap_or(crate::domain::enums::UserStatus::Inactive),
        }
    }
}

/// The SQL types of a `Person` row.
type PersonRow = (
    diesel::sql_types::Integer,
    diesel::sql_types::Text,
    diesel::sql_types::Text,
    diesel::sql_types::Text,
    diesel::sql_types::Nullable<diesel::sql_types::Integer>,
    diesel::sql_types::Nullable<diesel::sql_types::Integer>,
    diesel::sql_types::Text,
);

fn people<'a>() -> users::BoxedQuery<'a, Pg, PersonRow> {
    users::table
        .select((
            users::user_id,
            users::name,
            users::role,
            users::status,
            users::vendor_id,
            users::client_id,
            users::email,
        ))
        .into_boxed()
}

pub fn person(conn: &mut PgConnection, user_id: i32) -> QueryResult<Option<Person>> {
    people().filter(users::user_id.eq(user_id)).first(conn).optional()
}

pub fn names(conn: &mut PgConnection, ids: &[i32]) -> QueryResult<Vec<(i32, String)>> {
    users::table.filter(users::user_id.eq_any(ids)).select((users::user_id, users::name)).load(conn)
}

/// Active users with these roles, by name; with `vendor`, only that vendor's contacts.
pub fn active_people(conn: &mut PgConnection, roles: &[Role], vendor: Option<i32>) -> QueryResult<Vec<Person>> {
    let roles: Vec<&str> = roles.iter().map(|role| role.as_str()).collect();
    let mut query = people().filter(users::status.eq("active")).filter(users::role.eq_any(roles));
    if let Some(vendor) = vendor {
        query = query.filter(users::vendor_id.eq(vendor));
    }
    query.order(users::name).load(conn)
}

/// The clients and the people a list's filters offer.
type FilterChoices = (Vec<(String, String)>, Vec<Person>);

/// The choices of the incident list's filters for staff, in one statement: the clients `viewer` sees (as
/// `records::queries::choices` gives them) and the people who hold an active incident in `scope`, with `selected`
/// (the person the list is filtered by), by name. Bounded by the active incidents, not by everyone who ever
/// worked here: the holders are read from the active incidents' index.
pub fn filter_choices(
    conn: &mut PgConnection,
    viewer: crate::access::Sight,
    clients: &crate::forms::RefTable,
    selected: Option<i32>,
) -> QueryResult<FilterChoices> {
    use diesel::sql_types::Bool;
    #[derive(QueryableByName)]
    struct Json {
        #[diesel(sql_type = diesel::sql_types::Text)]
        choices: String,
    }
    let holders =
        visible(viewer.scope).filter(prepared(OPEN).expression::<Bool>()).select(incidents::assigned_to_user_id);
    let people = people()
        .filter(users::user_id.nullable().eq_any(holders).or(users::user_id.nullable().eq(selected)))
        .order(users::name);
    let row: Json =
        prepared("SELECT json_build_array((SELECT coalesce(json_agg(json_build_array(c.id, c.label)), '[]') FROM (")
            .append(crate::records::queries::choices_query(clients, viewer))
            .sql(") c), (SELECT coalesce(json_agg(p), '[]') FROM (")
            .fragment(people)
            .sql(") p))::text AS choices")
            .get_result(conn)?;
    serde_json::from_str(&row.choices).map_err(|e| {
        diesel::result::Error::DeserializationError(format!("the list's choices are not JSON: {e}").into())
    })
}

/// The client's contacts, for addressing communications.
pub fn client_contacts(conn: &mut PgConnection, client_id: i32) -> QueryResult<Vec<Person>> {
    people().filter(users::client_id.eq(client_id)).filter(users::status.eq("active")).order(users::name).load(conn)
}

pub struct NewIncident<'a> {
    pub title: &'a str,
    pub category: &'a str,
    pub severity: &'a str,
    pub impact_level: &'a str,
    pub urgency_level: &'a str,
    pub client_id: i32,
    pub component_id: i32,
    pub reporter_user_id: i32,
    pub assigned_to_user_id: Option<i32>,
    pub detection_timestamp: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

pub fn insert(conn: &mut PgConnection, new: &NewIncident<'_>) -> QueryResult<Incident> {
    diesel::insert_into(incidents::table)
        .values((
            incidents::title.eq(new.title),
            incidents::category.eq(new.category),
            incidents::severity.eq(new.severity),
            incidents::impact_level.eq(new.impact_level),
            incidents::urgency_level.eq(new.urgency_level),
            incidents::status.eq("open"),
            incidents::client_id.eq(new.client_id),
            incidents::component_id.eq(new.component_id),
            incidents::reporter_user_id.eq(new.reporter_user_id),
            incidents::assigned_to_user_id.eq(new.assigned_to_user_id),
            incidents::detection_timestamp.eq(new.detection_timestamp),
            incidents::created_at.eq(new.now),
            incidents::updated_at.eq(new.now),
        ))
        .returning(Incident::as_returning())
        .get_result(conn)
}

/// The fields an edit may change, with the lifecycle timestamps the rules derive.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = incidents, treat_none_as_null = true)]
pub struct IncidentChanges {
    pub status: String,
    pub severity: String,
    pub impact_level: String,
    pub urgency_level: String,
    pub assigned_to_user_id: Option<i32>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolution_timestamp: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// Applies the changes if the incident is still at `lock_version`; returns the updated incident if it was.
pub fn update(
    conn: &mut PgConnection,
    incident_id: i32,
    lock_version: i32,
    changes: &IncidentChanges,
) -> QueryResult<Option<Incident>> {
    diesel::update(
        incidents::table
            .filter(incidents::incident_id.eq(incident_id))
            .filter(incidents::lock_version.eq(lock_version)),
    )
    .set((changes, incidents::lock_version.eq(incidents::lock_version + 1)))
    .returning(Incident::as_returning())
    .get_result(conn)
    .optional()
}

/// One row of the incident change log.
pub struct UpdateLog<'a> {
    pub incident_id: i32,
    pub user_id: i32,
    pub update_type: &'a str,
    pub field: &'a str,
    pub old: &'a str,
    pub new: &'a str,
    pub at: DateTime<Utc>,
}

pub fn log_update(conn: &mut PgConnection, entry: &UpdateLog<'_>) -> QueryResult<i32> {
    diesel::insert_into(incident_updates::table)
        .values((
            incident_updates::incident_id.eq(entry.incident_id),
            incident_updates::updated_by_user.eq(entry.user_id),
            incident_updates::update_type.eq(entry.update_type),
            incident_updates::field_changed.eq(entry.field),
            incident_updates::old_value.eq(entry.old),
            incident_updates::new_value.eq(entry.new),
            incident_updates::created_at.eq(entry.at),
        ))
        .returning(incident_updates::update_id)
        .get_result(conn)
}

pub struct NewEscalation<'a> {
    pub incident_id: i32,
    pub escalated_by_user: i32,
    pub escalated_to_user: i32,
    pub escalation_level: &'a str,
    pub reason: Option<&'a str>,
    pub now: DateTime<Utc>,
}

pub fn insert_escalation(conn: &mut PgConnection, new: &NewEscalation<'_>) -> QueryResult<i32> {
    diesel::insert_into(incident_escalations::table)
        .values((
            incident_escalations::incident_id.eq(new.incident_id),
            incident_escalations::escalated_by_user.eq(new.escalated_by_user),
            incident_escalations::escalated_to_user.eq(new.escalated_to_user),
            incident_escalations::escalation_level.eq(new.escalation_level),
            incident_escalations::reason.eq(new.reason),
            incident_escalations::status.eq("active"),
            incident_escalations::escalated_at.eq(new.now),
            incident_escalations::created_at.eq(new.now),
        ))
        .returning(incident_escalations::escalation_id)
        .get_result(conn)
}

/// An escalation of the incident, with its status.
pub fn escalation_status(conn: &mut PgConnection, incident_id: i32, escalation_id: i32) -> QueryResult<Option<String>> {
    incident_escalations::table
        .filter(incident_escalations::incident_id.eq(incident_id))
        .filter(incident_escalations::escalation_id.eq(escalation_id))
        .select(incident_escalations::status)
        .first(conn)
        .optional()
}

/// Ends an active escalation; returns whether it was still active.
pub fn end_escalation(
    conn: &mut PgConnection,
    escalation_id: i32,
    status: &str,
    by: i32,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::update(
        incident_escalations::table
            .filter(incident_escalations::escalation_id.eq(escalation_id))
            .filter(incident_escalations::status.eq("active")),
    )
    .set((
        incident_escalations::status.eq(status),
        incident_escalations::resolved_by_user.eq(by),
        incident_escalations::resolved_at.eq(now),
        incident_escalations::lock_version.eq(incident_escalations::lock_version + 1),
    ))
    .execute(conn)
    .map(|rows| rows == 1)
}

pub struct NewCommunication<'a> {
    pub incident_id: i32,
    /// `None` for the product's own communications.
    pub sender_id: Option<i32>,
    pub recipient_id: Option<i32>,
    pub recipient_type: Option<&'a str>,
    pub communication_type: &'a str,
    pub delivery_method: &'a str,
    pub delivery_status: &'a str,
    pub sent_at: Option<DateTime<Utc>>,
    pub message: &'a str,
    pub now: DateTime<Utc>,
}

pub fn insert_communication(conn: &mut PgConnection, new: &NewCommunication<'_>) -> QueryResult<i32> {
    diesel::insert_into(communications::table)
        .values((
            communications::incident_id.eq(new.incident_id),
            communications::sender_id.eq(new.sender_id),
            communications::recipient_id.eq(new.recipient_id),
            communications::recipient_type.eq(new.recipient_type),
            communications::communication_type.eq(new.communication_type),
            communications::delivery_method.eq(new.delivery_method),
            communications::delivery_status.eq(new.delivery_status),
            communications::sent_at.eq(new.sent_at),
            communications::message.eq(new.message),
            communications::created_at.eq(new.now),
        ))
        .returning(communications::communication_id)
        .get_result(conn)
}

/// How the client asked its contacts be told about its incidents, if it did.
pub fn incident_notices(conn: &mut PgConnection, client_id: i32) -> QueryResult<Option<String>> {
    clients::table.find(client_id).select(clients::incident_notices).first(conn)
}

/// A communication as its page and the timeline show it.
#[derive(Debug, Clone, Queryable, Selectable, serde::Deserialize)]
#[diesel(table_name = communications, check_for_backend(Pg))]
pub struct CommunicationRow {
    pub communication_id: i32,
    pub sender_id: Option<i32>,
    pub recipient_id: Option<i32>,
    pub recipient_type: Option<String>,
    pub communication_type: String,
    pub delivery_method: String,
    pub delivery_status: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub failure_reason: Option<String>,
    pub message: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Everything that happened to an incident, with the names of the people in it (`None`: no longer a user), as
/// the incident page and its timeline show it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct History {
    pub reporter: Option<String>,
    pub assignee: Option<String>,
    pub updates: Vec<UpdateRow>,
    pub escalations: Vec<EscalationRow>,
    pub messages: Vec<MessageRow>,
}

/// A row of the incident change log; for an assignment change, the names of the people it moved it between.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct UpdateRow {
    pub by: Option<String>,
    pub update_type: String,
    pub field_changed: String,
    pub old_value: String,
    pub new_value: String,
    pub old_name: Option<String>,
    pub new_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct EscalationRow {
    pub escalation_id: i32,
    pub by: Option<String>,
    pub to: Option<String>,
    pub escalation_level: String,
    pub reason: Option<String>,
    pub status: String,
    pub escalated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who ended it, when the record says (`resolved_by_user` set), and their name if they are still a user.
    pub resolved_by_user: Option<i32>,
    pub resolved_by: Option<String>,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct MessageRow {
    #[serde(flatten)]
    pub row: CommunicationRow,
    pub sender: Option<String>,
    pub recipient: Option<String>,
}

/// The incident's change log, escalations and communications, with every name in them, in one statement: one
/// round trip instead of one per list and one for the names.
pub fn history(conn: &mut PgConnection, incident: &Incident) -> QueryResult<History> {
    use diesel::sql_types::{Integer, Nullable, Text};
    #[derive(QueryableByName)]
    struct Json {
        #[diesel(sql_type = Text)]
        history: String,
    }
    let name_of = |column: &str| format!("(SELECT name FROM users WHERE users.user_id = {column})");
    // An assignment change keeps the people's ids as text; CASE reads them as ids only when they are numbers.
    let assignee_of = |column: &str| {
        format!(
            "CASE WHEN u.field_changed = 'assigned_to' AND u.{column} ~ '^[0-9]{{1,9}}$' \
             THEN (SELECT name FROM users WHERE users.user_id = u.{column}::integer) END"
        )
    };
    let id = incident.incident_id;
    let row: Json = prepared("SELECT json_build_object('reporter', (SELECT name FROM users WHERE users.user_id = ")
        .bind::<Integer, _>(incident.reporter_user_id)
        .sql("), 'assignee', (SELECT name FROM users WHERE users.user_id = ")
        .bind::<Nullable<Integer>, _>(incident.assigned_to_user_id)
        .sql("), 'updates', (SELECT coalesce(json_agg(u), '[]') FROM (SELECT ")
        .sql(name_of("u.updated_by_user"))
        .sql(" AS by, u.update_type, u.field_changed, u.old_value, u.new_value, ")
        .sql(assignee_of("old_value"))
        .sql(" AS old_name, ")
        .sql(assignee_of("new_value"))
        .sql(" AS new_name, u.created_at FROM incident_updates u WHERE u.incident_id = ")
        .bind::<Integer, _>(id)
        .sql(") u), 'escalations', (SELECT coalesce(json_agg(e ORDER BY e.escalated_at DESC), '[]') FROM (SELECT ")
        .sql("e.escalation_id, ")
        .sql(name_of("e.escalated_by_user"))
        .sql(" AS by, ")
        .sql(name_of("e.escalated_to_user"))
        .sql(" AS to, e.escalation_level, e.reason, e.status, e.escalated_at, e.resolved_at, e.resolved_by_user, ")
        .sql(name_of("e.resolved_by_user"))
        .sql(" AS resolved_by FROM incident_escalations e WHERE e.incident_id = ")
        .bind::<Integer, _>(id)
        .sql(
            ") e), 'messages', (SELECT coalesce(json_agg(m), '[]') FROM (SELECT m.communication_id, m.sender_id, \
             m.recipient_id, m.recipient_type, m.communication_type, m.delivery_method, m.delivery_status, \
             m.sent_at, m.failure_reason, m.message, m.created_at, ",
        )
        .sql(name_of("m.sender_id"))
        .sql(" AS sender, ")
        .sql(name_of("m.recipient_id"))
        .sql(" AS recipient FROM communications m WHERE m.incident_id = ")
        .bind::<Integer, _>(id)
        .sql(") m))::text AS history")
        .get_result(conn)?;
    serde_json::from_str(&row.history).map_err(|e| {
        diesel::result::Error::DeserializationError(format!("the history of incident {id} is not JSON: {e}").into())
    })
}

/// One of the incident's communications.
pub fn communication(
    conn: &mut PgConnection,
    incident_id: i32,
    communication_id: i32,
) -> QueryResult<Option<CommunicationRow>> {
    communications::table
        .find(communication_id)
        .filter(communications::incident_id.eq(incident_id))
        .select(CommunicationRow::as_select())
        .first(conn)
        .optional()
}
