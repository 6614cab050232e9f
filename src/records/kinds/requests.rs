//! Changes and rollbacks are requests: they wait while requested, and are approved or rejected by their status.
use super::{Refusal, Verdict};
use crate::audit::Changes;
use crate::clock::Clock;
use crate::forms::Values;
use crate::records::queries::{self, Extra, Record};
use crate::records::spec::STATUS;
use crate::users::User;
use diesel::PgConnection;

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
        Extra::new("approved_by_user", approve.then_some(user.user_id)),
        Extra::new("rejected_by_user", (!approve).then_some(user.user_id)),
        Extra::new("rejection_reason", reason.clone()),
        Extra::new("decided_at", now),
    ];
    if resource.has_updated_at {
        extras.push(Extra::new("updated_at", now));
    }
    let version = record.lock_version.ok_or(Refusal::NotFound)?;
    if !queries::update(conn, resource, id, version, &Values::new(), &extras)? {
        return Err(Refusal::WrongState(format!(
            "{} approval: someone changed or decided this request a moment ago; reload it.",
            resource.noun
        )));
    }
    Ok(Changes::new().field(STATUS, Some(status), Some(decided)).field("rejection_reason", None::<String>, reason))
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
