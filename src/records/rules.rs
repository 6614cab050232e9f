//! The rules every kind of record shares: what the access rules need to know of a record, approvals, and status
//! moves. Pure functions returning the reason for a refusal; who may act at all is `access::may`'s, and each kind's
//! own rules are in its module under `kinds`.
use super::row::Cells;
use super::spec::Resource;
use crate::access::{Action, Actor, Target};
use crate::domain::enums::ApprovalStatus;

/// What the access rules need to know of a record with these values (as stored, or as submitted for a new one):
/// its kind's answer (`Behaviour::access_target`).
pub fn target(resource: &Resource, cells: &Cells, id: Option<i32>) -> Target {
    resource.behaviour.access_target(cells, id)
}

/// An edit, as the access rules see it (`Behaviour::edit_target`).
pub fn edit_target(resource: &Resource, id: i32, old: &Cells, new: &Cells) -> Target {
    resource.behaviour.edit_target(id, old, new)
}

/// A submission by someone who may approve it is approved at once; anyone else's waits.
pub fn status_on_submit(resource: &Resource, actor: &Actor, submitted: &Cells) -> ApprovalStatus {
    if actor.can(Action::Decide(resource.area), &target(resource, submitted, None)) {
        ApprovalStatus::Approved
    } else {
        ApprovalStatus::Pending
    }
}

/// Approval and rejection act only on records that wait; a rejection needs a reason.
pub fn check_decision(current: ApprovalStatus, approve: bool, reason: &str) -> Result<(), String> {
    if current != ApprovalStatus::Pending {
        return Err(format!(
            "Approval: this record is already {}; only waiting records can be decided.",
            current.label().to_lowercase()
        ));
    }
    if !approve && crate::forms::is_blank(reason) {
        return Err("Rejection: enter the reason, so the person who submitted it knows what to change.".into());
    }
    Ok(())
}

fn words(value: &str) -> String {
    value.replace('_', " ")
}

/// Checks a status move against the record type's allowed moves.
pub fn check_transition(resource: &Resource, from: &str, to: &str) -> Result<(), String> {
    if from == to || resource.transitions.is_empty() || resource.transitions.contains(&(from, to)) {
        return Ok(());
    }
    let next: Vec<String> = resource.transitions.iter().filter(|(f, _)| *f == from).map(|(_, t)| words(t)).collect();
    let then = if next.is_empty() {
        format!("A {} that is {} does not change status any more.", resource.noun.to_lowercase(), words(from))
    } else {
        format!("From {} it may move to: {}.", words(from), next.join(", "))
    };
    Err(format!("{} status: it cannot move from {} to {}. {then}", resource.noun, words(from), words(to)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::enums::Role::*;
    use crate::domain::enums::UserStatus;
    use crate::records::procedures::{ANALYSES, ARTICLES};
    use crate::records::resources::*;

    #[test]
    fn approvals_need_the_right_role() {
        let standard = Cells::of(&SUBSCRIPTIONS, &[("sla_tier", "standard"), ("subscription_type", "full_service")]);
        let premium = Cells::of(&SUBSCRIPTIONS, &[("sla_tier", "premium"), ("subscription_type", "full_service")]);
        let custom = Cells::of(&SUBSCRIPTIONS, &[("sla_tier", "basic"), ("subscription_type", "custom")]);
        let table = [
            (&standard, AccountManager, ApprovalStatus::Pending),
            (&standard, SystemAdministrator, ApprovalStatus::Pending),
            (&standard, IncidentManager, ApprovalStatus::Approved),
            (&standard, Executive, ApprovalStatus::Approved),
            (&premium, IncidentManager, ApprovalStatus::Pending),
            (&premium, Executive, ApprovalStatus::Approved),
            (&custom, IncidentManager, ApprovalStatus::Pending),
        ];
        let actor = |role| Actor { user_id: 1, role, client_id: None, vendor_id: None, status: UserStatus::Active };
        for (values, role, expected) in table {
            assert_eq!(status_on_submit(&SUBSCRIPTIONS, &actor(role), values), expected, "{role:?} {values:?}");
        }
        assert_eq!(status_on_submit(&SLAS, &actor(IncidentManager), &Cells::default()), ApprovalStatus::Approved);
        assert_eq!(status_on_submit(&SLAS, &actor(AccountManager), &Cells::default()), ApprovalStatus::Pending);
    }

    #[test]
    fn only_waiting_records_are_decided_and_rejections_need_a_reason() {
        assert!(check_decision(ApprovalStatus::Pending, true, "").is_ok());
        assert!(check_decision(ApprovalStatus::Pending, false, "  ").unwrap_err().contains("enter the reason"));
        assert!(check_decision(ApprovalStatus::Pending, false, "Tier too generous").is_ok());
        assert!(check_decision(ApprovalStatus::Approved, true, "").unwrap_err().contains("already approved"));
    }

    #[test]
    fn status_moves_follow_each_procedure() {
        assert!(check_transition(&ANALYSES, "in_progress", "completed").is_ok());
        assert!(
            check_transition(&ANALYSES, "in_progress", "reviewed")
                .unwrap_err()
                .contains("From in progress it may move to: completed")
        );
        assert!(check_transition(&ARTICLES, "published", "draft").is_err());
        assert!(
            check_transition(&ARTICLES, "archived", "published")
                .unwrap_err()
                .contains("does not change status any more")
        );
    }
}
