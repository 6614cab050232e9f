//! Queries over described record tables. Identifiers come only from the static descriptions; every submitted
//! value is a bound parameter, cast to its column's type by PostgreSQL; what an actor sees is `access::Sight`'s.
//! Each query is built in the order of its text, so parameters are numbered as they are written.
pub use super::row::Record;
use super::spec::{FieldKind, Link, RefTable, Resource};
use crate::access::Sight;
use crate::db::prepared::{PreparedSql, prepared};
use crate::forms::Values;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text};
use serde_json::{Map, Value};

pub const PAGE_SIZE: i64 = 50;

/// A submitted value as a parameter, cast to its column's type (a described type, never a value).
fn param(value: Option<String>, sql_type: &str) -> PreparedSql<'static> {
    prepared("CAST(").bind::<Nullable<Text>, _>(value).sql(format!(" AS {sql_type})"))
}

/// The condition that keeps the records linked to the record `id`, in parentheses.
fn linked(link: Link, id: i32) -> PreparedSql<'static> {
    match link {
        Link::Column(column) => prepared(format!("({column} = ")),
        Link::Through { column, select, table, by: key } => {
            prepared(format!("({column} IN (SELECT {select} FROM {table} WHERE {key} = "))
        }
    }
    .bind::<Integer, _>(id)
    .sql(match link {
        Link::Column(_) => ")",
        Link::Through { .. } => "))",
    })
}

/// `WHERE` and the conditions, or nothing when there are none.
fn where_clause(conditions: Vec<PreparedSql<'static>>) -> PreparedSql<'static> {
    if conditions.is_empty() {
        prepared("")
    } else {
        prepared(" WHERE ").append(PreparedSql::join(conditions, " AND "))
    }
}

#[derive(QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = Text)]
    record: String,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct FoundRow {
    #[diesel(sql_type = Bool)]
    found: bool,
}

#[derive(QueryableByName)]
struct ChoiceRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    label: String,
}

/// The columns a page may show: never a password hash. A referenced record is named only when it lies in
/// the viewer's sight too.
fn select_list(resource: &Resource, viewer: Sight) -> PreparedSql<'static> {
    let table = resource.table;
    let mut columns =
        vec![prepared(format!("{table}.{}", resource.key)), prepared(format!("({}) AS __title", resource.title))];
    for field in resource.fields {
        match field.kind {
            FieldKind::NewPassword => {}
            FieldKind::Reference(target) => {
                columns.push(prepared(format!("{table}.{}", field.name)));
                let mut label = prepared(format!(
                    "(SELECT {label} FROM {t} WHERE {t}.{key} = {table}.{name}",
                    label = target.label,
                    t = target.table,
                    key = target.key,
                    name = field.name
                ));
                if let Some(scope) = viewer.rows(target.rows, target.table) {
                    label = label.sql(" AND ").append(scope);
                }
                columns.push(label.sql(format!(") AS {}__label", field.name)));
            }
            _ => columns.push(prepared(format!("{table}.{}", field.name))),
        }
    }
    columns.push(prepared(format!("{table}.created_at")));
    columns.extend(resource.extra_columns.iter().map(|c| prepared(format!("{table}.{c}"))));
    if let Some(actor) = resource.actor_column {
        columns.push(prepared(format!("(SELECT name FROM users u WHERE u.user_id = {table}.{actor}) AS __actor")));
    }
    if resource.has_updated_at {
        columns.push(prepared(format!("{table}.updated_at")));
    }
    if resource.approval {
        columns.extend(
            [
                super::columns::APPROVAL_DECIDED_AT,
                super::columns::REJECTION_REASON,
                super::columns::APPROVAL_DECIDED_BY,
            ]
            .map(|c| prepared(format!("{table}.{c}"))),
        );
        columns.push(prepared(format!(
            "(SELECT name FROM users u WHERE u.user_id = {table}.approval_decided_by) AS approval_decided_by__label"
        )));
    }
    if resource.versioned {
        columns.push(prepared(format!("{table}.lock_version")));
    }
    PreparedSql::join(columns, ", ")
}

/// Rows come from PostgreSQL as JSON text (one per record, or one per page of them); they are read into typed
/// records here, and a row that cannot be read fails the query.
fn not_read(resource: &Resource, error: impl std::fmt::Display) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(format!("a row of {} cannot be read: {error}", resource.table).into())
}

fn decode(resource: &Resource, columns: &Map<String, Value>) -> QueryResult<Record> {
    super::row::decode(resource, columns).map_err(|e| not_read(resource, e))
}

/// One record, if it exists within the viewer's sight.
pub fn get(conn: &mut PgConnection, resource: &Resource, id: i32, viewer: Sight) -> QueryResult<Option<Record>> {
    let mut conditions = vec![prepared(format!("{}.{} = ", resource.table, resource.key)).bind::<Integer, _>(id)];
    conditions.extend(viewer.rows(resource.rows, resource.table));
    let sql = prepared("SELECT row_to_json(r)::text AS record FROM (SELECT ")
        .append(select_list(resource, viewer))
        .sql(format!(" FROM {}", resource.table))
        .append(where_clause(conditions))
        .sql(") r");
    let rows: Vec<JsonRow> = sql.load(conn)?;
    rows.first()
        .map(|row| decode(resource, &serde_json::from_str(&row.record).map_err(|e| not_read(resource, e))?))
        .transpose()
}

/// A filter on a list: the field and its value.
pub type Filter = (&'static str, String);

/// What a list asks for besides its filters: words to search for, a column to sort by, and the record its records
/// are linked to (a record's page lists those related to it).
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    pub search: Option<String>,
    /// A described column, and whether newest or largest first.
    pub sort: Option<(&'static str, bool)>,
    pub linked_to: Option<(Link, i32)>,
}

/// A page of records within the viewer's sight, newest first, with the total count.
pub fn list(
    conn: &mut PgConnection,
    resource: &Resource,
    viewer: Sight,
    filters: &[Filter],
    page: i64,
) -> QueryResult<(Vec<Record>, i64)> {
    list_with(conn, resource, viewer, filters, &ListOptions::default(), page)
}

/// A page of records as `list` gives it, searched, sorted and linked as asked.
pub fn list_with(
    conn: &mut PgConnection,
    resource: &Resource,
    viewer: Sight,
    filters: &[Filter],
    options: &ListOptions,
    page: i64,
) -> QueryResult<(Vec<Record>, i64)> {
    let sql =
        prepared("SELECT (").append(counted_page(resource, viewer, (filters, options), page)).sql(")::text AS record");
    let row: JsonRow = sql.get_result(conn)?;
    let page: CountedPage = serde_json::from_str(&row.record).map_err(|e| not_read(resource, e))?;
    page.into_records(resource)
}

/// The first page of several lists at once, each as `list` gives it, in one statement: a page that shows many
/// kinds of records (the incident's timeline) waits on one round trip instead of one per kind.
pub fn first_pages(
    conn: &mut PgConnection,
    viewer: Sight,
    lists: &[(&Resource, Link, i32)],
) -> QueryResult<Vec<(Vec<Record>, i64)>> {
    if lists.is_empty() {
        return Ok(Vec::new());
    }
    let pages = lists.iter().map(|(resource, link, id)| {
        let options = ListOptions { linked_to: Some((*link, *id)), ..ListOptions::default() };
        counted_page(resource, viewer, (&[], &options), 1)
    });
    let sql = prepared("SELECT json_build_array(").append(PreparedSql::join(pages, ", ")).sql(")::text AS record");
    let row: JsonRow = sql.get_result(conn)?;
    let pages: Vec<CountedPage> = serde_json::from_str(&row.record).map_err(|e| not_read(lists[0].0, e))?;
    pages.into_iter().zip(lists).map(|(page, (resource, ..))| page.into_records(resource)).collect()
}

/// A page of the list and how many records the whole list holds, as one JSON object (`n`, `records`): the count
/// and the page in one expression, so they agree.
fn counted_page(
    resource: &Resource,
    viewer: Sight,
    (filters, options): (&[Filter], &ListOptions),
    page: i64,
) -> PreparedSql<'static> {
    let table = resource.table;
    // Sort columns come only from the description, never from the request's text.
    let order = match options.sort {
        Some((column, descending)) => format!(
            "{table}.{column} {} NULLS LAST, {table}.{} DESC",
            if descending { "DESC" } else { "ASC" },
            resource.key
        ),
        None => format!("{table}.{} DESC", resource.key),
    };
    // The conditions are written twice (for the count and for the page), so they are made by a function.
    let conditions = || {
        let mut conditions = list_conditions(resource, viewer, filters, options);
        conditions.extend(options.linked_to.map(|(link, id)| linked(link, id)));
        where_clause(conditions)
    };
    let sql = prepared(format!("json_build_object('n', (SELECT count(*) FROM {table}"))
        .append(conditions())
        .sql(format!("), 'records', (SELECT coalesce(json_agg(r ORDER BY r.{POSITION}), '[]') FROM (SELECT "))
        .append(select_list(resource, viewer))
        .sql(format!(", row_number() OVER (ORDER BY {order}) AS {POSITION} FROM {table}"))
        .append(conditions())
        .sql(format!(" ORDER BY {order} LIMIT {PAGE_SIZE}"));
    // The first page has no offset: a bound one makes PostgreSQL plan the statement anew on every run (it costs
    // the generic plan of an unknown offset as if it skipped a tenth of the table).
    let sql = match page {
        ..=1 => sql,
        _ => sql.sql(" OFFSET ").bind::<BigInt, _>((page - 1) * PAGE_SIZE),
    };
    sql.sql(") r))")
}

/// What a list keeps of a table: the rows the viewer sees, matching the filters (several values of one field: any
/// of them) and the search words.
fn list_conditions(
    resource: &Resource,
    viewer: Sight,
    filters: &[Filter],
    options: &ListOptions,
) -> Vec<PreparedSql<'static>> {
    let table = resource.table;
    let mut conditions: Vec<PreparedSql<'static>> = Vec::new();
    conditions.extend(viewer.rows(resource.rows, table));
    let mut fields: Vec<&str> = Vec::new();
    for (field, _) in filters {
        if !fields.contains(field) {
            fields.push(field);
        }
    }
    for field in fields {
        let sql_type = resource.field(field).map_or("text", |f| f.kind.sql_type());
        // One value is `= v`; several are `= ANY(ARRAY[v1, v2])`, which an index on the column takes as one
        // condition where an OR of equalities would read every row of the field's other conditions.
        let values: Vec<PreparedSql<'static>> = filters
            .iter()
            .filter(|(name, _)| *name == field)
            .map(|(_, value)| param(Some(value.clone()), sql_type))
            .collect();
        conditions.push(match values.len() {
            1 => prepared(format!("{table}.{field} = ")).append(PreparedSql::join(values, "")),
            _ => prepared(format!("{table}.{field} = ANY(ARRAY[")).append(PreparedSql::join(values, ", ")).sql("])"),
        });
    }
    if let (Some(document), Some(words)) = (resource.search, &options.search) {
        conditions.push(
            prepared(format!("to_tsvector('english', {document}) @@ plainto_tsquery('english', "))
                .bind::<Text, _>(words.clone())
                .sql(")"),
        );
    }
    conditions
}

/// How many records each of several filtered lists holds, as their pages count them, in one statement: the
/// dashboards' figures that open those lists.
pub fn totals(conn: &mut PgConnection, viewer: Sight, lists: &[(&Resource, Vec<Filter>)]) -> QueryResult<Vec<i64>> {
    if lists.is_empty() {
        return Ok(Vec::new());
    }
    let counts = lists.iter().map(|(resource, filters)| {
        prepared(format!("(SELECT count(*) FROM {}", resource.table))
            .append(where_clause(list_conditions(resource, viewer, filters, &ListOptions::default())))
            .sql(")")
    });
    let sql = prepared("SELECT json_build_array(").append(PreparedSql::join(counts, ", ")).sql(")::text AS record");
    let row: JsonRow = sql.get_result(conn)?;
    serde_json::from_str(&row.record)
        .map_err(|e| diesel::result::Error::DeserializationError(format!("counts are not a JSON array: {e}").into()))
}

/// The column that carries a record's place on its page, so the page keeps its order through `json_agg`.
const POSITION: &str = "__position";

/// A page of records as PostgreSQL writes it, with how many records the whole list holds (`n`).
#[derive(serde::Deserialize)]
struct CountedPage {
    n: i64,
    records: Vec<Map<String, Value>>,
}

impl CountedPage {
    fn into_records(self, resource: &Resource) -> QueryResult<(Vec<Record>, i64)> {
        let records = self.records.iter().map(|row| decode(resource, row)).collect::<QueryResult<_>>()?;
        Ok((records, self.n))
    }
}

/// Whether another record already holds these values of a unique group (text compared without case).
pub fn duplicate(
    conn: &mut PgConnection,
    resource: &Resource,
    group: &[&str],
    values: &Values,
    except: Option<i32>,
) -> QueryResult<bool> {
    let mut conditions = Vec::new();
    for name in group {
        let field = resource.field(name).expect("unique fields are described");
        let value = values.get(name).cloned().flatten();
        conditions.push(match field.kind.sql_type() {
            "text" => {
                prepared(format!("lower({name}) IS NOT DISTINCT FROM lower(")).append(param(value, "text")).sql(")")
            }
            sql_type => prepared(format!("{name} IS NOT DISTINCT FROM ")).append(param(value, sql_type)),
        });
    }
    if let Some(id) = except {
        conditions.push(prepared(format!("{} <> ", resource.key)).bind::<Integer, _>(id));
    }
    exists(conn, resource.table, conditions)
}

fn exists(conn: &mut PgConnection, table: &str, conditions: Vec<PreparedSql<'static>>) -> QueryResult<bool> {
    let sql =
        prepared(format!("SELECT EXISTS (SELECT 1 FROM {table}")).append(where_clause(conditions)).sql(") AS found");
    Ok(sql.get_result::<FoundRow>(conn)?.found)
}

/// The conditions that find the record `id` of `target` within the viewer's sight; none when `id` is not a number.
fn reference(target: &RefTable, id: &str, viewer: Sight) -> Option<Vec<PreparedSql<'static>>> {
    let id: i32 = id.trim().parse().ok()?;
    let mut conditions = vec![prepared(format!("{}.{} = ", target.table, target.key)).bind::<Integer, _>(id)];
    conditions.extend(viewer.rows(target.rows, target.table));
    Some(conditions)
}

/// Whether the referenced record exists within the viewer's sight.
pub fn reference_exists(conn: &mut PgConnection, target: &RefTable, id: &str, viewer: Sight) -> QueryResult<bool> {
    match reference(target, id, viewer) {
        Some(conditions) => exists(conn, target.table, conditions),
        None => Ok(false),
    }
}

/// The records a reference field may point to, within the viewer's sight, by name in natural order ("Incident 2"
/// before "Incident 10").
pub fn choices(conn: &mut PgConnection, target: &RefTable, viewer: Sight) -> QueryResult<Vec<(String, String)>> {
    let rows: Vec<ChoiceRow> = choices_query(target, viewer).load(conn)?;
    Ok(rows.into_iter().map(|r| (r.id, r.label)).collect())
}

/// The query of `choices`, with the columns `id` and `label`, for a statement that reads other things beside it.
pub fn choices_query(target: &RefTable, viewer: Sight) -> PreparedSql<'static> {
    let conditions = viewer.rows(target.rows, target.table).into_iter().collect();
    prepared(format!("SELECT {}::text AS id, ({}) AS label FROM {}", target.key, target.label, target.table))
        .append(where_clause(conditions))
        .sql(format!(" ORDER BY ({})::text COLLATE natural_sort LIMIT 1000", target.label))
}

/// The names of the records `ids` of `target` within the viewer's sight, as rows `kind` (the table), `id`, `value`:
/// a part of a statement that looks up what audit entries name (`audit::trail::lookups`).
pub fn labels_query(target: &RefTable, ids: Vec<i32>, viewer: Sight) -> PreparedSql<'static> {
    let (table, key) = (target.table, target.key);
    let mut conditions = vec![prepared(format!("{table}.{key} = ANY(")).bind::<Array<Integer>, _>(ids).sql(")")];
    conditions.extend(viewer.rows(target.rows, table));
    prepared(format!("SELECT '{table}', {table}.{key}, ({})::text FROM {table}", target.label))
        .append(where_clause(conditions))
}

/// One record a reference may point to, within the viewer's sight, by id.
pub fn choice(
    conn: &mut PgConnection,
    target: &RefTable,
    id: &str,
    viewer: Sight,
) -> QueryResult<Option<(String, String)>> {
    let Some(conditions) = reference(target, id, viewer) else { return Ok(None) };
    let sql = prepared(format!("SELECT {}::text AS id, ({}) AS label FROM {}", target.key, target.label, target.table))
        .append(where_clause(conditions));
    let rows: Vec<ChoiceRow> = sql.load(conn)?;
    Ok(rows.into_iter().next().map(|r| (r.id, r.label)))
}

/// A column written besides the form's fields (timestamps, approval, the actor, a report's snapshot), with a value
/// of its own type, so that times and numbers never travel as text (only a snapshot, whose format is JSON text).
#[derive(Debug, Clone, PartialEq)]
pub struct Extra {
    pub column: &'static str,
    pub value: Written,
}

/// What an extra column is set to.
#[derive(Debug, Clone, PartialEq)]
pub enum Written {
    Null,
    Text(String),
    Integer(i64),
    Time(chrono::DateTime<chrono::Utc>),
    /// A JSON document, as text (a report's snapshot).
    Document(String),
}

impl Extra {
    pub fn new(column: &'static str, value: impl Into<Written>) -> Extra {
        Extra { column, value: value.into() }
    }

    /// A JSON document: a report's snapshot.
    pub fn document(column: &'static str, json: String) -> Extra {
        Extra { column, value: Written::Document(json) }
    }
}

impl From<&str> for Written {
    fn from(text: &str) -> Written {
        Written::Text(text.into())
    }
}

impl From<String> for Written {
    fn from(text: String) -> Written {
        Written::Text(text)
    }
}

impl From<i32> for Written {
    fn from(n: i32) -> Written {
        Written::Integer(n.into())
    }
}

impl From<i64> for Written {
    fn from(n: i64) -> Written {
        Written::Integer(n)
    }
}

impl From<chrono::DateTime<chrono::Utc>> for Written {
    fn from(at: chrono::DateTime<chrono::Utc>) -> Written {
        Written::Time(at)
    }
}

impl<T: Into<Written>> From<Option<T>> for Written {
    fn from(value: Option<T>) -> Written {
        value.map_or(Written::Null, Into::into)
    }
}

impl Written {
    /// The value as a parameter of its own type; a null as the literal, which takes the column's type (a few more
    /// prepared texts, one per pattern of nulls, instead of a type name per column).
    fn param(self) -> PreparedSql<'static> {
        match self {
            Written::Null => prepared("NULL"),
            Written::Text(text) => prepared("").bind::<Text, _>(text),
            Written::Integer(n) => prepared("").bind::<BigInt, _>(n),
            Written::Time(at) => prepared("").bind::<diesel::sql_types::Timestamptz, _>(at),
            Written::Document(json) => prepared("CAST(").bind::<Text, _>(json).sql(" AS jsonb)"),
        }
    }
}

/// Each column's value as a parameter: the form's values cast to their fields' types, then the extras.
fn assignments(resource: &Resource, values: &Values, extra: &[Extra]) -> Vec<(&'static str, PreparedSql<'static>)> {
    // What the product sets (extras) wins over what was typed for the same column.
    let mut columns: Vec<(&'static str, PreparedSql<'static>)> = values
        .iter()
        .filter(|(name, _)| !extra.iter().any(|e| e.column == **name))
        .filter_map(|(name, value)| {
            let field = resource.field(name)?;
            (!matches!(field.kind, FieldKind::NewPassword))
                .then(|| (field.name, param(value.clone(), field.kind.sql_type())))
        })
        .collect();
    columns.extend(extra.iter().map(|e| (e.column, e.value.clone().param())));
    columns
}

/// Inserts a record; returns its id.
pub fn insert(conn: &mut PgConnection, resource: &Resource, values: &Values, extra: &[Extra]) -> QueryResult<i32> {
    let columns = assignments(resource, values, extra);
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let params = columns.into_iter().map(|(_, value)| value);
    let sql = prepared(format!("INSERT INTO {} ({}) VALUES (", resource.table, names.join(", ")))
        .append(PreparedSql::join(params, ", "))
        .sql(format!(") RETURNING {}::bigint AS n", resource.key));
    Ok(sql.get_result::<CountRow>(conn)?.n as i32)
}

/// Updates a record if it is still at `lock_version`; returns whether it was.
pub fn update(
    conn: &mut PgConnection,
    resource: &Resource,
    id: i32,
    lock_version: i32,
    values: &Values,
    extra: &[Extra],
) -> QueryResult<bool> {
    let mut sets: Vec<PreparedSql<'static>> = assignments(resource, values, extra)
        .into_iter()
        .map(|(name, value)| prepared(format!("{name} = ")).append(value))
        .collect();
    sets.push(prepared("lock_version = lock_version + 1"));
    let sql = prepared(format!("UPDATE {} SET ", resource.table))
        .append(PreparedSql::join(sets, ", "))
        .sql(format!(" WHERE {} = ", resource.key))
        .bind::<Integer, _>(id)
        .sql(" AND lock_version = ")
        .bind::<Integer, _>(lock_version);
    Ok(sql.execute(conn)? == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_in_the_order_the_text_is_written() {
        let sql = prepared("SELECT '$' WHERE x = ")
            .append(param(Some("b".into()), "integer"))
            .sql(" AND ")
            .append(linked(Link::Through { column: "y", select: "z", table: "t", by: "k" }, 7));
        let debug = diesel::debug_query::<diesel::pg::Pg, _>(&sql).to_string();
        assert_eq!(
            debug,
            "SELECT '$' WHERE x = CAST($1 AS integer) AND (y IN (SELECT z FROM t WHERE k = $2)) -- binds: [Some(\"b\"), 7]"
        );
    }
}
