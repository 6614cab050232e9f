//! Incident use cases: each loads within scope, checks the rules, writes, logs and audits in the caller's
//! transaction.
use super::Incident;
use super::forms::{Communication, Escalation, IncidentEdit, IncidentReport};
use super::queries::Person;
use super::queries::{self, IncidentChanges, NewCommunication, NewEscalation, NewIncident, UpdateLog};
use super::rules;
use crate::access::{Action, Area, Rows, Scope, Sight, Target};
use crate::audit::{self, Actor, Changes};
use crate::clock::Clock;
use crate::delivery::{self, Channel, Recipient};
use crate::domain::enums::{DeliveryStatus, IncidentStatus, Level, RecipientType, Severity, UserStatus};
use crate::forms::FieldError;
use crate::forms::RefTable;
use crate::records::resources::CLIENT_REF;
use crate::users::User;
use crate::{column, table};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use diesel::{PgConnection, QueryResult};

pub type Refusal = crate::error::Refusal<Incident>;

fn actor(user: &User) -> Actor {
    Actor::user(user.user_id, user.role())
}

/// Whether the user may take `action` on an incident (scope was applied when it was loaded).
fn allowed(user: &User, action: Action) -> Result<(), Refusal> {
    user.actor().may(action, &Target::Any)?;
    Ok(())
}

fn wrong_state(result: Result<(), String>) -> Result<(), Refusal> {
    result.map_err(Refusal::WrongState)
}

/// An incident the user sees and may take `action` on, or the refusal (not found, not allowed).
fn load_for(conn: &mut PgConnection, user: &User, incident_id: i32, action: Action) -> Result<Incident, Refusal> {
    let incident = load(conn, user, incident_id)?;
    allowed(user, action)?;
    Ok(incident)
}

/// As `load_for`, and refused while the incident is closed to changes.
fn load_open_for(conn: &mut PgConnection, user: &User, incident_id: i32, action: Action) -> Result<Incident, Refusal> {
    let incident = load_for(conn, user, incident_id, action)?;
    wrong_state(rules::check_open_for_changes(incident.status()))?;
    Ok(incident)
}

/// Whether a note's text is one to keep: not blank, not too long, no NUL.
fn fit_note(note: &str) -> bool {
    !crate::forms::is_blank(note) && note.chars().count() <= MAX_NOTE && !note.contains('\0')
}

/// An incident the user may see, or 404.
pub fn load(conn: &mut PgConnection, user: &User, incident_id: i32) -> Result<Incident, Refusal> {
    load_as(conn, &user.actor(), incident_id)
}

/// An incident as `actor` would see it, or 404.
pub fn load_as(conn: &mut PgConnection, actor: &crate::access::Actor, incident_id: i32) -> Result<Incident, Refusal> {
    actor.may(Action::Read(Area::Incidents), &Target::Any)?;
    queries::find(conn, actor.scope(), incident_id)?.ok_or(Refusal::NotFound)
}

/// Reads a `datetime-local` value typed in the user's time zone.
pub fn local_to_utc(text: &str, zone: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").ok()?;
    crate::format::zone(zone).from_local_datetime(&naive).earliest().map(|at| at.with_timezone(&Utc))
}

/// Reports an incident. Similar open incidents of the same client and component from the last 24 hours halt
/// the report until the reporter confirms it is not a duplicate.
pub fn report(
    conn: &mut PgConnection,
    clock: &Clock,
    user: &User,
    report: &IncidentReport,
) -> Result<Incident, Refusal> {
    allowed(user, Action::Create(Area::Incidents))?;
    let now = clock.now();
    let mut errors = Vec::new();
    let sight = Sight::of(&user.actor());
    // Which clients and components one may report for is the access rule of the form's choices.
    let (client_id, component_id) = (report.client_id, report.component_id);
    if !visible(conn, &CLIENT_REF, client_id, sight)? {
        errors.push(FieldError {
            field: "client_id",
            message: "Choose a client from the list; you may report only for clients you work for.".into(),
        });
    }
    match visible(conn, &COMPONENT_REF, component_id, Sight::EVERYTHING)? {
        true => {
            if !visible(conn, &COMPONENT_REF, component_id, sight)? {
                errors.push(FieldError {
                    field: "component_id",
                    message: match sight.scope {
                        Scope::Vendor(_) => {
                            "Reporting: vendor contacts report incidents only on components of products their vendor \
                             supports."
                        }
                        _ => {
                            "Reporting: client contacts report incidents only on components of their client's \
                             subscriptions."
                        }
                    }
                    .into(),
                });
            }
        }
        false => errors.push(FieldError { field: "component_id", message: "Choose a component from the list.".into() }),
    }
    let assignee = report.assigned_to_user_id;
    if let Some(assignee) = assignee {
        if !user.actor().can(Action::Update(Area::Incidents), &Target::Any) {
            errors.push(FieldError {
                field: "assigned_to_user_id",
                message: "Assignment: only provider staff assign incidents; leave it empty.".into(),
            });
        } else if let Err(message) = check_assignee(conn, assignee)? {
            errors.push(FieldError { field: "assigned_to_user_id", message });
        }
    }
    if report.detected_at > now + chrono::Duration::minutes(5) {
        errors.push(FieldError {
            field: "detection_timestamp",
            message: "The detection time cannot be in the future.".into(),
        });
    }
    if !errors.is_empty() {
        return Err(Refusal::Invalid(errors));
    }
    if !report.confirmed && !queries::similar_open(conn, client_id, component_id, now)?.is_empty() {
        return Err(Refusal::field(
            "confirm_duplicate",
            "There are open incidents for this client and component from the last 24 hours. Check they are not the same incident, then confirm to report it anyway.",
        ));
    }
    let incident = queries::insert(
        conn,
        &NewIncident {
            title: &report.title,
            category: &report.category,
            severity: report.severity.as_str(),
            impact_level: report.impact_level.as_str(),
            urgency_level: report.urgency_level.as_str(),
            client_id,
            component_id,
            reporter_user_id: user.user_id,
            assigned_to_user_id: assignee,
            detection_timestamp: report.detected_at,
            now,
        },
    )?;
    if let Some(details) = &report.details {
        queries::log_update(conn, &note(incident.incident_id, user.user_id, details, now))?;
    }
    let changes = Changes::created(&[
        ("title", Some(report.title.clone())),
        ("category", Some(report.category.clone())),
        ("severity", Some(report.severity.as_str().into())),
        ("impact_level", Some(report.impact_level.as_str().into())),
        ("urgency_level", Some(report.urgency_level.as_str().into())),
        ("client_id", Some(client_id.to_string())),
        ("component_id", Some(component_id.to_string())),
        ("assigned_to_user_id", assignee.map(|id| id.to_string())),
    ])
    .field("status", None::<String>, Some("open"))
    .field("details", None::<String>, report.details.as_deref())
    .field("detection_timestamp", None::<String>, Some(incident.detection_timestamp.to_rfc3339()));
    audit::record(conn, clock, actor(user), "create", "incident", incident.incident_id, changes)?;
    notify_client(conn, clock, &incident, Notice::Reported)?;
    Ok(incident)
}

/// Components as the report form and its checks name them.
pub static COMPONENT_REF: RefTable = RefTable::new(
    table!(infrastructure_components),
    column!(infrastructure_components, component_id),
    Rows::ReportableComponents,
)
// In words a reporter knows: the product, what part of it and where, then the technical name that tells
// two alike apart ("LedgerFlow Professional — Database, production (ledgerflow-database-03)").
.label(
    "coalesce((SELECT product_name FROM products p WHERE p.product_id = infrastructure_components.product_id) \
            || ' — ', '') || component_type || ', ' || environment || ' (' || component_name || ')'",
)
.noun("component")
.page("/components");

/// Whether the record `id` of `target` exists within what `sight` sees.
fn visible(conn: &mut PgConnection, target: &RefTable, id: i32, sight: Sight) -> diesel::QueryResult<bool> {
    crate::records::queries::reference_exists(conn, target, &id.to_string(), sight)
}

fn check_assignee(conn: &mut PgConnection, user_id: i32) -> Result<Result<(), String>, Refusal> {
    Ok(match queries::person(conn, user_id)? {
        None => Err("Assignment: choose an assignee from the list.".into()),
        Some(person) => rules::check_assignee(
            &person.name,
            person.role,
            UserStatus::parse(&person.status).unwrap_or(UserStatus::Inactive),
        ),
    })
}

/// Which kind of change a field is, for the change log (the reference's update types).
fn update_type(field: &str) -> &'static str {
    match field {
        "status" => "status_change",
        "assigned_to" => "assignment_change",
        _ => "priority_change",
    }
}

/// Who acts on which incident, and by which clock: what each use case on an incident starts from.
#[derive(Clone, Copy)]
pub struct OnIncident<'a> {
    pub clock: &'a Clock,
    pub user: &'a User,
    pub incident_id: i32,
}

/// Changes status, severity, impact, urgency or assignment, from the version the editor saw. Each changed field
/// is logged as its own incident update; the whole change is one audit entry.
pub fn update(
    conn: &mut PgConnection,
    on: OnIncident<'_>,
    lock_version: Option<i32>,
    edit: &IncidentEdit,
) -> Result<Incident, Refusal> {
    let change = Change {
        status: Some(edit.status),
        severity: Some(edit.severity),
        impact_level: Some(edit.impact_level),
        urgency_level: Some(edit.urgency_level),
        assigned_to_user_id: edit.assigned_to_user_id,
    };
    apply(conn, on, lock_version, &change, None)
}

/// What a change sets; `None` keeps the incident's own (the assignee is always said: `None` is nobody).
struct Change {
    status: Option<IncidentStatus>,
    severity: Option<Severity>,
    impact_level: Option<Level>,
    urgency_level: Option<Level>,
    assigned_to_user_id: Option<i32>,
}

impl Change {
    /// A change of the assignee alone.
    fn assign(assigned_to_user_id: Option<i32>) -> Self {
        Change { status: None, severity: None, impact_level: None, urgency_level: None, assigned_to_user_id }
    }
}

/// Moves an incident one step along its lifecycle from its page (acknowledge, start work, resolve, reopen, close),
/// keeping everything else. Resolving says how, in a note on the timeline, within the same change and audit entry.
pub fn move_to(
    conn: &mut PgConnection,
    on: OnIncident<'_>,
    lock_version: Option<i32>,
    to: Option<IncidentStatus>,
    note: &str,
) -> Result<Incident, Refusal> {
    let OnIncident { user, incident_id, .. } = on;
    let current = load_for(conn, user, incident_id, Action::Update(Area::Incidents))?;
    let to = to.ok_or_else(|| Refusal::field("to", "Choose the next step from the buttons on the incident's page."))?;
    let note = note.trim();
    let resolving = to == IncidentStatus::Resolved && current.status() != IncidentStatus::Resolved;
    if resolving && !fit_note(note) {
        return Err(Refusal::field(
            "resolution_note",
            format!("Say how the incident was resolved, in up to {MAX_NOTE} characters."),
        ));
    }
    let change = Change { status: Some(to), ..Change::assign(current.assigned_to_user_id) };
    apply(conn, on, lock_version, &change, resolving.then_some(note))
}

/// Assigns an incident to the one who takes it.
pub fn take(conn: &mut PgConnection, on: OnIncident<'_>, lock_version: Option<i32>) -> Result<Incident, Refusal> {
    let user = on.user;
    apply(conn, on, lock_version, &Change::assign(Some(user.user_id)), None)
}

/// Applies a change, with a resolution note when it resolves the incident.
fn apply(
    conn: &mut PgConnection,
    on: OnIncident<'_>,
    lock_version: Option<i32>,
    change: &Change,
    resolution_note: Option<&str>,
) -> Result<Incident, Refusal> {
    let OnIncident { clock, user, incident_id } = on;
    let current = load_open_for(conn, user, incident_id, Action::Update(Area::Incidents))?;
    // A form without the version it was shown with is refused, never applied blind to the incident as it is now.
    let lock_version = lock_version.ok_or_else(|| {
        Refusal::field("lock_version", "The form has no record version; reload the page and try again.")
    })?;
    // The rules speak of the incident as the editor saw it; if it changed since, show them what it is now.
    if lock_version != current.lock_version {
        return Err(Refusal::Conflict(Box::new(current)));
    }
    let status = change.status.unwrap_or(current.status());
    rules::check_transition(current.status(), status).map_err(|message| Refusal::field("status", message))?;
    if status == IncidentStatus::Closed && current.status() != IncidentStatus::Closed {
        allowed(user, Action::CloseIncident)?;
    }
    let assignee = change.assigned_to_user_id;
    if assignee != current.assigned_to_user_id
        && let Some(assignee) = assignee
        && let Err(message) = check_assignee(conn, assignee)?
    {
        return Err(Refusal::field("assigned_to_user_id", message));
    }
    let now = clock.now();
    let leaving_open = current.status() == IncidentStatus::Open && status != IncidentStatus::Open;
    let changes = IncidentChanges {
        status: status.as_str().to_string(),
        severity: change.severity.map_or(current.severity.as_str(), |v| v.as_str()).to_string(),
        impact_level: change.impact_level.map_or(current.impact_level.as_str(), |v| v.as_str()).to_string(),
        urgency_level: change.urgency_level.map_or(current.urgency_level.as_str(), |v| v.as_str()).to_string(),
        assigned_to_user_id: assignee,
        acknowledged_at: if leaving_open { current.acknowledged_at.or(Some(now)) } else { current.acknowledged_at },
        resolution_timestamp: match status {
            IncidentStatus::Resolved if current.status() != IncidentStatus::Resolved => Some(now),
            IncidentStatus::Resolved | IncidentStatus::Closed => current.resolution_timestamp,
            // Reopening clears the resolution: it is set exactly while resolved or closed.
            _ => None,
        },
        closed_at: (status == IncidentStatus::Closed).then_some(now),
        updated_at: now,
    };
    let fields = [
        ("status", current.status.clone(), changes.status.clone()),
        ("severity", current.severity.clone(), changes.severity.clone()),
        ("impact_level", current.impact_level.clone(), changes.impact_level.clone()),
        ("urgency_level", current.urgency_level.clone(), changes.urgency_level.clone()),
        ("assigned_to", text_id(current.assigned_to_user_id), text_id(changes.assigned_to_user_id)),
    ];
    let changed: Vec<_> = fields.into_iter().filter(|(_, old, new)| old != new).collect();
    if changed.is_empty() {
        return Err(Refusal::field("status", "Nothing was changed: change at least one field, or cancel."));
    }
    let updated = queries::update(conn, incident_id, lock_version, &changes)?
        .ok_or_else(|| Refusal::Conflict(Box::new(current.clone())))?;
    // The forecast's figures count resolved incidents: keep those of its keys when it joins or leaves them.
    let (was, is) = (current.resolution_timestamp.is_some(), updated.resolution_timestamp.is_some());
    if was != is || (is && current.severity != updated.severity) {
        let severities = [current.severity.as_str(), updated.severity.as_str()];
        crate::forecast::queries::refresh(conn, &severities, updated.component_id, &updated.category)?;
    }
    let mut audit_changes = Changes::new();
    for (field, old, new) in &changed {
        queries::log_update(
            conn,
            &UpdateLog {
                incident_id,
                user_id: user.user_id,
                update_type: update_type(field),
                field,
                old,
                new,
                at: now,
            },
        )?;
        audit_changes = audit_changes.field(field, Some(old), Some(new));
    }
    if let Some(text) = resolution_note {
        queries::log_update(conn, &note(incident_id, user.user_id, text, now))?;
        audit_changes = audit_changes.field("resolution_note", None::<String>, Some(text));
    }
    audit::record(conn, clock, actor(user), "update", "incident", incident_id, audit_changes)?;
    if updated.status != current.status {
        notify_client(conn, clock, &updated, Notice::StatusChanged(updated.status()))?;
    }
    Ok(updated)
}

fn text_id(id: Option<i32>) -> String {
    id.map(|id| id.to_string()).unwrap_or_default()
}

/// Closes a resolved incident (incident managers only): the lifecycle's last step, refused by the closing rule's own
/// words to anyone else.
pub fn close(conn: &mut PgConnection, on: OnIncident<'_>, lock_version: Option<i32>) -> Result<Incident, Refusal> {
    let OnIncident { user, incident_id, .. } = on;
    load_for(conn, user, incident_id, Action::CloseIncident)?;
    move_to(conn, on, lock_version, Some(IncidentStatus::Closed), "")
}

pub const MAX_NOTE: usize = 5_000;

/// A progress note as the change log keeps it.
fn note(incident_id: i32, user_id: i32, text: &str, at: DateTime<Utc>) -> UpdateLog<'_> {
    UpdateLog { incident_id, user_id, update_type: "progress_note", field: "note", old: "", new: text, at }
}

/// Posts a progress note onto the timeline.
pub fn post_progress(conn: &mut PgConnection, on: OnIncident<'_>, note: &str) -> Result<i32, Refusal> {
    let OnIncident { clock, user, incident_id } = on;
    load_open_for(conn, user, incident_id, Action::PostProgress)?;
    let note = note.trim();
    if !fit_note(note) {
        return Err(Refusal::field("note", format!("Write the progress update: up to {MAX_NOTE} characters.")));
    }
    let now = clock.now();
    let update_id = queries::log_update(conn, &self::note(incident_id, user.user_id, note, now))?;
    let changes = Changes::new().field("incident_id", None::<String>, Some(incident_id)).field(
        "note",
        None::<String>,
        Some(note),
    );
    audit::record(conn, clock, actor(user), "create", "incident_update", update_id, changes)?;
    Ok(update_id)
}

/// Escalates an incident to a user who fits the level.
pub fn escalate(conn: &mut PgConnection, on: OnIncident<'_>, escalation: &Escalation) -> Result<i32, Refusal> {
    let OnIncident { clock, user, incident_id } = on;
    let incident = load_open_for(conn, user, incident_id, Action::Escalate)?;
    let (level, target_id) = (escalation.level, escalation.to_user_id);
    let target = queries::person(conn, target_id)?
        .ok_or_else(|| Refusal::field("escalated_to_user", "Choose who to escalate to from the list."))?;
    let supporting_vendor = queries::supporting_vendor(conn, incident.component_id)?;
    rules::check_escalation_target(
        level,
        &target.name,
        target.role,
        UserStatus::parse(&target.status).unwrap_or(UserStatus::Inactive),
        target.vendor_id,
        supporting_vendor,
    )
    .map_err(|message| Refusal::field("escalated_to_user", message))?;
    let now = clock.now();
    let reason = escalation.reason.as_deref();
    let escalation_id = queries::insert_escalation(
        conn,
        &NewEscalation {
            incident_id,
            escalated_by_user: user.user_id,
            escalated_to_user: target_id,
            escalation_level: level.as_str(),
            reason,
            now,
        },
    )?;
    let changes = Changes::new()
        .field("incident_id", None::<String>, Some(incident_id))
        .field("escalation_level", None::<String>, Some(level.as_str()))
        .field("escalated_to_user", None::<String>, Some(target_id))
        .field("reason", None::<String>, reason)
        .field("status", None::<String>, Some("active"));
    audit::record(conn, clock, actor(user), "create", "incident_escalation", escalation_id, changes)?;
    Ok(escalation_id)
}

/// Resolves or cancels an active escalation of the incident.
pub fn end_escalation(
    conn: &mut PgConnection,
    on: OnIncident<'_>,
    escalation_id: i32,
    resolve: bool,
) -> Result<(), Refusal> {
    let OnIncident { clock, user, incident_id } = on;
    load_for(conn, user, incident_id, Action::Escalate)?;
    let status = queries::escalation_status(conn, incident_id, escalation_id)?.ok_or(Refusal::NotFound)?;
    let new_status = if resolve { "resolved" } else { "cancelled" };
    if status != "active" || !queries::end_escalation(conn, escalation_id, new_status, user.user_id, clock.now())? {
        return Err(Refusal::WrongState(format!(
            "Escalation: this escalation is already {status}; only active escalations can be {new_status}."
        )));
    }
    let changes = Changes::new().field("status", Some("active"), Some(new_status));
    audit::record(conn, clock, actor(user), "update", "incident_escalation", escalation_id, changes)?;
    Ok(())
}

/// Records a communication about the incident, to a user or to a kind of recipient. Email and dashboard
/// notifications go into the outbox, one delivery per person they reach, and stay pending until the worker has
/// tried them; SMS, phone and chat are recorded by hand with the status the recorder gives.
pub fn communicate(conn: &mut PgConnection, on: OnIncident<'_>, communication: &Communication) -> Result<i32, Refusal> {
    let OnIncident { clock, user, incident_id } = on;
    let incident = load_for(conn, user, incident_id, Action::Communicate)?;
    let (recipient_id, group) = (communication.recipient_id, communication.recipient_type);
    if recipient_id.is_none() && group.is_none() {
        return Err(Refusal::field("recipient_id", "Choose a recipient, or a kind of recipient."));
    }
    let facts = crate::access::scope::incident_facts(conn, incident.incident_id)?.ok_or(Refusal::NotFound)?;
    let named = match recipient_id {
        None => None,
        Some(recipient) => {
            let person = queries::person(conn, recipient)?
                .ok_or_else(|| Refusal::field("recipient_id", "Choose a recipient from the list."))?;
            rules::check_recipient(
                &person.name,
                UserStatus::parse(&person.status).unwrap_or(UserStatus::Inactive),
                person.actor().scope().sees(&facts),
            )
            .map_err(|message| Refusal::field("recipient_id", message))?;
            Some(person)
        }
    };
    let method = communication.delivery_method.as_str();
    let delivered_by_us = Channel::parse(method).is_some();
    let status = match communication.delivery_status {
        Some(status) if delivered_by_us && status != DeliveryStatus::Pending => {
            return Err(Refusal::field(
                "delivery_status",
                "Delivery status: Incident Desk sends email and dashboard notifications itself and sets their \
                 status from the outcome; leave it empty.",
            ));
        }
        status => status.unwrap_or(DeliveryStatus::Pending).as_str(),
    };
    let recipients = reached(conn, &facts, named, group)?;
    if delivered_by_us && recipients.is_empty() {
        return Err(Refusal::field(
            "recipient_type",
            "Communication: nobody active in this group may be told about this incident, so there is no one to \
             send it to; choose a recipient or another group.",
        ));
    }
    let outgoing = Outgoing {
        sender_id: Some(user.user_id),
        recipient_id,
        recipient_type: group,
        communication_type: &communication.communication_type,
        delivery_method: method,
        delivery_status: status,
        message: &communication.message,
    };
    Ok(record_communication(conn, clock, actor(user), &incident, &outgoing, &recipients)?)
}

/// Who a communication reaches: the named recipient and the people of the recipient group, each once.
fn reached(
    conn: &mut PgConnection,
    incident: &crate::access::scope::IncidentFacts,
    named: Option<Person>,
    group: Option<RecipientType>,
) -> QueryResult<Vec<Person>> {
    let mut people: Vec<Person> = named.into_iter().collect();
    if let Some(group) = group {
        let candidates = queries::active_people(conn, &rules::recipient_group_roles(group), None)?;
        people.extend(candidates.into_iter().filter(|person| {
            rules::in_recipient_group(
                group,
                person.role,
                UserStatus::parse(&person.status).unwrap_or(UserStatus::Inactive),
                person.actor().scope().sees(incident),
            )
        }));
    }
    people.sort_by_key(|person| person.user_id);
    people.dedup_by_key(|person| person.user_id);
    Ok(people)
}

/// A communication about to be recorded.
struct Outgoing<'a> {
    /// `None`: the product's own (an automatic notice).
    sender_id: Option<i32>,
    recipient_id: Option<i32>,
    recipient_type: Option<RecipientType>,
    communication_type: &'a str,
    delivery_method: &'a str,
    delivery_status: &'a str,
    message: &'a str,
}

/// Records the communication with its audit entry, and puts it in front of the people it reaches: into the
/// outbox when the product delivers it, else straight onto their Notifications pages.
fn record_communication(
    conn: &mut PgConnection,
    clock: &Clock,
    actor: Actor,
    incident: &Incident,
    outgoing: &Outgoing<'_>,
    recipients: &[Person],
) -> QueryResult<i32> {
    let now = clock.now();
    let channel = Channel::parse(outgoing.delivery_method);
    let sent = matches!(
        DeliveryStatus::parse(outgoing.delivery_status),
        Some(DeliveryStatus::Sent | DeliveryStatus::Delivered)
    );
    let communication_id = queries::insert_communication(
        conn,
        &NewCommunication {
            incident_id: incident.incident_id,
            sender_id: outgoing.sender_id,
            recipient_id: outgoing.recipient_id,
            recipient_type: outgoing.recipient_type.map(RecipientType::as_str),
            communication_type: outgoing.communication_type,
            delivery_method: outgoing.delivery_method,
            delivery_status: outgoing.delivery_status,
            sent_at: (sent && channel.is_none()).then_some(now),
            message: outgoing.message,
            now,
        },
    )?;
    match channel {
        Some(channel) => {
            let recipients: Vec<Recipient> =
                recipients.iter().map(|p| Recipient { user_id: p.user_id, email: p.email.clone() }).collect();
            delivery::enqueue(conn, communication_id, channel, &recipients, now)?;
        }
        None => {
            let users: Vec<i32> = recipients.iter().map(|p| p.user_id).collect();
            crate::notifications::queries::add(conn, communication_id, &users, now)?;
        }
    }
    let changes = Changes::new()
        .field("incident_id", None::<String>, Some(incident.incident_id))
        .field("recipient_id", None::<String>, outgoing.recipient_id)
        .field("recipient_type", None::<String>, outgoing.recipient_type.map(RecipientType::as_str))
        .field("communication_type", None::<String>, Some(outgoing.communication_type))
        .field("delivery_method", None::<String>, Some(outgoing.delivery_method))
        .field("delivery_status", None::<String>, Some(outgoing.delivery_status))
        // The message itself is part of the record: what was told to whom is what an auditor asks.
        .field("message", None::<String>, Some(outgoing.message))
        .field("recipients", None::<String>, Some(recipients.len()));
    audit::record(conn, clock, actor, "create", "communication", communication_id, changes)?;
    Ok(communication_id)
}

/// What happened to an incident that its client may ask to be told about.
#[derive(Debug, Clone, Copy)]
enum Notice {
    Reported,
    StatusChanged(IncidentStatus),
}

/// Tells the incident's client's contacts what happened, when the client asked for it (`incident_notices`):
/// a communication from the product itself, through the same outbox.
fn notify_client(conn: &mut PgConnection, clock: &Clock, incident: &Incident, notice: Notice) -> QueryResult<()> {
    let Some(method) = queries::incident_notices(conn, incident.client_id)? else { return Ok(()) };
    let group = RecipientType::ClientContacts;
    let Some(facts) = crate::access::scope::incident_facts(conn, incident.incident_id)? else { return Ok(()) };
    let recipients = reached(conn, &facts, None, Some(group))?;
    if recipients.is_empty() {
        return Ok(());
    }
    let id = incident.incident_id;
    let (communication_type, message) = match notice {
        Notice::Reported => ("notification", format!("Incident {id} was reported: {}.", incident.title)),
        Notice::StatusChanged(IncidentStatus::Resolved) => {
            ("resolution", format!("Incident {id} is resolved: {}.", incident.title))
        }
        Notice::StatusChanged(status) => {
            ("update", format!("Incident {id} is now {}: {}.", status.label().to_lowercase(), incident.title))
        }
    };
    let outgoing = Outgoing {
        sender_id: None,
        recipient_id: None,
        recipient_type: Some(group),
        communication_type,
        delivery_method: &method,
        delivery_status: DeliveryStatus::Pending.as_str(),
        message: &message,
    };
    record_communication(conn, clock, Actor::system(), incident, &outgoing, &recipients).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::local_to_utc;

    #[test]
    fn local_times_are_read_in_the_users_zone() {
        assert_eq!(local_to_utc("2026-07-01T08:00", "EST").unwrap().to_rfc3339(), "2026-07-01T12:00:00+00:00");
        assert_eq!(local_to_utc("2026-01-15T08:00", "CET").unwrap().to_rfc3339(), "2026-01-15T07:00:00+00:00");
        assert_eq!(local_to_utc("2026-02-30T08:00", "UTC"), None);
        assert_eq!(local_to_utc("yesterday", "UTC"), None);
    }
}
