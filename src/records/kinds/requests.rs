//! Changes and rollbacks are requests: they wait while requested, and are approved or rejected by their status.
use super::{Refusal, extra, value};
use crate::access::Action;
use crate::audit::{self, Changes};
use crate::clock::Clock;
use crate::forms::Values;
use crate::records::queries::{self, Extra, Record};
use crate::records::spec::Resource;
use crate::records::{rules, service};
use crate::users::User;
use diesel::PgConnection;

/// Whether a request waits for a decision.
pub fn waiting(values: &Values) -> bool {
    value(values, "status") == Some("requested")
}

/// Approves or rejects the request `id`, as the user sees it.
pub fn decide(
    conn: &mut PgConnection,
    clock: &Clock,
    user: &User,
    resource: &'static Resource,
    id: i32,
    approve: bool,
    reason: &str,
) -> Result<(), Refusal> {
    let record = service::load(conn, user, resource, id)?;
    decide_request(conn, clock, user, resource, &record, approve, reason)
}

/// Approves or rejects a requested change or rollback; a rejection needs a reason. Who approves is
/// the access module's (an executive for high-risk and emergency changes).
fn decide_request(
    conn: &mut PgConnection,
    clock: &Clock,
    user: &User,
    resource: &'static Resource,
    record: &Record,
    approve: bool,
    reason: &str,
) -> Result<(), Refusal> {
    let id = record.id;
    let values = service::values_of(resource, record);
    user.actor().may(Action::Decide(resource.area), &rules::target(resource, &values, Some(id)))?;
    let status = values.get("status").cloned().flatten().unwrap_or_default();
    let reason = check_decision(resource.noun, &status, "requested", approve, reason)?;
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
    let changes =
        Changes::new().field("status", Some(status), Some(decided)).field("rejection_reason", None::<String>, reason);
    audit::record(
        conn,
        clock,
        service::audit_actor(user),
        if approve { "approve" } else { "reject" },
        resource.kind,
        id,
        changes,
    )?;
    Ok(())
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
