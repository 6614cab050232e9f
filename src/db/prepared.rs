//! Hand-written SQL that each connection keeps prepared. `diesel::sql_query` marks its SQL unsafe to cache, so
//! PostgreSQL parses and plans it afresh on every call; on the dashboards that took longer than running the
//! queries. Diesel caches this type by its text instead, and PostgreSQL plans it once per connection.
//!
//! Only for SQL whose text is built from constants, integers and described identifiers, so the cache stays
//! small: values a user chooses go in as binds.
use diesel::expression::is_aggregate;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, TypedExpressionType, ValidGrouping};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, SqlType, Untyped};
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

impl PreparedSql<'static> {
    /// This SQL as a diesel expression of type `ST` (a condition for `filter`, a key for `order`), for what diesel's
    /// DSL cannot say; unlike `diesel::dsl::sql`, the query it joins stays prepared.
    pub fn expression<ST>(self) -> SqlExpression<ST> {
        SqlExpression { sql: self, sql_type: PhantomData }
    }
}

/// Hand-written SQL inside a diesel query, typed; see `PreparedSql::expression`.
pub struct SqlExpression<ST> {
    sql: PreparedSql<'static>,
    sql_type: PhantomData<ST>,
}

impl<ST: SqlType + TypedExpressionType> Expression for SqlExpression<ST> {
    type SqlType = ST;
}

impl<ST> QueryFragment<Pg> for SqlExpression<ST> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.sql.walk_ast(pass)
    }
}

impl<ST> QueryId for SqlExpression<ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST, QS> AppearsOnTable<QS> for SqlExpression<ST> where Self: Expression {}
impl<ST, QS> SelectableExpression<QS> for SqlExpression<ST> where Self: Expression {}
impl<ST, GB> ValidGrouping<GB> for SqlExpression<ST> {
    type IsAggregate = is_aggregate::Never;
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

/// A diesel query with its limit written as a number, and its offset bound only when there is one. PostgreSQL
/// costs the generic plan of an unknown limit as if it read a tenth of the table, so a bound limit is planned anew
/// on every run (a millisecond, on a dashboard of small panels, more than running them); a written one lets it
/// keep one plan per connection. The offset stays a parameter, so the texts stay few.
pub struct Limited<Q> {
    query: Q,
    limit: i64,
    offset: i64,
}

/// `query`, its first `limit` rows after `offset`. The query must end with its ORDER BY, if any.
pub fn limited<Q>(query: Q, limit: i64, offset: i64) -> Limited<Q> {
    Limited { query, limit, offset }
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Limited<Q> {
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.query.walk_ast(pass.reborrow())?;
        pass.push_sql(&format!(" LIMIT {}", self.limit));
        if self.offset > 0 {
            pass.push_sql(" OFFSET ");
            pass.push_bind_param::<diesel::sql_types::BigInt, _>(&self.offset)?;
        }
        Ok(())
    }
}

impl<Q: Query> Query for Limited<Q> {
    type SqlType = Q::SqlType;
}

impl<Q> QueryId for Limited<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> RunQueryDsl<PgConnection> for Limited<Q> {}

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

impl<ST: SqlType + TypedExpressionType> Expression for Literal<ST> {
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
