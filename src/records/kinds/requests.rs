//! Changes and rollbacks are requests: they wait while requested, and are approved or rejected by their status.
use super::{Refusal, Verdict};
use crate::audit::Changes;
use crate::clock::Clock;
use crate::forms::Values;
use crate::records::columns;
use crate::records::queries::{self, Extra, Record};
use crate::records::spec::STATUS;
use crate::users::User;
use diesel::PgConnection;

/// A request submitted in a status past `requested` is approved as it is submitted, which only one who may approve
/// it may do (`approver` says whether the submitter may, or why not).
pub fn approved_as_submitted(what: &str, status: &str, approver: Result<(), String>) -> Result<bool, String> {
    approver.map(|()| true).map_err(|reason| {
        format!(
            "A {what} submitted as {} is approved as it is submitted, which you may not do. {reason} Submit it as \
             requested.",
            status.to_lowercase()
        )
    })
}

/// A request is rejected only by deciding on it, never submitted as rejected.
pub fn not_submitted_as_rejected(noun: &str, what: &str) -> String {
    format!("{noun} status: a {what} is rejected by deciding on it, with a reason; submit it as requested.")
}

/// Whether a request waits for a decision.
pub fn waiting(record: &Record) -> bool {
    record.text(STATUS) == Some("requested")
}

/// Approves or rejects a waiting request; returns the changes to audit.
pub fn decide(conn: &mut PgConnection, clock: &Clock, user: &User, verdict: &Verdict<'_>) -> Result<Changes, Refusal> {
    let (resource, record, approve) = (verdict.resource, verdict.record, verdict.approve);
    let id = record.id;
    let status = record.text(STATUS).unwrap_or_default().to_string();
    let reason = check_decision(resource.noun, &status, "requested", approve, verdict.reason)?;
    let now = clock.now();
    let decided = if approve { "approved" } else { "rejected" };
    let mut extras = vec![
        Extra::new(STATUS, decided),
        Extra::new(columns::APPROVED_BY, approve.then_some(user.user_id)),
        Extra::new(columns::REJECTED_BY, (!approve).then_some(user.user_id)),
        Extra::new(columns::REJECTION_REASON, reason.clone()),
        Extra::new(columns::DECIDED_AT, now),
    ];
    if resource.has_updated_at {
        extras.push(Extra::new(columns::UPDATED_AT, now));
    }
    let version = record.lock_version.ok_or(Refusal::NotFound)?;
    if !queries::update(conn, resource, id, version, &Values::new(), &extras)? {
        return Err(Refusal::WrongState(format!(
            "{} approval: someone changed or decided this request a moment ago; reload it.",
            resource.noun
        )));
    }
    Ok(Changes::new().field(STATUS, Some(status), Some(decided)).field(
        columns::REJECTION_REASON,
        None::<String>,
        reason,
    ))
}

/// Both decisions act only on waiting requests; a rejection needs a reason (returned, trimmed).
fn check_decision(
    what: &str,
    status: &str,
    waiting: &str,
    approve: bool,
    reason: &str,
) -> Result<Option<String>, Refusal> {
    if status != waiting {
        return Err(Refusal::WrongState(format!(
            "{what} approval: this request is already {}; only requested ones can be decided.",
            status.replace('_', " ")
        )));
    }
    let reason = reason.trim();
    if approve {
        return Ok(None);
    }
    if crate::forms::is_blank(reason) || reason.chars().count() > 2_000 {
        return Err(Refusal::field(
            "rejection_reason",
            "Rejection: enter the reason (up to 2000 characters), so the requester knows what to change.",
        ));
    }
    Ok(Some(reason.to_string()))
}
