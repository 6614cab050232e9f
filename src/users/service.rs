//! User use cases that the command line needs before any page exists.
use super::{User, queries};
use crate::audit::{self, Actor, Changes};
use crate::clock::Clock;
use crate::domain::enums::Role;
use diesel::PgConnection;

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("a user with the email {0} already exists")]
    EmailTaken(String),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
}

/// Creates an active staff user from the command line; the audit entry names the new user as actor.
pub fn create_first_user(
    conn: &mut PgConnection,
    clock: &Clock,
    name: &str,
    email: &str,
    role: Role,
    password_hash: &str,
) -> Result<User, CreateUserError> {
    if queries::email_taken(conn, email)? {
        return Err(CreateUserError::EmailTaken(email.to_string()));
    }
    let now = clock.now();
    let user = queries::insert(
        conn,
        &queries::NewUser {
            name,
            email,
            role,
            department: None,
            client_id: None,
            vendor_id: None,
            timezone: "UTC",
            password_hash,
            now,
        },
    )?;
    let changes = Changes::created(&[
        ("name", Some(user.name.clone())),
        ("email", Some(user.email.clone())),
        ("role", Some(user.role.as_str().to_string())),
        ("status", Some(user.status.clone())),
        ("password_hash", Some(String::new())),
    ]);
    audit::record(conn, clock, Actor::user(user.user_id, role), "create", "user", user.user_id, changes)?;
    Ok(user)
}
