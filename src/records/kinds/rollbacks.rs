//! Rollback requests: of a change that was carried out; approved like changes; carried out with their own action,
//! which rolls their change back.
use super::{Behaviour, Creation, PageActions, Refusal, requests};
use crate::access::{Action, Actor, Target};
use crate::audit::{self, Changes};
use crate::clock::Clock;
use crate::column;
use crate::domain::enums::{ChangeStatus, RollbackStatus};
use crate::forms::FieldError;
use crate::records::queries::Record;
use crate::records::row::Cells;
use crate::records::service;
use crate::schema::{change_requests, rollback_requests};
use crate::users::User;
use diesel::prelude::*;

#[derive(Debug)]
pub struct Rollbacks;

impl Behaviour for Rollbacks {
    fn check(&self, conn: &mut PgConnection, submitted: &Cells) -> Result<Vec<FieldError>, Refusal> {
        let Some(change_id) = submitted.reference(column!(rollback_requests, change_id)) else {
            return Ok(Vec::new());
        };
        let status: Option<String> =
            change_requests::table.find(change_id).select(change_requests::status).first(conn).optional()?;
        Ok(match status.as_deref().and_then(ChangeStatus::parse) {
            Some(status) => FieldError::of("change_id", check_rollback_target(change_id, status)),
            None => Vec::new(),
        })
    }

    fn creation_extras(&self, _conn: &mut PgConnection, new: &mut Creation<'_>) -> Result<bool, Refusal> {
        let status = new
            .submitted
            .choice(column!(rollback_requests, status), RollbackStatus::parse)
            .unwrap_or(RollbackStatus::Requested);
        rollback_submitted_as(
            status,
            new.user
                .actor()
                .may(Action::Decide(crate::access::Area::Rollbacks), &Target::Any)
                .map(drop)
                .map_err(|rule| rule.text),
            new.submitted.is_set(column!(rollback_requests, completed_at)),
        )
        .map_err(|(field, message)| Refusal::field(field, message))
    }

    fn is_request(&self) -> bool {
        true
    }

    fn page_actions(&self, actor: &Actor, target: &Target, _id: i32, record: &Record) -> PageActions {
        let approved = record.text(column!(rollback_requests, status)) == Some("approved");
        let done = record.is_set(column!(rollback_requests, completed_at));
        PageActions {
            execute: approved && !done && actor.can(Action::ExecuteRollback, target),
            ..PageActions::default()
        }
    }
}

/// Only a change that was carried out can be rolled back.
pub fn check_rollback_target(change_id: i32, status: ChangeStatus) -> Result<(), String> {
    match status {
        ChangeStatus::InProgress | ChangeStatus::Completed | ChangeStatus::Failed => Ok(()),
        other => Err(format!(
            "Rollback: change {change_id} is {}; only a change that was carried out (in progress, completed or failed) can be rolled back.",
            other.label().to_lowercase()
        )),
    }
}

/// Whether a rollback submitted with this status is approved as it is submitted, as for changes; a time it was
/// carried out goes only with a failed one (an approved rollback is carried out with its own action, which also
/// rolls its change back). Errors name the field to correct.
pub fn rollback_submitted_as(
    status: RollbackStatus,
    approver: Result<(), String>,
    completed_at_given: bool,
) -> Result<bool, (&'static str, String)> {
    if completed_at_given && status != RollbackStatus::Failed {
        return Err((
            "completed_at",
            "Rollback: only a rollback submitted as failed has a time it was carried out; an approved rollback is carried out with its Carry out button, which also marks its change rolled back."
                .into(),
        ));
    }
    match status {
        RollbackStatus::Requested => Ok(false),
        RollbackStatus::Rejected => Err(("status", requests::not_submitted_as_rejected("Rollback", "rollback"))),
        _ => {
            requests::approved_as_submitted("rollback", status.label(), approver).map_err(|message| ("status", message))
        }
    }
}

/// Carries out an approved rollback: it is completed and its change becomes rolled back.
pub fn execute_rollback(conn: &mut PgConnection, clock: &Clock, user: &User, record: &Record) -> Result<i32, Refusal> {
    user.actor().may(Action::ExecuteRollback, &Target::Any)?;
    let id = record.id;
    let change_id = record.reference(column!(rollback_requests, change_id)).ok_or(Refusal::NotFound)?;
    let status = record.text(column!(rollback_requests, status)).unwrap_or_default();
    let done = record.is_set(column!(rollback_requests, completed_at));
    if status != "approved" || done {
        return Err(Refusal::WrongState(format!(
            "Rollback: only an approved rollback that has not been carried out can be carried out; this one is {}{}.",
            status.replace('_', " "),
            if done { " and done" } else { "" }
        )));
    }
    let now = clock.now();
    let carried_out = diesel::update(
        rollback_requests::table
            .find(id)
            .filter(rollback_requests::status.eq("approved"))
            .filter(rollback_requests::completed_at.is_null()),
    )
    .set((
        rollback_requests::completed_at.eq(now),
        rollback_requests::lock_version.eq(rollback_requests::lock_version + 1),
    ))
    .execute(conn)?;
    if carried_out == 0 {
        return Err(Refusal::WrongState("Rollback: someone carried out this rollback a moment ago.".into()));
    }
    let previous: String = change_requests::table.find(change_id).select(change_requests::status).first(conn)?;
    diesel::update(change_requests::table.find(change_id))
        .set((
            change_requests::status.eq("rolled_back"),
            change_requests::updated_at.eq(now),
            change_requests::lock_version.eq(change_requests::lock_version + 1),
        ))
        .execute(conn)?;
    let changes = Changes::new()
        .field("completed_at", None::<String>, Some(now.to_rfc3339()))
        .field("change_status", Some(previous), Some("rolled_back"))
        .field("change_id", None::<String>, Some(change_id));
    audit::record(conn, clock, service::audit_actor(user), "execute", "rollback_request", id, changes)?;
    Ok(change_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_change_that_was_carried_out_is_rolled_back() {
        assert!(check_rollback_target(7, ChangeStatus::Failed).is_ok());
        assert!(check_rollback_target(7, ChangeStatus::Requested).is_err());
    }

    #[test]
    fn a_rollbacks_status_given_at_submission_is_honoured_unless_a_rule_says_otherwise() {
        let approver = || Ok(());
        let not_approver = || Err("Only incident managers and executives approve rollbacks.".to_string());
        use RollbackStatus as R;
        for (status, may, completed_at, expected) in [
            (R::Requested, false, false, Ok(false)),
            (R::Approved, true, false, Ok(true)),
            (R::Approved, false, false, Err("status")),
            (R::InProgress, true, false, Ok(true)),
            (R::Failed, true, true, Ok(true)),
            (R::Failed, false, true, Err("status")),
            (R::Approved, true, true, Err("completed_at")),
            (R::Requested, false, true, Err("completed_at")),
            (R::Rejected, true, false, Err("status")),
        ] {
            let outcome = rollback_submitted_as(status, if may { approver() } else { not_approver() }, completed_at);
            match expected {
                Ok(approved) => assert_eq!(outcome, Ok(approved), "{status:?}"),
                Err(field) => assert_eq!(outcome.unwrap_err().0, field, "{status:?}"),
            }
        }
    }
}
