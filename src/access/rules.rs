//! Who may do what (`spec/permissions.md` of the shared specs), as one function: `may(actor, action, target)` answers with
//! the rule that allowed or refused, by name. Scope is not decided here: a record outside the actor's scope is not
//! found by the queries (`scope`), so it never reaches these rules.
use super::Actor;
use crate::domain::enums::{ChangeType, RiskLevel, Role, SlaTier, SubscriptionType, UserStatus};
use Role::*;

/// An area of the product: a kind of record, or the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Area {
    Clients,
    Users,
    Vendors,
    Products,
    Components,
    Subscriptions,
    Slas,
    Incidents,
    Problems,
    WorkOrders,
    Workarounds,
    Analyses,
    Changes,
    Rollbacks,
    Metrics,
    Reports,
    Articles,
    Reviews,
    AuditTrail,
}

impl Area {
    /// The area's name as the start of a refusal ("Clients: …").
    pub fn title(self) -> &'static str {
        match self {
            Area::Clients => "Clients",
            Area::Users => "Users",
            Area::Vendors => "Vendors",
            Area::Products => "Products",
            Area::Components => "Infrastructure components",
            Area::Subscriptions => "Subscriptions",
            Area::Slas => "SLAs",
            Area::Incidents => "Incidents",
            Area::Problems => "Problem tickets",
            Area::WorkOrders => "Work orders",
            Area::Workarounds => "Workarounds",
            Area::Analyses => "Root cause analyses",
            Area::Changes => "Change requests",
            Area::Rollbacks => "Rollback requests",
            Area::Metrics => "Performance metrics",
            Area::Reports => "Incident reports",
            Area::Articles => "Knowledge base",
            Area::Reviews => "Post-incident reviews",
            Area::AuditTrail => "Audit trail",
        }
    }

    /// The record type as the audit trail names it: "client", "work_order", "audit_log".
    pub fn kind(self) -> &'static str {
        match self {
            Area::Clients => "client",
            Area::Users => "user",
            Area::Vendors => "vendor",
            Area::Products => "product",
            Area::Components => "infrastructure_component",
            Area::Subscriptions => "subscription",
            Area::Slas => "service_level_agreement",
            Area::Incidents => "incident",
            Area::Problems => "problem_ticket",
            Area::WorkOrders => "work_order",
            Area::Workarounds => "workaround",
            Area::Analyses => "root_cause_analysis",
            Area::Changes => "change_request",
            Area::Rollbacks => "rollback_request",
            Area::Metrics => "performance_metric",
            Area::Reports => "incident_report",
            Area::Articles => "knowledge_base_article",
            Area::Reviews => "post_incident_review",
            Area::AuditTrail => "audit_log",
        }
    }

    /// The records, in a sentence ("may create knowledge base articles").
    fn records(self) -> &'static str {
        match self {
            Area::Articles => "knowledge base articles",
            Area::AuditTrail => "the audit trail",
            Area::Slas => "SLAs",
            _ => "",
        }
    }

    fn noun(self) -> String {
        match self.records() {
            "" => self.title().to_lowercase(),
            words => words.to_string(),
        }
    }
}

/// Something one may do. Each route of the route table names the action it performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// See an area's records: lists, pages, exports and prints.
    Read(Area),
    /// Create a record (for incidents: report one).
    Create(Area),
    Update(Area),
    /// Approve or reject a request that waits for a decision.
    Decide(Area),
    /// See what the provider keeps for itself: a record's change history, its links to internal records, every
    /// communication.
    ReadInternal(Area),
    CloseIncident,
    PostProgress,
    /// Escalate an incident, or resolve or cancel one of its escalations.
    Escalate,
    /// Record a communication about an incident.
    Communicate,
    /// Set another user's password.
    SetPassword,
    /// Move a work order along from its page.
    SetWorkOrderStatus,
    /// Carry out an approved rollback.
    ExecuteRollback,
    /// Ask why someone can see a record (the Access page).
    ExplainAccess,
}

impl Action {
    /// The area the action belongs to.
    pub fn area(self) -> Area {
        match self {
            Action::Read(area)
            | Action::Create(area)
            | Action::Update(area)
            | Action::Decide(area)
            | Action::ReadInternal(area) => area,
            Action::CloseIncident | Action::PostProgress | Action::Escalate | Action::Communicate => Area::Incidents,
            Action::ExplainAccess => Area::Incidents,
            Action::SetPassword => Area::Users,
            Action::SetWorkOrderStatus => Area::WorkOrders,
            Action::ExecuteRollback => Area::Rollbacks,
        }
    }
}

/// What an action is done to, with what its rules need to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Target {
    /// A list, a form for a new record, or a record whose rules need nothing more than its kind.
    #[default]
    Any,
    /// A user's account: its id and role as stored (none for a new one), the role it would have after the change,
    /// and whether the change touches its role or status.
    Account { user_id: Option<i32>, role: Option<Role>, new_role: Option<Role>, changes_rights: bool },
    /// A request that waits for a decision; a major one (a high-risk or emergency change, a premium or custom
    /// subscription) needs an executive.
    Request { major: bool },
    /// A work order, and whom it is assigned to.
    WorkOrder { assignee: Option<i32> },
}

impl Target {
    /// A change request: high risk or an emergency is a major change (*reading* of "authorize major changes").
    pub fn change(risk: Option<RiskLevel>, change_type: Option<ChangeType>) -> Target {
        Target::Request { major: risk == Some(RiskLevel::High) || change_type == Some(ChangeType::Emergency) }
    }

    /// A subscription: the premium tier or a custom contract is a critical one (*reading* of "critical
    /// subscriptions").
    pub fn subscription(tier: Option<SlaTier>, kind: Option<SubscriptionType>) -> Target {
        Target::Request { major: tier == Some(SlaTier::Premium) || kind == Some(SubscriptionType::Custom) }
    }
}

/// What makes a request major, as (field, value) pairs of its record, any one of which does: the same reading as
/// `Target::change` and `Target::subscription`, for the lists and counts of what waits for an executive.
pub fn major_marks(area: Area) -> &'static [(&'static str, &'static str)] {
    match area {
        Area::Changes => &[("risk_level", "high"), ("change_type", "emergency")],
        Area::Subscriptions => &[("sla_tier", "premium"), ("subscription_type", "custom")],
        _ => &[],
    }
}

/// A rule of access: its name, and what it says (a refusal shows it to the user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub name: &'static str,
    pub text: String,
}

/// The rule that allowed (`Ok`) or refused (`Err`).
pub type Decision = Result<Rule, Rule>;

const EVERYONE: &[Role] =
    &[SystemAdministrator, IncidentManager, TechnicalSupport, AccountManager, Executive, ClientContact, VendorContact];
/// The provider's own staff: every role but the client and vendor contacts.
pub const STAFF: &[Role] = &[SystemAdministrator, IncidentManager, TechnicalSupport, AccountManager, Executive];
const ADMINISTRATORS: &[Role] = &[SystemAdministrator];
const SUPPORT_TEAM: &[Role] = &[IncidentManager, TechnicalSupport, SystemAdministrator];
const APPROVERS: &[Role] = &[IncidentManager, Executive];
const EXECUTIVES: &[Role] = &[Executive];
const SUBSCRIPTION_EDITORS: &[Role] = &[SystemAdministrator, AccountManager, IncidentManager, Executive];

/// Who may read an area's records. Contacts read within their scope, and only some areas (the queries narrow
/// those further to what is published or addressed to them).
fn readers(area: Area) -> &'static [Role] {
    match area {
        Area::Incidents | Area::Reports | Area::Articles => EVERYONE,
        Area::WorkOrders => {
            &[SystemAdministrator, IncidentManager, TechnicalSupport, AccountManager, Executive, VendorContact]
        }
        Area::AuditTrail => &[SystemAdministrator, Executive],
        _ => STAFF,
    }
}

/// Who may create (and, where `update` is the same, change) an area's records: permissions.md's table.
fn editors(area: Area, update: bool) -> &'static [Role] {
    match area {
        Area::Clients if update => &[SystemAdministrator, AccountManager],
        Area::Clients => ADMINISTRATORS,
        Area::Users => &[SystemAdministrator, IncidentManager],
        Area::Vendors => &[SystemAdministrator, IncidentManager, Executive],
        Area::Products | Area::Components => &[SystemAdministrator, TechnicalSupport],
        Area::Subscriptions | Area::Slas => SUBSCRIPTION_EDITORS,
        Area::Incidents if update => &[IncidentManager, TechnicalSupport, Executive],
        Area::Incidents => EVERYONE,
        Area::Problems | Area::WorkOrders | Area::Workarounds | Area::Analyses => SUPPORT_TEAM,
        Area::Changes => &[TechnicalSupport, SystemAdministrator, Executive, IncidentManager],
        Area::Rollbacks => &[TechnicalSupport, IncidentManager, Executive],
        // A metric is computed from its incident's times: there is nothing to change afterwards.
        Area::Metrics if update => &[],
        Area::Metrics => &[IncidentManager, SystemAdministrator],
        Area::Reports | Area::Reviews => &[IncidentManager, Executive],
        Area::Articles => &[TechnicalSupport, IncidentManager],
        Area::AuditTrail => &[],
    }
}

/// "system administrators, incident managers and executives"
pub fn role_list(roles: &[Role]) -> String {
    let names: Vec<String> = roles.iter().map(|r| format!("{}s", r.label().to_lowercase())).collect();
    match names.as_slice() {
        [] => "nobody".into(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A rule that lets `roles` do something; `what` says it ("close incidents").
fn by_role(actor: &Actor, name: &'static str, area: Area, roles: &[Role], what: &str) -> Decision {
    if roles.contains(&actor.role) {
        Ok(Rule { name, text: format!("{} may {what}.", capitalised(&role_list(roles))) })
    } else {
        Err(Rule {
            name,
            text: format!(
                "{}: only {} may {what}; you are signed in as {}.",
                area.title(),
                role_list(roles),
                signed_in_as(actor.role)
            ),
        })
    }
}

/// "a technical support", "an incident manager": the role with its article, for refusals.
/// The role in the words "you are signed in as …": "an executive", "technical support" (a team, not a person).
fn signed_in_as(role: Role) -> String {
    let words = role.label().to_lowercase();
    if role == Role::TechnicalSupport {
        return words;
    }
    let article = if words.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {words}")
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn allow(name: &'static str, text: impl Into<String>) -> Decision {
    Ok(Rule { name, text: text.into() })
}

fn refuse(name: &'static str, text: impl Into<String>) -> Decision {
    Err(Rule { name, text: text.into() })
}

/// Whether `actor` may do `action` to `target`, and by which rule.
pub fn may(actor: &Actor, action: Action, target: &Target) -> Decision {
    if actor.status != UserStatus::Active {
        return refuse(
            "active-users-only",
            format!("Only active users act; this account is {}.", actor.status.label().to_lowercase()),
        );
    }
    let area = action.area();
    match action {
        Action::Read(area) => {
            let what = format!("see {}", area.noun());
            by_role(actor, "read", area, readers(area), &what)
        }
        Action::ReadInternal(area) => {
            by_role(actor, "internal-details", area, STAFF, "see the provider's internal details of records")
        }
        Action::Create(Area::Users) => {
            by_role(actor, "create", area, editors(area, false), "create users")?;
            account_rights(actor, target)
        }
        Action::Update(Area::Users) => {
            by_role(actor, "update", area, editors(area, true), "change users")?;
            account_rights(actor, target)
        }
        Action::Create(Area::Incidents) => by_role(actor, "report", area, editors(area, false), "report incidents"),
        Action::Update(Area::Incidents) => by_role(actor, "update", area, editors(area, true), "change incidents"),
        Action::Create(area) => {
            let what = format!("create {}", area.noun());
            by_role(actor, "create", area, editors(area, false), &what)
        }
        Action::Update(area) => {
            let what = format!("change {}", area.noun());
            by_role(actor, "update", area, editors(area, true), &what)
        }
        Action::Decide(area) => decide(actor, area, target),
        Action::CloseIncident | Action::PostProgress | Action::Escalate | Action::Communicate => {
            let (name, roles) = incident_work(action);
            by_role(actor, name, area, roles, &action.describe())
        }
        Action::SetPassword => set_password(actor, target),
        Action::SetWorkOrderStatus => match target {
            Target::WorkOrder { assignee } if *assignee == Some(actor.user_id) && actor.role == VendorContact => {
                allow("work-order-assignee", "A vendor contact may move along the work orders assigned to them.")
            }
            _ => by_role(actor, "update", area, editors(area, true), "change work orders").map_err(|_| Rule {
                name: "work-order-status",
                text: format!(
                    "Work orders: only {} and the vendor contact it is assigned to may change its status; you are \
                         signed in as {}.",
                    role_list(editors(area, true)),
                    signed_in_as(actor.role)
                ),
            }),
        },
        Action::ExecuteRollback => by_role(actor, "execute", area, editors(area, true), "carry out rollbacks"),
        Action::ExplainAccess => by_role(
            actor,
            "explain-access",
            area,
            &[SystemAdministrator, IncidentManager, Executive],
            "see who can see a record and why",
        ),
    }
}

/// Who does the work on an incident beyond changing it, and the rule's name.
fn incident_work(action: Action) -> (&'static str, &'static [Role]) {
    match action {
        Action::CloseIncident => ("close", &[IncidentManager]),
        Action::PostProgress => ("progress", &[IncidentManager, TechnicalSupport, Executive, VendorContact]),
        Action::Escalate => ("escalate", &[IncidentManager, TechnicalSupport, AccountManager, Executive]),
        _ => ("communicate", &[IncidentManager, TechnicalSupport, AccountManager]),
    }
}

/// Only system administrators create a system administrator, change one's role, or edit any field of an
/// administrator's account; nobody changes their own role or status.
fn account_rights(actor: &Actor, target: &Target) -> Decision {
    let Target::Account { user_id, role, new_role, changes_rights } = *target else {
        return allow("users", "Administrators and incident managers manage accounts.");
    };
    if user_id == Some(actor.user_id) && changes_rights {
        return refuse(
            "users.own-rights",
            "Users: nobody changes their own role or status; ask another administrator.",
        );
    }
    let administrator = role == Some(SystemAdministrator) || new_role == Some(SystemAdministrator);
    if administrator && actor.role != SystemAdministrator {
        return refuse(
            "users.administrator-accounts",
            "Users: only system administrators create a system administrator, change one's role, or edit an \
             administrator's account.",
        );
    }
    allow("users", "Administrators and incident managers manage accounts; only administrators manage administrators.")
}

/// Administrators and incident managers set other people's passwords; one's own is changed on "My password", with
/// the current one; an administrator's only by an administrator.
fn set_password(actor: &Actor, target: &Target) -> Decision {
    by_role(actor, "update", Area::Users, editors(Area::Users, true), "change users")?;
    let (user_id, role) = match *target {
        Target::Account { user_id, role, .. } => (user_id, role),
        _ => (None, None),
    };
    if user_id == Some(actor.user_id) {
        return refuse(
            "passwords.own",
            "Passwords: change your own password on My password, which asks for the current one.",
        );
    }
    if role == Some(SystemAdministrator) && actor.role != SystemAdministrator {
        return refuse(
            "passwords.administrators",
            "Passwords: only system administrators set a system administrator's password.",
        );
    }
    allow("passwords", "Administrators and incident managers set other people's passwords.")
}

/// Who approves a request, and the rule's name: incident managers and executives; an executive for a major change
/// or a critical subscription.
fn deciders(area: Area, target: &Target) -> (&'static [Role], &'static str) {
    match area {
        Area::Changes | Area::Subscriptions if matches!(target, Target::Request { major: true }) => {
            (EXECUTIVES, "approvals.major")
        }
        Area::Changes | Area::Subscriptions | Area::Slas | Area::Rollbacks => (APPROVERS, "approvals"),
        _ => (&[], "approvals"),
    }
}

/// Who may approve or reject a request, in words, for the page of one that waits.
pub fn approvers(area: Area, target: &Target) -> String {
    match deciders(area, target) {
        (EXECUTIVES, _) => {
            "an executive (high-risk and emergency changes, premium tier and custom subscriptions need one)".to_string()
        }
        (roles, _) => format!("{} (any one of them)", role_list(roles)),
    }
}

fn decide(actor: &Actor, area: Area, target: &Target) -> Decision {
    let major = matches!(target, Target::Request { major: true });
    let (roles, name) = deciders(area, target);
    if roles.contains(&actor.role) {
        return allow(name, format!("{} approve or reject {}.", capitalised(&role_list(roles)), area.noun()));
    }
    let text = match area {
        Area::Changes if major => format!(
            "Change approval: high-risk and emergency changes need an executive; you are signed in as {}.",
            signed_in_as(actor.role)
        ),
        _ => {
            let (request, what) = match area {
                Area::Subscriptions if major => {
                    ("Subscription", "this subscription (premium tier and custom subscriptions need one)".to_string())
                }
                Area::Subscriptions => ("Subscription", "subscriptions".into()),
                Area::Slas => ("SLA", "SLAs".into()),
                Area::Changes => ("Change", "change requests".into()),
                Area::Rollbacks => ("Rollback", "rollback requests".into()),
                other => (other.title(), other.noun()),
            };
            format!(
                "{request} approval: only {} may approve or reject {what}; you are signed in as {}.",
                role_list(roles),
                signed_in_as(actor.role)
            )
        }
    };
    refuse(name, text)
}

/// Every action the route table can name, for the explainer and the tests.
pub fn actions_on(area: Area) -> Vec<Action> {
    let mut actions = vec![Action::Read(area)];
    if !editors(area, false).is_empty() {
        actions.push(Action::Create(area));
    }
    if !editors(area, true).is_empty() {
        actions.push(Action::Update(area));
    }
    match area {
        Area::Subscriptions | Area::Slas | Area::Changes | Area::Rollbacks => actions.push(Action::Decide(area)),
        _ => {}
    }
    match area {
        Area::Incidents => {
            actions.extend([Action::CloseIncident, Action::PostProgress, Action::Escalate, Action::Communicate])
        }
        Area::Users => actions.push(Action::SetPassword),
        Area::WorkOrders => actions.push(Action::SetWorkOrderStatus),
        Area::Rollbacks => actions.push(Action::ExecuteRollback),
        _ => {}
    }
    actions
}

impl Action {
    /// The action in words, for the explainer: "close the incident".
    pub fn describe(self) -> String {
        match self {
            Action::Read(area) => format!("see {}", area.noun()),
            Action::Create(Area::Incidents) => "report incidents".into(),
            Action::Create(area) => format!("create {}", area.noun()),
            Action::Update(area) => format!("change {}", area.noun()),
            Action::Decide(area) => format!("approve or reject {}", area.noun()),
            Action::ReadInternal(_) => "see internal details".into(),
            Action::CloseIncident => "close incidents".into(),
            Action::PostProgress => "post progress updates".into(),
            Action::Escalate => "escalate incidents".into(),
            Action::Communicate => "record communications".into(),
            Action::SetPassword => "set users' passwords".into(),
            Action::SetWorkOrderStatus => "change a work order's status".into(),
            Action::ExecuteRollback => "carry out rollbacks".into(),
            Action::ExplainAccess => "see who can see a record and why".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    //! permissions.md, transcribed as data, against `may`.
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor { user_id: 10, role, client_id: None, vendor_id: None, status: UserStatus::Active }
    }

    const ALL: [Role; 7] = [
        SystemAdministrator,
        IncidentManager,
        TechnicalSupport,
        AccountManager,
        Executive,
        ClientContact,
        VendorContact,
    ];

    /// (action, the roles permissions.md lets do it).
    fn table() -> Vec<(Action, &'static [Role])> {
        use Action::*;
        use Area::*;
        vec![
            (Read(Clients), STAFF),
            (Read(Incidents), &ALL),
            (Read(Reports), &ALL),
            (Read(Articles), &ALL),
            (
                Read(WorkOrders),
                &[SystemAdministrator, IncidentManager, TechnicalSupport, AccountManager, Executive, VendorContact],
            ),
            (Read(Problems), STAFF),
            (Read(AuditTrail), &[SystemAdministrator, Executive]),
            (Create(Clients), &[SystemAdministrator]),
            (Update(Clients), &[SystemAdministrator, AccountManager]),
            (Create(Users), &[SystemAdministrator, IncidentManager]),
            (Update(Users), &[SystemAdministrator, IncidentManager]),
            (Create(Vendors), &[SystemAdministrator, IncidentManager, Executive]),
            (Update(Vendors), &[SystemAdministrator, IncidentManager, Executive]),
            (Create(Products), &[SystemAdministrator, TechnicalSupport]),
            (Update(Components), &[SystemAdministrator, TechnicalSupport]),
            (Create(Subscriptions), &[SystemAdministrator, AccountManager, IncidentManager, Executive]),
            (Update(Slas), &[SystemAdministrator, AccountManager, IncidentManager, Executive]),
            (Decide(Subscriptions), &[IncidentManager, Executive]),
            (Decide(Slas), &[IncidentManager, Executive]),
            (Create(Incidents), &ALL),
            (Update(Incidents), &[IncidentManager, TechnicalSupport, Executive]),
            (PostProgress, &[IncidentManager, TechnicalSupport, Executive, VendorContact]),
            (CloseIncident, &[IncidentManager]),
            (Escalate, &[IncidentManager, TechnicalSupport, AccountManager, Executive]),
            (Communicate, &[IncidentManager, TechnicalSupport, AccountManager]),
            (Create(Problems), &[IncidentManager, TechnicalSupport, SystemAdministrator]),
            (Update(WorkOrders), &[IncidentManager, TechnicalSupport, SystemAdministrator]),
            (Create(Workarounds), &[TechnicalSupport, IncidentManager, SystemAdministrator]),
            (Create(Analyses), &[TechnicalSupport, IncidentManager, SystemAdministrator]),
            (Create(Changes), &[TechnicalSupport, SystemAdministrator, Executive, IncidentManager]),
            (Decide(Changes), &[IncidentManager, Executive]),
            (Create(Rollbacks), &[TechnicalSupport, IncidentManager, Executive]),
            (ExecuteRollback, &[TechnicalSupport, IncidentManager, Executive]),
            (Decide(Rollbacks), &[IncidentManager, Executive]),
            (Create(Metrics), &[IncidentManager, SystemAdministrator]),
            (Update(Metrics), &[]),
            (Create(Reports), &[IncidentManager, Executive]),
            (Create(Articles), &[TechnicalSupport, IncidentManager]),
            (Update(Articles), &[TechnicalSupport, IncidentManager]),
            (Create(Reviews), &[IncidentManager, Executive]),
            (ReadInternal(Incidents), STAFF),
            (SetWorkOrderStatus, &[IncidentManager, TechnicalSupport, SystemAdministrator]),
            (ExplainAccess, &[SystemAdministrator, IncidentManager, Executive]),
        ]
    }

    #[test]
    fn roles_may_what_permissions_md_says() {
        for (action, roles) in table() {
            for role in ALL {
                let decision = may(&actor(role), action, &Target::Any);
                assert_eq!(decision.is_ok(), roles.contains(&role), "{action:?} by {role:?}: {decision:?}");
            }
        }
    }

    #[test]
    fn refusals_name_the_rule_and_the_role() {
        let refused = may(&actor(TechnicalSupport), Action::CloseIncident, &Target::Any).unwrap_err();
        assert_eq!(refused.name, "close");
        assert_eq!(
            refused.text,
            "Incidents: only incident managers may close incidents; you are signed in as technical support."
        );
        let refused =
            may(&actor(ClientContact), Action::SetWorkOrderStatus, &Target::WorkOrder { assignee: None }).unwrap_err();
        assert!(refused.text.ends_with("; you are signed in as a client contact."), "{}", refused.text);
        let refused = may(&actor(AccountManager), Action::Create(Area::Clients), &Target::Any).unwrap_err();
        assert!(refused.text.contains("only system administrators may create clients"), "{}", refused.text);
        let allowed = may(&actor(IncidentManager), Action::CloseIncident, &Target::Any).unwrap();
        assert_eq!(allowed.text, "Incident managers may close incidents.");
    }

    #[test]
    fn only_active_users_act() {
        for status in [UserStatus::Inactive, UserStatus::OnLeave] {
            let actor = Actor { status, ..actor(SystemAdministrator) };
            assert_eq!(may(&actor, Action::Read(Area::Clients), &Target::Any).unwrap_err().name, "active-users-only");
        }
    }

    #[test]
    fn only_administrators_make_or_touch_administrators() {
        let account = |role, new_role, changes_rights| Target::Account {
            user_id: Some(1),
            role: Some(role),
            new_role: Some(new_role),
            changes_rights,
        };
        let new = |role| Target::Account { user_id: None, role: None, new_role: Some(role), changes_rights: true };
        let manager = actor(IncidentManager);
        let admin = actor(SystemAdministrator);
        type Case = (Action, Target, bool, bool, &'static str);
        let cases: [Case; 8] = [
            // (action, target, manager may, administrator may, rule that refuses the manager)
            (Action::Create(Area::Users), new(SystemAdministrator), false, true, "users.administrator-accounts"),
            (Action::Create(Area::Users), new(TechnicalSupport), true, true, ""),
            (
                Action::Update(Area::Users),
                account(SystemAdministrator, SystemAdministrator, false),
                false,
                true,
                "users.administrator-accounts",
            ),
            (
                Action::Update(Area::Users),
                account(TechnicalSupport, SystemAdministrator, true),
                false,
                true,
                "users.administrator-accounts",
            ),
            (
                Action::Update(Area::Users),
                account(SystemAdministrator, TechnicalSupport, true),
                false,
                true,
                "users.administrator-accounts",
            ),
            (Action::Update(Area::Users), account(TechnicalSupport, Executive, true), true, true, ""),
            (
                Action::SetPassword,
                account(SystemAdministrator, SystemAdministrator, false),
                false,
                true,
                "passwords.administrators",
            ),
            (Action::SetPassword, account(TechnicalSupport, TechnicalSupport, false), true, true, ""),
        ];
        for (action, target, manager_may, admin_may, rule) in cases {
            let decision = may(&manager, action, &target);
            assert_eq!(decision.is_ok(), manager_may, "{action:?} {target:?} by a manager: {decision:?}");
            if let Err(refused) = decision {
                assert_eq!(refused.name, rule);
            }
            assert_eq!(may(&admin, action, &target).is_ok(), admin_may, "{action:?} {target:?} by an administrator");
        }
        let oneself = Target::Account {
            user_id: Some(10),
            role: Some(IncidentManager),
            new_role: Some(SystemAdministrator),
            changes_rights: true,
        };
        assert_eq!(may(&manager, Action::Update(Area::Users), &oneself).unwrap_err().name, "users.own-rights");
        let renamed = Target::Account {
            user_id: Some(10),
            role: Some(IncidentManager),
            new_role: Some(IncidentManager),
            changes_rights: false,
        };
        assert!(may(&manager, Action::Update(Area::Users), &renamed).is_ok(), "one's own other fields are fine");
        assert_eq!(may(&admin, Action::SetPassword, &renamed).unwrap_err().name, "passwords.own");
    }

    #[test]
    fn the_marks_of_a_major_request_are_what_makes_its_target_major() {
        use strum::IntoEnumIterator;
        let marked =
            |area, pairs: &[(&str, &str)]| major_marks(area).iter().any(|mark| pairs.iter().any(|pair| pair == mark));
        for risk in RiskLevel::iter() {
            for kind in ChangeType::iter() {
                let major = marked(Area::Changes, &[("risk_level", risk.as_str()), ("change_type", kind.as_str())]);
                assert_eq!(Target::change(Some(risk), Some(kind)), Target::Request { major }, "{risk:?} {kind:?}");
            }
        }
        for tier in SlaTier::iter() {
            for kind in SubscriptionType::iter() {
                let pairs = [("sla_tier", tier.as_str()), ("subscription_type", kind.as_str())];
                let major = marked(Area::Subscriptions, &pairs);
                assert_eq!(
                    Target::subscription(Some(tier), Some(kind)),
                    Target::Request { major },
                    "{tier:?} {kind:?}"
                );
            }
        }
    }

    #[test]
    fn major_requests_need_an_executive() {
        let high = Target::change(Some(RiskLevel::High), Some(ChangeType::Normal));
        let emergency = Target::change(Some(RiskLevel::Low), Some(ChangeType::Emergency));
        let ordinary = Target::change(Some(RiskLevel::Medium), Some(ChangeType::Normal));
        let premium = Target::subscription(Some(SlaTier::Premium), Some(SubscriptionType::FullService));
        let custom = Target::subscription(Some(SlaTier::Basic), Some(SubscriptionType::Custom));
        let standard = Target::subscription(Some(SlaTier::Standard), Some(SubscriptionType::FullService));
        let table = [
            (Area::Changes, high, false),
            (Area::Changes, emergency, false),
            (Area::Changes, ordinary, true),
            (Area::Subscriptions, premium, false),
            (Area::Subscriptions, custom, false),
            (Area::Subscriptions, standard, true),
        ];
        for (area, target, manager_may) in table {
            assert_eq!(
                may(&actor(IncidentManager), Action::Decide(area), &target).is_ok(),
                manager_may,
                "{area:?} {target:?}"
            );
            assert!(may(&actor(Executive), Action::Decide(area), &target).is_ok(), "{area:?} {target:?}");
            assert!(may(&actor(TechnicalSupport), Action::Decide(area), &target).is_err());
        }
        assert!(
            may(&actor(IncidentManager), Action::Decide(Area::Changes), &high)
                .unwrap_err()
                .text
                .contains("need an executive")
        );
    }

    #[test]
    fn the_vendor_contact_a_work_order_is_assigned_to_moves_it_along() {
        let vendor = actor(VendorContact);
        assert!(may(&vendor, Action::SetWorkOrderStatus, &Target::WorkOrder { assignee: Some(10) }).is_ok());
        let refused = may(&vendor, Action::SetWorkOrderStatus, &Target::WorkOrder { assignee: Some(11) }).unwrap_err();
        assert_eq!(refused.name, "work-order-status");
        assert!(may(&vendor, Action::Update(Area::WorkOrders), &Target::WorkOrder { assignee: Some(10) }).is_err());
    }
}
