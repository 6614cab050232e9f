//! The incident rules: the status lifecycle, severity classification, who may be assigned or escalated to, and
//! whom a communication reaches. Pure functions returning the reason for a refusal; who may act at all is
//! `access::may`'s.
use crate::domain::enums::{EscalationLevel, IncidentStatus, RecipientType, Role, Severity, UserStatus};
use strum::IntoEnumIterator;

/// The moves the lifecycle allows from a status.
pub fn next_statuses(from: IncidentStatus) -> &'static [IncidentStatus] {
    use IncidentStatus::*;
    match from {
        Open => &[Investigating],
        Investigating => &[InProgress],
        InProgress => &[Resolved],
        Resolved => &[Closed, InProgress],
        Closed => &[],
    }
}

/// Checks a status change: open → investigating → in progress → resolved → closed, and resolved back to in
/// progress.
pub fn check_transition(from: IncidentStatus, to: IncidentStatus) -> Result<(), String> {
    if from == to {
        return Ok(());
    }
    if !next_statuses(from).contains(&to) {
        let allowed: Vec<&str> = next_statuses(from).iter().map(|s| s.label()).collect();
        let then = if allowed.is_empty() {
            "A closed incident is final.".to_string()
        } else {
            format!("From {} it may move to: {}.", from.label().to_lowercase(), allowed.join(", ").to_lowercase())
        };
        return Err(format!(
            "Incident status: an incident cannot move from {} to {}. {then}",
            from.label().to_lowercase(),
            to.label().to_lowercase()
        ));
    }
    Ok(())
}

/// A closed incident takes no more changes.
pub fn check_open_for_changes(status: IncidentStatus) -> Result<(), String> {
    if status == IncidentStatus::Closed {
        Err("Incident: this incident is closed; closed incidents are final and take no more changes.".into())
    } else {
        Ok(())
    }
}

/// Someone named in a form (assignee, escalation target) must be active.
fn check_active(purpose: &str, name: &str, status: UserStatus) -> Result<(), String> {
    match status {
        UserStatus::Active => Ok(()),
        other => Err(format!("{purpose}: {name} is {}; choose an active user.", other.label().to_lowercase())),
    }
}

/// Incidents are assigned to active provider staff.
pub fn check_assignee(name: &str, role: Role, status: UserStatus) -> Result<(), String> {
    check_active("Assignment", name, status)?;
    if role.is_staff() {
        Ok(())
    } else {
        Err(format!(
            "Assignment: {name} is a {}; incidents are assigned to provider staff.",
            role.label().to_lowercase()
        ))
    }
}

/// The roles an escalation level reaches; a vendor escalation reaches only the contacts of the vendor that supports
/// the incident's component.
pub fn escalation_roles(level: EscalationLevel) -> &'static [Role] {
    use Role::*;
    match level {
        EscalationLevel::Management => &[IncidentManager, Executive],
        EscalationLevel::Technical => &[TechnicalSupport, SystemAdministrator],
        EscalationLevel::Executive => &[Executive],
        EscalationLevel::Vendor => &[VendorContact],
    }
}

/// The escalation target must be active and fit the level; a vendor escalation goes to a contact of the vendor
/// that supports the incident's component.
pub fn check_escalation_target(
    level: EscalationLevel,
    name: &str,
    role: Role,
    status: UserStatus,
    target_vendor: Option<i32>,
    supporting_vendor: Option<i32>,
) -> Result<(), String> {
    check_active("Escalation", name, status)?;
    let fits = escalation_roles(level).contains(&role)
        && (level != EscalationLevel::Vendor || (target_vendor.is_some() && target_vendor == supporting_vendor));
    if fits {
        return Ok(());
    }
    let wanted = match level {
        EscalationLevel::Management => "an incident manager or an executive",
        EscalationLevel::Technical => "technical support or a system administrator",
        EscalationLevel::Executive => "an executive",
        EscalationLevel::Vendor if supporting_vendor.is_none() => {
            return Err("Escalation: this incident's component has no supporting vendor, so it cannot be escalated to a vendor.".into());
        }
        EscalationLevel::Vendor => "a vendor contact of the vendor that supports this incident's component",
    };
    Err(format!(
        "Escalation: a {} escalation goes to {wanted}; {name} is a {}.",
        level.label().to_lowercase(),
        role.label().to_lowercase()
    ))
}

/// Whom a communication about an incident may go to: an active person who may see the incident (their scope, as
/// `access::Scope::sees` decides it: provider staff, the incident's client's people, the contacts of the vendors
/// that support it or that it was escalated to); never another client's or another vendor's people.
pub fn check_recipient(name: &str, status: UserStatus, sees_the_incident: bool) -> Result<(), String> {
    check_active("Communication", name, status)?;
    if sees_the_incident {
        Ok(())
    } else {
        Err(format!(
            "Communication: {name} works for another client or vendor; communications go to provider staff and the \
             people of this incident's client and vendor."
        ))
    }
}

/// The roles a recipient group names.
fn group_roles(group: RecipientType) -> Vec<Role> {
    match group {
        RecipientType::ClientContacts => vec![Role::ClientContact],
        RecipientType::ExecutiveTeam => vec![Role::Executive],
        RecipientType::TechnicalTeam => vec![Role::TechnicalSupport],
        RecipientType::AllStakeholders => Role::iter().collect(),
    }
}

/// Who a recipient group reaches about an incident: the active users of the roles it names who may see the
/// incident. So "client contacts" are the contacts of the incident's client only.
pub fn in_recipient_group(group: RecipientType, role: Role, status: UserStatus, sees_the_incident: bool) -> bool {
    group_roles(group).contains(&role) && check_recipient("", status, sees_the_incident).is_ok()
}

/// The roles whose active users `in_recipient_group` chooses among, for loading them.
pub fn recipient_group_roles(group: RecipientType) -> Vec<Role> {
    group_roles(group)
}

/// A classification question of the policy, and the severity it points to.
pub struct Condition {
    pub name: &'static str,
    pub severity: Severity,
    pub text: &'static str,
}

/// The policy's P1, P2 and P3 conditions, asked as checkboxes on the report form.
pub const CONDITIONS: &[Condition] = &[
    Condition {
        name: "p1_outage",
        severity: Severity::P1,
        text: "Complete outage of a business-critical service with no workaround",
    },
    Condition {
        name: "p1_wide",
        severity: Severity::P1,
        text: "Enterprise-wide impact, or 5 or more affected customers or parties",
    },
    Condition {
        name: "p1_regulatory",
        severity: Severity::P1,
        text: "Significant regulatory, safety or financial implications",
    },
    Condition {
        name: "p1_contract",
        severity: Severity::P1,
        text: "A high-priority customer with contractual P1 terms, or a recurrent incident",
    },
    Condition {
        name: "p2_degradation",
        severity: Severity::P2,
        text: "Major degradation of business-critical services, with a workaround",
    },
    Condition {
        name: "p2_multiple",
        severity: Severity::P2,
        text: "Impact on multiple departments, sites or critical functions",
    },
    Condition {
        name: "p2_sla",
        severity: Severity::P2,
        text: "Risk of breaching a high-priority SLA with significant impact",
    },
    Condition {
        name: "p3_local",
        severity: Severity::P3,
        text: "A single department, localised users or a non-critical function",
    },
    Condition { name: "p3_moderate", severity: Severity::P3, text: "Moderate degradation with a minimal workaround" },
];

/// P1 if any P1 condition holds, else P2 if any P2 condition, else P3 if any P3 condition, else P4; with the
/// condition that decided it.
pub fn classify(checked: &[&str]) -> (Severity, Option<&'static Condition>) {
    CONDITIONS
        .iter()
        .filter(|c| checked.contains(&c.name))
        .min_by_key(|c| c.severity as u8)
        .map_or((Severity::P4, None), |c| (c.severity, Some(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn communications_go_to_active_people_who_see_the_incident() {
        let table = [
            (UserStatus::Active, true, Ok(())),
            (UserStatus::Active, false, Err("works for another client or vendor")),
            (UserStatus::OnLeave, true, Err("is on leave")),
        ];
        for (status, sees, expected) in table {
            let result = check_recipient("Kim", status, sees);
            match expected {
                Ok(()) => assert_eq!(result, Ok(()), "{status:?} {sees}"),
                Err(words) => assert!(result.unwrap_err().contains(words), "{status:?} {sees}"),
            }
        }
    }

    #[test]
    fn a_recipient_group_reaches_its_active_roles_who_see_the_incident() {
        use RecipientType::*;
        use Role::*;
        let active = UserStatus::Active;
        let table = [
            (ClientContacts, ClientContact, active, true, true),
            (ClientContacts, ClientContact, active, false, false),
            (ClientContacts, ClientContact, UserStatus::Inactive, true, false),
            (ClientContacts, AccountManager, active, true, false),
            (ExecutiveTeam, Executive, active, true, true),
            (ExecutiveTeam, IncidentManager, active, true, false),
            (TechnicalTeam, TechnicalSupport, UserStatus::OnLeave, true, false),
            (AllStakeholders, SystemAdministrator, active, true, true),
            (AllStakeholders, VendorContact, active, true, true),
            (AllStakeholders, VendorContact, active, false, false),
        ];
        for (group, role, status, sees, expected) in table {
            assert_eq!(in_recipient_group(group, role, status, sees), expected, "{group:?} and a {status:?} {role:?}");
        }
    }

    use IncidentStatus::*;

    #[test]
    fn the_transition_table() {
        let all = [Open, Investigating, InProgress, Resolved, Closed];
        let allowed = [
            (Open, Investigating),
            (Investigating, InProgress),
            (InProgress, Resolved),
            (Resolved, Closed),
            (Resolved, InProgress),
        ];
        for from in all {
            for to in all {
                let expected = from == to || allowed.contains(&(from, to));
                assert_eq!(check_transition(from, to).is_ok(), expected, "{from:?} → {to:?}");
            }
        }
        let refused = check_transition(Open, Resolved).unwrap_err();
        assert!(
            refused.contains("cannot move from open to resolved") && refused.contains("may move to: investigating"),
            "{refused}"
        );
        assert!(check_transition(Closed, Open).unwrap_err().contains("final"));
    }

    #[test]
    fn severity_is_proposed_from_the_policy_conditions() {
        let cases: &[(&[&str], Severity, Option<&str>)] = &[
            (&[], Severity::P4, None),
            (&["p3_local"], Severity::P3, Some("p3_local")),
            (&["p3_local", "p2_multiple"], Severity::P2, Some("p2_multiple")),
            (&["p2_sla", "p1_regulatory", "p3_moderate"], Severity::P1, Some("p1_regulatory")),
            (&["unknown"], Severity::P4, None),
        ];
        for (checked, severity, decided) in cases {
            let (proposed, condition) = classify(checked);
            assert_eq!(proposed, *severity, "{checked:?}");
            assert_eq!(condition.map(|c| c.name), *decided);
        }
    }

    #[test]
    fn assignees_and_escalation_targets_must_fit() {
        use Role::*;
        assert!(check_assignee("Ann", TechnicalSupport, UserStatus::Active).is_ok());
        assert!(
            check_assignee("Erin Wilson", TechnicalSupport, UserStatus::OnLeave)
                .unwrap_err()
                .contains("Erin Wilson is on leave")
        );
        assert!(check_assignee("Cy", ClientContact, UserStatus::Active).is_err());
        let table = [
            (EscalationLevel::Management, IncidentManager, None, true),
            (EscalationLevel::Management, TechnicalSupport, None, false),
            (EscalationLevel::Technical, SystemAdministrator, None, true),
            (EscalationLevel::Executive, IncidentManager, None, false),
            (EscalationLevel::Vendor, VendorContact, Some(7), true),
            (EscalationLevel::Vendor, VendorContact, Some(8), false),
            (EscalationLevel::Vendor, Executive, None, false),
        ];
        for (level, role, vendor, expected) in table {
            let result = check_escalation_target(level, "Target", role, UserStatus::Active, vendor, Some(7));
            assert_eq!(result.is_ok(), expected, "{level:?} to {role:?} of {vendor:?}: {result:?}");
        }
        assert!(
            check_escalation_target(EscalationLevel::Vendor, "V", VendorContact, UserStatus::Active, Some(7), None)
                .unwrap_err()
                .contains("no supporting vendor")
        );
        assert!(
            check_escalation_target(EscalationLevel::Executive, "Ed", Executive, UserStatus::Inactive, None, None)
                .unwrap_err()
                .contains("inactive")
        );
    }
}
