//! Changes and rollbacks are requests: they wait while requested, and are approved or rejected by their status.
use super::{Refusal, Verdict, extra};
use crate::audit::Changes;
use crate::clock::Clock;
use crate::forms::Values;
use crate::records::queries::{self, Extra, Record};
use crate::users::User;
use diesel::PgConnection;

/// Whether a request waits for a decision.
pub fn waiting(record: &Record) -> bool {
    record.text("status") == Some("requested")
}

/// Approves or rejects a waiting request; returns the changes to audit.
pub fn decide(conn: &mut PgConnection, clock: &Clock, user: &User, verdict: &Verdict<'_>) -> Result<Changes, Refusal> {
    let (resource, record, approve) = (verdict.resource, verdict.record, verdict.approve);
    let id = record.id;
    // Changes and rollbacks both keep their state in `status`.
    let status = record.text("status").unwrap_or_default().to_string();
    let reason = check_decision(resource.noun, &status, "requested", approve, verdict.reason)?;
    let now = clock.now().to_rfc3339();
    let decided = if approve { "approved" } else { "rejected" };
    let mut extras = vec![
        extra(decided, "text", "status"),
        Extra { column: "approved_by_user", value: approve.then(|| user.user_id.to_string()), sql_type: "integer" },
        Extra { column: "rejected_by_user", value: (!approve).then(|| user.user_id.to_string()), sql_type: "integer" },
        Extra { column: "rejection_reason", value: reason.clone(), sql_type: "text" },
        extra(&now, "timestamptz", "decided_at"),
    ];
    if resource.has_updated_at {
        extras.push(extra(&now, "timestamptz", "updated_at"));
    }
    let version = record.lock_version.ok_or(Refusal::NotFound)?;
    if !queries::update(conn, resource, id, version, &Values::new(), &extras)? {
        return Err(Refusal::WrongState(format!(
            "{} approval: someone changed or decided this request a moment ago; reload it.",
            resource.noun
        )));
    }
    Ok(Changes::new().field("status", Some(status), Some(decided)).field("rejection_reason", None::<String>, reason))
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
