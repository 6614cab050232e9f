//! The rules every kind of record shares: what the access rules need to know of a record, approvals, and status
//! moves. Pure functions returning the reason for a refusal; who may act at all is `access::may`'s, and each kind's
//! own rules are in its module under `kinds`.
use super::spec::Resource;
use crate::access::{Action, Actor, Target};
use crate::domain::enums::{ApprovalStatus, ChangeType, RiskLevel, Role, SlaTier, SubscriptionType};
use crate::forms::Values;

fn value<'a>(values: &'a Values, field: &str) -> Option<&'a str> {
    values.get(field).and_then(|v| v.as_deref())
}

/// What the access rules need to know of a record with these values (as stored, or as submitted for a new one).
pub fn target(resource: &Resource, values: &Values, id: Option<i32>) -> Target {
    use crate::access::Area;
    match resource.area {
        Area::Users => {
            let role = value(values, "role").and_then(Role::parse);
            // A stored account has its role; a new one is given one, which changes its rights.
            Target::Account { user_id: id, role: id.and(role), new_role: role, changes_rights: id.is_none() }
        }
        Area::Changes => Target::change(
            value(values, "risk_level").and_then(RiskLevel::parse),
            value(values, "change_type").and_then(ChangeType::parse),
        ),
        Area::Subscriptions => Target::subscription(
            value(values, "sla_tier").and_then(SlaTier::parse),
            value(values, "subscription_type").and_then(SubscriptionType::parse),
        ),
        Area::WorkOrders => {
            Target::WorkOrder { assignee: value(values, "assigned_to_user").and_then(|v| v.parse().ok()) }
        }
        _ => Target::Any,
    }
}

/// An edit, as the access rules see it: for a user's account, the account as it was and as it would be.
pub fn edit_target(resource: &Resource, id: i32, old: &Values, new: &Values) -> Target {
    match target(resource, old, Some(id)) {
        Target::Account { user_id, role, .. } => {
            let changes = |field: &str| new.get(field).is_some_and(|v| v != old.get(field).unwrap_or(&None));
            Target::Account {
                user_id,
                role,
                new_role: value(new, "role").and_then(Role::parse).or(role),
                changes_rights: changes("role") || changes("status"),
            }
        }
        _ => target(resource, new, Some(id)),
    }
}

/// A submission by someone who may approve it is approved at once; anyone else's waits.
pub fn status_on_submit(resource: &Resource, actor: &Actor, values: &Values) -> ApprovalStatus {
    if actor.can(Action::Decide(resource.area), &target(resource, values, None)) {
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
    use crate::domain::enums::UserStatus;
    use crate::records::procedures::{ANALYSES, ARTICLES};
    use crate::records::resources::*;
    use Role::*;

    fn values(pairs: &[(&'static str, &str)]) -> Values {
        pairs.iter().map(|(k, v)| (*k, Some(v.to_string()))).collect()
    }

    #[test]
    fn approvals_need_the_right_role() {
        let standard = values(&[("sla_tier", "standard"), ("subscription_type", "full_service")]);
        let premium = values(&[("sla_tier", "premium"), ("subscription_type", "full_service")]);
        let custom = values(&[("sla_tier", "basic"), ("subscription_type", "custom")]);
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
        assert_eq!(status_on_submit(&SLAS, &actor(IncidentManager), &Values::new()), ApprovalStatus::Approved);
        assert_eq!(status_on_submit(&SLAS, &actor(AccountManager), &Values::new()), ApprovalStatus::Pending);
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
