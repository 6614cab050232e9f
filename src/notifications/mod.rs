//! Notifications: each user's page of the communications addressed to them (by name, or by a recipient group they
//! belong to), read or not. The header shows the unread count, read with the signed-in user (`users::User`).
pub mod handlers;
pub mod queries;

use crate::audit::{self, Actor, Changes};
use crate::clock::Clock;
use crate::users::User;
use diesel::PgConnection;

pub type Refusal = crate::error::Refusal<()>;

fn actor(user: &User) -> Actor {
    Actor::user(user.user_id, user.role())
}

/// Marks the user's notification of a communication read; one they do not have, or outside their scope, is 404.
pub fn mark_read(conn: &mut PgConnection, clock: &Clock, user: &User, communication_id: i32) -> Result<(), Refusal> {
    let scope = user.actor().scope();
    let now = clock.now();
    match queries::mark_read(conn, user.user_id, scope, communication_id, now)? {
        None => Err(Refusal::NotFound),
        Some(false) => Err(Refusal::WrongState("Notifications: this notification is read already.".into())),
        Some(true) => {
            let changes = Changes::new().field("read_at", None::<String>, Some(now.to_rfc3339()));
            let entity = format!("{}/{communication_id}", user.user_id);
            audit::record(conn, clock, actor(user), "update", "notification", entity, changes)?;
            Ok(())
        }
    }
}

/// Marks every notification of the user read; answers how many were unread.
pub fn mark_all_read(conn: &mut PgConnection, clock: &Clock, user: &User) -> Result<usize, Refusal> {
    let now = clock.now();
    let marked = queries::mark_all_read(conn, user.user_id, now)?;
    if marked == 0 {
        return Err(Refusal::WrongState("Notifications: nothing is unread.".into()));
    }
    let changes = Changes::new().field("read_at", None::<String>, Some(now.to_rfc3339())).field(
        "notifications",
        None::<String>,
        Some(marked),
    );
    audit::record(conn, clock, actor(user), "update", "notification", format!("{}/all", user.user_id), changes)?;
    Ok(marked)
}
