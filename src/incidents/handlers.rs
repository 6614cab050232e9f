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

/// The filtered incident list as CSV, streamed in batches, within the user's scope.
pub async fn export(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let ListQuery { filter, .. } = read_list(&query, &user)?;
    let scope = user.actor().scope();
    let now = state.clock.now();
    crate::web::csv::download(&state.pool, "incidents.csv", move |conn, send| {
        let targets = crate::service_levels::applicable(conn)?;
        queries::export_csv(conn, scope, &filter, queries::Deadlines { now, targets: &targets }, send)
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

/// A sortable column heading: its label, the address that sorts by it, `aria-sort`, and the arrow shown.
struct Heading {
    label: &'static str,
    href: String,
    sorted: &'static str,
    arrow: &'static str,
}

#[derive(Template)]
#[template(path = "incidents/list.html")]
struct ListPage {
    page: Page,
    rows: Vec<Row>,
    search: String,
    checks: Vec<CheckGroup>,
    /// The choice lists: client, assignee, SLA (staff see the first two).
    selects: Vec<FormField>,
    /// Filters on the provider's own records, for staff: (name, label, checked).
    flags: Vec<(&'static str, &'static str, bool)>,
    /// The order the list keeps while its filters change.
    sort: Option<&'static str>,
    clear_href: String,
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
    headings: Vec<Heading>,
    /// This list's address, which "Save this view" keeps.
    view_query: String,
    view_name: String,
    view_error: Option<String>,
    saved_views: Vec<crate::views::SavedView>,
}

impl ListPage {
    fn flags_chosen(&self) -> String {
        let on: Vec<&str> = self.flags.iter().filter(|(_, _, on)| *on).map(|(_, label, _)| *label).collect();
        if on.is_empty() { "None".into() } else { on.join(", ") }
    }
}

/// The headings that sort the list, each with the address that sorts by it: severity and report time toggle
/// between their two directions; status and the SLA deadline sort one way.
fn headings(filter: &ListFilter, order: Order) -> Vec<Heading> {
    let heading = |label, orders: &[(Order, &'static str, &'static str)]| {
        let current = orders.iter().position(|(o, _, _)| *o == order);
        // A click on the sorted column turns it around; on another, it sorts by that column's first direction.
        let next = current.map_or(orders[0].0, |at| orders[(at + 1) % orders.len()].0);
        let (sorted, arrow) = current.map_or(("none", ""), |at| (orders[at].1, orders[at].2));
        Heading { label, href: list::href(filter, next), sorted, arrow }
    };
    vec![
        heading("Severity", &[(Order::Severity, "ascending", "▲"), (Order::SeverityLowFirst, "descending", "▼")]),
        heading("Status", &[(Order::Status, "ascending", "▲")]),
        heading("SLA", &[(Order::SlaDue, "ascending", "▲")]),
        heading("Reported", &[(Order::Newest, "descending", "▼"), (Order::Oldest, "ascending", "▲")]),
    ]
}

/// The SLA filter's field, as the list's select draws it.
static SLA_FIELD: Field = field("sla", "SLA", FieldKind::Choice(SlaState::choices)).optional();

pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    html(list_page(&state, &session, &user, &query, ViewForm::default()).await?, StatusCode::OK)
}

/// The "Save this view" form as typed, and why it was refused.
#[derive(Default)]
struct ViewForm {
    name: String,
    error: Option<String>,
}

/// The list a view was being saved from, again, with the refused name and why (422).
pub async fn list_with_view_error(
    state: &AppState,
    session: &Session,
    user: &User,
    query: &[(String, String)],
    name: String,
    message: String,
    errors: &[FieldError],
) -> Result<HttpResponse, AppError> {
    let page = list_page(state, session, user, query, ViewForm { name, error: Some(message) }).await?;
    unprocessable(page, errors)
}

async fn list_page(
    state: &AppState,
    session: &Session,
    user: &User,
    query: &[(String, String)],
    view: ViewForm,
) -> Result<ListPage, AppError> {
    let ListQuery { filter, order, page: page_number, after } = read_list(query, user)?;
    let page = Position { number: page_number, after };
    let scope = user.actor().scope();
    let staff = user.actor().can(Action::ReadInternal(Area::Incidents), &Target::Any);
    let viewer = Sight::of(&user.actor());
    let now = state.clock.now();
    let (listed, clients, assignees, targets) = {
        let filter = filter.clone();
        state
            .db(move |conn| {
                // The targets the list filters and sorts by are the ones its clocks are drawn from.
                let targets = crate::service_levels::applicable(conn)?;
                let listed =
                    queries::list(conn, scope, &filter, order, page, queries::Deadlines { now, targets: &targets })?;
                // Contacts filter only within what they see; the choice lists name staff and clients for staff only.
                let clients =
                    if staff { crate::records::queries::choices(conn, &CLIENT_REF, viewer)? } else { Vec::new() };
                let assignees =
                    if staff { person_choices(queries::active_people(conn, STAFF_ROLES, None)?) } else { Vec::new() };
                Ok((listed, clients, assignees, targets))
            })
            .await?
    };
    let checks = vec![
        CheckGroup::new("status", "Status", IncidentStatus::choices(), |value| {
            filter.statuses.iter().any(|s| s.as_str() == value)
        }),
        CheckGroup::new("severity", "Severity", Severity::choices(), |value| {
            filter.severities.iter().any(|s| s.as_str() == value)
        }),
    ];
    let mut selects = Vec::new();
    if staff {
        let assignee = match filter.assignee {
            Some(Assignee::Person(id)) => id.to_string(),
            Some(Assignee::Nobody) => "none".into(),
            None => String::new(),
        };
        let mut people = vec![("none".to_string(), "Unassigned".to_string())];
        people.extend(assignees);
        selects.push(select_field("client_id", "Client", filter.client_id.map(|c| c.to_string()), clients));
        selects.push(select_field("assignee", "Assignee", Some(assignee), people));
    }
    let sla = filter.sla.map(|s| s.as_str().to_string());
    selects.extend(form_fields(std::slice::from_ref(&SLA_FIELD), true, &|_| sla.clone(), &|_| Vec::new(), &[]));
    let flags = if staff {
        vec![
            ("escalated", "With an active escalation", filter.escalated),
            ("waiting", "Without a root cause analysis or a workaround", filter.waiting),
        ]
    } else {
        Vec::new()
    };
    let queries::ListPage { rows, more, total } = listed;
    let first = (page_number - 1) * PAGE_SIZE + 1;
    let last = (first + rows.len() as i64 - 1).max(0);
    let link = |page: i64, after: Option<&ListRow>| {
        let mut pairs = list::parameters(&filter, order);
        pairs.push(("page", page.to_string()));
        if let Some(row) = after.filter(|_| order == Order::Newest) {
            pairs.push(("after", format!("{}_{}", row.created_at.to_rfc3339(), row.incident_id)));
        }
        format!("/incidents?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    };
    let next = more.then(|| link(page_number + 1, rows.last()));
    let previous = (page_number > 1).then(|| link(page_number - 1, None));
    let view_query = serde_urlencoded::to_string(list::parameters(&filter, order)).unwrap_or_default();
    let body = ListPage {
        page: Page::for_user(session, user, "Incidents", "/incidents"),
        rows: rows
            .into_iter()
            .map(|r| {
                let target = targets.get(r.client_id, &r.severity);
                row(r, target, &user.timezone, now)
            })
            .collect(),
        search: filter.text.clone().unwrap_or_default(),
        checks,
        selects,
        flags,
        sort: (order != Order::Newest).then(|| order.as_str()),
        clear_href: list::href(&ListFilter::default(), order),
        total,
        first,
        last,
        previous,
        next,
        headings: headings(&filter, order),
        can_report: user.actor().can(Action::Create(Area::Incidents), &Target::Any),
        export_href: list::href(&filter, Order::Newest).replacen("/incidents?", "/incidents.csv?", 1),
        empty_reason: match (list::read(&[], staff).is_ok_and(|unfiltered| unfiltered.filter == filter), staff) {
            (true, true) => "No incident is open, under investigation or in progress.",
            (true, false) => "There are no incidents to show.",
            (false, _) => "No incidents match these filters.",
        }
        .into(),
        view_query,
        view_name: view.name,
        view_error: view.error,
        saved_views: crate::web::session::saved_views(session),
    };
    Ok(body)
}

/// A select of the filter form, with "Any" first.
fn select_field(
    name: &'static str,
    label: &'static str,
    value: Option<String>,
    options: Vec<(String, String)>,
) -> FormField {
    FormField {
        name,
        label,
        hint: None,
        required: false,
        input: crate::forms::view::Input::Select,
        value: value.unwrap_or_default(),
        options,
        error: None,
    }
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
    /// The lifecycle's next steps this user may take, as buttons.
    steps: Vec<Step>,
    /// Whether the user may take the incident (it has nobody on it).
    can_take: bool,
    /// What a refused progress update or resolution note held.
    note: String,
    resolution_note: String,
    errors: Vec<FieldError>,
    /// The incident's entries in the whole audit trail, for those who may read it.
    audit_href: Option<String>,
}

/// A next step of the lifecycle, as a button on the incident page.
struct Step {
    to: IncidentStatus,
    label: &'static str,
}

/// The words of a lifecycle step's button.
fn step_label(from: IncidentStatus, to: IncidentStatus) -> &'static str {
    use IncidentStatus::*;
    match (from, to) {
        (_, Investigating) => "Acknowledge",
        (Resolved, InProgress) => "Reopen",
        (_, InProgress) => "Start work",
        (_, Resolved) => "Resolve",
        (_, Closed) => "Close incident",
        (_, Open) => "Reopen",
    }
}

/// The statuses this user may move the incident to next: the lifecycle's, and closing only for those who close.
fn next_steps(from: IncidentStatus, actor: &crate::access::Actor) -> Vec<IncidentStatus> {
    if !actor.can(Action::Update(Area::Incidents), &Target::Any) {
        return Vec::new();
    }
    rules::next_statuses(from)
        .iter()
        .copied()
        .filter(|to| *to != IncidentStatus::Closed || actor.can(Action::CloseIncident, &Target::Any))
        .collect()
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
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
    /// Whether the panel of actions has anything in it: it is left out otherwise, heading and all.
    fn has_actions(&self) -> bool {
        self.can_update
            || self.can_close
            || self.can_take
            || self.can_escalate
            || self.can_communicate
            || self.can_explain
            || !self.steps.is_empty()
            || !self.procedures.is_empty()
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
        steps: next_steps(incident.status(), &actor)
            .into_iter()
            .map(|to| Step { to, label: step_label(incident.status(), to) })
            .collect(),
        can_take: open && incident.assigned_to_user_id.is_none() && can(Action::Update(Area::Incidents)),
        note: if note.field == "note" { note.text.clone() } else { String::new() },
        resolution_note: if note.field == "resolution_note" { note.text } else { String::new() },
        errors: note.error.into_iter().map(|message| FieldError { field: note.field, message }).collect(),
        audit_href: crate::audit::trail_href(&actor, "incident", incident.incident_id),
        incident,
        context,
    };
    Ok(body)
}

/// A box of the incident page as typed (a progress update, a resolution note), and why it was refused.
#[derive(Default)]
struct Note {
    field: &'static str,
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
    let mut fields = form_fields(which.fields(), true, &typed, &|_| choices.clone(), &input.errors);
    // The status offers where the incident is and where it may go next, nothing the lifecycle would refuse.
    let legal: Vec<IncidentStatus> =
        std::iter::once(incident.status()).chain(next_steps(incident.status(), &user.actor())).collect();
    for field in fields.iter_mut().filter(|f| f.name == "status") {
        field.options.retain(|(value, _)| legal.iter().any(|s| s.as_str() == value));
    }
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

// ---- a communication and its deliveries ----------------------------------------------------------------------

struct DeliveryView {
    recipient: String,
    address: Option<String>,
    status: &'static str,
    attempts: i32,
    sent: Option<String>,
    message_id: Option<String>,
    accepted_as: Option<String>,
    problem: Option<String>,
}

#[derive(Template)]
#[template(path = "incidents/communication.html")]
struct CommunicationPage {
    page: Page,
    incident_id: i32,
    incident_title: String,
    sender: String,
    to: String,
    kind: String,
    method: String,
    status: String,
    sent: Option<String>,
    created: String,
    failure_reason: Option<String>,
    message: Option<String>,
    /// Whether the product delivers it (email, dashboard notification), and where email goes.
    delivered_by_product: bool,
    email: bool,
    mail_destination: String,
    deliveries: Vec<DeliveryView>,
}

/// A delivery's status in words: `sending` is still pending for the reader.
fn delivery_status_label(status: &str) -> &'static str {
    match status {
        "sent" => "Sent",
        "failed" => "Failed",
        "sending" => "Pending (being sent)",
        _ => "Pending",
    }
}

/// A communication about the incident and how each of its deliveries went (staff only).
pub async fn communication(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    path: web::Path<(i32, i32)>,
) -> Result<HttpResponse, AppError> {
    let (incident_id, communication_id) = path.into_inner();
    let viewer = user.clone();
    let (incident, row, deliveries, names) = state
        .db(move |conn| {
            let incident = service::load(conn, &viewer, incident_id)?;
            viewer.actor().may(Action::ReadInternal(Area::Incidents), &Target::Any)?;
            let row = queries::communication(conn, incident_id, communication_id)?.ok_or(AppError::NotFound)?;
            let deliveries = crate::delivery::queries::of_communication(conn, communication_id)?;
            let ids: Vec<i32> = [row.sender_id, row.recipient_id].into_iter().flatten().collect();
            let names: HashMap<i32, String> = queries::names(conn, &ids)?.into_iter().collect();
            Ok((incident, row, deliveries, names))
        })
        .await?;
    let zone = user.timezone.as_str();
    let name = |id: Option<i32>| id.and_then(|id| names.get(&id).cloned());
    let group = row.recipient_type.as_deref().and_then(RecipientType::parse).map(|g| g.label().to_string());
    let to = match (name(row.recipient_id), group) {
        (Some(person), Some(group)) => format!("{person} and {}", group.to_lowercase()),
        (Some(person), None) => person,
        (None, Some(group)) => group,
        (None, None) => "Nobody".into(),
    };
    let method = DeliveryMethod::parse(&row.delivery_method);
    let body = CommunicationPage {
        page: Page::for_user(&session, &user, format!("Communication about incident {incident_id}"), "/incidents"),
        incident_id,
        incident_title: incident.title,
        sender: name(row.sender_id).unwrap_or_else(|| "Incident Desk (automatic notice)".into()),
        to,
        kind: row.communication_type.replace('_', " "),
        method: method.map_or(row.delivery_method.clone(), |m| m.label().to_string()),
        status: DeliveryStatus::parse(&row.delivery_status).map_or(row.delivery_status.clone(), |s| s.label().into()),
        sent: row.sent_at.map(|at| format::datetime(at, zone)),
        created: format::datetime(row.created_at, zone),
        failure_reason: row.failure_reason,
        message: row.message,
        delivered_by_product: method.and_then(crate::delivery::Channel::of).is_some(),
        email: method == Some(DeliveryMethod::Email),
        mail_destination: state.mail_destination.clone(),
        deliveries: deliveries
            .into_iter()
            .map(|d| DeliveryView {
                recipient: d.recipient_name,
                address: d.address,
                status: delivery_status_label(&d.status),
                attempts: d.attempts,
                sent: d.sent_at.map(|at| format::datetime(at, zone)),
                message_id: d.message_id,
                accepted_as: d.accepted_as,
                problem: d.failure_reason.or(d.last_error.filter(|_| d.status != "sent")),
            })
            .collect(),
    };
    html(body, StatusCode::OK)
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

/// The record version a one-button form was shown with; none reads as 0, which no incident has, so the action is
/// refused as a conflict rather than applied blind.
fn version_of(typed: &HashMap<String, String>) -> i32 {
    typed.get("lock_version").and_then(|v| v.trim().parse::<i32>().ok()).unwrap_or_default()
}

/// Moves the incident one step along from its page; a resolution without its note shows the page again with it.
pub async fn move_along(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let incident_id = id.into_inner();
    let (typed, _) = read(form);
    let version = version_of(&typed);
    let to = typed.get("to").and_then(|to| IncidentStatus::parse(to.trim()));
    let text = typed.get("resolution_note").cloned().unwrap_or_default();
    let note = text.clone();
    let done = match to {
        Some(IncidentStatus::Investigating) => "Incident acknowledged.",
        Some(IncidentStatus::InProgress) => "Work on the incident has started.",
        Some(IncidentStatus::Resolved) => "Incident resolved.",
        _ => "Incident status changed.",
    };
    let (clock, actor) = (state.clock.clone(), user.clone());
    let outcome = state
        .db(move |conn| {
            Ok(conn.transaction(|conn| service::move_to(conn, &clock, &actor, incident_id, version, to, &note)))
        })
        .await?;
    match outcome {
        Err(Refusal::Invalid(errors)) if errors.iter().any(|e| e.field == "resolution_note") => {
            let error = errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ");
            let note = Note { field: "resolution_note", text, error: Some(error) };
            unprocessable(detail_page(&state, &session, &user, incident_id, note).await?, &errors)
        }
        other => after_action(&session, other.map(|_| ()), done, &format!("/incidents/{incident_id}")),
    }
}

/// A one-button change of the incident, made to the version its page showed.
type VersionedChange =
    fn(&mut diesel::PgConnection, &crate::clock::Clock, &User, i32, i32) -> Result<Incident, Refusal>;

async fn change_shown_version(
    state: web::Data<AppState>,
    session: Session,
    user: User,
    (id, form): (web::Path<i32>, Form),
    done: &str,
    change: VersionedChange,
) -> Result<HttpResponse, AppError> {
    let incident_id = id.into_inner();
    let version = version_of(&read(form).0);
    act(&state, &session, &user, incident_id, done, move |conn, clock, user| {
        change(conn, clock, user, incident_id, version).map(|_| ())
    })
    .await
}

/// Assigns the incident to the one who takes it.
pub async fn take(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let done = "You have taken the incident; it is assigned to you.";
    change_shown_version(state, session, user, (id, form), done, service::take).await
}

pub async fn close(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    change_shown_version(state, session, user, (id, form), "Incident closed.", service::close).await
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
            let note = Note { field: "note", text, error: Some(error) };
            let page = detail_page(&state, &session, &user, incident_id, note).await?;
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
