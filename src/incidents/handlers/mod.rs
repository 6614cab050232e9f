//! Incident pages.
use super::Incident;
use super::forms::{
    COMMUNICATION_FIELDS, Communication, EDIT_FIELDS, ESCALATION_FIELDS, Escalation, IncidentEdit, IncidentReport,
    REPORT_FIELDS,
};
use super::list::{self, Assignee, ListFilter, ListQuery, Order, SlaState};
use super::queries::{self, ListRow, PAGE_SIZE, Person, Position};
use super::rules::{self, CONDITIONS, Condition};
use super::service::{self, COMPONENT_REF, OnIncident, Refusal};
use super::sla_clock::{ClockView, clocks};
use super::timeline::{self, Entry};
use crate::access::{Action, Area, Sight, Target};
use crate::domain::enums::*;
use crate::error::AppError;
use crate::format;
use crate::forms::view::{CheckGroup, FormField, form_fields};
use crate::forms::{Field, FieldError, FieldKind, field};
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

fn person_choices(people: Vec<Person>) -> Vec<(String, String)> {
    people.into_iter().map(|p| (p.user_id.to_string(), format!("{} ({})", p.name, p.role.label()))).collect()
}

use crate::access::STAFF as STAFF_ROLES;

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
