//! User accounts: each role's tie to an organisation, a new password set by an administrator, and the sign-out
//! of an account whose rights changed.
use super::{Behaviour, PageActions, Refusal};
use crate::access::{Action, Actor, Target};
use crate::audit::Changes;
use crate::column;
use crate::domain::enums::Role;
use crate::forms::FieldError;
use crate::records::queries::Record;
use crate::records::row::Cells;
use diesel::PgConnection;

#[derive(Debug)]
pub struct Users;

impl Behaviour for Users {
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
