//! The incident list, its saved views and its CSV export.
use super::*;
use crate::web::session::SignedIn;

/// The filtered incident list as CSV, streamed in batches, within the user's scope.
pub async fn export(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let ListQuery { filter, .. } = read_list(&query, &user)?;
    let scope = user.actor().scope();
    let now = state.clock.now();
    crate::web::csv::download(&state, "incidents.csv", move |conn, send| {
        let targets = crate::service_levels::applicable(conn)?;
        queries::export_csv(conn, scope, &filter, queries::Deadlines { now, targets: &targets }, send)
    })
    .await
}

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
    /// The forecast's 80th percentile and whether it is likely to breach, while it is open.
    forecast: Option<(String, bool)>,
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
    /// Whether the list has a Forecast column (staff: the forecast draws on every client's history).
    forecasts: bool,
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
fn headings(filter: &ListFilter, order: Order, forecasts: bool) -> Vec<Heading> {
    let heading = |label, orders: &[(Order, &'static str, &'static str)]| {
        let current = orders.iter().position(|(o, _, _)| *o == order);
        // A click on the sorted column turns it around; on another, it sorts by that column's first direction.
        let next = current.map_or(orders[0].0, |at| orders[(at + 1) % orders.len()].0);
        let (sorted, arrow) = current.map_or(("none", ""), |at| (orders[at].1, orders[at].2));
        Heading { label, href: list::href(filter, next), sorted, arrow }
    };
    [
        Some(heading("Severity", &[(Order::Severity, "ascending", "▲"), (Order::SeverityLowFirst, "descending", "▼")])),
        Some(heading("Status", &[(Order::Status, "ascending", "▲")])),
        Some(heading("SLA", &[(Order::SlaDue, "ascending", "▲")])),
        forecasts.then(|| heading("Forecast", &[(Order::Forecast, "descending", "▼")])),
        Some(heading("Reported", &[(Order::Newest, "descending", "▼"), (Order::Oldest, "ascending", "▲")])),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The SLA filter's field, as the list's select draws it.
static SLA_FIELD: Field = field("sla", "SLA", FieldKind::Choice(SlaState::choices)).optional();

pub async fn list(
    SignedIn { state, session, user }: SignedIn,
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
    let selected_person = match filter.assignee {
        Some(Assignee::Person(id)) => Some(id),
        _ => None,
    };
    let (listed, clients, assignees, targets) = {
        let filter = filter.clone();
        state
            .db(move |conn| {
                // The targets the list filters and sorts by are the ones its clocks are drawn from.
                let targets = crate::service_levels::applicable(conn)?;
                let listed =
                    queries::list(conn, scope, &filter, order, page, queries::Deadlines { now, targets: &targets })?;
                // Contacts filter only within what they see; the choice lists name staff and clients for staff only.
                let (clients, assignees) = if staff {
                    let (clients, people) = queries::filter_choices(conn, viewer, &CLIENT_REF, selected_person)?;
                    (clients, person_choices(people))
                } else {
                    Default::default()
                };
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
        let set = [filter.escalated, filter.waiting, filter.likely_breach];
        list::FLAGS.iter().zip(set).map(|(&(name, label), on)| (name, label, on)).collect()
    } else {
        Vec::new()
    };
    let queries::ListPage { rows, more, total } = listed;
    crate::forms::address::check_page(page_number, rows.len(), total, PAGE_SIZE).map_err(AppError::BadRequest)?;
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
        headings: headings(&filter, order, staff),
        forecasts: staff,
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
    let forecast = r.resolution_timestamp.is_none().then(|| match &r.forecast {
        Some(forecast) => (
            crate::forecast::short(forecast),
            crate::forecast::likely_to_breach(forecast, target.map(|(_, hours)| hours)),
        ),
        None => ("Too few to forecast".to_string(), false),
    });
    Row {
        clock,
        forecast,
        id: r.incident_id,
        title: r.title,
        severity: Severity::parse(&r.severity).unwrap_or(Severity::P4),
        status: IncidentStatus::parse(&r.status).unwrap_or(IncidentStatus::Open),
        client: r.client_name,
        assignee: r.assignee.unwrap_or_else(|| "Unassigned".into()),
        created: format::datetime(r.created_at, zone),
    }
}
