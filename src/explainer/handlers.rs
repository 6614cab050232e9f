//! The Access page of an incident or a procedure record.
use super::{Answer, Group, Subject, Why};
use crate::access::{Action, Area, Target};
use crate::error::AppError;
use crate::format;
use crate::records::handlers::Described;
use crate::users::User;
use crate::web::page::Page;
use crate::web::respond::html;
use crate::web::session::SignedIn;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use std::collections::HashMap;

/// An answer as the page shows it.
pub struct AnswerView {
    pub action: String,
    /// "allowed" or "refused", also the row's class and data attribute.
    pub answer: &'static str,
    pub rule: &'static str,
    pub text: String,
}

pub struct GroupView {
    pub who: String,
    pub why: String,
    pub people: String,
    pub sees: bool,
    pub hidden_by: String,
    pub answers: Vec<AnswerView>,
}

/// The answer for one chosen person.
pub struct PersonView {
    pub user_id: i32,
    pub name: String,
    pub sees: bool,
    pub hidden_by: String,
    /// "scope" or "rule": what hides it, for the page's readers and its tests.
    pub hidden: &'static str,
    pub answers: Vec<AnswerView>,
}

#[derive(Template)]
#[template(path = "explainer/access.html")]
struct AccessPage {
    page: Page,
    /// Where the record's own page is, and its name.
    record_href: String,
    record_title: String,
    /// The breadcrumb to the record's list.
    list: (&'static str, &'static str),
    groups: Vec<GroupView>,
    people: Vec<(String, String)>,
    person: Option<PersonView>,
    /// A person asked for who does not exist.
    unknown_person: bool,
}

fn answers_view(answers: Vec<Answer>) -> Vec<AnswerView> {
    answers
        .into_iter()
        .map(|answer| {
            let (word, rule) = match answer.decision {
                Ok(rule) => ("allowed", rule),
                Err(rule) => ("refused", rule),
            };
            AnswerView {
                action: capitalised(&answer.action.describe()),
                answer: word,
                rule: rule.name,
                text: rule.text,
            }
        })
        .collect()
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn group_view(group: Group, zone: &str) -> GroupView {
    let role = format!("{}s", group.role.label());
    let (who, why) = match &group.why {
        Why::ProviderStaff => (role, "provider staff see every client's records".to_string()),
        Why::ConfinedToClient(client) => {
            (format!("{role} confined to {client}"), format!("confined to {client}: the incident's client"))
        }
        Why::ClientOfIncident(client) => {
            (format!("{role} of {client}"), format!("client contact of {client}: the incident's client"))
        }
        Why::SupportsComponent(vendor, component) => (
            format!("{role} of {vendor}"),
            format!("vendor contact of {vendor}: {vendor} supports the incident's component, {component}"),
        ),
        Why::EscalatedTo(vendor, at) => (
            format!("{role} of {vendor}"),
            format!(
                "vendor contact of {vendor}: the incident was escalated to {vendor} on {}",
                format::date(*at, zone)
            ),
        ),
        Why::NoIncident => (
            format!("{role} of every client or vendor"),
            "the record is about no incident, so it is for every client's and vendor's contacts".to_string(),
        ),
    };
    let people = match group.people.len() {
        0 => "Nobody at present".to_string(),
        n if n > 12 => format!("{} and {} more", group.people[..12].join(", "), n - 12),
        _ => group.people.join(", "),
    };
    GroupView {
        who,
        why,
        people,
        sees: group.sees.is_ok(),
        hidden_by: group.sees.err().map(|hidden| hidden.text().to_string()).unwrap_or_default(),
        answers: answers_view(group.answers),
    }
}

/// What an Access page can be about: an incident, or a procedure record.
pub trait Explained: 'static {
    /// The list the subject belongs to: its name and address.
    fn list() -> (&'static str, &'static str);

    /// Loads the subject as the viewer sees it (404 outside their scope) and names it.
    fn load(conn: &mut diesel::PgConnection, user: &User, id: i32) -> Result<(Subject, String), AppError>;
}

/// The Access page of an incident.
pub struct Incident;

impl Explained for Incident {
    fn list() -> (&'static str, &'static str) {
        ("Incidents", "/incidents")
    }

    fn load(conn: &mut diesel::PgConnection, user: &User, id: i32) -> Result<(Subject, String), AppError> {
        let incident = crate::incidents::service::load(conn, user, id)?;
        let subject = Subject { area: Area::Incidents, id, resource: None, target: Target::Any, incident_id: Some(id) };
        Ok((subject, format!("incident {id}: {}", incident.title)))
    }
}

impl<R: Described> Explained for R {
    fn list() -> (&'static str, &'static str) {
        (R::resource().plural, R::resource().path)
    }

    fn load(conn: &mut diesel::PgConnection, user: &User, id: i32) -> Result<(Subject, String), AppError> {
        let resource = R::resource();
        let record = crate::records::service::load(conn, user, resource, id)?;
        let subject = Subject {
            area: resource.area,
            id,
            resource: Some(resource),
            target: crate::records::rules::target(resource, &record, Some(id)),
            incident_id: record.reference("incident_id"),
        };
        let title = crate::records::view::record_view(resource, &record, &user.timezone).title;
        Ok((subject, format!("{} {id}: {title}", resource.noun.to_lowercase())))
    }
}

/// The Access page of an incident or a record: who can see it, and why; with `?user=`, for one chosen person.
pub async fn access<S: Explained>(
    SignedIn { state, session, user }: SignedIn,
    id: web::Path<i32>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let (id, list) = (id.into_inner(), S::list());
    let person_id = match query.get("user").map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => None,
        Some(text) => Some(
            text.parse::<i32>()
                .map_err(|_| AppError::BadRequest("Choose the person to check from the list.".into()))?,
        ),
    };
    let viewer = user.clone();
    let (subject, title, groups, people, person) = state
        .db(move |conn| {
            let (subject, title) = S::load(conn, &viewer, id)?;
            viewer.actor().may(Action::ExplainAccess, &subject.target)?;
            let groups = super::groups(conn, &subject)?;
            let people = crate::records::queries::choices(
                conn,
                &crate::records::procedures::USER_REF,
                crate::access::Sight::of(&viewer.actor()),
            )?;
            let person = match person_id {
                Some(person_id) => match crate::users::queries::find(conn, person_id)? {
                    Some(person) => {
                        let actor = person.actor();
                        Some(Some((person, super::sees(conn, &subject, &actor)?, super::answers(&subject, &actor))))
                    }
                    None => Some(None),
                },
                None => None,
            };
            Ok((subject, title, groups, people, person))
        })
        .await?;
    let zone = user.timezone.clone();
    let body = AccessPage {
        page: Page::for_user(&session, &user, format!("Who can see {title}"), list.1),
        record_href: format!("{}/{}", list.1, subject.id),
        record_title: title,
        list,
        groups: groups.into_iter().map(|g| group_view(g, &zone)).collect(),
        people,
        unknown_person: matches!(person, Some(None)),
        person: person.flatten().map(|(person, sees, answers)| PersonView {
            user_id: person.user_id,
            name: format!("{} ({})", person.name, person.role().label()),
            sees: sees.is_ok(),
            hidden: match &sees {
                Ok(()) => "",
                Err(super::Hidden::OutOfScope) => "scope",
                Err(super::Hidden::Rule(_)) => "rule",
            },
            hidden_by: sees.err().map(|hidden| hidden.text().to_string()).unwrap_or_default(),
            answers: answers_view(answers),
        }),
    };
    html(body, StatusCode::OK)
}
