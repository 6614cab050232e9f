//! Users: the people who sign in. Administration pages come with the admin module.
pub mod queries;
pub mod service;

use crate::domain::enums::{Role, UserStatus};
use crate::schema::users;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// A user as the rest of the product sees one (never with the password hash).
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub user_id: i32,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub department: Option<String>,
    pub client_id: Option<i32>,
    pub vendor_id: Option<i32>,
    pub timezone: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub lock_version: i32,
    /// Notifications not yet read. Read with the user on every request, so the header's count costs no
    /// statement of its own.
    #[diesel(select_expression = crate::db::prepared::literal::<diesel::sql_types::BigInt>(UNREAD_NOTIFICATIONS))]
    #[diesel(select_expression_type = crate::db::prepared::Literal<diesel::sql_types::BigInt>)]
    pub unread_notifications: i64,
}

/// The user's unread notifications, beside the columns of `users`.
const UNREAD_NOTIFICATIONS: &str =
    "(SELECT count(*) FROM notifications n WHERE n.user_id = users.user_id AND n.read_at IS NULL)";

impl User {
    pub fn role(&self) -> Role {
        self.role
    }

    pub fn status(&self) -> UserStatus {
        UserStatus::parse(&self.status).unwrap_or(UserStatus::Inactive)
    }

    /// The user as access rules see them.
    pub fn actor(&self) -> crate::access::Actor {
        crate::access::Actor {
            user_id: self.user_id,
            role: self.role(),
            client_id: self.client_id,
            vendor_id: self.vendor_id,
            status: self.status(),
        }
    }
}
