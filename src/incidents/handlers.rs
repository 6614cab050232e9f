//! Incident pages.
use super::queries::{self, ListFilter, ListRow, Order, PAGE_SIZE, Person, Position};
use super::rules::{self, CONDITIONS, Condition};
use super::service::{self, COMPONENT_REF, Refusal};
use super::sla_clock::{Clock, SlaClocks};
use super::timeline::{self, Entry};
use super::{Incident, categories};
use crate::access::{Action, Area, Rows, Sight, Target};
use crate::domain::enums::*;
use crate::error::AppError;
use crate::forms::view::{FormField, form_fields};
use crate::forms::{self, Field, FieldError, FieldKind, RefTable, Values, field};
use crate::records::resources::CLIENT_REF;
use crate::users::User;
use crate::web::page::Page;
use crate::web::respond::{after_action, conflict, html, see_other, unprocessable};
use crate::web::session::{self, CurrentUser};
use crate::web::{AppState, format};
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

static REPORT_FIELDS: &[Field] = &[
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

static EDIT_FIELDS: &[Field] = &[
    field("status", "Status", FieldKind::Choice(IncidentStatus::choices))
        .hint("Open → investigating → in progress → resolved → closed; a resolved incident may be reopened"),
    field("severity", "Severity", FieldKind::Choice(Severity::choices)),
    field("impact_level", "Impact", FieldKind::Choice(Level::choices)),
    field("urgency_level", "Urgency", FieldKind::Choice(Level::choices)),
    field("assigned_to_user_id", "Assigned to", FieldKind::Reference(&USER_REF)).optional(),
];

static ESCALATION_FIELDS: &[Field] = &[
    field("escalation_level", "Level", FieldKind::Choice(EscalationLevel::choices))
        .missing("Choose the escalation level.")
        .hint(
            "Management: an incident manager or executive. Technical: technical support or a system administrator. \
         Executive: an executive. Vendor: a contact of the vendor that supports the component",
        ),
    field("escalated_to_user", "Escalate to", FieldKind::Reference(&USER_REF)).missing("Choose who to escalate to."),
    field("reason", "Reason", FieldKind::Text).optional().hint("e.g. customer impact, technical complexity"),
];

static COMMUNICATION_FIELDS: &[Field] = &[
    field("recipient_id", "Recipient", FieldKind::Reference(&USER_REF))
        .optional()
        .hint("A person, or choose a group below"),
    field("recipient_type", "Recipient group", FieldKind::Choice(RecipientType::choices)).optional(),
    field("communication_type", "Type", FieldKind::Choice(communication_types))
        .missing("Choose the type of communication."),
    field("delivery_method", "Delivery method", FieldKind::Choice(DeliveryMethod::choices)),
    field("delivery_status", "Delivery status", FieldKind::Choice(DeliveryStatus::choices)).default("pending"),
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

/// Reads the list's filters from the address: the same for the page and its CSV export.
/// Reads the list's order and page (with the keyset cursor of the default order); bad values are a clear 400.
fn read_order(query: &HashMap<String, String>, number: i64) -> Result<(Order, Position), AppError> {
    let order = match query.get("sort").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Order::Newest,
        Some(text) => Order::parse(text).ok_or_else(|| {
            AppError::BadRequest(format!("The list cannot be sorted by \"{text}\"; use the column headings."))
        })?,
    };
    let after = match query.get("after").map(|a| a.trim()).filter(|a| !a.is_empty()) {
        None => None,
        Some(text) => Some(
            text.split_once('_').and_then(|(at, id)| Some((format::parse(at)?, id.parse::<i32>().ok()?))).ok_or_else(
                || {
                    AppError::BadRequest(
                        "The page address is not one this list made; go back to the first page.".into(),
                    )
                },
            )?,
        ),
    };
    Ok((order, Position { number, after }))
}

fn read_filter(query: &HashMap<String, String>, user: &User) -> Result<(ListFilter, Values, i64), AppError> {
    let (values, errors) = forms::parse(FILTER_FIELDS, query, true);
    if let Some(error) = errors.first() {
        return Err(AppError::BadRequest(format!("{} Change the filter and try again.", error.message)));
    }
    let page =
        match query.get("page").map(|p| p.trim()).filter(|p| !p.is_empty()) {
            None => 1,
            Some(text) => text.parse::<i64>().ok().filter(|p| (1..=1_000_000).contains(p)).ok_or_else(|| {
                AppError::BadRequest(format!("The page number \"{text}\" is not a whole number from 1."))
            })?,
        };
    let get = |name: &str| values.get(name).cloned().flatten();
    let filter = ListFilter {
        status: get("status"),
        severity: get("severity"),
        client_id: get("client_id").and_then(|v| v.parse().ok()),
        assignee: get("assignee").and_then(|v| v.parse().ok()),
        text: get("q"),
        search_messages: user.actor().can(Action::ReadInternal(Area::Incidents), &Target::Any),
    };
    Ok((filter, values, page))
}

/// The filtered incident list as CSV, streamed in batches, within the user's scope.
pub async fn export(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let (filter, _, _) = read_filter(&query, &user)?;
    let scope = user.actor().scope();
    crate::web::csv::download(&state.pool, "incidents.csv", move |conn, send| {
        queries::export_csv(conn, scope, &filter, send)
    })
    .await
}

// ---- list ------------------------------------------------------------------------------------------------

struct Row {
    id: i32,
    title: String,
    severity: Severity,
    status: IncidentStatus,
    client: String,
    assignee: String,
    created: String,
    /// The SLA clock that matters most now, or why there is none.
    clock: ClockView,
}

/// An SLA clock as pages show it: words, and a class that only adds colour.
pub struct ClockView {
    pub text: String,
    pub class: &'static str,
}

impl ClockView {
    fn none() -> Self {
        ClockView { text: "No applicable SLA".into(), class: "none" }
    }

    fn of(clock: &Clock) -> Self {
        ClockView { text: clock.describe(), class: clock.class() }
    }
}

/// The clocks of an incident against its client's approved SLA, if one applies.
pub fn clocks(
    target: Option<(i32, i32)>,
    detected: chrono::DateTime<chrono::Utc>,
    acknowledged: Option<chrono::DateTime<chrono::Utc>>,
    resolved: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<SlaClocks> {
    target.map(|(response, resolution)| SlaClocks::of(detected, acknowledged, resolved, response, resolution, now))
}

#[derive(Template)]
#[template(path = "incidents/list.html")]
struct ListPage {
    page: Page,
    rows: Vec<Row>,
    filters: Vec<FormField>,
    /// How many incidents the list holds, when known (a text search's matches are counted only on its last page).
    total: Option<i64>,
    first: i64,
    last: i64,
    previous: Option<String>,
    next: Option<String>,
    can_report: bool,
    empty_reason: String,
    /// The CSV of exactly this filtered list.
    export_href: String,
    /// Sortable headings: label, address, and `aria-sort`.
    headings: Vec<(&'static str, String, &'static str)>,
}

static FILTER_FIELDS: &[Field] = &[
    field("q", "Search", FieldKind::Text).optional().hint("Words in titles and communications"),
    field("status", "Status", FieldKind::Choice(IncidentStatus::choices)).optional(),
    field("severity", "Severity", FieldKind::Choice(Severity::choices)).optional(),
    field("client_id", "Client", FieldKind::Reference(&CLIENT_REF)).optional(),
    field("assignee", "Assignee", FieldKind::Reference(&USER_REF)).optional(),
];

pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let (filter, values, page_number) = read_filter(&query, &user)?;
    let (order, page) = read_order(&query, page_number)?;
    let scope = user.actor().scope();
    let staff = user.actor().can(Action::ReadInternal(Area::Incidents), &Target::Any);
    let viewer = Sight::of(&user.actor());
    let (listed, clients, assignees, targets) = state
        .db(move |conn| {
            let listed = queries::list(conn, scope, &filter, order, page)?;
            let clients: Vec<i32> = listed.rows.iter().map(|r| r.client_id).collect();
            let targets = crate::service_levels::targets_for(conn, &clients)?;
            // Contacts filter only within what they see; the choice lists name staff and clients for staff only.
            let clients = if staff { crate::records::queries::choices(conn, &CLIENT_REF, viewer)? } else { Vec::new() };
            let assignees =
                if staff { person_choices(queries::active_people(conn, STAFF_ROLES, None)?) } else { Vec::new() };
            Ok((listed, clients, assignees, targets))
        })
        .await?;
    let typed = |name: &str| values.get(name).cloned().flatten();
    let references = |name: &str| match name {
        "client_id" => clients.clone(),
        "assignee" => assignees.clone(),
        _ => Vec::new(),
    };
    let filters = form_fields(FILTER_FIELDS, true, &typed, &references, &[])
        .into_iter()
        .filter(|f| staff || !matches!(f.name, "client_id" | "assignee"))
        .collect();
    let queries::ListPage { rows, more, total } = listed;
    let first = (page_number - 1) * PAGE_SIZE + 1;
    let last = (first + rows.len() as i64 - 1).max(0);
    let link = |order: Order, page: i64, after: Option<&ListRow>| {
        let mut pairs: Vec<(&str, String)> = values.iter().filter_map(|(k, v)| Some((*k, v.clone()?))).collect();
        if order != Order::Newest {
            pairs.push(("sort", order.as_str().to_string()));
        }
        pairs.push(("page", page.to_string()));
        if let Some(row) = after.filter(|_| order == Order::Newest) {
            pairs.push(("after", format!("{}_{}", row.created_at.to_rfc3339(), row.incident_id)));
        }
        format!("/incidents?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    };
    let next = more.then(|| link(order, page_number + 1, rows.last()));
    let previous = (page_number > 1).then(|| link(order, page_number - 1, None));
    // Severity and status sort one way; the report time toggles between newest and oldest first.
    let reported = if order == Order::Oldest {
        (Order::Newest, "ascending")
    } else {
        (Order::Oldest, if order == Order::Newest { "descending" } else { "none" })
    };
    let by = |column: Order| (column, if order == column { "ascending" } else { "none" });
    let headings = [("Severity", by(Order::Severity)), ("Status", by(Order::Status)), ("Reported", reported)]
        .map(|(label, (target, sorted))| (label, link(target, 1, None), sorted));
    let filtered = values.values().any(Option::is_some);
    let filters_only: Vec<(&str, String)> = values.iter().filter_map(|(k, v)| Some((*k, v.clone()?))).collect();
    let export_href = format!("/incidents.csv?{}", serde_urlencoded::to_string(&filters_only).unwrap_or_default());
    let body = ListPage {
        page: Page::for_user(&session, &user, "Incidents", "/incidents"),
        rows: rows
            .into_iter()
            .map(|r| {
                let target = targets.get(&(r.client_id, r.severity.clone())).copied();
                row(r, target, &user.timezone, state.clock.now())
            })
            .collect(),
        filters,
        total,
        first,
        last,
        previous,
        next,
        headings: headings.to_vec(),
        can_report: user.actor().can(Action::Create(Area::Incidents), &Target::Any),
        export_href,
        empty_reason: if filtered {
            "No incidents match these filters.".into()
        } else {
            "There are no incidents to show.".into()
        },
    };
    html(body, StatusCode::OK)
}

fn row(r: ListRow, target: Option<(i32, i32)>, zone: &str, now: chrono::DateTime<chrono::Utc>) -> Row {
    let clock = clocks(target, r.detection_timestamp, r.acknowledged_at, r.resolution_timestamp, now)
        .map_or_else(ClockView::none, |c| ClockView::of(c.headline()));
    Row {
        clock,
        id: r.incident_id,
        title: r.title,
        severity: Severity::parse(&r.severity).unwrap_or(Severity::P4),
        status: IncidentStatus::parse(&r.status).unwrap_or(IncidentStatus::Open),
        client: r.client_name,
        assignee: r.assignee.unwrap_or_else(|| "Unassigned".into()),
        created: format::datetime(r.created_at, zone),
    }
}

// ---- report ----------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "incidents/report.html")]
struct ReportPage {
    page: Page,
    fields: Vec<FormField>,
    conditions: &'static [Condition],
    checked: Vec<String>,
    proposal: Option<String>,
    similar: Vec<(i32, String)>,
    errors: Vec<FieldError>,
}

impl ReportPage {
    fn is_checked(&self, name: &str) -> bool {
        self.checked.iter().any(|c| c == name)
    }
}

struct ReportForm {
    typed: HashMap<String, String>,
    checked: Vec<String>,
    proposal: Option<String>,
    errors: Vec<FieldError>,
    similar: Vec<(i32, String)>,
}

async fn report_page(
    state: &AppState,
    session: &Session,
    user: &User,
    form: ReportForm,
) -> Result<ReportPage, AppError> {
    let sight = Sight::of(&user.actor());
    // Whoever may change incidents may assign one as they report it.
    let staff = user.actor().can(Action::Update(Area::Incidents), &Target::Any);
    let (clients, components, assignees) = state
        .db(move |conn| {
            // Vendor contacts report for the clients their vendor works for, on their vendor's components; client
            // contacts for their own client, on the components of its subscriptions.
            let clients = crate::records::queries::choices(conn, &CLIENT_REF, sight)?;
            let components = crate::records::queries::choices(conn, &COMPONENT_REF, sight)?;
            let assignees =
                if staff { person_choices(queries::active_people(conn, STAFF_ROLES, None)?) } else { Vec::new() };
            Ok((clients, components, assignees))
        })
        .await?;
    let typed = |name: &str| form.typed.get(name).cloned();
    let references = |name: &str| match name {
        "client_id" => clients.clone(),
        "component_id" => components.clone(),
        "assigned_to_user_id" => assignees.clone(),
        _ => Vec::new(),
    };
    let fields = form_fields(REPORT_FIELDS, true, &typed, &references, &form.errors)
        .into_iter()
        .filter(|f| staff || f.name != "assigned_to_user_id")
        .collect();
    Ok(ReportPage {
        page: Page::for_user(session, user, "Report an incident", "/incidents"),
        fields,
        conditions: CONDITIONS,
        checked: form.checked,
        proposal: form.proposal,
        similar: form.similar,
        errors: form.errors,
    })
}

pub async fn new(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
) -> Result<HttpResponse, AppError> {
    user.actor().may(Action::Create(Area::Incidents), &Target::Any)?;
    let now = format::local_input(state.clock.now(), &user.timezone);
    let mut typed = HashMap::from([("detection_timestamp".to_string(), now)]);
    if let Some(client) = user.client_id.filter(|_| user.role() == Role::ClientContact) {
        typed.insert("client_id".into(), client.to_string());
    }
    let form = ReportForm { typed, checked: Vec::new(), proposal: None, errors: Vec::new(), similar: Vec::new() };
    html(report_page(&state, &session, &user, form).await?, StatusCode::OK)
}

pub async fn create(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    form: Form,
) -> Result<HttpResponse, AppError> {
    user.actor().may(Action::Create(Area::Incidents), &Target::Any)?;
    let (mut typed, checked) = read(form);
    if typed.get("action").map(String::as_str) == Some("classify") {
        let names: Vec<&str> = checked.iter().map(String::as_str).collect();
        let (severity, decided) = rules::classify(&names);
        let reason = decided.map_or("none of the conditions applies".to_string(), |c| format!("“{}” applies", c.text));
        typed.insert("severity".into(), severity.as_str().into());
        let proposal =
            Some(format!("Proposed severity: {} — because {reason}. You may still choose another.", severity.label()));
        let form = ReportForm { typed, checked, proposal, errors: Vec::new(), similar: Vec::new() };
        return html(report_page(&state, &session, &user, form).await?, StatusCode::OK);
    }
    let (values, errors) = forms::parse(REPORT_FIELDS, &typed, true);
    let confirmed = typed.get("confirm_duplicate").map(String::as_str) == Some("yes");
    let outcome = if errors.is_empty() {
        let (actor, clock, values) = (user.clone(), state.clock.clone(), values.clone());
        state
            .db(move |conn| Ok(conn.transaction(|conn| service::report(conn, &clock, &actor, &values, confirmed))))
            .await?
    } else {
        Err(Refusal::Invalid(errors))
    };
    match outcome {
        Ok(incident) => {
            session::flash(&session, format!("Incident {} was reported.", incident.incident_id));
            Ok(see_other(&format!("/incidents/{}", incident.incident_id)))
        }
        Err(Refusal::Invalid(errors)) => {
            let similar = if errors.iter().any(|e| e.field == "confirm_duplicate") {
                let (client, component, now) =
                    (id_of(&values, "client_id"), id_of(&values, "component_id"), state.clock.now());
                state.db(move |conn| Ok(queries::similar_open(conn, client, component, now)?)).await?
            } else {
                Vec::new()
            };
            let refusal = errors.clone();
            let form = ReportForm { typed, checked, proposal: None, errors, similar };
            unprocessable(report_page(&state, &session, &user, form).await?, &refusal)
        }
        Err(other) => Err(other.into()),
    }
}

fn id_of(values: &Values, name: &str) -> i32 {
    values.get(name).cloned().flatten().and_then(|v| v.parse().ok()).unwrap_or_default()
}

// ---- the incident page -----------------------------------------------------------------------------------

struct EscalationView {
    id: i32,
    level: String,
    target: String,
}

#[derive(Template)]
#[template(path = "incidents/detail.html")]
struct DetailPage {
    page: Page,
    incident: Incident,
    context: queries::Context,
    reporter: String,
    assignee: String,
    detected: String,
    created: String,
    acknowledged: Option<String>,
    resolved: Option<String>,
    closed: Option<String>,
    timeline: Vec<(Entry, String)>,
    active_escalations: Vec<EscalationView>,
    can_update: bool,
    can_close: bool,
    can_progress: bool,
    can_escalate: bool,
    can_communicate: bool,
    /// Whether the user may see who can see this incident, and why.
    can_explain: bool,
    /// The response and resolution clocks, when an approved SLA applies.
    sla: Option<(ClockView, ClockView)>,
    /// The procedures this user may start from the incident: (label, address).
    procedures: Vec<(String, String)>,
    note: String,
    errors: Vec<FieldError>,
}

impl DetailPage {
    fn severity(&self) -> Severity {
        self.incident.severity()
    }
    fn status(&self) -> IncidentStatus {
        self.incident.status()
    }
    fn label(&self, value: &str) -> String {
        Level::parse(value).map_or(value.to_string(), |l| l.label().to_string())
    }
}

/// The incident page; `note` carries a refused progress update back to its box.
async fn detail_page(
    state: &AppState,
    session: &Session,
    user: &User,
    incident_id: i32,
    note: Note,
) -> Result<DetailPage, AppError> {
    let viewer = user.clone();
    let (incident, context, names, timeline, escalations, target) = state
        .db(move |conn| {
            let incident = service::load(conn, &viewer, incident_id)?;
            let context = queries::context(conn, &incident)?;
            let ids: Vec<i32> =
                [Some(incident.reporter_user_id), incident.assigned_to_user_id].into_iter().flatten().collect();
            let names: HashMap<i32, String> = queries::names(conn, &ids)?.into_iter().collect();
            let timeline = timeline::load(conn, &incident, &viewer)?;
            let escalations = queries::active_escalations(conn, incident_id)?;
            let target = crate::service_levels::target(conn, incident.client_id, &incident.severity)?;
            Ok((incident, context, names, timeline, escalations, target))
        })
        .await?;
    let zone = user.timezone.as_str();
    let actor = user.actor();
    let can = |action| actor.can(action, &Target::Any);
    let open = incident.status() != IncidentStatus::Closed;
    let now = state.clock.now();
    let body = DetailPage {
        page: Page::for_user(
            session,
            user,
            format!("Incident {}: {}", incident.incident_id, incident.title),
            "/incidents",
        ),
        reporter: names.get(&incident.reporter_user_id).cloned().unwrap_or_default(),
        assignee: incident
            .assigned_to_user_id
            .and_then(|id| names.get(&id).cloned())
            .unwrap_or_else(|| "Unassigned".into()),
        detected: format::datetime(incident.detection_timestamp, zone),
        created: format::datetime(incident.created_at, zone),
        acknowledged: incident.acknowledged_at.map(|at| format::datetime(at, zone)),
        resolved: incident.resolution_timestamp.map(|at| format::datetime(at, zone)),
        closed: incident.closed_at.map(|at| format::datetime(at, zone)),
        timeline: timeline
            .into_iter()
            .map(|e| {
                let when = format!("{} ({})", format::datetime(e.at, zone), format::ago(e.at, now));
                (e, when)
            })
            .collect(),
        active_escalations: escalations
            .into_iter()
            .map(|(id, level, target)| EscalationView {
                id,
                level: EscalationLevel::parse(&level).map_or(level, |l| l.label().to_string()),
                target,
            })
            .collect(),
        can_update: open && can(Action::Update(Area::Incidents)),
        can_close: incident.status() == IncidentStatus::Resolved && can(Action::CloseIncident),
        can_progress: open && can(Action::PostProgress),
        can_escalate: open && can(Action::Escalate),
        can_communicate: can(Action::Communicate),
        can_explain: can(Action::ExplainAccess),
        procedures: procedure_links(&incident, &actor),
        sla: clocks(
            target.map(|t| (t.response_time_minutes, t.resolution_time_hours)),
            incident.detection_timestamp,
            incident.acknowledged_at,
            incident.resolution_timestamp,
            now,
        )
        .map(|c| (ClockView::of(&c.response), ClockView::of(&c.resolution))),
        note: note.text,
        errors: note.error.into_iter().map(|message| FieldError { field: "note", message }).collect(),
        incident,
        context,
    };
    Ok(body)
}

/// A progress update as typed, and why it was refused.
#[derive(Default)]
struct Note {
    text: String,
    error: Option<String>,
}

pub async fn detail(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    html(detail_page(&state, &session, &user, id.into_inner(), Note::default()).await?, StatusCode::OK)
}

// ---- forms on an incident: edit, escalate, communicate ------------------------------------------------------

#[derive(Template)]
#[template(path = "incidents/form.html")]
struct IncidentFormPage {
    page: Page,
    incident_id: i32,
    title: String,
    heading: String,
    action: String,
    fields: Vec<FormField>,
    errors: Vec<FieldError>,
    lock_version: Option<i32>,
    current: Option<Vec<(&'static str, String)>>,
    cancel: String,
}

/// Which of the incident's forms, with its fields and the choices its references offer.
#[derive(Clone, Copy)]
enum IncidentForm {
    Edit,
    Escalate,
    Communicate,
}

impl IncidentForm {
    fn fields(self) -> &'static [Field] {
        match self {
            IncidentForm::Edit => EDIT_FIELDS,
            IncidentForm::Escalate => ESCALATION_FIELDS,
            IncidentForm::Communicate => COMMUNICATION_FIELDS,
        }
    }

    fn action(self) -> Action {
        match self {
            IncidentForm::Edit => Action::Update(Area::Incidents),
            IncidentForm::Escalate => Action::Escalate,
            IncidentForm::Communicate => Action::Communicate,
        }
    }

    fn heading(self) -> &'static str {
        match self {
            IncidentForm::Edit => "Update",
            IncidentForm::Escalate => "Escalate",
            IncidentForm::Communicate => "Record a communication about",
        }
    }

    fn path(self, incident_id: i32) -> String {
        match self {
            IncidentForm::Edit => format!("/incidents/{incident_id}"),
            IncidentForm::Escalate => format!("/incidents/{incident_id}/escalations"),
            IncidentForm::Communicate => format!("/incidents/{incident_id}/communications"),
        }
    }

    fn people(self, conn: &mut diesel::PgConnection, incident: &Incident) -> Result<Vec<Person>, AppError> {
        Ok(match self {
            IncidentForm::Edit => queries::active_people(conn, STAFF_ROLES, None)?,
            IncidentForm::Escalate => {
                let mut people = queries::active_people(
                    conn,
                    &["incident_manager", "executive", "technical_support", "system_administrator"],
                    None,
                )?;
                if let Some(vendor) = queries::supporting_vendor(conn, incident.component_id)? {
                    people.extend(queries::active_people(conn, &["vendor_contact"], Some(vendor))?);
                }
                people
            }
            IncidentForm::Communicate => {
                let mut people = queries::client_contacts(conn, incident.client_id)?;
                people.extend(queries::active_people(conn, STAFF_ROLES, None)?);
                if let Some(vendor) = queries::supporting_vendor(conn, incident.component_id)? {
                    people.extend(queries::active_people(conn, &["vendor_contact"], Some(vendor))?);
                }
                people
            }
        })
    }
}

struct FormInput {
    typed: HashMap<String, String>,
    errors: Vec<FieldError>,
    lock_version: Option<i32>,
    current: Option<Incident>,
}

async fn incident_form(
    state: &AppState,
    session: &Session,
    user: &User,
    which: IncidentForm,
    incident_id: i32,
    input: Option<FormInput>,
) -> Result<IncidentFormPage, AppError> {
    let viewer = user.clone();
    let (incident, people) = state
        .db(move |conn| {
            // Out of scope is 404 before any role check can say the incident exists.
            let incident = service::load(conn, &viewer, incident_id)?;
            viewer.actor().may(which.action(), &Target::Any)?;
            let people = which.people(conn, &incident)?;
            Ok((incident, people))
        })
        .await?;
    let input = input.unwrap_or_else(|| FormInput {
        typed: match which {
            IncidentForm::Edit => edit_values(&incident),
            _ => which.fields().iter().filter_map(|f| Some((f.name.to_string(), f.default?.to_string()))).collect(),
        },
        errors: Vec::new(),
        lock_version: matches!(which, IncidentForm::Edit).then_some(incident.lock_version),
        current: None,
    });
    let choices = person_choices(people);
    let typed = |name: &str| input.typed.get(name).cloned();
    let fields = form_fields(which.fields(), true, &typed, &|_| choices.clone(), &input.errors);
    let heading = format!("{} incident {}", which.heading(), incident.incident_id);
    Ok(IncidentFormPage {
        page: Page::for_user(session, user, heading.clone(), "/incidents"),
        incident_id: incident.incident_id,
        title: incident.title.clone(),
        heading,
        action: which.path(incident_id),
        cancel: format!("/incidents/{incident_id}"),
        fields,
        errors: input.errors,
        lock_version: input.lock_version,
        current: input.current.map(|c| {
            let values = edit_values(&c);
            EDIT_FIELDS.iter().map(|f| (f.label, values.get(f.name).cloned().unwrap_or_else(|| "—".into()))).collect()
        }),
    })
}

fn edit_values(incident: &Incident) -> HashMap<String, String> {
    let mut values = HashMap::from([
        ("status".to_string(), incident.status.clone()),
        ("severity".to_string(), incident.severity.clone()),
        ("impact_level".to_string(), incident.impact_level.clone()),
        ("urgency_level".to_string(), incident.urgency_level.clone()),
    ]);
    if let Some(assignee) = incident.assigned_to_user_id {
        values.insert("assigned_to_user_id".into(), assignee.to_string());
    }
    values
}

async fn show(
    state: web::Data<AppState>,
    session: Session,
    user: User,
    which: IncidentForm,
    incident_id: i32,
) -> Result<HttpResponse, AppError> {
    html(incident_form(&state, &session, &user, which, incident_id, None).await?, StatusCode::OK)
}

pub async fn edit(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    show(state, session, user, IncidentForm::Edit, id.into_inner()).await
}

pub async fn escalation_form(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    show(state, session, user, IncidentForm::Escalate, id.into_inner()).await
}

pub async fn communication_form(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    show(state, session, user, IncidentForm::Communicate, id.into_inner()).await
}

/// Submits one of the incident's forms; refusals show the form again with what was typed.
async fn submit(
    state: web::Data<AppState>,
    session: Session,
    user: User,
    which: IncidentForm,
    incident_id: i32,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let (typed, _) = read(form);
    let lock_version = typed.get("lock_version").and_then(|v| v.trim().parse::<i32>().ok());
    let (values, errors) = forms::parse(which.fields(), &typed, true);
    let outcome = if !errors.is_empty() {
        Err(Refusal::Invalid(errors))
    } else {
        let (actor, clock) = (user.clone(), state.clock.clone());
        state
            .db(move |conn| {
                Ok(conn.transaction(|conn| match which {
                    IncidentForm::Edit => {
                        let version = lock_version.ok_or_else(|| {
                            Refusal::field(
                                "lock_version",
                                "The form has no record version; reload the page and try again.",
                            )
                        })?;
                        service::update(conn, &clock, &actor, incident_id, version, &values)
                            .map(|_| "Incident updated.".to_string())
                    }
                    IncidentForm::Escalate => service::escalate(conn, &clock, &actor, incident_id, &values)
                        .map(|_| "Incident escalated.".to_string()),
                    IncidentForm::Communicate => service::communicate(conn, &clock, &actor, incident_id, &values)
                        .map(|_| "Communication recorded.".to_string()),
                }))
            })
            .await?
    };
    match outcome {
        Ok(message) => {
            session::flash(&session, message);
            Ok(see_other(&format!("/incidents/{incident_id}")))
        }
        Err(Refusal::Invalid(errors)) => {
            let refusal = errors.clone();
            let input = FormInput { typed, errors, lock_version, current: None };
            unprocessable(incident_form(&state, &session, &user, which, incident_id, Some(input)).await?, &refusal)
        }
        Err(Refusal::Conflict(current)) => {
            let errors = vec![FieldError {
                field: "current",
                message: "Someone else changed this incident while you were editing it. Its current values are shown below; your changes are kept in the form. Save again to apply them.".into(),
            }];
            let input = FormInput { typed, errors, lock_version: Some(current.lock_version), current: Some(*current) };
            let page = incident_form(&state, &session, &user, which, incident_id, Some(input)).await?;
            conflict(page)
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn update(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    submit(state, session, user, IncidentForm::Edit, id.into_inner(), form).await
}

pub async fn escalate(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    submit(state, session, user, IncidentForm::Escalate, id.into_inner(), form).await
}

pub async fn communicate(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    submit(state, session, user, IncidentForm::Communicate, id.into_inner(), form).await
}

// ---- one-button actions: close, progress, end an escalation --------------------------------------------------

/// Runs an action from the incident page and returns to it with a flash, or with the refusal's page.
async fn act(
    state: &AppState,
    session: &Session,
    user: &User,
    incident_id: i32,
    done: &str,
    work: impl FnOnce(&mut diesel::PgConnection, &crate::clock::Clock, &User) -> Result<(), Refusal> + Send + 'static,
) -> Result<HttpResponse, AppError> {
    let (clock, actor) = (state.clock.clone(), user.clone());
    let outcome = state.db(move |conn| Ok(conn.transaction(|conn| work(conn, &clock, &actor)))).await?;
    after_action(session, outcome, done, &format!("/incidents/{incident_id}"))
}

pub async fn close(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let incident_id = id.into_inner();
    let (typed, _) = read(form);
    let version = typed.get("lock_version").and_then(|v| v.trim().parse::<i32>().ok()).unwrap_or_default();
    act(&state, &session, &user, incident_id, "Incident closed.", move |conn, clock, user| {
        service::close(conn, clock, user, incident_id, version).map(|_| ())
    })
    .await
}

pub async fn progress(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let incident_id = id.into_inner();
    let (typed, _) = read(form);
    let text = typed.get("note").cloned().unwrap_or_default();
    let note = text.clone();
    match act(&state, &session, &user, incident_id, "Progress update posted.", move |conn, clock, user| {
        service::post_progress(conn, clock, user, incident_id, &note).map(|_| ())
    })
    .await
    {
        Err(AppError::Unprocessable(error)) => {
            let refusal = [FieldError { field: "note", message: error.clone() }];
            let page = detail_page(&state, &session, &user, incident_id, Note { text, error: Some(error) }).await?;
            unprocessable(page, &refusal)
        }
        other => other,
    }
}

async fn end_escalation(
    state: web::Data<AppState>,
    session: Session,
    user: User,
    path: (i32, i32),
    resolve: bool,
) -> Result<HttpResponse, AppError> {
    let (incident_id, escalation_id) = path;
    let done = if resolve { "Escalation resolved." } else { "Escalation cancelled." };
    act(&state, &session, &user, incident_id, done, move |conn, clock, user| {
        service::end_escalation(conn, clock, user, incident_id, escalation_id, resolve)
    })
    .await
}

pub async fn resolve_escalation(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    path: web::Path<(i32, i32)>,
) -> Result<HttpResponse, AppError> {
    end_escalation(state, session, user, path.into_inner(), true).await
}

pub async fn cancel_escalation(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    path: web::Path<(i32, i32)>,
) -> Result<HttpResponse, AppError> {
    end_escalation(state, session, user, path.into_inner(), false).await
}

/// Links to the procedures the user may start on this incident; metrics and reviews wait for its closing.
fn procedure_links(incident: &Incident, actor: &crate::access::Actor) -> Vec<(String, String)> {
    use crate::records::procedures::*;
    let closed = incident.status() == IncidentStatus::Closed;
    [
        (&PROBLEM_TICKETS, "Raise a problem ticket", true),
        (&WORK_ORDERS, "Create a work order", true),
        (&WORKAROUNDS, "Record a workaround", !closed),
        (&ANALYSES, "Conduct a root cause analysis", true),
        (&CHANGES, "Request a change", true),
        (&METRICS, "Record a performance metric", closed),
        (&REPORTS, "Generate a report", true),
        (&ARTICLES, "Write a knowledge base article", true),
        (&REVIEWS, "Schedule a post-incident review", closed),
    ]
    .into_iter()
    .filter(|(resource, _, applies)| *applies && actor.can(Action::Create(resource.area), &Target::Any))
    .map(|(resource, label, _)| {
        (label.to_string(), format!("{}/new?incident_id={}", resource.path, incident.incident_id))
    })
    .collect()
}
