//! Incident pages.
use super::list::{self, Assignee, ListFilter, ListQuery, Order, SlaState};
use super::queries::{self, ListRow, PAGE_SIZE, Person, Position};
use super::rules::{self, CONDITIONS, Condition};
use super::service::{self, COMPONENT_REF, Refusal};
use super::sla_clock::{ClockView, clocks};
use super::timeline::{self, Entry};
use super::{Incident, categories};
use crate::access::{Action, Area, Rows, Sight, Target};
use crate::domain::enums::*;
use crate::error::AppError;
use crate::format;
use crate::forms::view::{CheckGroup, FormField, form_fields};
use crate::forms::{self, Field, FieldError, FieldKind, RefTable, Values, field};
use crate::records::resources::CLIENT_REF;
use crate::users::User;
use crate::web::AppState;
use crate::web::page::Page;
use crate::web::respond::{after_action, conflict, html, see_other, unprocessable};
use crate::web::session::{self, CurrentUser};
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::Connection;
use std::collections::HashMap;

type Form = web::Form<Vec<(String, String)>>;

/// Users as forms name them.
static USER_REF: RefTable =
    RefTable { table: "users", key: "user_id", label: "name", noun: "user", path: Some("/users"), rows: Rows::People };

fn communication_types() -> Vec<(&'static str, &'static str)> {
    vec![
        ("update", "Update"),
        ("notification", "Notification"),
        ("escalation", "Escalation"),
        ("resolution", "Resolution"),
    ]
}

pub(crate) static REPORT_FIELDS: &[Field] = &[
    field("title", "Title", FieldKind::Text).hint("What is wrong, in a few words, e.g. Payment API timeouts"),
    field("category", "Category", FieldKind::Choice(categories)),
    field("severity", "Severity", FieldKind::Choice(Severity::choices))
        .hint("P1 is the most urgent; the questions below suggest one"),
    field("impact_level", "Impact", FieldKind::Choice(Level::choices)),
    field("urgency_level", "Urgency", FieldKind::Choice(Level::choices)),
    field("client_id", "Client", FieldKind::Reference(&CLIENT_REF)),
    field("component_id", "Affected component", FieldKind::Reference(&COMPONENT_REF)),
    field("detection_timestamp", "Detected at", FieldKind::DateTime)
        .hint("In your own time zone")
        .missing("Enter when the incident was detected."),
    field("assigned_to_user_id", "Assign to", FieldKind::Reference(&USER_REF)).optional().hint("Provider staff only"),
    field("details", "Details", FieldKind::LongText).optional().hint("Posted as the first progress update"),
];

pub(crate) static EDIT_FIELDS: &[Field] = &[
    field("status", "Status", FieldKind::Choice(IncidentStatus::choices))
        .hint("Open → investigating → in progress → resolved → closed; a resolved incident may be reopened"),
    field("severity", "Severity", FieldKind::Choice(Severity::choices)),
    field("impact_level", "Impact", FieldKind::Choice(Level::choices)),
    field("urgency_level", "Urgency", FieldKind::Choice(Level::choices)),
    field("assigned_to_user_id", "Assigned to", FieldKind::Reference(&USER_REF)).optional(),
];

pub(crate) static ESCALATION_FIELDS: &[Field] = &[
    field("escalation_level", "Level", FieldKind::Choice(EscalationLevel::choices))
        .missing("Choose the escalation level.")
        .hint(
            "Management: an incident manager or executive. Technical: technical support or a system administrator. \
         Executive: an executive. Vendor: a contact of the vendor that supports the component",
        ),
    field("escalated_to_user", "Escalate to", FieldKind::Reference(&USER_REF)).missing("Choose who to escalate to."),
    field("reason", "Reason", FieldKind::Text).optional().hint("e.g. customer impact, technical complexity"),
];

pub(crate) static COMMUNICATION_FIELDS: &[Field] = &[
    field("recipient_id", "Recipient", FieldKind::Reference(&USER_REF))
        .optional()
        .hint("A person, or choose a group below"),
    field("recipient_type", "Recipient group", FieldKind::Choice(RecipientType::choices)).optional(),
    field("communication_type", "Type", FieldKind::Choice(communication_types))
        .missing("Choose the type of communication."),
    field("delivery_method", "Delivery method", FieldKind::Choice(DeliveryMethod::choices)),
    field("delivery_status", "Delivery status", FieldKind::Choice(DeliveryStatus::choices))
        .optional()
        .default("pending")
        .hint(
            "Only for SMS, phone and chat, which you record by hand. Email and dashboard notifications start \
             pending: Incident Desk sends them and sets sent, with the time, or failed, with the reason",
        ),
    field("message", "Message", FieldKind::LongText).missing("Write the message."),
];

fn person_choices(people: Vec<Person>) -> Vec<(String, String)> {
    people
        .into_iter()
        .map(|p| {
            (
                p.user_id.to_string(),
                format!("{} ({})", p.name, Role::parse(&p.role).map_or(p.role.as_str(), |r| r.label())),
            )
        })
        .collect()
}

const STAFF_ROLES: &[&str] =
    &["system_administrator", "incident_manager", "technical_support", "account_manager", "executive"];

/// The submitted pairs as a map (the last value of a name wins) and the checked classification questions.
fn read(form: Form) -> (HashMap<String, String>, Vec<String>) {
    let pairs = form.into_inner();
    let checked = pairs.iter().filter(|(k, _)| k == "condition").map(|(_, v)| v.clone()).collect();
    (pairs.into_iter().collect(), checked)
}

/// Reads the list's filters, order and page from the address, the same for the page and its CSV export; a value
/// the list never offers is a clear 400.
fn read_list(query: &[(String, String)], user: &User) -> Result<ListQuery, AppError> {
    let staff = user.actor().can(Action::ReadInternal(Area::Incidents), &Target::Any);
    list::read(query, staff).map_err(AppError::BadRequest)
}

mod actions;
mod communication_page;
mod incident_forms;
mod incident_page;
mod list_page;
mod report_form;

pub use actions::*;
pub use communication_page::*;
pub use incident_forms::*;
pub use incident_page::*;
pub use list_page::*;
pub use report_form::*;
