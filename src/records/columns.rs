//! Names that descriptions write, checked against `schema.rs` when the crate compiles: a mistyped table or column
//! in a record's description fails to build instead of failing a query at run time.

/// The name of a column, checked against `schema.rs`: `column!(clients, client_name)`; or of a column that each
/// of several tables has, for code that serves them all: `column!([work_orders, workarounds], status)`.
#[macro_export]
macro_rules! column {
    ($table:ident, $column:ident) => {{
        let _: $crate::schema::$table::$column = $crate::schema::$table::$column;
        stringify!($column)
    }};
    ([$($table:ident),+ $(,)?], $column:ident) => {{
        $(let _: $crate::schema::$table::$column = $crate::schema::$table::$column;)+
        stringify!($column)
    }};
}

/// The name of a table, checked against `schema.rs`: `table!(clients)`.
#[macro_export]
macro_rules! table {
    ($table:ident) => {{
        let _: $crate::schema::$table::table = $crate::schema::$table::table;
        stringify!($table)
    }};
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_the_schemas() {
        assert_eq!(crate::column!(clients, client_name), "client_name");
        assert_eq!(crate::table!(incident_reports), "incident_reports");
        assert_eq!(crate::column!([work_orders, workarounds], status), "status");
    }
}
