//! Queries over described record tables. Identifiers come only from the static
//! descriptions; every submitted value is a bound parameter, cast to its column's type by PostgreSQL.
use super::Viewer;
use super::spec::{ClientScope, FieldKind, RefTable, Resource};
use crate::db::prepared::{PreparedSql, prepared};
use crate::forms::Values;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use serde_json::{Map, Value};

/// A record as PostgreSQL's `row_to_json` gives it, with `<field>__label` for references.
pub type Record = Map<String, Value>;

pub const PAGE_SIZE: i64 = 50;

/// SQL text with numbered text parameters.
#[derive(Default)]
struct Sql {
    text: String,
    binds: Vec<Option<String>>,
}

impl Sql {
    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// A parameter cast to `sql_type`, as SQL text.
    fn param(&mut self, value: Option<String>, sql_type: &str) -> String {
        self.binds.push(value);
        format!("CAST(${} AS {sql_type})", self.binds.len())
    }

    fn condition(&mut self, template: &str, id: i32) -> String {
        let param = self.param(Some(id.to_string()), "integer");
        format!("({})", template.replace("{}", &param))
    }

    /// The query, kept prepared on its connection (its text names only described tables and columns, so there are
    /// few texts). Each `$n` becomes the next parameter in the text's order: one used twice is bound twice. The
    /// descriptions' SQL never writes `$n` itself; a `$` without a number stays as it is.
    fn query(self) -> PreparedSql<'static> {
        let mut query = prepared(String::new());
        let mut rest = self.text.as_str();
        while let Some(at) = rest.find('$') {
            let digits = rest[at + 1..].bytes().take_while(u8::is_ascii_digit).count();
            match rest[at + 1..at + 1 + digits].parse::<usize>() {
                Ok(number) => {
                    query = query.sql(&rest[..at]).bind::<Nullable<Text>, _>(self.binds[number - 1].clone());
                }
                Err(_) => query = query.sql(&rest[..=at]),
            }
            rest = &rest[at + 1 + digits..];
        }
        query.sql(rest)
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
/// the viewer's scope too.
fn select_list(sql: &mut Sql, resource: &Resource, viewer: Viewer) -> String {
    let table = resource.table;
    let mut columns = vec![format!("{table}.{}", resource.key), format!("({}) AS __title", resource.title)];
    for field in resource.fields {
        match field.kind {
            FieldKind::NewPassword => {}
            FieldKind::Reference(target) => {
                columns.push(format!("{table}.{}", field.name));
                let scope = ref_scope(sql, target, viewer).map(|c| format!(" AND {c}")).unwrap_or_default();
                columns.push(format!(
                    "(SELECT {label} FROM {t} WHERE {t}.{key} = {table}.{name}{scope}) AS {name}__label",
                    label = target.label,
                    t = target.table,
                    key = target.key,
                    name = field.name
                ));
            }
            _ => columns.push(format!("{table}.{}", field.name)),
        }
    }
    columns.push(format!("{table}.created_at"));
    columns.extend(resource.extra_columns.iter().map(|c| format!("{table}.{c}")));
    if let Some(actor) = resource.actor_column {
        columns.push(format!("(SELECT name FROM users u WHERE u.user_id = {table}.{actor}) AS __actor"));
    }
    if resource.has_updated_at {
        columns.push(format!("{table}.updated_at"));
    }
    if resource.approval {
        columns
            .extend(["approval_decided_at", "rejection_reason", "approval_decided_by"].map(|c| format!("{table}.{c}")));
        columns.push(format!(
            "(SELECT name FROM users u WHERE u.user_id = {table}.approval_decided_by) AS approval_decided_by__label"
        ));
    }
    if resource.versioned {
        columns.push(format!("{table}.lock_version"));
    }
    columns.join(", ")
}

/// The conditions that confine a viewer to their scope in this table. An empty scope never widens access.
fn scope_condition(sql: &mut Sql, resource: &Resource, viewer: Viewer) -> Option<String> {
    let mut conditions = Vec::new();
    if let Some(client) = viewer.client {
        match resource.scope {
            ClientScope::Condition(template) => conditions.push(sql.condition(template, client)),
            ClientScope::Shared => {}
        }
    }
    if let Some(vendor) = viewer.vendor {
        conditions.push(resource.vendor_scope.map_or("false".to_string(), |template| sql.condition(template, vendor)));
    }
    if viewer.contact {
        let allowed = if viewer.vendor.is_some() { resource.contacts.vendor } else { resource.contacts.client };
        conditions.push(match allowed {
            Some(_) if viewer.client.is_none() && viewer.vendor.is_none() => "false".to_string(),
            Some(filter) => format!("({filter})"),
            None => "false".to_string(),
        });
    }
    (!conditions.is_empty()).then(|| conditions.join(" AND "))
}

fn load_records(conn: &mut PgConnection, sql: Sql) -> QueryResult<Vec<Record>> {
    let rows: Vec<JsonRow> = sql.query().load(conn)?;
    Ok(rows.into_iter().filter_map(|row| serde_json::from_str(&row.record).ok()).collect())
}

/// One record, if it exists within the scope.
pub fn get(conn: &mut PgConnection, resource: &Resource, id: i32, viewer: Viewer) -> QueryResult<Option<Record>> {
    let mut sql = Sql::default();
    let key = sql.param(Some(id.to_string()), "integer");
    let mut conditions = vec![format!("{}.{} = {key}", resource.table, resource.key)];
    conditions.extend(scope_condition(&mut sql, resource, viewer));
    let columns = select_list(&mut sql, resource, viewer);
    let text = format!(
        "SELECT row_to_json(r)::text AS record FROM (SELECT {columns} FROM {} WHERE {}) r",
        resource.table,
        conditions.join(" AND ")
    );
    sql.push(&text);
    Ok(load_records(conn, sql)?.into_iter().next())
}

/// A filter on a list: the field and its value.
pub type Filter = (&'static str, String);

/// What a list page asks for besides its filters: words to search for and a column to sort by.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    pub search: Option<String>,
    /// A described column, and whether newest or largest first.
    pub sort: Option<(&'static str, bool)>,
}

/// A page of records within the scope, newest first, with the total count.
pub fn list(
    conn: &mut PgConnection,
    resource: &Resource,
    viewer: Viewer,
    filters: &[Filter],
    extra_condition: Option<(&str, i32)>,
    page: i64,
) -> QueryResult<(Vec<Record>, i64)> {
    list_with(conn, resource, viewer, filters, extra_condition, &ListOptions::default(), page)
}

/// A page of records as `list` gives it, searched and sorted as asked.
pub fn list_with(
    conn: &mut PgConnection,
    resource: &Resource,
    viewer: Viewer,
    filters: &[Filter],
    extra_condition: Option<(&str, i32)>,
    options: &ListOptions,
    page: i64,
) -> QueryResult<(Vec<Record>, i64)> {
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
    let mut sql = Sql::default();
    let mut conditions: Vec<String> = Vec::new();
    conditions.extend(scope_condition(&mut sql, resource, viewer));
    for (field, value) in filters {
        let sql_type = resource.fields.iter().find(|f| f.name == *field).map_or("text", |f| f.kind.sql_type());
        let param = sql.param(Some(value.clone()), sql_type);
        conditions.push(format!("{table}.{field} = {param}"));
    }
    if let Some((template, id)) = extra_condition {
        conditions.push(sql.condition(template, id));
    }
    if let (Some(document), Some(words)) = (resource.search, &options.search) {
        let words = sql.param(Some(words.clone()), "text");
        conditions.push(format!("to_tsvector('english', {document}) @@ plainto_tsquery('english', {words})"));
    }
    let filter = if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
    let columns = select_list(&mut sql, resource, viewer);
    let offset = sql.param(Some(((page.max(1) - 1) * PAGE_SIZE).to_string()), "bigint");
    // The count and the page in one statement: they agree, and a page showing ten kinds of related records
    // (the incident's) waits on ten round trips instead of twenty.
    sql.push(&format!(
        "SELECT (SELECT count(*) FROM {table}{filter}) AS n, \
           (SELECT coalesce(json_agg(r ORDER BY r.{POSITION}), '[]')::text FROM \
              (SELECT {columns}, row_number() OVER (ORDER BY {order}) AS {POSITION} FROM {table}{filter} \
               ORDER BY {order} LIMIT {PAGE_SIZE} OFFSET {offset}) r) AS records"
    ));
    let page: CountedPage = sql.query().get_result(conn)?;
    let records: Vec<Record> = serde_json::from_str(&page.records).map_err(|e| {
        diesel::result::Error::DeserializationError(format!("a page of {table} is not JSON records: {e}").into())
    })?;
    let records = records
        .into_iter()
        .map(|mut record| {
            record.remove(POSITION);
            record
        })
        .collect();
    Ok((records, page.n))
}

/// The column that carries a record's place on its page, so the page keeps its order through `json_agg`.
const POSITION: &str = "__position";

/// A page of records as JSON, with how many records the whole list holds (`n`).
#[derive(QueryableByName)]
struct CountedPage {
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Text)]
    records: String,
}

/// Whether another record already holds these values of a unique group (text compared without case).
pub fn duplicate(
    conn: &mut PgConnection,
    resource: &Resource,
    group: &[&str],
    values: &Values,
    except: Option<i32>,
) -> QueryResult<bool> {
    let mut sql = Sql::default();
    let mut conditions = Vec::new();
    for name in group {
        let field = resource.fields.iter().find(|f| f.name == *name).expect("unique fields are described");
        let value = values.get(name).cloned().flatten();
        let condition = match field.kind.sql_type() {
            "text" => format!("lower({name}) IS NOT DISTINCT FROM lower({})", sql.param(value, "text")),
            sql_type => format!("{name} IS NOT DISTINCT FROM {}", sql.param(value, sql_type)),
        };
        conditions.push(condition);
    }
    if let Some(id) = except {
        let param = sql.param(Some(id.to_string()), "integer");
        conditions.push(format!("{} <> {param}", resource.key));
    }
    let text = format!("SELECT EXISTS (SELECT 1 FROM {} WHERE {}) AS found", resource.table, conditions.join(" AND "));
    sql.push(&text);
    Ok(sql.query().get_result::<FoundRow>(conn)?.found)
}

fn ref_scope(sql: &mut Sql, target: &RefTable, viewer: Viewer) -> Option<String> {
    match (target.client_scope, viewer.client) {
        (Some(template), Some(client)) => Some(sql.condition(template, client)),
        _ => None,
    }
}

/// Whether the referenced record exists within the scope.
pub fn reference_exists(conn: &mut PgConnection, target: &RefTable, id: &str, viewer: Viewer) -> QueryResult<bool> {
    let mut sql = Sql::default();
    let key = sql.param(Some(id.to_string()), "integer");
    let mut conditions = vec![format!("{} = {key}", target.key)];
    conditions.extend(ref_scope(&mut sql, target, viewer));
    let text = format!("SELECT EXISTS (SELECT 1 FROM {} WHERE {}) AS found", target.table, conditions.join(" AND "));
    sql.push(&text);
    Ok(sql.query().get_result::<FoundRow>(conn)?.found)
}

/// The records a reference field may point to, within the scope, by name.
pub fn choices(conn: &mut PgConnection, target: &RefTable, viewer: Viewer) -> QueryResult<Vec<(String, String)>> {
    let mut sql = Sql::default();
    let condition = ref_scope(&mut sql, target, viewer).map(|c| format!(" WHERE {c}")).unwrap_or_default();
    let text = format!(
        "SELECT {key}::text AS id, ({label}) AS label FROM {table}{condition} ORDER BY 2 LIMIT 1000",
        key = target.key,
        label = target.label,
        table = target.table
    );
    sql.push(&text);
    let rows: Vec<ChoiceRow> = sql.query().load(conn)?;
    Ok(rows.into_iter().map(|r| (r.id, r.label)).collect())
}

/// One record a reference may point to, within the scope, by id.
pub fn choice(
    conn: &mut PgConnection,
    target: &RefTable,
    id: &str,
    viewer: Viewer,
) -> QueryResult<Option<(String, String)>> {
    let mut sql = Sql::default();
    let key = sql.param(Some(id.to_string()), "integer");
    let mut conditions = vec![format!("{} = {key}", target.key)];
    conditions.extend(ref_scope(&mut sql, target, viewer));
    let text = format!(
        "SELECT {key_column}::text AS id, ({label}) AS label FROM {table} WHERE {}",
        conditions.join(" AND "),
        key_column = target.key,
        label = target.label,
        table = target.table
    );
    sql.push(&text);
    let rows: Vec<ChoiceRow> = sql.query().load(conn)?;
    Ok(rows.into_iter().next().map(|r| (r.id, r.label)))
}

/// A column written besides the form's fields (timestamps, approval, password hash).
pub struct Extra {
    pub column: &'static str,
    pub value: Option<String>,
    pub sql_type: &'static str,
}

fn assignments<'a>(
    resource: &Resource,
    values: &'a Values,
    extra: &'a [Extra],
) -> Vec<(&'a str, Option<String>, &'static str)> {
    // What the product sets (extras) wins over what was typed for the same column.
    let mut columns: Vec<(&str, Option<String>, &str)> = values
        .iter()
        .filter(|(name, _)| !extra.iter().any(|e| e.column == **name))
        .filter_map(|(name, value)| {
            let field = resource.fields.iter().find(|f| f.name == *name)?;
            (!matches!(field.kind, FieldKind::NewPassword)).then(|| (*name, value.clone(), field.kind.sql_type()))
        })
        .collect();
    columns.extend(extra.iter().map(|e| (e.column, e.value.clone(), e.sql_type)));
    columns
}

/// Inserts a record; returns its id.
pub fn insert(conn: &mut PgConnection, resource: &Resource, values: &Values, extra: &[Extra]) -> QueryResult<i32> {
    let mut sql = Sql::default();
    let columns = assignments(resource, values, extra);
    let names: Vec<&str> = columns.iter().map(|(name, _, _)| *name).collect();
    let params: Vec<String> = columns.into_iter().map(|(_, value, sql_type)| sql.param(value, sql_type)).collect();
    let text = format!(
        "INSERT INTO {} ({}) VALUES ({}) RETURNING {}::bigint AS n",
        resource.table,
        names.join(", "),
        params.join(", "),
        resource.key
    );
    sql.push(&text);
    Ok(sql.query().get_result::<CountRow>(conn)?.n as i32)
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
    let mut sql = Sql::default();
    let mut sets: Vec<String> = assignments(resource, values, extra)
        .into_iter()
        .map(|(name, value, sql_type)| format!("{name} = {}", sql.param(value, sql_type)))
        .collect();
    sets.push("lock_version = lock_version + 1".into());
    let key = sql.param(Some(id.to_string()), "integer");
    let version = sql.param(Some(lock_version.to_string()), "integer");
    let text = format!(
        "UPDATE {} SET {} WHERE {} = {key} AND lock_version = {version}",
        resource.table,
        sets.join(", "),
        resource.key
    );
    sql.push(&text);
    Ok(sql.query().execute(conn)? == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_bound_in_the_order_the_text_names_them_and_again_where_named_again() {
        let mut sql = Sql::default();
        let first = sql.param(Some("a".into()), "text");
        let second = sql.param(Some("b".into()), "integer");
        sql.push(&format!("SELECT '$' WHERE x = {second} AND y = {first} OR z = {second}"));
        let debug = diesel::debug_query::<diesel::pg::Pg, _>(&sql.query()).to_string();
        assert_eq!(
            debug,
            "SELECT '$' WHERE x = CAST($1 AS integer) AND y = CAST($2 AS text) OR z = CAST($3 AS integer) \
             -- binds: [Some(\"b\"), Some(\"a\"), Some(\"b\")]"
        );
    }
}
