//! The administration use cases: each loads, checks, writes and audits in the caller's transaction.
use super::queries::{self, Extra, Record};
use super::rules::{self, Facts};
use super::spec::{FieldKind, Resource};
use crate::audit::{self, Actor, Changes};
use crate::auth::password;
use crate::clock::Clock;
use crate::domain::enums::{ApprovalStatus, SlaTier, SubscriptionStatus};
use crate::forms::{self as form, Values};
use crate::users::User;
use crate::web::page::FieldError;
use diesel::PgConnection;
use std::collections::HashMap;

/// A refusal of an administration use case; conflicts carry the record as it is now.
pub type Refusal = crate::error::Refusal<Record>;

/// The client a user is confined to, if any (an account manager given a client).
pub fn client_scope(user: &User) -> Option<i32> {
    user.client_id
}

fn actor(user: &User) -> Actor {
    Actor::user(user.user_id, user.role())
}

/// A record's current values as the form knows them.
pub fn values_of(resource: &'static Resource, record: &Record) -> Values {
    resource
        .fields
        .iter()
        .filter(|f| !matches!(f.kind, FieldKind::NewPassword))
        .map(|f| {
            let value = match record.get(f.name) {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(other) => Some(other.to_string()),
            };
            (f.name, value)
        })
        .collect()
}

/// Parses and checks a submission against the fields, references, cross-field rules and uniqueness.
fn check_submission(
    conn: &mut PgConnection,
    user: &User,
    resource: &'static Resource,
    input: &HashMap<String, String>,
    existing: Option<(i32, &Record)>,
) -> Result<Values, Refusal> {
    let (mut values, mut errors) = form::parse(resource.fields, input, existing.is_none());
    let scope = client_scope(user);
    for field in resource.fields {
        if let (FieldKind::Reference(target), Some(Some(id))) = (field.kind, values.get(field.name))
            && !queries::reference_exists(conn, target, id, scope)?
        {
            errors.push(FieldError {
                field: field.name,
                message: format!("The {} chosen does not exist; choose one from the list.", target.noun),
            });
        }
    }
    if !errors.is_empty() {
        return Err(Refusal::Invalid(errors));
    }
    // Fields not on the edit form keep their stored values for the rules.
    if let Some((_, record)) = existing {
        for (name, value) in values_of(resource, record) {
            values.entry(name).or_insert(value);
        }
    }
    let facts = facts(conn, resource, &values)?;
    errors.extend(rules::check_record(resource, &values, &facts));
    for group in resource.unique {
        if queries::duplicate(conn, resource, group, &values, existing.map(|(id, _)| id))? {
            let field = resource.field(group[group.len() - 1]).expect("unique fields are described");
            let within = if group.len() > 1 { " in the same product" } else { "" };
            errors.push(FieldError {
                field: field.name,
                message: format!(
                    "A {} with this {}{within} already exists; it must be unique.",
                    resource.noun.to_lowercase(),
                    field.label.to_lowercase()
                ),
            });
        }
    }
    if errors.is_empty() { Ok(values) } else { Err(Refusal::Invalid(errors)) }
}

fn facts(conn: &mut PgConnection, resource: &Resource, values: &Values) -> Result<Facts, Refusal> {
    let mut facts = Facts::default();
    if resource.kind == "service_level_agreement"
        && let Some(Some(id)) = values.get("subscription_id")
        && let Some(subscription) = queries::get(conn, &super::resources::SUBSCRIPTIONS, id.parse().unwrap_or(0), None)?
    {
        let text = |name: &str| subscription.get(name).and_then(|v| v.as_str()).unwrap_or_default();
        if let (Some(status), Some(tier)) =
            (SubscriptionStatus::parse(text("status")), SlaTier::parse(text("sla_tier")))
        {
            facts.subscription = Some((status, tier));
        }
    }
    Ok(facts)
}

fn approval_extras(status: ApprovalStatus, user: &User, clock: &Clock) -> Vec<Extra> {
    let approved = status == ApprovalStatus::Approved;
    vec![
        Extra { column: "approval_status", value: Some(status.as_str().into()), sql_type: "text" },
        Extra { column: "approval_decided_by", value: approved.then(|| user.user_id.to_string()), sql_type: "integer" },
        Extra {
            column: "approval_decided_at",
            value: approved.then(|| clock.now().to_rfc3339()),
            sql_type: "timestamptz",
        },
        Extra { column: "rejection_reason", value: None, sql_type: "text" },
    ]
}

fn timestamps(resource: &Resource, clock: &Clock, creating: bool) -> Vec<Extra> {
    let now = Some(clock.now().to_rfc3339());
    let mut extras = Vec::new();
    if creating {
        extras.push(Extra { column: "created_at", value: now.clone(), sql_type: "timestamptz" });
    }
    if resource.has_updated_at {
        extras.push(Extra { column: "updated_at", value: now, sql_type: "timestamptz" });
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
) -> Result<(i32, ApprovalStatus), Refusal> {
    rules::may_create(resource, user.role()).map_err(Refusal::Forbidden)?;
    let values = check_submission(conn, user, resource, input, None)?;
    let mut extras = timestamps(resource, clock, true);
    let status = if resource.approval {
        rules::status_on_submit(resource, user.role(), &values)
    } else {
        ApprovalStatus::Approved
    };
    if resource.approval {
        extras.extend(approval_extras(status, user, clock));
    }
    if let Some(Some(password_text)) = values.get("password") {
        let hash = password::hash(password_text)
            .map_err(|e| Refusal::Database(diesel::result::Error::QueryBuilderError(e.into())))?;
        extras.push(Extra { column: "password_hash", value: Some(hash), sql_type: "text" });
    }
    let id = queries::insert(conn, resource, &values, &extras)?;
    let changes = values
        .iter()
        .fold(Changes::new(), |changes, (field, value)| changes.field(field, None::<String>, value.clone()));
    audit::record(conn, clock, actor(user), "create", resource.kind, id, changes)?;
    if resource.approval && status == ApprovalStatus::Approved {
        let changes = Changes::new().field("approval_status", None::<String>, Some(status.as_str()));
        audit::record(conn, clock, actor(user), "approve", resource.kind, id, changes)?;
    }
    Ok((id, status))
}

/// Loads a record the user may see, or refuses.
pub fn load(conn: &mut PgConnection, user: &User, resource: &'static Resource, id: i32) -> Result<Record, Refusal> {
    rules::may_read(resource, user.role()).map_err(Refusal::Forbidden)?;
    queries::get(conn, resource, id, client_scope(user))?.ok_or(Refusal::NotFound)
}

/// Saves an edit made from `lock_version`; someone else's earlier save is a conflict.
pub fn update(
    conn: &mut PgConnection,
    clock: &Clock,
    user: &User,
    resource: &'static Resource,
    id: i32,
    lock_version: i32,
    input: &HashMap<String, String>,
) -> Result<ApprovalStatus, Refusal> {
    let current = load(conn, user, resource, id)?;
    rules::may_update(resource, user.role()).map_err(Refusal::Forbidden)?;
    let values = check_submission(conn, user, resource, input, Some((id, &current)))?;
    let mut extras = timestamps(resource, clock, false);
    let old_status = current.get("approval_status").and_then(|v| v.as_str()).and_then(ApprovalStatus::parse);
    // An approver's edit is approved at once; anyone else's edit waits for approval again.
    let status = if resource.approval {
        rules::status_on_submit(resource, user.role(), &values)
    } else {
        ApprovalStatus::Approved
    };
    if resource.approval {
        extras.extend(approval_extras(status, user, clock));
    }
    let old = values_of(resource, &current);
    let editable: Values =
        values.into_iter().filter(|(name, _)| resource.field(name).is_some_and(|f| form::on_form(f, false))).collect();
    if !queries::update(conn, resource, id, lock_version, &editable, &extras)? {
        let fresh = queries::get(conn, resource, id, client_scope(user))?.ok_or(Refusal::NotFound)?;
        return Err(Refusal::Conflict(Box::new(fresh)));
    }
    let mut changes = editable.iter().fold(Changes::new(), |changes, (field, value)| {
        changes.field(field, old.get(field).cloned().flatten(), value.clone())
    });
    if resource.approval {
        changes = changes.field("approval_status", old_status.map(|s| s.as_str()), Some(status.as_str()));
    }
    audit::record(conn, clock, actor(user), "update", resource.kind, id, changes)?;
    Ok(status)
}

/// Approves or rejects a waiting subscription or SLA.
pub fn decide(
    conn: &mut PgConnection,
    clock: &Clock,
    user: &User,
    resource: &'static Resource,
    id: i32,
    approve: bool,
    reason: &str,
) -> Result<(), Refusal> {
    let current = load(conn, user, resource, id)?;
    let values = values_of(resource, &current);
    rules::may_approve(resource, user.role(), &values).map_err(Refusal::Forbidden)?;
    let status = current
        .get("approval_status")
        .and_then(|v| v.as_str())
        .and_then(ApprovalStatus::parse)
        .unwrap_or(ApprovalStatus::Approved);
    if let Err(message) = rules::check_decision(status, approve, reason) {
        return Err(if status == ApprovalStatus::Pending {
            Refusal::Invalid(vec![FieldError { field: "rejection_reason", message }])
        } else {
            Refusal::Forbidden(message)
        });
    }
    let decided = if approve { ApprovalStatus::Approved } else { ApprovalStatus::Rejected };
    let reason = (!approve).then(|| reason.trim().to_string());
    let extras = [
        Extra { column: "approval_status", value: Some(decided.as_str().into()), sql_type: "text" },
        Extra { column: "approval_decided_by", value: Some(user.user_id.to_string()), sql_type: "integer" },
        Extra { column: "approval_decided_at", value: Some(clock.now().to_rfc3339()), sql_type: "timestamptz" },
        Extra { column: "rejection_reason", value: reason.clone(), sql_type: "text" },
    ];
    let lock_version = current.get("lock_version").and_then(|v| v.as_i64()).unwrap_or_default() as i32;
    if !queries::update(conn, resource, id, lock_version, &Values::new(), &extras)? {
        return Err(Refusal::Conflict(Box::new(load(conn, user, resource, id)?)));
    }
    let changes = Changes::new().field("approval_status", Some(status.as_str()), Some(decided.as_str())).field(
        "rejection_reason",
        None::<String>,
        reason,
    );
    audit::record(conn, clock, actor(user), if approve { "approve" } else { "reject" }, resource.kind, id, changes)?;
    Ok(())
}

/// An administrator sets another user's password (hashed before the transaction).
pub fn set_password(
    conn: &mut PgConnection,
    clock: &Clock,
    user: &User,
    target_id: i32,
    password_hash: &str,
) -> Result<(), Refusal> {
    let resource = &super::resources::USERS;
    load(conn, user, resource, target_id)?;
    rules::may_update(resource, user.role()).map_err(Refusal::Forbidden)?;
    crate::users::queries::set_password_hash(conn, target_id, password_hash, clock.now())?;
    let changes = Changes::new().field("password_hash", Some("old"), Some("new"));
    audit::record(conn, clock, actor(user), "update", resource.kind, target_id, changes)?;
    Ok(())
}
