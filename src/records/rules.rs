//! Who may do what with records, the rules that span fields, and approvals. Pure functions returning the reason
//! for a refusal.
use super::spec::Resource;
use super::{procedure_rules, tiers};
use crate::domain::enums::{ApprovalStatus, Role, Severity, SlaTier, SubscriptionStatus};
use crate::forms::Values;
use crate::web::page::FieldError;

fn role_list(roles: &[Role]) -> String {
    let names: Vec<String> = roles.iter().map(|r| format!("{}s", r.label().to_lowercase())).collect();
    match names.as_slice() {
        [] => "nobody".into(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Records outside the provider's own staff are not administered by contacts.
pub fn may_read(resource: &Resource, role: Role) -> Result<(), String> {
    let contacts = match role {
        Role::ClientContact => resource.contacts.client,
        Role::VendorContact => resource.contacts.vendor,
        _ => None,
    };
    if role.is_staff() || contacts.is_some() {
        Ok(())
    } else {
        Err(format!(
            "{}: only provider staff can see these records; you are signed in as a {}.",
            resource.plural,
            role.label().to_lowercase()
        ))
    }
}

pub fn may_create(resource: &Resource, role: Role) -> Result<(), String> {
    allowed(resource, role, resource.permissions.create, "create")
}

pub fn may_update(resource: &Resource, role: Role) -> Result<(), String> {
    allowed(resource, role, resource.permissions.update, "change")
}

fn allowed(resource: &Resource, role: Role, roles: &[Role], verb: &str) -> Result<(), String> {
    if roles.contains(&role) {
        Ok(())
    } else {
        Err(format!(
            "{}: only {} may {verb} {}; you are signed in as a {}.",
            resource.plural,
            role_list(roles),
            resource.plural.to_lowercase(),
            role.label().to_lowercase()
        ))
    }
}

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
                && crate::web::format::parse(end) <= crate::web::format::parse(start)
            {
                fail("scheduled_end_time", "The scheduled end must be after the scheduled start.".into());
            }
        }
        _ => {}
    }
    errors
}

/// Guards against raising one's own rights: nobody changes their own role or status, and only system
/// administrators make or change system administrators.
pub fn check_user_change(actor: Role, actor_id: i32, target_id: i32, old: &Values, new: &Values) -> Result<(), String> {
    let changes = |field: &str| new.get(field).is_some_and(|v| v != old.get(field).unwrap_or(&None));
    if actor_id == target_id && (changes("role") || changes("status")) {
        return Err("Users: nobody changes their own role or status; ask another administrator.".into());
    }
    let admin = Some("system_administrator");
    let touches_admin = value(old, "role") == admin || value(new, "role") == admin;
    if touches_admin && actor != Role::SystemAdministrator && (changes("role") || changes("status")) {
        return Err("Users: only system administrators grant, change or remove the system administrator role.".into());
    }
    Ok(())
}

/// Administrators set other people's passwords; one's own is changed on "My password", with the current one.
pub fn check_password_reset(
    actor: Role,
    actor_id: i32,
    target_id: i32,
    target_role: Option<Role>,
) -> Result<(), String> {
    if actor_id == target_id {
        return Err("Passwords: change your own password on My password, which asks for the current one.".into());
    }
    if target_role == Some(Role::SystemAdministrator) && actor != Role::SystemAdministrator {
        return Err("Passwords: only system administrators set a system administrator's password.".into());
    }
    Ok(())
}

/// The roles that may approve a record with these values.
pub fn approvers(resource: &Resource, values: &Values) -> &'static [Role] {
    const MANAGERS: &[Role] = &[Role::IncidentManager, Role::Executive];
    const EXECUTIVES: &[Role] = &[Role::Executive];
    let critical = resource.kind == "subscription"
        && (value(values, "sla_tier") == Some("premium") || value(values, "subscription_type") == Some("custom"));
    if critical { EXECUTIVES } else { MANAGERS }
}

/// Who may approve, in words, for the page of a waiting record.
pub fn approvers_text(resource: &Resource, values: &Values) -> String {
    let roles = approvers(resource, values);
    let text = role_list(roles);
    if roles == [Role::Executive] {
        "an executive (premium tier and custom subscriptions need one)".to_string()
    } else {
        format!("{text} (any one of them)")
    }
}

pub fn may_approve(resource: &Resource, role: Role, values: &Values) -> Result<(), String> {
    if approvers(resource, values).contains(&role) {
        Ok(())
    } else {
        Err(format!(
            "{} approval: only {} may approve or reject this {}; you are signed in as a {}.",
            resource.noun,
            role_list(approvers(resource, values)),
            resource.noun.to_lowercase(),
            role.label().to_lowercase()
        ))
    }
}

/// Who may approve or reject a record of this type with these values.
pub fn may_decide(resource: &Resource, role: Role, values: &Values) -> Result<(), String> {
    use crate::domain::enums::{ChangeType, RiskLevel};
    match resource.kind {
        "change_request" => procedure_rules::may_approve_change(
            role,
            value(values, "risk_level").and_then(RiskLevel::parse),
            value(values, "change_type").and_then(ChangeType::parse),
        ),
        "rollback_request" => procedure_rules::may_approve_rollback(role),
        _ => may_approve(resource, role, values),
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
pub fn status_on_submit(resource: &Resource, role: Role, values: &Values) -> ApprovalStatus {
    if may_approve(resource, role, values).is_ok() { ApprovalStatus::Approved } else { ApprovalStatus::Pending }
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
    use crate::records::resources::*;
    use Role::*;

    fn values(pairs: &[(&'static str, &str)]) -> Values {
        pairs.iter().map(|(k, v)| (*k, Some(v.to_string()))).collect()
    }

    #[test]
    fn permissions_follow_the_table() {
        let table: &[(&Resource, Role, bool, bool)] = &[
            (&CLIENTS, SystemAdministrator, true, true),
            (&CLIENTS, AccountManager, false, true),
            (&CLIENTS, IncidentManager, false, false),
            (&USERS, IncidentManager, true, true),
            (&USERS, Executive, false, false),
            (&VENDORS, Executive, true, true),
            (&VENDORS, TechnicalSupport, false, false),
            (&PRODUCTS, TechnicalSupport, true, true),
            (&COMPONENTS, AccountManager, false, false),
            (&SUBSCRIPTIONS, AccountManager, true, true),
            (&SUBSCRIPTIONS, TechnicalSupport, false, false),
            (&SLAS, Executive, true, true),
            (&SLAS, ClientContact, false, false),
        ];
        for (resource, role, create, update) in table {
            assert_eq!(may_create(resource, *role).is_ok(), *create, "{} create by {role:?}", resource.kind);
            assert_eq!(may_update(resource, *role).is_ok(), *update, "{} update by {role:?}", resource.kind);
        }
        assert!(
            may_create(&CLIENTS, AccountManager).unwrap_err().contains("only system administrators may create clients")
        );
        assert!(may_read(&CLIENTS, ClientContact).is_err());
        assert!(may_read(&CLIENTS, VendorContact).is_err());
        assert!(may_read(&CLIENTS, TechnicalSupport).is_ok());
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
        for (values, role, expected) in table {
            assert_eq!(status_on_submit(&SUBSCRIPTIONS, role, values), expected, "{role:?} {values:?}");
        }
        assert!(approvers_text(&SUBSCRIPTIONS, &premium).contains("an executive"));
        assert_eq!(status_on_submit(&SLAS, IncidentManager, &Values::new()), ApprovalStatus::Approved);
        assert_eq!(status_on_submit(&SLAS, AccountManager, &Values::new()), ApprovalStatus::Pending);
    }

    #[test]
    fn nobody_raises_their_own_rights() {
        let old = values(&[("role", "incident_manager"), ("status", "active")]);
        let promoted = values(&[("role", "system_administrator"), ("status", "active")]);
        assert!(check_user_change(IncidentManager, 7, 7, &old, &promoted).unwrap_err().contains("their own role"));
        assert!(
            check_user_change(IncidentManager, 7, 8, &old, &promoted)
                .unwrap_err()
                .contains("only system administrators")
        );
        assert!(check_user_change(SystemAdministrator, 1, 8, &old, &promoted).is_ok());
        let renamed = values(&[("role", "incident_manager"), ("status", "active"), ("name", "New")]);
        assert!(check_user_change(IncidentManager, 7, 7, &old, &renamed).is_ok(), "other fields of oneself are fine");
        assert!(check_password_reset(SystemAdministrator, 1, 1, Some(SystemAdministrator)).is_err());
        assert!(check_password_reset(IncidentManager, 2, 1, Some(SystemAdministrator)).is_err());
        assert!(check_password_reset(IncidentManager, 2, 3, Some(TechnicalSupport)).is_ok());
    }

    #[test]
    fn only_waiting_records_are_decided_and_rejections_need_a_reason() {
        assert!(check_decision(ApprovalStatus::Pending, true, "").is_ok());
        assert!(check_decision(ApprovalStatus::Pending, false, "  ").unwrap_err().contains("enter the reason"));
        assert!(check_decision(ApprovalStatus::Pending, false, "Tier too generous").is_ok());
        assert!(check_decision(ApprovalStatus::Approved, true, "").unwrap_err().contains("already approved"));
    }
}
