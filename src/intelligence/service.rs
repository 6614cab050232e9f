//! Marking a recent change as the incident's suspected cause, or clearing the mark: one audited change of the
//! incident, in the caller's transaction.
use super::{RecentChange, queries};
use crate::access::{Action, Area, Sight, Target};
use crate::audit::{self, Changes};
use crate::clock::Clock;
use crate::incidents::service::{Refusal, load};
use crate::schema::incidents;
use crate::users::User;
use diesel::prelude::*;

/// A suspected cause is one of the incident's recent changes (what its page offers to mark).
pub fn check_suspect(change_id: i32, recent: &[RecentChange]) -> Result<(), String> {
    if recent.iter().any(|change| change.change_id == change_id) {
        Ok(())
    } else {
        Err(format!(
            "Suspected cause: change {change_id} is not among this incident's recent changes (on its component, \
             started in the {} hours before detection).",
            super::RECENT_HOURS
        ))
    }
}

/// Marks `change_id` as the incident's suspected cause, or clears the mark (`None`).
pub fn mark_suspected(
    conn: &mut PgConnection,
    clock: &Clock,
    user: &User,
    incident_id: i32,
    change_id: Option<i32>,
) -> Result<(), Refusal> {
    let incident = load(conn, user, incident_id)?;
    let actor = user.actor();
    actor.may(Action::Update(Area::Incidents), &Target::Any)?;
    actor.may(Action::Read(Area::Changes), &Target::Any)?;
    if let Some(change_id) = change_id {
        let recent = queries::recent_changes_of(conn, &incident, Sight::of(&actor))?;
        check_suspect(change_id, &recent).map_err(|message| Refusal::field("change_id", message))?;
    }
    if change_id == incident.suspected_change_id {
        return Err(Refusal::field("change_id", "Suspected cause: that is already the mark; nothing was changed."));
    }
    diesel::update(incidents::table.find(incident_id))
        .set((
            incidents::suspected_change_id.eq(change_id),
            incidents::updated_at.eq(clock.now()),
            incidents::lock_version.eq(incidents::lock_version + 1),
        ))
        .execute(conn)?;
    let changes = Changes::new().field("suspected_change_id", incident.suspected_change_id, change_id);
    audit::record(
        conn,
        clock,
        audit::Actor::user(user.user_id, user.role()),
        "update",
        "incident",
        incident_id,
        changes,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn only_a_recent_change_is_marked() {
        let recent = [RecentChange {
            change_id: 7,
            title: "Patch".into(),
            status: "completed".into(),
            risk_level: "low".into(),
            started_at: Utc::now(),
            actual: true,
            through_incident: None,
        }];
        assert!(check_suspect(7, &recent).is_ok());
        assert!(check_suspect(8, &recent).unwrap_err().contains("not among this incident's recent changes"));
        assert!(check_suspect(7, &[]).is_err());
    }
}
