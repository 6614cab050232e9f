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

/// When a record was made and last changed: every described table has `created_at`, and those whose description
/// says `has_updated_at` have `updated_at`. The names are checked here; that each table has them, by
/// `tests/app/schema.rs` against the migrated database.
pub const CREATED_AT: &str = crate::column!(clients, created_at);
pub const UPDATED_AT: &str = crate::column!(clients, updated_at);

/// The approval of records that wait for one (subscriptions and SLAs): its status, who decided and when.
pub const APPROVAL_STATUS: &str = crate::column!([subscriptions, service_level_agreements], approval_status);
pub const APPROVAL_DECIDED_BY: &str = crate::column!([subscriptions, service_level_agreements], approval_decided_by);
pub const APPROVAL_DECIDED_AT: &str = crate::column!([subscriptions, service_level_agreements], approval_decided_at);

/// Why a record waiting for approval, or a change or rollback request, was rejected.
pub const REJECTION_REASON: &str =
    crate::column!([subscriptions, service_level_agreements, change_requests, rollback_requests], rejection_reason);

/// The decision of a change or rollback request: who approved or rejected it, and when.
pub const APPROVED_BY: &str = crate::column!([change_requests, rollback_requests], approved_by_user);
pub const REJECTED_BY: &str = crate::column!([change_requests, rollback_requests], rejected_by_user);
pub const DECIDED_AT: &str = crate::column!([change_requests, rollback_requests], decided_at);

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_the_schemas() {
        assert_eq!(crate::column!(clients, client_name), "client_name");
        assert_eq!(crate::table!(incident_reports), "incident_reports");
        assert_eq!(crate::column!([work_orders, workarounds], status), "status");
    }
}
