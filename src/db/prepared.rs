//! Hand-written SQL that each connection keeps prepared. `diesel::sql_query` marks its SQL unsafe to cache, so
//! PostgreSQL parses and plans it afresh on every call; on the dashboards that took longer than running the
//! queries. Diesel caches this type by its text instead, and PostgreSQL plans it once per connection.
//!
//! Only for SQL whose text is built from constants, integers and described identifiers, so the cache stays
//! small: values a user chooses go in as binds.
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping, is_aggregate};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{Bool, HasSqlType, Untyped};
use std::marker::PhantomData;

/// SQL text with bind parameters between its pieces.
#[must_use = "a query does nothing until it is loaded"]
pub struct PreparedSql<'a> {
    parts: Vec<Part<'a>>,
}

enum Part<'a> {
    Sql(String),
    /// A bound value, or a diesel expression or subquery that brings its own binds.
    Fragment(Box<dyn QueryFragment<Pg> + Send + 'a>),
}

/// Starts a query with this SQL.
pub fn prepared<'a>(sql: impl Into<String>) -> PreparedSql<'a> {
    PreparedSql { parts: vec![Part::Sql(sql.into())] }
}

impl<'a> PreparedSql<'a> {
    /// A parameter (`$n`) here, with this value.
    pub fn bind<ST, V>(mut self, value: V) -> Self
    where
        Pg: HasSqlType<ST>,
        V: ToSql<ST, Pg> + Send + 'a,
        ST: Send + 'a,
    {
        self.parts.push(Part::Fragment(Box::new(Bound::<ST, V> { value, sql_type: PhantomData })));
        self
    }

    /// A diesel expression or subquery here, with its binds: how hand-written SQL embeds what diesel defines once
    /// (the access scope, for one).
    pub fn fragment(mut self, fragment: impl QueryFragment<Pg> + Send + 'a) -> Self {
        self.parts.push(Part::Fragment(Box::new(fragment)));
        self
    }

    /// Another query's SQL and binds after what is there.
    pub fn append(mut self, other: PreparedSql<'a>) -> Self {
        self.parts.extend(other.parts);
        self
    }

    /// The queries one after another, with `separator` between them: conditions joined by " AND ", columns by ", ".
    pub fn join(pieces: impl IntoIterator<Item = PreparedSql<'a>>, separator: &str) -> Self {
        let mut joined = prepared(String::new());
        for (index, piece) in pieces.into_iter().enumerate() {
            if index > 0 {
                joined = joined.sql(separator);
            }
            joined = joined.append(piece);
        }
        joined
    }

    /// More SQL after what is there.
    pub fn sql(mut self, sql: impl Into<String>) -> Self {
        self.parts.push(Part::Sql(sql.into()));
        self
    }
}

struct Bound<ST, V> {
    value: V,
    sql_type: PhantomData<ST>,
}

impl<ST, V> QueryFragment<Pg> for Bound<ST, V>
where
    Pg: HasSqlType<ST>,
    V: ToSql<ST, Pg>,
{
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        pass.push_bind_param::<ST, V>(&self.value)
    }
}

impl QueryFragment<Pg> for PreparedSql<'_> {
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        for part in &self.parts {
            match part {
                Part::Sql(sql) => pass.push_sql(sql),
                Part::Fragment(fragment) => fragment.walk_ast(pass.reborrow())?,
            }
        }
        Ok(())
    }
}

/// No static id: the cache keys it by its SQL text and bind types.
impl QueryId for PreparedSql<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for PreparedSql<'_> {
    type SqlType = Untyped;
}

impl RunQueryDsl<PgConnection> for PreparedSql<'_> {}

/// SQL text that is a constant, as a diesel expression of type `ST` (`TRUE`, `count(*) OVER ()`): unlike diesel's
/// `sql()`, which marks its statement unsafe to cache, it keeps the statement prepared. Never for a value.
pub struct Literal<ST> {
    sql: &'static str,
    sql_type: PhantomData<ST>,
}

/// A constant piece of SQL of type `ST`.
pub const fn literal<ST>(sql: &'static str) -> Literal<ST> {
    Literal { sql, sql_type: PhantomData }
}

impl<ST: diesel::sql_types::SqlType + diesel::expression::TypedExpressionType> Expression for Literal<ST> {
    type SqlType = ST;
}

impl<ST> QueryFragment<Pg> for Literal<ST> {
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        pass.push_sql(self.sql);
        Ok(())
    }
}

impl<ST> QueryId for Literal<ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST, QS> AppearsOnTable<QS> for Literal<ST> where Self: Expression {}
impl<ST, QS> SelectableExpression<QS> for Literal<ST> where Self: Expression {}
impl<ST, GB> ValidGrouping<GB> for Literal<ST> {
    type IsAggregate = is_aggregate::Never;
}

/// Hand-written SQL with its binds as a condition in a diesel query (what an actor sees, a described relation), kept
/// prepared like the rest of the query.
pub struct Condition(pub PreparedSql<'static>);

impl Expression for Condition {
    type SqlType = Bool;
}

impl QueryFragment<Pg> for Condition {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }
}

impl QueryId for Condition {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<QS> AppearsOnTable<QS> for Condition {}
impl<QS> SelectableExpression<QS> for Condition {}
impl<GB> ValidGrouping<GB> for Condition {
    type IsAggregate = is_aggregate::Never;
}
