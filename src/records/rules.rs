//! The rules of records that span fields, and of approvals. Pure functions returning the reason for a refusal;
//! who may act at all is `access::may`'s.
use super::spec::Resource;
use super::{procedure_rules, tiers};
use crate::access::{Action, Actor, Target};
use crate::domain::enums::{
    ApprovalStatus, ChangeType, RiskLevel, Role, Severity, SlaTier, SubscriptionStatus, SubscriptionType,
};
use crate::forms::{FieldError, Values};

/// What the rules across fields need to know from the database.
#[derive(Debug, Default, Clone)]
pub struct Facts {
    /// For an SLA: its subscription's status, tier and approval.
    pub subscription: Option<(SubscriptionStatus, SlaTier, ApprovalStatus)>,
    /// The status of the incident a record points to.
    pub incident_status: Option<crate::domain::enums::IncidentStatus>,
    /// The status of the change a rollback points to.
    pub change_status: Option<crate::domain::enums::ChangeStatus>,
}

fn value<'a>(values: &'a Values, field: &str) -> Option<&'a str> {
    values.get(field).and_then(|v| v.as_deref())
}

/// Rules that involve more than one field or another record; each error sits on the field to fix.
pub fn check_record(resource: &Resource, values: &Values, facts: &Facts) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut fail = |field: &'static str, message: String| errors.push(FieldError { field, message });
    match resource.kind {
        "user" => {
            let role = value(values, "role").and_then(Role::parse);
            let client = value(values, "client_id").is_some();
            let vendor = value(values, "vendor_id").is_some();
            match role {
                Some(Role::ClientContact) if !client => {
                    fail("client_id", "A client contact needs a client: choose the client they work for.".into())
                }
                Some(Role::VendorContact) if !vendor => {
                    fail("vendor_id", "A vendor contact needs a vendor: choose the vendor they work for.".into())
                }
                _ => {}
            }
            if client && !matches!(role, Some(Role::ClientContact | Role::AccountManager)) {
                fail(
                    "client_id",
                    "Only client contacts and account managers are tied to a client; leave the client empty.".into(),
                );
            }
            if vendor && role != Some(Role::VendorContact) {
                fail("vendor_id", "Only vendor contacts are tied to a vendor; leave the vendor empty.".into());
            }
        }
        "subscription" => {
            let date =
                |name: &str| value(values, name).and_then(|v| chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").ok());
            if let (Some(start), Some(end)) = (date("start_date"), date("end_date"))
                && end <= start
            {
                fail("end_date", format!("The end date must be after the start date ({start})."));
            }
        }
        "service_level_agreement" => match facts.subscription {
            Some((status, _, _)) if status != SubscriptionStatus::Active => fail(
                "subscription_id",
                format!(
                    "SLAs can only be set on an active subscription; this subscription is {}.",
                    status.label().to_lowercase()
                ),
            ),
            Some((_, _, approval)) if approval != ApprovalStatus::Approved => fail(
                "subscription_id",
                format!(
                    "SLAs can only be set on an approved subscription; this subscription is {}.",
                    approval.label().to_lowercase()
                ),
            ),
            Some((_, tier, _)) => {
                let severity = value(values, "severity_level").and_then(Severity::parse);
                let response = value(values, "response_time_minutes").and_then(|v| v.parse().ok());
                let resolution = value(values, "resolution_time_hours").and_then(|v| v.parse().ok());
                if let (Some(severity), Some(response), Some(resolution)) = (severity, response, resolution) {
                    for (field, message) in tiers::check(tier, severity, response, resolution) {
                        fail(field, message);
                    }
                }
            }
            None => {}
        },
        "performance_metric" | "post_incident_review" => {
            if let Some(status) = facts.incident_status {
                let procedure =
                    if resource.kind == "performance_metric" { "Performance metrics" } else { "Post-incident reviews" };
                if let Err(message) =
                    procedure_rules::check_closed(procedure, value(values, "incident_id").unwrap_or_default(), status)
                {
                    fail("incident_id", message);
                }
            }
        }
        "rollback_request" => {
            if let Some(status) = facts.change_status
                && let Err(message) =
                    procedure_rules::check_rollback_target(value(values, "change_id").unwrap_or_default(), status)
            {
                fail("change_id", message);
            }
        }
        "change_request" => {
            if let (Some(start), Some(end)) =
                (value(values, "scheduled_start_time"), value(values, "scheduled_end_time"))
                && crate::format::parse(end) <= crate::format::parse(start)
            {
                fail("scheduled_end_time", "The scheduled end must be after the scheduled start.".into());
            }
        }
        _ => {}
    }
    errors
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

/// Whether a record waits for a decision.
pub fn waiting(resource: &Resource, values: &Values) -> bool {
    match resource.kind {
        "change_request" | "rollback_request" => value(values, "status") == Some("requested"),
        _ => resource.approval && value(values, "approval_status") == Some("pending"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::enums::UserStatus;
    use crate::records::resources::*;
    use Role::*;

    fn values(pairs: &[(&'static str, &str)]) -> Values {
        pairs.iter().map(|(k, v)| (*k, Some(v.to_string()))).collect()
    }

    #[test]
    fn users_are_tied_to_organisations_by_role() {
        type Case<'a> = (&'a [(&'a str, &'a str)], Option<&'a str>);
        let cases: &[Case] = &[
            (&[("role", "client_contact")], Some("client_id")),
            (&[("role", "client_contact"), ("client_id", "1")], None),
            (&[("role", "vendor_contact")], Some("vendor_id")),
            (&[("role", "account_manager"), ("client_id", "1")], None),
            (&[("role", "executive"), ("client_id", "1")], Some("client_id")),
            (&[("role", "technical_support"), ("vendor_id", "1")], Some("vendor_id")),
        ];
        for (pairs, field) in cases {
            let errors = check_record(&USERS, &values(pairs), &Facts::default());
            assert_eq!(errors.first().map(|e| e.field), *field, "{pairs:?}");
        }
    }

    #[test]
    fn subscription_end_must_follow_start() {
        let bad = values(&[("start_date", "2026-05-01"), ("end_date", "2026-05-01")]);
        assert_eq!(check_record(&SUBSCRIPTIONS, &bad, &Facts::default())[0].field, "end_date");
        let good = values(&[("start_date", "2026-05-01"), ("end_date", "2027-05-01")]);
        assert!(check_record(&SUBSCRIPTIONS, &good, &Facts::default()).is_empty());
    }

    #[test]
    fn slas_need_an_active_subscription_and_times_within_the_tier() {
        let sla = values(&[("severity_level", "P1"), ("response_time_minutes", "45"), ("resolution_time_hours", "3")]);
        let expired = Facts {
            subscription: Some((SubscriptionStatus::Expired, SlaTier::Premium, ApprovalStatus::Approved)),
            ..Facts::default()
        };
        assert!(
            check_record(&SLAS, &sla, &expired)[0]
                .message
                .contains("active subscription; this subscription is expired")
        );
        let premium = Facts {
            subscription: Some((SubscriptionStatus::Active, SlaTier::Premium, ApprovalStatus::Approved)),
            ..Facts::default()
        };
        let errors = check_record(&SLAS, &sla, &premium);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("at most 30 minutes"));
        let standard = Facts {
            subscription: Some((SubscriptionStatus::Active, SlaTier::Standard, ApprovalStatus::Approved)),
            ..Facts::default()
        };
        assert_eq!(check_record(&SLAS, &sla, &standard).len(), 2, "45 min < 60 and 3 h < 8 for standard P1");
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
}
