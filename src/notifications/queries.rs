//! Notification queries. The caller owns the transaction.
use crate::access::Scope;
use crate::schema::{communications, incidents, notifications, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

pub const PAGE_SIZE: i64 = 50;

/// Puts a communication on these users' Notifications pages (once each).
pub fn add(conn: &mut PgConnection, communication_id: i32, user_ids: &[i32], now: DateTime<Utc>) -> QueryResult<usize> {
    let rows: Vec<_> = user_ids
        .iter()
        .map(|user| {
            (
                notifications::user_id.eq(user),
                notifications::communication_id.eq(communication_id),
                notifications::created_at.eq(now),
            )
        })
        .collect();
    diesel::insert_into(notifications::table).values(rows).on_conflict_do_nothing().execute(conn)
}

/// A notification as the page shows it.
#[derive(Debug, Clone, Queryable)]
pub struct Row {
    pub communication_id: i32,
    pub incident_id: i32,
    pub incident_title: String,
    pub communication_type: String,
    pub delivery_method: String,
    pub message: Option<String>,
    pub sender_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// The communications of the incidents the scope sees.
fn in_scope(scope: Scope) -> crate::schema::communications::BoxedQuery<'static, diesel::pg::Pg> {
    let visible = crate::incidents::queries::visible(scope).select(incidents::incident_id);
    communications::table.filter(communications::incident_id.eq_any(visible)).into_boxed()
}

/// A page of the user's notifications, newest first, within their scope; and whether more follow.
pub fn page(conn: &mut PgConnection, user_id: i32, scope: Scope, number: i64) -> QueryResult<(Vec<Row>, bool)> {
    let ids = in_scope(scope).select(communications::communication_id);
    let mut rows: Vec<Row> = notifications::table
        .inner_join(communications::table.inner_join(incidents::table))
        .left_join(users::table.on(users::user_id.nullable().eq(communications::sender_id)))
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::communication_id.eq_any(ids))
        .order((notifications::created_at.desc(), notifications::communication_id.desc()))
        .select((
            communications::communication_id,
            incidents::incident_id,
            incidents::title,
            communications::communication_type,
            communications::delivery_method,
            communications::message,
            users::name.nullable(),
            notifications::created_at,
            notifications::read_at,
        ))
        .offset((number.max(1) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
        .load(conn)?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    Ok((rows, more))
}

/// Marks the user's notification of a communication in scope read. `None`: they have no such notification;
/// `Some(false)`: it was read already.
pub fn mark_read(
    conn: &mut PgConnection,
    user_id: i32,
    scope: Scope,
    communication_id: i32,
    now: DateTime<Utc>,
) -> QueryResult<Option<bool>> {
    let ids = in_scope(scope).select(communications::communication_id);
    let read_at: Option<Option<DateTime<Utc>>> = notifications::table
        .find((user_id, communication_id))
        .filter(notifications::communication_id.eq_any(ids))
        .select(notifications::read_at)
        .for_update()
        .first(conn)
        .optional()?;
    match read_at {
        None => Ok(None),
        Some(Some(_)) => Ok(Some(false)),
        Some(None) => {
            diesel::update(notifications::table.find((user_id, communication_id)))
                .set(notifications::read_at.eq(now))
                .execute(conn)?;
            Ok(Some(true))
        }
    }
}

pub fn mark_all_read(conn: &mut PgConnection, user_id: i32, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(
        notifications::table.filter(notifications::user_id.eq(user_id)).filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(now))
    .execute(conn)
}
