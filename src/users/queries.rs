use super::User;
use crate::domain::enums::Role;
use crate::schema::users;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

diesel::define_sql_function!(fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text);

pub fn find(conn: &mut PgConnection, user_id: i32) -> QueryResult<Option<User>> {
    users::table.find(user_id).select(User::as_select()).first(conn).optional()
}

/// A user who may be signing in: the user, their password hash, and their client's or vendor's name.
pub type LoginCandidate = (User, Option<String>, Option<String>);

/// The user with this email (compared without case), their password hash if any, and the name of the client
/// or vendor they are tied to.
pub fn find_for_login(conn: &mut PgConnection, email: &str) -> QueryResult<Option<LoginCandidate>> {
    use crate::schema::{clients, vendors};
    users::table
        .left_join(clients::table)
        .left_join(vendors::table)
        .filter(lower(users::email).eq(lower(email)))
        .select((
            User::as_select(),
            users::password_hash,
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Text>>(
                "coalesce(clients.client_name, vendors.vendor_name)",
            ),
        ))
        .first(conn)
        .optional()
}

pub fn email_taken(conn: &mut PgConnection, email: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.filter(lower(users::email).eq(lower(email))))).get_result(conn)
}

pub struct NewUser<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub role: Role,
    pub department: Option<&'a str>,
    pub client_id: Option<i32>,
    pub vendor_id: Option<i32>,
    pub timezone: &'a str,
    pub password_hash: &'a str,
    pub now: DateTime<Utc>,
}

pub fn insert(conn: &mut PgConnection, new: &NewUser<'_>) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values((
            users::name.eq(new.name),
            users::email.eq(new.email),
            users::role.eq(new.role.as_str()),
            users::department.eq(new.department),
            users::client_id.eq(new.client_id),
            users::vendor_id.eq(new.vendor_id),
            users::timezone.eq(new.timezone),
            users::status.eq("active"),
            users::password_hash.eq(new.password_hash),
            users::created_at.eq(new.now),
            users::updated_at.eq(new.now),
        ))
        .returning(User::as_returning())
        .get_result(conn)
}

/// Replaces a user's password hash (the caller audits it without the hash).
pub fn set_password_hash(
    conn: &mut PgConnection,
    user_id: i32,
    password_hash: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::password_hash.eq(password_hash),
            users::updated_at.eq(now),
            users::lock_version.eq(users::lock_version + 1),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The stored password hash, for checking a user's current password.
pub fn password_hash(conn: &mut PgConnection, user_id: i32) -> QueryResult<Option<String>> {
    users::table.find(user_id).select(users::password_hash).first(conn)
}

/// Ends every session of a user (password reset, role or status change), in the caller's transaction: they sign
/// in again, with their new rights or none.
pub fn end_sessions_of(conn: &mut PgConnection, user_id: i32) -> QueryResult<usize> {
    use crate::schema::sessions;
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)
}
