//! "Why can this person see this?": for an incident or a procedure record, the groups of people who can see it and
//! what each may do to it, with the rule that decides; and the same answer for one chosen person. Every answer comes
//! from the routes' own functions: the scoped queries that load a record for a route (`load_as`), and `access::may`.
pub mod handlers;
pub mod queries;

use crate::access::rules::actions_on;
use crate::access::{Action, Actor, Area, Rule, Target};
use crate::domain::enums::{Role, UserStatus};
use crate::error::{AppError, Refusal};
use crate::records::spec::Resource;
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use queries::{IncidentFacts, Member};
use std::collections::HashMap;

/// The areas whose records have an Access page.
pub const EXPLAINED: &[Area] = &[
    Area::Incidents,
    Area::Problems,
    Area::WorkOrders,
    Area::Workarounds,
    Area::Analyses,
    Area::Changes,
    Area::Rollbacks,
    Area::Metrics,
    Area::Reports,
    Area::Articles,
    Area::Reviews,
];

/// The record explained: an incident, or a described procedure record.
#[derive(Clone, Copy)]
pub struct Subject {
    pub area: Area,
    pub id: i32,
    /// The described record type, for procedure records; `None` for an incident.
    pub resource: Option<&'static Resource>,
    /// What the access rules need to know of it.
    pub target: Target,
    /// The incident it belongs to, if any.
    pub incident_id: Option<i32>,
}

/// Why a group's people come into view of the record.
#[derive(Debug, Clone, PartialEq)]
pub enum Why {
    /// Provider staff not confined to a client see every client's records.
    ProviderStaff,
    /// Account managers confined to the incident's client.
    ConfinedToClient(String),
    /// Client contacts of the incident's client.
    ClientOfIncident(String),
    /// Vendor contacts of the vendor that supports the incident's component: (vendor, component).
    SupportsComponent(String, String),
    /// Vendor contacts of a vendor the incident was escalated to, and when.
    EscalatedTo(String, DateTime<Utc>),
    /// Contacts of every client and vendor: the record is about no incident.
    NoIncident,
}

/// What hides a record from someone: their scope, or a rule about its kind of record.
#[derive(Debug, Clone, PartialEq)]
pub enum Hidden {
    OutOfScope,
    Rule(String),
}

impl Hidden {
    pub fn text(&self) -> &str {
        match self {
            Hidden::OutOfScope => {
                "It lies outside what they see: their client's or vendor's incidents, and for contacts only what is \
                 published or addressed to them."
            }
            Hidden::Rule(rule) => rule,
        }
    }
}

/// What one action comes to for someone: allowed or refused, and by which rule.
pub struct Answer {
    pub action: Action,
    pub decision: Result<Rule, Rule>,
}

/// People who may come into view of the record, what they see and what they may do.
pub struct Group {
    pub role: Role,
    pub why: Why,
    /// Their active people, by name.
    pub people: Vec<String>,
    /// Whether they see the record, or what hides it from them.
    pub sees: Result<(), Hidden>,
    pub answers: Vec<Answer>,
}

/// Whether `actor` sees the subject, as the routes decide it.
pub fn sees(conn: &mut PgConnection, subject: &Subject, actor: &Actor) -> Result<Result<(), Hidden>, AppError> {
    fn hidden<C>(refusal: Refusal<C>) -> Result<Hidden, AppError> {
        match refusal {
            Refusal::NotFound => Ok(Hidden::OutOfScope),
            Refusal::Forbidden(rule) => Ok(Hidden::Rule(rule)),
            other => Err(other.into()),
        }
    }
    let refused = match subject.resource {
        None => crate::incidents::service::load_as(conn, actor, subject.id).err().map(hidden),
        Some(resource) => crate::records::service::load_as(conn, actor, resource, subject.id).err().map(hidden),
    };
    Ok(match refused.transpose()? {
        None => Ok(()),
        Some(hidden) => Err(hidden),
    })
}

/// What `actor` may do to the subject, action by action.
pub fn answers(subject: &Subject, actor: &Actor) -> Vec<Answer> {
    actions_on(subject.area)
        .into_iter()
        // Reading is what `sees` answers; creating is not done to this record.
        .filter(|action| !matches!(action, Action::Read(_) | Action::Create(_)))
        .map(|action| Answer { action, decision: actor.may(action, &subject.target) })
        .collect()
}

/// A stand-in for everyone of a role tied to this client or vendor: the rules decide by role, client and vendor.
fn member_of(role: Role, client_id: Option<i32>, vendor_id: Option<i32>) -> Actor {
    Actor { user_id: 0, role, client_id, vendor_id, status: UserStatus::Active }
}

/// The groups of people who may come into view of the subject, each checked with the routes' own functions.
pub fn groups(conn: &mut PgConnection, subject: &Subject) -> Result<Vec<Group>, AppError> {
    let facts = match subject.incident_id {
        Some(incident) => queries::incident_facts(conn, incident)?,
        None => None,
    };
    let mut candidates: Vec<(Actor, Why)> = [
        Role::SystemAdministrator,
        Role::IncidentManager,
        Role::TechnicalSupport,
        Role::AccountManager,
        Role::Executive,
    ]
    .into_iter()
    .map(|role| (member_of(role, None, None), Why::ProviderStaff))
    .collect();
    match &facts {
        Some(facts) => candidates.extend(incident_groups(facts)),
        // A record about no incident is for every client's and vendor's contacts; one stands for all of them.
        None => {
            candidates.push((member_of(Role::ClientContact, Some(0), None), Why::NoIncident));
            candidates.push((member_of(Role::VendorContact, None, Some(0)), Why::NoIncident));
        }
    }
    let vendors: Vec<i32> = candidates.iter().filter_map(|(actor, _)| actor.vendor_id).collect();
    let members = queries::members(conn, facts.as_ref().map(|f| f.client_id), &vendors)?;
    // People who see the same sight see the same rows: each sight is checked once.
    let mut seen: HashMap<crate::access::Sight, Result<(), Hidden>> = HashMap::new();
    let mut groups = Vec::new();
    for (actor, why) in candidates {
        let sight = crate::access::Sight::of(&actor);
        let sees = match seen.get(&sight) {
            Some(sees) if actor.may(Action::Read(subject.area), &Target::Any).is_ok() => sees.clone(),
            _ => {
                let sees = self::sees(conn, subject, &actor)?;
                seen.insert(sight, sees.clone());
                sees
            }
        };
        let people = members
            .iter()
            .filter(|m| why == Why::NoIncident && m.0 == actor.role.as_str() || in_group(m, &actor))
            .map(|m| m.3.clone())
            .collect();
        groups.push(Group { role: actor.role, why, people, sees, answers: answers(subject, &actor) });
    }
    Ok(groups)
}

fn in_group(member: &Member, actor: &Actor) -> bool {
    queries::is(member, actor.role, actor.client_id, actor.vendor_id)
}

/// The people an incident's client and vendors bring into view of it.
fn incident_groups(facts: &IncidentFacts) -> Vec<(Actor, Why)> {
    let client = Some(facts.client_id);
    let mut groups = vec![
        (member_of(Role::AccountManager, client, None), Why::ConfinedToClient(facts.client_name.clone())),
        (member_of(Role::ClientContact, client, None), Why::ClientOfIncident(facts.client_name.clone())),
    ];
    if let Some((vendor, name)) = &facts.supporting_vendor {
        groups.push((
            member_of(Role::VendorContact, None, Some(*vendor)),
            Why::SupportsComponent(name.clone(), facts.component_name.clone()),
        ));
    }
    for (vendor, name, at) in &facts.escalations {
        if facts.supporting_vendor.as_ref().is_none_or(|(supporting, _)| supporting != vendor) {
            groups.push((member_of(Role::VendorContact, None, Some(*vendor)), Why::EscalatedTo(name.clone(), *at)));
        }
    }
    groups
}
