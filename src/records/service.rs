//! The administration use cases: each loads, checks, writes and audits in the caller's transaction.
use super::columns;
use super::kinds::Verdict;
use super::queries::{self, Extra, Record};
use super::row::Cells;
use super::rules;
use super::spec::{self, FieldKind, Resource};
use crate::access::{Action, Sight, Target};
use crate::audit::{self, Actor, Changes};
use crate::clock::Clock;
use crate::domain::enums::ApprovalStatus;
use crate::forms::FieldError;
use crate::forms::{self as form, Values};
use crate::users::User;
use diesel::PgConnection;
use std::collections::HashMap;

/// A refusal of an administration use case; conflicts carry the record as it is now.
pub type Refusal = crate::error::Refusal<Record>;

/// What the user may see of records.
pub fn sight_of(user: &User) -> Sight {
    Sight::of(&user.actor())
}

pub(crate) fn audit_actor(user: &User) -> Actor {
    Actor::user(user.user_id, user.role())
}

/// A record's current values as the form knows them.
pub fn values_of(resource: &'static Resource, record: &Record) -> Values {
    resource
        .fields
        .iter()
        .filter(|f| !matches!(f.kind, FieldKind::NewPassword))
        .map(|f| (f.name, record.is_set(f.name).then(|| record.cell(f.name).to_string())))
        .collect()
}

/// Parses and checks a submission against the fields, references, cross-field rules and uniqueness. Returns the
/// values to write, which a new record's defaults or an edited record's stored values complete, and the same
/// values as typed cells, which the rules read.
fn check_submission(
    conn: &mut PgConnection,
    user: &User,
    resource: &'static Resource,
    input: &HashMap<String, String>,
    existing: Option<(i32, &Record)>,
) -> Result<(Values, Cells), Refusal> {
    let (mut values, mut errors) = form::parse(resource.fields, input, existing.is_none());
    let scope = sight_of(user);
    for field in resource.fields {
        let Some(Some(value)) = values.get(field.name).cloned() else { continue };
        match field.kind {
            FieldKind::Reference(target) if !queries::reference_exists(conn, target, &value, scope)? => {
                errors.push(FieldError {
                    field: field.name,
                    message: format!("The {} chosen does not exist; choose one from the list.", target.noun),
                });
            }
            // People named in a form must be active (permissions.md) when they are named, not forever after.
            FieldKind::Reference(target)
                if target.table == "users"
                    && field.editable != crate::forms::Editable::Never
                    && existing.is_none_or(|(_, record)| {
                        values_of(resource, record).get(field.name).cloned().flatten().as_deref()
                            != Some(value.as_str())
                    }) =>
            {
                // A checked reference is an id: `forms::parse` refused any other text.
                if let Ok(id) = value.parse::<i32>()
                    && let Some(person) = crate::incidents::queries::person(conn, id)?
                    && person.status != "active"
                {
                    let status = crate::domain::enums::UserStatus::parse(&person.status)
                        .map_or(person.status.clone(), |s| s.label().to_lowercase());
                    errors.push(FieldError {
                        field: field.name,
                        message: format!("{}: {} is {status}; choose an active user.", field.label, person.name),
                    });
                }
            }
            // Times are typed in the user's own zone and stored in UTC.
            FieldKind::DateTime => match crate::incidents::service::local_to_utc(&value, &user.timezone) {
                Some(at) => {
                    values.insert(field.name, Some(at.to_rfc3339()));
                }
                None => errors.push(FieldError {
                    field: field.name,
                    message: format!("{} is not a time that exists in your time zone.", field.label),
                }),
            },
            _ => {}
        }
    }
    if !errors.is_empty() {
        return Err(Refusal::Invalid(errors));
    }
    match existing {
        // Fields not on the edit form keep their stored values for the rules.
        Some((_, record)) => {
            for (name, value) in values_of(resource, record) {
                values.entry(name).or_insert(value);
            }
        }
        // Fields left empty, or not on the create form (a procedure's status), start at their default.
        None => {
            for field in resource.fields.iter().filter(|f| f.editable != crate::forms::Editable::Never) {
                if let Some(default) = field.default
                    && values.get(field.name).is_none_or(Option::is_none)
                {
                    values.insert(field.name, Some(default.to_string()));
                }
            }
        }
    }
    let submitted = Cells::submitted(resource.fields, &values);
    errors.extend(resource.behaviour.check(conn, &submitted)?);
    for group in resource.unique {
        if queries::duplicate(conn, resource, group, &values, existing.map(|(id, _)| id))? {
            let field = resource.field(group[group.len() - 1]).expect("unique fields are described");
            let within = if group.len() > 1 { " in the same product" } else { "" };
            errors.push(FieldError {
                field: field.name,
                message: format!(
                    "A {} with this {}{within} already exists; it must be unique.",
                    resource.noun.to_lowercase(),
                    crate::forms::in_sentence(field.label)
                ),
            });
        }
    }
    if errors.is_empty() { Ok((values, submitted)) } else { Err(Refusal::Invalid(errors)) }
}

/// The approval a submission gets, with the columns that record it: approved at once when its submitter may decide
/// it, waiting otherwise (an edit too waits for approval again). Records that need no approval are approved.
fn approval_on_submit(
    resource: &Resource,
    user: &User,
    clock: &Clock,
    submitted: &Cells,
) -> (ApprovalStatus, Vec<Extra>) {
    if !resource.approval {
        return (ApprovalStatus::Approved, Vec::new());
    }
    let status = rules::status_on_submit(resource, &user.actor(), submitted);
    let approved = status == ApprovalStatus::Approved;
    let extras = vec![
        Extra::new(columns::APPROVAL_STATUS, status.as_str()),
        Extra::new(columns::APPROVAL_DECIDED_BY, approved.then_some(user.user_id)),
        Extra::new(columns::APPROVAL_DECIDED_AT, approved.then(|| clock.now())),
        Extra::new(columns::REJECTION_REASON, None::<String>),
    ];
    (status, extras)
}

fn timestamps(resource: &Resource, clock: &Clock, creating: bool) -> Vec<Extra> {
    let now = clock.now();
    let mut extras = Vec::new();
    if creating {
        extras.push(Extra::new(columns::CREATED_AT, now));
    }
    if resource.has_updated_at {
        extras.push(Extra::new(columns::UPDATED_AT, now));
    }
    extras
}

/// Creates a record. Returns its id and whether it waits for approval.
pub fn create(
    conn: &mut PgConnection,
    clock: &Clock,
    user: &User,
    resource: &'static Resource,
    input: &HashMap<String, String>,
    password_hash: Option<&str>,
) -> Result<(i32, ApprovalStatus), Refusal> {
    let actor = user.actor();
    actor.may(Action::Create(resource.area), &Target::Any)?;
    let (values, submitted) = check_submission(conn, user, resource, input, None)?;
    // What is created may matter too: only administrators make an administrator.
    actor.may(Action::Create(resource.area), &rules::target(resource, &submitted, None))?;
    let mut extras = timestamps(resource, clock, true);
    let (procedure_extras, approved_on_submission) =
        super::procedure_service::creation_extras(conn, clock, user, resource, &submitted)?;
    extras.extend(procedure_extras);
    let (status, approval) = approval_on_submit(resource, user, clock, &submitted);
    extras.extend(approval);
    if let Some(hash) = password_hash.filter(|_| values.contains_key("password")) {
        extras.push(Extra::new(crate::column!(users, password_hash), hash));
    }
    let id = queries::insert(conn, resource, &values, &extras).map_err(|e| unique_violation(resource, e))?;
    let changes = values
        .iter()
        .fold(Changes::new(), |changes, (field, value)| changes.field(field, None::<String>, value.clone()));
    audit::record(conn, clock, audit_actor(user), "create", resource.kind, id, changes)?;
    if resource.approval && status == ApprovalStatus::Approved {
        let changes = Changes::new().field(columns::APPROVAL_STATUS, None::<String>, Some(status.as_str()));
        audit::record(conn, clock, audit_actor(user), "approve", resource.kind, id, changes)?;
    }
    if approved_on_submission {
        let changes = Changes::new().field(spec::STATUS, Some("requested"), Some("approved"));
        audit::record(conn, clock, audit_actor(user), "approve", resource.kind, id, changes)?;
    }
    Ok((id, status))
}

/// Loads a record the user may see, or refuses.
pub fn load(conn: &mut PgConnection, user: &User, resource: &'static Resource, id: i32) -> Result<Record, Refusal> {
    load_as(conn, &user.actor(), resource, id)
}

/// Loads a record as `actor` would see it: refused if they may not read such records, not found outside their sight.
pub fn load_as(
    conn: &mut PgConnection,
    actor: &crate::access::Actor,
    resource: &'static Resource,
    id: i32,
) -> Result<Record, Refusal> {
    actor.may(Action::Read(resource.area), &Target::Any)?;
    queries::get(conn, resource, id, Sight::of(actor))?.ok_or(Refusal::NotFound)
}

/// Saves an edit made from `lock_version`; someone else's earlier save is a conflict.
pub fn update(
    conn: &mut PgConnection,
    clock: &Clock,
    user: &User,
    resource: &'static Resource,
    id: i32,
    lock_version: Option<i32>,
    input: &HashMap<String, String>,
) -> Result<ApprovalStatus, Refusal> {
    let current = load(conn, user, resource, id)?;
    let actor = user.actor();
    actor.may(Action::Update(resource.area), &rules::target(resource, &current, Some(id)))?;
    let lock_version = lock_version.ok_or_else(|| {
        Refusal::field("lock_version", "The form has no record version; reload the edit page and try again.")
    })?;
    let (mut values, submitted) = check_submission(conn, user, resource, input, Some((id, &current)))?;
    let mut extras = timestamps(resource, clock, false);
    let old_status = current.decision.as_ref().map(|d| d.status);
    let (status, approval) = approval_on_submit(resource, user, clock, &submitted);
    extras.extend(approval);
    let (procedure_extras, back_to_review) =
        super::procedure_service::update_extras(clock, user, resource, &current, &submitted)?;
    extras.extend(procedure_extras);
    if let Some(waits_in) = back_to_review {
        values.insert(spec::STATUS, Some(waits_in.to_string()));
    }
    let old = values_of(resource, &current);
    let editable: Values =
        values.into_iter().filter(|(name, _)| resource.field(name).is_some_and(|f| form::on_form(f, false))).collect();
    actor.may(Action::Update(resource.area), &rules::edit_target(resource, id, &current, &submitted))?;
    if !queries::update(conn, resource, id, lock_version, &editable, &extras)
        .map_err(|e| unique_violation(resource, e))?
    {
        let fresh = queries::get(conn, resource, id, sight_of(user))?.ok_or(Refusal::NotFound)?;
        return Err(Refusal::Conflict(Box::new(fresh)));
    }
    let mut changes = editable.iter().fold(Changes::new(), |changes, (field, value)| {
        changes.field(field, old.get(field).cloned().flatten(), value.clone())
    });
    if resource.approval {
        changes = changes.field(columns::APPROVAL_STATUS, old_status.map(|s| s.as_str()), Some(status.as_str()));
    }
    if changes.is_empty() {
        return Err(Refusal::Invalid(vec![FieldError {
            field: resource.fields[0].name,
            message: "Nothing was changed: change at least one field, or cancel.".into(),
        }]));
    }
    resource.behaviour.after_update(conn, id, &changes)?;
    audit::record(conn, clock, audit_actor(user), "update", resource.kind, id, changes)?;
    // An edit that puts a record in force is an approval too, and is audited as one (permissions.md).
    if resource.approval && status == ApprovalStatus::Approved && old_status != Some(ApprovalStatus::Approved) {
        let decision = Changes::new()
            .field(columns::APPROVAL_STATUS, old_status.map(|s| s.as_str()), Some(status.as_str()))
            .field(
                columns::REJECTION_REASON,
                current.decision.as_ref().and_then(|d| d.rejection_reason.as_deref()),
                None::<String>,
            );
        audit::record(conn, clock, audit_actor(user), "approve", resource.kind, id, decision)?;
    }
    // A published article whose words changed waits for its reviewer again.
    Ok(if back_to_review.is_some() { ApprovalStatus::Pending } else { status })
}

/// A unique index refused the write (someone saved the same value a moment ago): a message on the field.
fn unique_violation(resource: &'static Resource, error: diesel::result::Error) -> Refusal {
    use diesel::result::{DatabaseErrorKind, Error};
    if let Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) = &error {
        let constraint = info.constraint_name().unwrap_or_default();
        if let Some(field) = resource.unique.iter().map(|group| group[group.len() - 1]).find(|f| constraint.contains(f))
        {
            let label = resource.field(field).map_or(field, |f| f.label);
            return Refusal::field(
                resource.field(field).map_or("", |f| f.name),
                format!(
                    "A {} with this {} already exists; it must be unique.",
                    resource.noun.to_lowercase(),
                    label.to_lowercase()
                ),
            );
        }
    }
    Refusal::Database(error)
}

const MAX_REASON: usize = 2_000;

/// Approves or rejects a waiting subscription or SLA; returns the changes to audit.
pub fn decide(conn: &mut PgConnection, clock: &Clock, user: &User, verdict: &Verdict<'_>) -> Result<Changes, Refusal> {
    let (resource, current, approve, reason) = (verdict.resource, verdict.record, verdict.approve, verdict.reason);
    let id = current.id;
    if reason.chars().count() > MAX_REASON {
        return Err(Refusal::field(columns::REJECTION_REASON, format!("Keep the reason to {MAX_REASON} characters.")));
    }
    let status = current.decision.as_ref().map_or(ApprovalStatus::Approved, |d| d.status);
    if let Err(message) = rules::check_decision(status, approve, reason) {
        return Err(if status == ApprovalStatus::Pending {
            Refusal::Invalid(vec![FieldError { field: columns::REJECTION_REASON, message }])
        } else {
            Refusal::WrongState(message)
        });
    }
    let decided = if approve { ApprovalStatus::Approved } else { ApprovalStatus::Rejected };
    let reason = (!approve).then(|| reason.trim().to_string());
    let extras = [
        Extra::new(columns::APPROVAL_STATUS, decided.as_str()),
        Extra::new(columns::APPROVAL_DECIDED_BY, user.user_id),
        Extra::new(columns::APPROVAL_DECIDED_AT, clock.now()),
        Extra::new(columns::REJECTION_REASON, reason.clone()),
    ];
    // Every record that waits for approval is versioned.
    let lock_version = current.lock_version.ok_or(Refusal::NotFound)?;
    if !queries::update(conn, resource, id, lock_version, &Values::new(), &extras)? {
        return Err(Refusal::Conflict(Box::new(load(conn, user, resource, id)?)));
    }
    Ok(Changes::new().field(columns::APPROVAL_STATUS, Some(status.as_str()), Some(decided.as_str())).field(
        columns::REJECTION_REASON,
        None::<String>,
        reason,
    ))
}
