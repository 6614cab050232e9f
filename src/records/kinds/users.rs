//! User accounts: each role's tie to an organisation, a new password set by an administrator, and the sign-out
//! of an account whose rights changed.
use super::{Behaviour, PageActions, Refusal};
use crate::access::{Action, Actor, Target};
use crate::audit::{self, Changes};
use crate::clock::Clock;
use crate::column;
use crate::domain::enums::Role;
use crate::forms::FieldError;
use crate::records::queries::Record;
use crate::records::row::Cells;
use crate::records::{resources, service};
use crate::users::User;
use diesel::PgConnection;

#[derive(Debug)]
pub struct Users;

impl Behaviour for Users {
    fn access_target(&self, cells: &Cells, id: Option<i32>) -> Target {
        let role = cells.choice(column!(users, role), Role::parse);
        // A stored account has its role; a new one is given one, which changes its rights.
        Target::Account { user_id: id, role: id.and(role), new_role: role, changes_rights: id.is_none() }
    }

    /// The account as it was and as it would be.
    fn edit_target(&self, id: i32, old: &Cells, new: &Cells) -> Target {
        let role = old.choice(column!(users, role), Role::parse);
        let changes = |field: &str| new.cell(field) != old.cell(field);
        Target::Account {
            user_id: Some(id),
            role,
            new_role: new.choice(column!(users, role), Role::parse).or(role),
            changes_rights: changes(column!(users, role)) || changes(column!(users, status)),
        }
    }

    fn check(&self, _conn: &mut PgConnection, submitted: &Cells) -> Result<Vec<FieldError>, Refusal> {
        Ok(check_organisation(submitted))
    }

    fn after_update(&self, conn: &mut PgConnection, id: i32, changes: &Changes) -> Result<(), Refusal> {
        if changes.has("role") || changes.has("status") {
            // New rights, or none: the user signs in again.
            crate::users::queries::end_sessions_of(conn, id)?;
        }
        Ok(())
    }

    fn page_actions(&self, actor: &Actor, target: &Target, _id: i32, _record: &Record) -> PageActions {
        PageActions { set_password: actor.can(Action::SetPassword, target), ..PageActions::default() }
    }
}

/// Client contacts work for a client and vendor contacts for a vendor; no one else is tied to either, but an
/// account manager may be tied to the client they manage.
pub fn check_organisation(submitted: &Cells) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut fail = |field: &'static str, message: &str| errors.push(FieldError { field, message: message.into() });
    let role = submitted.choice(column!(users, role), Role::parse);
    let client = submitted.is_set(column!(users, client_id));
    let vendor = submitted.is_set(column!(users, vendor_id));
    match role {
        Some(Role::ClientContact) if !client => {
            fail("client_id", "A client contact needs a client: choose the client they work for.")
        }
        Some(Role::VendorContact) if !vendor => {
            fail("vendor_id", "A vendor contact needs a vendor: choose the vendor they work for.")
        }
        _ => {}
    }
    if client && !matches!(role, Some(Role::ClientContact | Role::AccountManager)) {
        fail("client_id", "Only client contacts and account managers are tied to a client; leave the client empty.");
    }
    if vendor && role != Some(Role::VendorContact) {
        fail("vendor_id", "Only vendor contacts are tied to a vendor; leave the vendor empty.");
    }
    errors
}

/// Checks that the user may set `target_id`'s password, before any hashing is done.
pub fn may_set_password(conn: &mut PgConnection, user: &User, target_id: i32) -> Result<Record, Refusal> {
    let resource = &resources::USERS;
    let target = service::load(conn, user, resource, target_id)?;
    user.actor().may(Action::SetPassword, &Users.access_target(&target, Some(target_id)))?;
    Ok(target)
}

/// An administrator sets another user's password (hashed before the transaction) and ends their sessions.
pub fn set_password(
    conn: &mut PgConnection,
    clock: &Clock,
    user: &User,
    target_id: i32,
    password_hash: &str,
) -> Result<(), Refusal> {
    let resource = &resources::USERS;
    may_set_password(conn, user, target_id)?;
    crate::users::queries::set_password_hash(conn, target_id, password_hash, clock.now())?;
    crate::users::queries::end_sessions_of(conn, target_id)?;
    let changes = Changes::new().field("password_hash", Some("old"), Some("new"));
    audit::record(conn, clock, service::audit_actor(user), "update", resource.kind, target_id, changes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::resources::USERS;

    #[test]
    fn users_are_tied_to_organisations_by_role() {
        type Case<'a> = (&'a [(&'a str, &'a str)], Option<&'a str>);
        let cases: &[Case] = &[
            (&[("role", "client_contact")], Some("client_id")),
            (&[("role", "client_contact"), ("client_id", "1")], None),
            (&[("role", "vendor_contact")], Some("vendor_id")),
            (&[("role", "account_manager"), ("client_id", "1")], None),
            (&[("role", "executive"), ("client_id", "1")], Some("client_id")),
            (&[("role", "technical_support"), ("vendor_id", "1")], Some("vendor_id")),
        ];
        for (pairs, field) in cases {
            let errors = check_organisation(&Cells::of(&USERS, pairs));
            assert_eq!(errors.first().map(|e| e.field), *field, "{pairs:?}");
        }
    }
}
