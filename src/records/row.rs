//! Records read into typed rows. Each kind's row is a struct whose fields are its table's columns, checked against
//! `schema.rs` when it compiles (`row!`); the shared pages ask a row for a column's value by name (`Row::cell`), and
//! each kind's queries are diesel's, typed by the same struct (`table_queries!`). Names written in descriptions go
//! through `column!` and `table!`, so a mistyped one fails to compile too.
use chrono::{DateTime, NaiveDate, Utc};

/// A column's value, typed as its column is.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    Integer(i64),
    Decimal(f64),
    Date(NaiveDate),
    Time(DateTime<Utc>),
    Json(serde_json::Value),
    /// The row has no such column.
    Absent,
}

impl Cell {
    /// The value as a form holds it: times as RFC 3339, dates as YYYY-MM-DD; `None` when empty.
    pub fn text(&self) -> Option<String> {
        match self {
            Cell::Null | Cell::Absent => None,
            Cell::Text(text) => Some(text.clone()),
            Cell::Integer(n) => Some(n.to_string()),
            Cell::Decimal(n) => Some(n.to_string()),
            Cell::Date(date) => Some(date.format("%Y-%m-%d").to_string()),
            Cell::Time(at) => Some(at.to_rfc3339()),
            Cell::Json(json) => Some(json.to_string()),
        }
    }

    /// The value as a record's id, if it is one.
    pub fn id(&self) -> Option<i32> {
        match self {
            Cell::Integer(n) => i32::try_from(*n).ok(),
            _ => None,
        }
    }

    pub fn time(&self) -> Option<DateTime<Utc>> {
        match self {
            Cell::Time(at) => Some(*at),
            _ => None,
        }
    }
}

/// A column's Rust value as a cell.
pub trait IntoCell {
    fn cell(&self) -> Cell;
}

impl IntoCell for String {
    fn cell(&self) -> Cell {
        Cell::Text(self.clone())
    }
}

impl IntoCell for i32 {
    fn cell(&self) -> Cell {
        Cell::Integer(i64::from(*self))
    }
}

impl IntoCell for f64 {
    fn cell(&self) -> Cell {
        Cell::Decimal(*self)
    }
}

impl IntoCell for NaiveDate {
    fn cell(&self) -> Cell {
        Cell::Date(*self)
    }
}

impl IntoCell for DateTime<Utc> {
    fn cell(&self) -> Cell {
        Cell::Time(*self)
    }
}

impl IntoCell for serde_json::Value {
    fn cell(&self) -> Cell {
        Cell::Json(self.clone())
    }
}

impl<T: IntoCell> IntoCell for Option<T> {
    fn cell(&self) -> Cell {
        self.as_ref().map_or(Cell::Null, IntoCell::cell)
    }
}

/// A column's Rust value as a list filters by it: the value read from the address, and the column's non-null type.
pub trait Filterable {
    type Value;
    fn read(text: &str) -> Option<Self::Value>;
}

impl Filterable for String {
    type Value = String;
    fn read(text: &str) -> Option<String> {
        Some(text.to_string())
    }
}

impl Filterable for i32 {
    type Value = i32;
    fn read(text: &str) -> Option<i32> {
        text.trim().parse().ok()
    }
}

impl Filterable for f64 {
    type Value = f64;
    fn read(text: &str) -> Option<f64> {
        text.trim().parse().ok()
    }
}

impl Filterable for NaiveDate {
    type Value = NaiveDate;
    fn read(text: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
    }
}

impl Filterable for DateTime<Utc> {
    type Value = DateTime<Utc>;
    fn read(text: &str) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(text.trim()).ok().map(|at| at.with_timezone(&Utc))
    }
}

impl Filterable for serde_json::Value {
    type Value = serde_json::Value;
    fn read(text: &str) -> Option<serde_json::Value> {
        serde_json::from_str(text).ok()
    }
}

impl<T: Filterable> Filterable for Option<T> {
    type Value = T::Value;
    fn read(text: &str) -> Option<T::Value> {
        T::read(text)
    }
}

/// A record as the shared pages read it.
pub trait Row: std::fmt::Debug + Send + Sync + std::any::Any {
    fn id(&self) -> i32;
    /// A column's value; `Cell::Absent` for a name the table does not have.
    fn cell(&self, column: &str) -> Cell;
    /// The row as `Any`, for the kind's own code to read its typed fields.
    fn as_any(&self) -> &dyn std::any::Any;
}

impl dyn Row {
    /// The kind's own typed row.
    pub fn typed<T: 'static>(&self) -> Option<&T> {
        self.as_any().downcast_ref::<T>()
    }
}

/// The name of a column, checked against `schema.rs` when it compiles: `column!(clients, client_name)`.
#[macro_export]
macro_rules! column {
    ($table:ident, $column:ident) => {{
        let _: $crate::schema::$table::$column = $crate::schema::$table::$column;
        stringify!($column)
    }};
}

/// The name of a table, checked against `schema.rs` when it compiles: `table!(clients)`.
#[macro_export]
macro_rules! table {
    ($table:ident) => {{
        let _: $crate::schema::$table::table = $crate::schema::$table::table;
        stringify!($table)
    }};
}

/// Declares a kind's typed row: a struct of its table's columns (the key first), read with diesel's `Selectable`.
#[macro_export]
macro_rules! row {
    ($(#[$meta:meta])* $name:ident in $table:ident, key $key:ident { $($column:ident: $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, diesel::Queryable, diesel::Selectable)]
        #[diesel(table_name = $crate::schema::$table, check_for_backend(diesel::pg::Pg))]
        pub struct $name {
            pub $key: i32,
            $(pub $column: $ty),*
        }

        impl $crate::records::row::Row for $name {
            fn id(&self) -> i32 {
                self.$key
            }

            fn cell(&self, column: &str) -> $crate::records::row::Cell {
                use $crate::records::row::IntoCell;
                match column {
                    stringify!($key) => self.$key.cell(),
                    $(stringify!($column) => self.$column.cell(),)*
                    _ => $crate::records::row::Cell::Absent,
                }
            }

            fn as_any(&self) -> &dyn std::any::Any {
                self
            }
        }

        impl $crate::records::row::Queries for $name {
            fn page(
                conn: &mut diesel::PgConnection,
                query: $crate::records::row::ListQuery,
            ) -> diesel::QueryResult<(Vec<Box<dyn $crate::records::row::Row>>, i64)> {
                use diesel::prelude::*;
                use $crate::records::row::Filterable;
                use $crate::schema::$table as t;
                let offset = query.offset();
                let mut q = t::table.into_boxed();
                for condition in query.conditions {
                    q = q.filter(condition.expression::<diesel::sql_types::Bool>());
                }
                for (column, value) in &query.filters {
                    let unknown = || diesel::result::Error::QueryBuilderError(
                        format!("no column {column} to filter by").into(),
                    );
                    q = match *column {
                        $(stringify!($column) => match <$ty as Filterable>::read(value) {
                            Some(value) => q.filter(t::$column.eq(value)),
                            None => q.filter($crate::db::prepared::literal::<diesel::sql_types::Bool>("FALSE")),
                        },)*
                        _ => return Err(unknown()),
                    };
                }
                q = match query.sort {
                    $(Some((stringify!($column), true)) => q.order(t::$column.desc().nulls_last()),
                      Some((stringify!($column), false)) => q.order(t::$column.asc().nulls_last()),)*
                    _ => q,
                };
                let rows: Vec<($name, i64)> = q
                    .then_order_by(t::$key.desc())
                    .select(($name::as_select(), $crate::db::prepared::literal::<diesel::sql_types::BigInt>("count(*) OVER ()")))
                    .limit($crate::records::row::PAGE_SIZE)
                    .offset(offset)
                    .load(conn)?;
                let total = rows.first().map_or(0, |(_, total)| *total);
                Ok((rows.into_iter().map(|(row, _)| Box::new(row) as Box<dyn $crate::records::row::Row>).collect(), total))
            }
        }
    };
}

pub const PAGE_SIZE: i64 = 50;

/// What a list asks of its table: conditions (sight, relation, search), filters by column, a sort, a page.
#[derive(Default)]
pub struct ListQuery {
    pub conditions: Vec<crate::db::prepared::PreparedSql<'static>>,
    pub filters: Vec<(&'static str, String)>,
    /// A column, and whether largest or newest first.
    pub sort: Option<(&'static str, bool)>,
    pub page: i64,
}

impl ListQuery {
    pub fn offset(&self) -> i64 {
        (self.page.max(1) - 1) * PAGE_SIZE
    }
}

/// A kind's queries, diesel's own over its typed row.
pub trait Queries {
    fn page(conn: &mut diesel::PgConnection, query: ListQuery) -> diesel::QueryResult<(Vec<Box<dyn Row>>, i64)>;
}

#[cfg(test)]
mod tests {
    crate::row!(
        /// A client, for the macro's own test.
        ClientRow in clients, key client_id {
            client_name: String,
            registration_number: String,
            contact_email: String,
            client_type: String,
            industry: Option<String>,
            country: Option<String>,
            status: String,
            created_at: chrono::DateTime<chrono::Utc>,
            updated_at: chrono::DateTime<chrono::Utc>,
            lock_version: i32,
        }
    );

    #[test]
    fn names_are_checked_against_the_schema() {
        assert_eq!(crate::column!(clients, client_name), "client_name");
        assert_eq!(crate::table!(clients), "clients");
        let row = ClientRow {
            client_id: 7,
            client_name: "Acme".into(),
            registration_number: "REG1".into(),
            contact_email: "a@example.org".into(),
            client_type: "startup".into(),
            industry: None,
            country: None,
            status: "active".into(),
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            lock_version: 0,
        };
        use super::{Cell, Row};
        assert_eq!(
            (row.id(), row.cell("client_name"), row.cell("industry")),
            (7, Cell::Text("Acme".into()), Cell::Null)
        );
        assert_eq!(row.cell("no_such_column"), Cell::Absent);
    }
}
