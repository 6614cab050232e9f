//! What every procedure record gets besides its form, around its kind's own behaviour (`kinds`): the acting user,
//! an approval on submission, and the time a status is entered; and the status moves of an edit.
use super::columns;
use super::queries::Extra;
use super::row::Cells;
use super::service::Refusal;
use super::spec::{Resource, STATUS};
use crate::clock::Clock;
use crate::users::User;
use diesel::PgConnection;

/// Columns a new procedure record gets besides its form: the actor, what its kind adds (computed values, a
/// snapshot), an approval on submission, the time a given status was entered. Returns them and whether the record
/// was approved on submission. A status given at submission is honoured where the policy lists it as an input;
/// where honouring it would break a rule, the form says so.
pub fn creation_extras(
    conn: &mut PgConnection,
    clock: &Clock,
    user: &User,
    resource: &Resource,
    submitted: &Cells,
) -> Result<(Vec<Extra>, bool), Refusal> {
    let mut new = super::kinds::Creation { clock, user, submitted, extras: Vec::new() };
    if let Some(column) = resource.actor_column {
        new.extras.push(Extra::new(column, user.user_id));
    }
    let approved = resource.behaviour.creation_extras(conn, &mut new)?;
    let mut extras = new.extras;
    let now = clock.now();
    if approved {
        // Submitted by one who may approve it, already approved: recorded as approved by them.
        extras.push(Extra::new(columns::APPROVED_BY, user.user_id));
        extras.push(Extra::new(columns::DECIDED_AT, now));
    }
    // A status given at submission is entered as an edit enters it: its time is stamped, unless the form gave it.
    let status = submitted.text(STATUS);
    for (_, column) in resource.stamps.iter().filter(|(stamped, _)| Some(*stamped) == status) {
        if !submitted.is_set(column) && !resource.fields.iter().any(|f| f.name == *column) {
            extras.push(Extra::new(column, now));
        }
    }
    Ok((extras, approved))
}

/// Columns an edit sets besides its form (the time a status is entered), after its kind's checks and the status
/// move's. Returns them and, when the edit sent the record back to wait for a decision, the status it waits in.
pub fn update_extras(
    clock: &Clock,
    user: &User,
    resource: &Resource,
    old: &Cells,
    new: &Cells,
) -> Result<(Vec<Extra>, Option<&'static str>), Refusal> {
    if let Some(waits_in) = resource.behaviour.check_edit(user, old, new)? {
        return Ok((Vec::new(), Some(waits_in)));
    }
    let (from, to) = (old.text(STATUS).unwrap_or_default(), new.text(STATUS).unwrap_or_default());
    if from == to {
        return Ok((Vec::new(), None));
    }
    super::rules::check_transition(resource, from, to).map_err(|message| Refusal::field(STATUS, message))?;
    resource.behaviour.check_move(user, old, to)?;
    let extras = resource
        .stamps
        .iter()
        .filter(|(status, _)| *status == to)
        .map(|(_, column)| Extra::new(column, clock.now()))
        .collect();
    Ok((extras, None))
}
