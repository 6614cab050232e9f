//! What each kind of record does beyond being stored and shown, behind one trait that the shared list, form and
//! page machinery calls: its rules across fields, what its creation adds, its edits' checks, its decisions and the
//! actions its page offers. A kind with behaviour of its own has its module here, holding its rules (pure
//! functions returning the reason for a refusal, with their tests) and its use cases; every other kind is a plain
//! description (`Plain`).
pub mod analyses;
pub mod articles;
pub mod changes;
pub mod metrics;
pub mod reports;
mod requests;
pub mod reviews;
pub mod rollbacks;
pub mod service_levels;
pub mod subscriptions;
pub mod users;
pub mod work_orders;

use super::queries::{Extra, Record};
use super::row::Cells;
use super::service::Refusal;
use super::spec::Resource;
use crate::access::{Action, Actor, Target};
use crate::audit::Changes;
use crate::clock::Clock;
use crate::domain::enums::{ApprovalStatus, IncidentStatus};
use crate::forms::FieldError;
use crate::schema::incidents;
use crate::users::User;
use diesel::prelude::*;

/// The behaviour of a kind of record. Every method has the plain records' answer as its default.
pub trait Behaviour: Sync + std::fmt::Debug {
    /// What the access rules need to know of a record of the kind with these values (as stored, or as submitted
    /// for a new one, `id` none); most kinds, nothing.
    fn access_target(&self, _cells: &Cells, _id: Option<i32>) -> Target {
        Target::Any
    }

    /// An edit, as the access rules see it: by default, the record as it would be.
    fn edit_target(&self, id: i32, _old: &Cells, new: &Cells) -> Target {
        self.access_target(new, Some(id))
    }

    /// Rules across fields and other records, each error on the field to fix; reads the records it needs.
    fn check(&self, _conn: &mut PgConnection, _submitted: &Cells) -> Result<Vec<FieldError>, Refusal> {
        Ok(Vec::new())
    }

    /// Adds the columns a new record gets besides its form (computed values, a snapshot) to `new.extras`; returns
    /// whether the record is approved as it is submitted.
    fn creation_extras(&self, _conn: &mut PgConnection, _new: &mut Creation<'_>) -> Result<bool, Refusal> {
        Ok(false)
    }

    /// Checks an edit before its status move is checked; `Ok(Some(status))` when the edit sends the record back to
    /// that status to wait for a decision (and no other move is made).
    fn check_edit(&self, _user: &User, _old: &Cells, _new: &Cells) -> Result<Option<&'static str>, Refusal> {
        Ok(None)
    }

    /// Checks a status move that the kind's transitions allow.
    fn check_move(&self, _user: &User, _old: &Cells, _to: &str) -> Result<(), Refusal> {
        Ok(())
    }

    /// Runs in an edit's transaction, once the edit is written.
    fn after_update(&self, _conn: &mut PgConnection, _id: i32, _changes: &Changes) -> Result<(), Refusal> {
        Ok(())
    }

    /// Whether the kind is a request, decided by its status (changes and rollbacks), rather than a record that
    /// needs approval to be in force (subscriptions and SLAs).
    fn is_request(&self) -> bool {
        false
    }

    /// Whether a record waits for a decision: a request while requested, a record in force while pending.
    fn waiting(&self, resource: &Resource, record: &Record) -> bool {
        if self.is_request() {
            requests::waiting(record)
        } else {
            resource.approval && record.decision.as_ref().is_some_and(|d| d.status == ApprovalStatus::Pending)
        }
    }

    /// What a record's page offers besides editing and deciding.
    fn page_actions(&self, _actor: &Actor, _target: &Target, _id: i32, _record: &Record) -> PageActions {
        PageActions::default()
    }

    /// What a record's page states besides its fields (a review: how many follow-up actions are done).
    fn page_facts(&self, _conn: &mut PgConnection, _id: i32) -> Result<Vec<String>, Refusal> {
        Ok(Vec::new())
    }

    /// Fills in a new record's form beyond what the link chose (a review: a draft from its incident's record).
    fn prefill(
        &self,
        _conn: &mut PgConnection,
        _user: &User,
        _typed: &mut std::collections::HashMap<String, String>,
    ) -> Result<(), Refusal> {
        Ok(())
    }
}

/// A decision on a waiting record: approve it, or reject it for a reason.
pub struct Verdict<'a> {
    pub resource: &'static Resource,
    /// The record as the one who decides sees it.
    pub record: &'a Record,
    pub approve: bool,
    pub reason: &'a str,
}

/// Approves or rejects the waiting record `id` as the user sees it: a request by its status (changes and
/// rollbacks), a record that needs approval to be in force by its approval (subscriptions and SLAs).
#[allow(clippy::too_many_arguments)]
pub fn decide(
    conn: &mut PgConnection,
    clock: &Clock,
    user: &User,
    resource: &'static Resource,
    id: i32,
    approve: bool,
    reason: &str,
) -> Result<(), Refusal> {
    let record = super::service::load(conn, user, resource, id)?;
    user.actor().may(Action::Decide(resource.area), &super::rules::target(resource, &record, Some(id)))?;
    let verdict = Verdict { resource, record: &record, approve, reason };
    let changes = if resource.behaviour.is_request() {
        requests::decide(conn, clock, user, &verdict)?
    } else {
        super::service::decide(conn, clock, user, &verdict)?
    };
    let action = if approve { "approve" } else { "reject" };
    crate::audit::record(conn, clock, super::service::audit_actor(user), action, resource.kind, id, changes)?;
    Ok(())
}

/// A record being created, as its kind sees it: who creates it, when, what they submitted, and the columns it gets
/// besides its form.
pub struct Creation<'a> {
    pub clock: &'a Clock,
    pub user: &'a User,
    pub submitted: &'a Cells,
    pub extras: Vec<Extra>,
}

/// Actions a record's page offers besides editing and deciding.
#[derive(Debug, Default)]
pub struct PageActions {
    pub set_password: bool,
    pub execute: bool,
    pub print_href: Option<String>,
    /// The statuses the record may be moved to from its page, as (value, label).
    pub status_choices: Vec<(&'static str, &'static str)>,
    /// Further links, as (label, address): a review's "Raise a follow-up action".
    pub links: Vec<(String, String)>,
}

/// A kind with no behaviour of its own: a description is all it needs.
#[derive(Debug)]
pub struct Plain;

impl Behaviour for Plain {}

/// Metrics and post-incident reviews are only for closed incidents.
fn check_closed(procedure: &str, incident_id: i32, status: IncidentStatus) -> Result<(), String> {
    if status == IncidentStatus::Closed {
        Ok(())
    } else {
        Err(format!(
            "{procedure} can only be recorded for closed incidents. Incident {incident_id} is {}.",
            status.label().to_lowercase()
        ))
    }
}

/// The check of a procedure that waits for its incident's closing: of the submitted incident, if any.
fn closed_incident_only(
    conn: &mut PgConnection,
    procedure: &str,
    incident_id: Option<i32>,
) -> Result<Vec<FieldError>, Refusal> {
    let Some(incident_id) = incident_id else { return Ok(Vec::new()) };
    let status: Option<String> = incidents::table.find(incident_id).select(incidents::status).first(conn).optional()?;
    Ok(match status.as_deref().and_then(IncidentStatus::parse) {
        Some(status) => FieldError::of("incident_id", check_closed(procedure, incident_id, status)),
        None => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_and_reviews_wait_for_the_incidents_closing() {
        assert_eq!(
            check_closed("Performance metrics", 41, IncidentStatus::Resolved).unwrap_err(),
            "Performance metrics can only be recorded for closed incidents. Incident 41 is resolved."
        );
        assert!(check_closed("Post-incident reviews", 41, IncidentStatus::Closed).is_ok());
    }
}
