//! Change requests: a schedule that ends after it starts, approval by the access module's approvers (an executive
//! for high-risk and emergency changes), and the status given at submission.
use super::{Behaviour, Creation, Refusal, requests};
use crate::access::{Action, Area, Target};
use crate::column;
use crate::domain::enums::{ChangeStatus, ChangeType, RiskLevel};
use crate::forms::FieldError;
use crate::records::row::Cells;
use diesel::PgConnection;

#[derive(Debug)]
pub struct Changes;

impl Behaviour for Changes {
    fn access_target(&self, cells: &Cells, _id: Option<i32>) -> Target {
        Target::change(
            cells.choice(column!(change_requests, risk_level), RiskLevel::parse),
            cells.choice(column!(change_requests, change_type), ChangeType::parse),
        )
    }

    fn check(&self, _conn: &mut PgConnection, submitted: &Cells) -> Result<Vec<FieldError>, Refusal> {
        Ok(FieldError::of("scheduled_end_time", check_schedule(submitted)))
    }

    fn creation_extras(&self, _conn: &mut PgConnection, new: &mut Creation<'_>) -> Result<bool, Refusal> {
        let risk = new.submitted.choice(column!(change_requests, risk_level), RiskLevel::parse);
        let change_type = new.submitted.choice(column!(change_requests, change_type), ChangeType::parse);
        let status = new
            .submitted
            .choice(column!(change_requests, status), ChangeStatus::parse)
            .unwrap_or(ChangeStatus::Requested);
        let approver = new.user.actor().may(Action::Decide(Area::Changes), &Target::change(risk, change_type));
        change_submitted_as(status, approver.map(drop).map_err(|rule| rule.text))
            .map_err(|message| Refusal::field("status", message))
    }

    fn is_request(&self) -> bool {
        true
    }
}

/// A scheduled window ends after it starts.
pub fn check_schedule(submitted: &Cells) -> Result<(), String> {
    match (
        submitted.time(column!(change_requests, scheduled_start_time)),
        submitted.time(column!(change_requests, scheduled_end_time)),
    ) {
        (Some(start), Some(end)) if end <= start => Err("The scheduled end must be after the scheduled start.".into()),
        _ => Ok(()),
    }
}

/// Whether a change submitted with this status is approved as it is submitted: any status after approval needs
/// the submitter to be its approver (`approver` says whether they are, or why not). Rolled back and rejected
/// come only from their own actions.
pub fn change_submitted_as(status: ChangeStatus, approver: Result<(), String>) -> Result<bool, String> {
    match status {
        ChangeStatus::Requested => Ok(false),
        ChangeStatus::RolledBack => Err(
            "Change request status: a change becomes rolled back when a rollback of it is carried out; submit it as requested or approved."
                .into(),
        ),
        ChangeStatus::Rejected => Err(requests::not_submitted_as_rejected("Change request", "change")),
        _ => requests::approved_as_submitted("change", status.label(), approver),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::procedures::CHANGES;

    #[test]
    fn a_scheduled_window_ends_after_it_starts() {
        let window = |start, end| Cells::of(&CHANGES, &[("scheduled_start_time", start), ("scheduled_end_time", end)]);
        assert!(check_schedule(&window("2026-11-02T10:00:00Z", "2026-11-02T09:00:00Z")).is_err());
        assert!(check_schedule(&window("2026-11-02T10:00:00Z", "2026-11-02T10:00:00Z")).is_err());
        assert!(check_schedule(&window("2026-11-02T10:00:00Z", "2026-11-02T11:00:00Z")).is_ok());
    }

    #[test]
    fn a_changes_status_given_at_submission_is_honoured_unless_a_rule_says_otherwise() {
        let approver = || Ok(());
        let not_approver = || Err("Only incident managers and executives approve changes.".to_string());
        use ChangeStatus as C;
        for (status, may, expected) in [
            (C::Requested, false, Ok(false)),
            (C::Requested, true, Ok(false)),
            (C::Approved, true, Ok(true)),
            (C::Approved, false, Err("submitted as approved")),
            (C::Scheduled, true, Ok(true)),
            (C::InProgress, false, Err("submitted as in progress")),
            (C::Completed, true, Ok(true)),
            (C::Failed, true, Ok(true)),
            (C::RolledBack, true, Err("rollback of it is carried out")),
            (C::Rejected, true, Err("rejected by deciding on it")),
        ] {
            let outcome = change_submitted_as(status, if may { approver() } else { not_approver() });
            match expected {
                Ok(approved) => assert_eq!(outcome, Ok(approved), "{status:?}"),
                Err(words) => assert!(outcome.unwrap_err().contains(words), "{status:?}"),
            }
        }
    }
}
