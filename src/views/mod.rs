//! Saved views: a person names the incident list's current filters and order, and finds them in the navigation.
//! Each view is its owner's alone: the queries read and delete only the acting user's own.
pub mod handlers;
pub mod service;

use crate::schema::saved_views;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// A view as the navigation and the list show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SavedView {
    pub id: i32,
    pub name: String,
    /// The incident list's address parameters.
    pub query: String,
}

impl SavedView {
    pub fn href(&self) -> String {
        format!("/incidents?{}", self.query)
    }
}

/// The user's views, by name.
pub fn of_user(conn: &mut PgConnection, user_id: i32) -> QueryResult<Vec<SavedView>> {
    saved_views::table
        .filter(saved_views::user_id.eq(user_id))
        .order((saved_views::name, saved_views::view_id))
        .select((saved_views::view_id, saved_views::name, saved_views::query))
        .load::<(i32, String, String)>(conn)
        .map(|rows| rows.into_iter().map(|(id, name, query)| SavedView { id, name, query }).collect())
}

fn insert(conn: &mut PgConnection, user_id: i32, name: &str, query: &str, now: DateTime<Utc>) -> QueryResult<i32> {
    diesel::insert_into(saved_views::table)
        .values((
            saved_views::user_id.eq(user_id),
            saved_views::name.eq(name),
            saved_views::query.eq(query),
            saved_views::created_at.eq(now),
        ))
        .returning(saved_views::view_id)
        .get_result(conn)
}

/// Deletes the user's own view; returns it if there was one.
fn delete_own(conn: &mut PgConnection, user_id: i32, view_id: i32) -> QueryResult<Option<SavedView>> {
    diesel::delete(saved_views::table.filter(saved_views::view_id.eq(view_id)).filter(saved_views::user_id.eq(user_id)))
        .returning((saved_views::view_id, saved_views::name, saved_views::query))
        .get_result::<(i32, String, String)>(conn)
        .optional()
        .map(|row| row.map(|(id, name, query)| SavedView { id, name, query }))
}
