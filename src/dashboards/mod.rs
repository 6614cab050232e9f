//! A dashboard per role: what the role acts on first, and only what is within the user's scope.
pub mod handlers;
pub mod queries;

use crate::access::{Scope, Sight};
use crate::db::prepared::{PreparedSql, prepared};
use crate::domain::enums::{IncidentStatus, Role, Severity};
use crate::incidents::list::{self, Assignee, ListFilter, Order, SlaState};
use crate::incidents::queries::Deadlines;
use crate::incidents::sla_clock::{ClockView, clocks};
use crate::records::queries::Filter;
use crate::records::spec::Resource;
use crate::records::view::choice_label;
use crate::users::User;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::sync::Mutex;

/// What the administrator's dashboard keeps between views: how far the audit chain has been checked.
#[derive(Default)]
pub struct HistoryFigures {
    /// How far the audit chain has been checked; each view goes on from there.
    audit_walk: Mutex<Option<crate::audit::chain::Verification>>,
    /// What the last walk found, shown by views that arrive while another view walks.
    audit_seen: Mutex<Option<String>>,
}

pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    /// Adds colour to words that already carry the meaning.
    pub class: &'static str,
    /// For a number that links to a list: how many rows that list shows.
    pub count: Option<i64>,
}

impl Cell {
    fn text(text: impl Into<String>) -> Self {
        Cell { text: text.into(), href: None, class: "", count: None }
    }

    fn link(text: impl Into<String>, href: impl Into<String>) -> Self {
        Cell { text: text.into(), href: Some(href.into()), class: "", count: None }
    }

    /// A number that opens the list it counts.
    fn count(n: i64, href: String) -> Self {
        Cell { text: n.to_string(), href: Some(href), class: "", count: Some(n) }
    }
}

/// The whole list a panel shows the start of: its address and how many rows it holds.
pub struct FullList {
    pub href: String,
    pub total: i64,
}

pub struct Panel {
    pub title: String,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    /// Why the panel is empty, in words.
    pub empty: String,
    /// The list this panel starts, when it is one; a panel cut short says so and links to all of it.
    pub list: Option<FullList>,
}

impl Panel {
    /// Whether the panel shows fewer rows than its list holds.
    pub fn cut(&self) -> bool {
        self.list.as_ref().is_some_and(|list| (self.rows.len() as i64) < list.total)
    }
}

pub struct Figure {
    pub label: String,
    pub value: String,
    pub href: Option<String>,
    /// How many rows the list it opens shows (the figure itself, when it counts them).
    pub count: Option<i64>,
}

/// Mean times per month, as numbers and as bars of a server-drawn chart.
pub struct Chart {
    pub months: Vec<Bar>,
    pub max_hours: f64,
}

pub struct Bar {
    pub month: String,
    pub mtta_hours: f64,
    pub mttr_hours: f64,
    /// Bar heights in the chart's units (0–100).
    pub mtta_height: f64,
    pub mttr_height: f64,
    pub incidents: i64,
}

/// Incidents per week, stacked by severity.
pub struct WeekChart {
    pub weeks: Vec<Week>,
    pub max: i64,
}

pub struct Week {
    pub week: String,
    /// Where its bar stands in the chart.
    pub x: usize,
    /// P1 to P4 counts.
    pub counts: [i64; 4],
    /// (severity, y, height) of each stacked segment, in chart units (0–100).
    pub segments: Vec<(&'static str, f64, f64)>,
}

pub struct Dashboard {
    pub figures: Vec<Figure>,
    pub panels: Vec<Panel>,
    pub chart: Option<Chart>,
    pub weeks: Option<WeekChart>,
}

fn week_chart(rows: Vec<queries::WeekCount>) -> WeekChart {
    const SEVERITIES: [&str; 4] = ["P1", "P2", "P3", "P4"];
    let mut weeks: Vec<Week> = Vec::new();
    for row in rows {
        if weeks.last().is_none_or(|w| w.week != row.week) {
            weeks.push(Week { week: row.week.clone(), x: weeks.len() * 50 + 36, counts: [0; 4], segments: Vec::new() });
        }
        if let (Some(week), Some(index)) = (weeks.last_mut(), SEVERITIES.iter().position(|s| *s == row.severity)) {
            week.counts[index] = row.n;
        }
    }
    let max = weeks.iter().map(|w| w.counts.iter().sum::<i64>()).max().unwrap_or(0).max(1);
    for week in &mut weeks {
        let mut top = 110.0;
        for (severity, count) in SEVERITIES.iter().zip(week.counts) {
            let height = count as f64 / max as f64 * 100.0;
            top -= height;
            week.segments.push((severity, top, height));
        }
    }
    WeekChart { weeks, max }
}

/// How many rows a dashboard panel shows of its list.
const PANEL_ROWS: i64 = 20;

/// A panel of incidents with their SLA clocks: the start of the incident list with this filter and order, which it
/// links to and counts. Its rows and its count come from the list's own query, so they cannot disagree; a
/// dashboard reads all its incident panels in one statement (`read_panels`).
struct IncidentPanel {
    title: &'static str,
    filter: ListFilter,
    order: Order,
    empty: &'static str,
}

fn incident_panel(title: &'static str, filter: ListFilter, order: Order, empty: &'static str) -> Place {
    Place::Incidents(IncidentPanel { title, filter, order, empty })
}

/// Active incidents the forecast says are likely to breach their resolution deadline, the worst first.
fn likely_breach_panel() -> Place {
    incident_panel(
        "Likely to breach, worst first",
        ListFilter { likely_breach: true, ..ListFilter::active() },
        Order::Forecast,
        "No active incident is forecast to breach its SLA.",
    )
}

/// A dashboard's panel in its place: ready, or an incident panel still to read.
enum Place {
    Ready(Panel),
    Incidents(IncidentPanel),
}

/// The dashboard's panels in order, with its incident panels read together in one statement.
fn read_panels(
    conn: &mut PgConnection,
    scope: Scope,
    slots: Vec<Place>,
    deadlines: Deadlines<'_>,
) -> QueryResult<Vec<Panel>> {
    let lists: Vec<(&ListFilter, Order)> = slots
        .iter()
        .filter_map(|slot| match slot {
            Place::Incidents(panel) => Some((&panel.filter, panel.order)),
            Place::Ready(_) => None,
        })
        .collect();
    let mut pages = if lists.is_empty() {
        Vec::new()
    } else {
        crate::incidents::queries::tops(conn, scope, &lists, PANEL_ROWS, deadlines)?
    }
    .into_iter();
    Ok(slots
        .into_iter()
        .map(|slot| match slot {
            Place::Ready(panel) => panel,
            Place::Incidents(panel) => {
                let page = pages.next().expect("a page per incident panel");
                incidents_panel(panel, page, deadlines)
            }
        })
        .collect())
}

fn incidents_panel(
    IncidentPanel { title, filter, order, empty }: IncidentPanel,
    page: crate::incidents::queries::ListPage,
    deadlines: Deadlines<'_>,
) -> Panel {
    let (now, targets) = (deadlines.now, deadlines.targets);
    let rows = page
        .rows
        .into_iter()
        .map(|row| {
            let clock = clocks(
                targets.get(row.client_id, &row.severity),
                row.detection_timestamp,
                row.acknowledged_at,
                row.resolution_timestamp,
                now,
            )
            .map_or_else(ClockView::none, |c| ClockView::of(c.headline()));
            let label = |value: &str, parse: fn(&str) -> Option<&'static str>| parse(value).unwrap_or("").to_string();
            vec![
                Cell::link(format!("{}: {}", row.incident_id, row.title), format!("/incidents/{}", row.incident_id)),
                Cell::text(label(&row.severity, |v| Severity::parse(v).map(Severity::label))),
                Cell::text(label(&row.status, |v| IncidentStatus::parse(v).map(IncidentStatus::label))),
                Cell::text(row.client_name),
                Cell { text: clock.text, href: None, class: clock.class, count: None },
            ]
        })
        .collect();
    Panel {
        title: title.into(),
        headers: vec!["Incident", "Severity", "Status", "Client", "SLA"],
        rows,
        empty: empty.into(),
        list: Some(FullList { href: list::href(&filter, order), total: page.total.unwrap_or_default() }),
    }
}

/// A panel of described records (work orders, components): the start of their list with these filters, which it
/// links to and counts.
fn records_panel(
    conn: &mut PgConnection,
    (sight, zone): (Sight, &str),
    title: &str,
    resource: &'static Resource,
    filters: Vec<Filter>,
    detail: &'static str,
    empty: &str,
) -> QueryResult<Panel> {
    let (records, total) = crate::records::queries::list(conn, resource, sight, &filters, 1)?;
    let detail_field = resource.field(detail).expect("a described field");
    let rows = records
        .iter()
        .take(PANEL_ROWS as usize)
        .map(|record| {
            let row = crate::records::view::row_view(resource, record, zone);
            let shown = crate::records::view::field_view(detail_field, record, zone);
            vec![Cell::link(row.title, row.href), Cell::text(shown.value)]
        })
        .collect();
    Ok(Panel {
        title: title.into(),
        headers: vec![resource.noun, detail_field.label],
        rows,
        empty: empty.into(),
        list: Some(FullList { href: records_href(resource, &filters), total }),
    })
}

/// The address of a described list with these filters.
fn records_href(resource: &Resource, filters: &[Filter]) -> String {
    format!("{}?{}", resource.path, serde_urlencoded::to_string(filters).unwrap_or_default())
}

fn lines_panel(
    conn: &mut PgConnection,
    title: &str,
    headers: Vec<&'static str>,
    path: &str,
    sql: PreparedSql<'static>,
    empty: &str,
) -> QueryResult<Panel> {
    let rows = queries::lines(conn, sql)?
        .into_iter()
        .map(|line| {
            vec![
                Cell::link(format!("{}: {}", line.id, line.title), format!("{path}/{}", line.id)),
                Cell::text(line.detail),
            ]
        })
        .collect();
    Ok(Panel { title: title.into(), headers, rows, empty: empty.into(), list: None })
}

/// Rows that each count a described list and open it: (words, record type, filters).
fn counted_rows(
    conn: &mut PgConnection,
    sight: Sight,
    lists: Vec<(String, &'static Resource, Vec<Filter>)>,
) -> QueryResult<Vec<Vec<Cell>>> {
    let totals = crate::records::queries::totals(
        conn,
        sight,
        &lists.iter().map(|(_, resource, filters)| (*resource, filters.clone())).collect::<Vec<_>>(),
    )?;
    Ok(lists
        .into_iter()
        .zip(totals)
        .map(|((words, resource, filters), n)| {
            let href = records_href(resource, &filters);
            vec![Cell::link(words, href.clone()), Cell::count(n, href)]
        })
        .collect())
}

/// The active incidents of each severity in `only` (every severity when empty), as figures that open the list.
fn severity_figures(
    conn: &mut PgConnection,
    scope: Scope,
    only: &[Severity],
    deadlines: Deadlines<'_>,
) -> QueryResult<Vec<Figure>> {
    let active = ListFilter::active();
    let totals = crate::incidents::queries::totals_by_severity(conn, scope, &active, deadlines)?;
    use strum::IntoEnumIterator;
    Ok(Severity::iter()
        .filter(|s| only.is_empty() || only.contains(s))
        .map(|severity| {
            let n = totals.iter().find(|(s, _)| *s == severity).map_or(0, |(_, n)| *n);
            let filter = ListFilter { severities: vec![severity], ..ListFilter::active() };
            Figure {
                label: format!("Active {}", severity.label()),
                value: n.to_string(),
                href: Some(list::href(&filter, Order::SlaDue)),
                count: Some(n),
            }
        })
        .collect())
}

/// What waits for a decision, each a number that opens its list: for an executive, the major requests by what
/// makes them major (access's marks); for the others, everything waiting.
fn approvals_panel(conn: &mut PgConnection, sight: Sight, executive_only: bool) -> QueryResult<Panel> {
    use crate::records::procedures::{CHANGES, ROLLBACKS};
    use crate::records::resources::{SLAS, SUBSCRIPTIONS};
    let waiting = |field: &'static str, value: &str| (field, value.to_string());
    let lists: Vec<(String, &'static Resource, Vec<Filter>)> = if executive_only {
        [(&SUBSCRIPTIONS, waiting("approval_status", "pending")), (&CHANGES, waiting("status", "requested"))]
            .into_iter()
            .flat_map(|(resource, waits)| {
                crate::access::rules::major_marks(resource.area).iter().map(move |(field, value)| {
                    let field_label = resource.field(field).map_or(*field, |f| f.label);
                    let value_label = resource.field(field).map_or(value.to_string(), |f| choice_label(f, value));
                    let words = format!("{} waiting — {field_label}: {value_label}", resource.plural);
                    (words, resource, vec![waits.clone(), (*field, value.to_string())])
                })
            })
            .collect()
    } else {
        vec![
            ("Subscriptions waiting for approval".into(), &SUBSCRIPTIONS, vec![waiting("approval_status", "pending")]),
            ("Change requests waiting for approval".into(), &CHANGES, vec![waiting("status", "requested")]),
            ("SLAs waiting for approval".into(), &SLAS, vec![waiting("approval_status", "pending")]),
            ("Rollback requests waiting for approval".into(), &ROLLBACKS, vec![waiting("status", "requested")]),
        ]
    };
    let title = if executive_only { "Approvals waiting for an executive" } else { "Approvals waiting" };
    Ok(Panel {
        title: title.into(),
        headers: vec!["Waiting", "Number"],
        rows: counted_rows(conn, sight, lists)?,
        empty: "Nothing waits for approval.".into(),
        list: None,
    })
}

fn chart(months: Vec<queries::MonthTimes>) -> Chart {
    let hours = |minutes: Option<f64>| (minutes.unwrap_or(0.0) / 60.0 * 10.0).round() / 10.0;
    let max_hours = months.iter().map(|m| hours(m.mttr_minutes).max(hours(m.mtta_minutes))).fold(1.0, f64::max);
    Chart {
        months: months
            .into_iter()
            .map(|m| Bar {
                mtta_hours: hours(m.mtta_minutes),
                mttr_hours: hours(m.mttr_minutes),
                mtta_height: hours(m.mtta_minutes) / max_hours * 100.0,
                mttr_height: hours(m.mttr_minutes) / max_hours * 100.0,
                month: m.month,
                incidents: m.incidents,
            })
            .collect(),
        max_hours,
    }
}

fn compliance_panel(compliance: Vec<queries::Compliance>) -> Panel {
    let rows = compliance
        .into_iter()
        .map(|c| {
            let percent = if c.measured == 0 { 0 } else { c.met * 100 / c.measured };
            vec![
                Cell::text(c.client_name),
                Cell::text(format!("{percent}% ({} of {} metrics met their target)", c.met, c.measured)),
            ]
        })
        .collect();
    Panel {
        title: "SLA compliance by client".into(),
        headers: vec!["Client", "Met"],
        rows,
        empty: "No metrics have been recorded against a target yet.".into(),
        list: None,
    }
}

/// Builds the dashboard of the user's role.
pub fn build(
    conn: &mut PgConnection,
    history: &HistoryFigures,
    user: &User,
    now: DateTime<Utc>,
) -> QueryResult<Dashboard> {
    use crate::records::procedures::WORK_ORDERS;
    use crate::records::resources::{COMPONENTS, USERS};
    let actor = user.actor();
    let (scope, sight) = (actor.scope(), Sight::of(&actor));
    let me = user.user_id;
    let mut dashboard = Dashboard { figures: Vec::new(), panels: Vec::new(), chart: None, weeks: None };
    let mut places = Vec::new();
    // Every dashboard but the administrator's shows SLA clocks: their targets are read once for all its panels.
    let targets = match user.role() {
        Role::SystemAdministrator => Default::default(),
        _ => crate::service_levels::applicable(conn)?,
    };
    let deadlines = Deadlines { now, targets: &targets };
    // The figures over the history the role's dashboard shows, read together from the summaries writes keep.
    let parts = match user.role() {
        Role::IncidentManager => queries::HistoryParts { weeks: true, ..Default::default() },
        Role::AccountManager => queries::HistoryParts { compliance: true, ..Default::default() },
        Role::Executive => queries::HistoryParts { months: true, weeks: true, compliance: true },
        _ => queries::HistoryParts::default(),
    };
    let queries::History { months, weeks, compliance } = queries::history(conn, scope, now, parts)?;
    let active = ListFilter::active;
    let open_work = || ["created", "assigned", "in_progress"].map(|s| ("status", s.to_string())).to_vec();
    match user.role() {
        Role::IncidentManager => {
            dashboard.figures = severity_figures(conn, scope, &[], deadlines)?;
            places.push(incident_panel(
                "SLA clocks at risk or breached, most severe first",
                ListFilter { sla: Some(SlaState::Attention), ..active() },
                Order::Severity,
                "No SLA clock is at risk or breached.",
            ));
            places.push(likely_breach_panel());
            places.push(unassigned_panel());
            places.push(incident_panel(
                "Active incidents with an active escalation",
                ListFilter { escalated: true, ..active() },
                Order::Severity,
                "No escalation is active.",
            ));
            places.push(Place::Ready(approvals_panel(conn, sight, false)?));
            dashboard.weeks = Some(week_chart(weeks));
        }
        Role::TechnicalSupport => {
            places.push(incident_panel(
                "My incidents, oldest first",
                ListFilter { assignee: Some(Assignee::Person(me)), ..active() },
                Order::Oldest,
                "No active incidents are assigned to you.",
            ));
            places.push(likely_breach_panel());
            places.push(unassigned_panel());
            let mine = [open_work(), vec![("assigned_to_user", me.to_string())]].concat();
            places.push(Place::Ready(records_panel(
                conn,
                (sight, &user.timezone),
                "My open work orders",
                &WORK_ORDERS,
                mine,
                "status",
                "No open work orders are assigned to you.",
            )?));
            places.push(incident_panel(
                "Waiting for a root cause analysis or a workaround",
                ListFilter { waiting: true, ..active() },
                Order::Severity,
                "Every active incident has an analysis and a workaround.",
            ));
        }
        Role::AccountManager => {
            places.push(incident_panel(
                "Active incidents of my clients",
                active(),
                Order::Severity,
                "Your clients have no active incidents.",
            ));
            places.push(Place::Ready(compliance_panel(compliance)));
            let today = now.date_naive();
            places.push(Place::Ready(lines_panel(
                conn,
                "Subscriptions ending within 30 days",
                vec!["Subscription", "Ends"],
                "/subscriptions",
                ending_subscriptions(user, today),
                "No active subscription ends in the next 30 days.",
            )?));
        }
        Role::Executive => {
            places.push(Place::Ready(approvals_panel(conn, sight, true)?));
            dashboard.figures = severity_figures(conn, scope, &[Severity::P1, Severity::P2], deadlines)?;
            places.push(incident_panel(
                "Active P1 and P2 incidents",
                ListFilter { severities: vec![Severity::P1, Severity::P2], ..active() },
                Order::Severity,
                "No P1 or P2 incident is active.",
            ));
            dashboard.chart = Some(chart(months));
            dashboard.weeks = Some(week_chart(weeks));
            places.push(Place::Ready(compliance_panel(compliance)));
        }
        Role::SystemAdministrator => {
            use crate::domain::enums::{Choices, UserStatus};
            let by_status = UserStatus::choices()
                .into_iter()
                .map(|(value, label)| (label.to_string(), &USERS, vec![("status", value.to_string())]))
                .collect();
            places.push(Place::Ready(Panel {
                title: "Users by status".into(),
                headers: vec!["Status", "Number"],
                rows: counted_rows(conn, sight, by_status)?,
                empty: "There are no users.".into(),
                list: None,
            }));
            places.push(Place::Ready(records_panel(
                conn,
                (sight, &user.timezone),
                "Components degraded or offline",
                &COMPONENTS,
                ["degraded", "offline"].map(|s| ("operational_status", s.to_string())).to_vec(),
                "operational_status",
                "Every component is operational or in maintenance.",
            )?));
            dashboard.figures.push(audit_figure(conn, history)?);
        }
        Role::ClientContact => {
            places.push(incident_panel(
                "Our incidents, newest first",
                ListFilter::default(),
                Order::Newest,
                "Your organisation has no incidents.",
            ));
            let rows = queries::latest_messages(conn, scope, me, 10)?
                .into_iter()
                .map(|m| {
                    vec![
                        Cell::link(format!("{}: {}", m.incident_id, m.title), format!("/incidents/{}", m.incident_id)),
                        Cell::text(m.message),
                        Cell::text(crate::format::datetime(m.created_at, &user.timezone)),
                    ]
                })
                .collect();
            places.push(Place::Ready(Panel {
                title: "Latest communications to us".into(),
                headers: vec!["Incident", "Message", "Sent"],
                rows,
                empty: "No communications yet.".into(),
                list: None,
            }));
        }
        Role::VendorContact => {
            places.push(incident_panel(
                "Active incidents on our products",
                active(),
                Order::Severity,
                "No active incidents involve your products.",
            ));
            places.push(Place::Ready(records_panel(
                conn,
                (sight, &user.timezone),
                "Our open work orders",
                &WORK_ORDERS,
                open_work(),
                "status",
                "No open work orders are assigned to your vendor.",
            )?));
        }
    }
    dashboard.panels = read_panels(conn, scope, places, deadlines)?;
    Ok(dashboard)
}

/// The queue of active incidents nobody has taken yet, most severe and most overdue first.
fn unassigned_panel() -> Place {
    incident_panel(
        "Unassigned, most severe first",
        ListFilter { assignee: Some(Assignee::Nobody), ..ListFilter::active() },
        Order::Severity,
        "Every active incident has someone on it.",
    )
}

/// Active subscriptions that end within 30 days of `today`, of the user's clients.
fn ending_subscriptions(user: &User, today: chrono::NaiveDate) -> PreparedSql<'static> {
    let mut sql = prepared(
        "SELECT subscriptions.subscription_id AS id, c.client_name || ' · ' || p.product_name AS title, \
                subscriptions.end_date::text AS detail \
         FROM subscriptions JOIN clients c USING (client_id) JOIN products p USING (product_id) \
         WHERE subscriptions.status = 'active' AND subscriptions.end_date BETWEEN ",
    )
    .bind::<diesel::sql_types::Date, _>(today)
    .sql(" AND ")
    .bind::<diesel::sql_types::Date, _>(today + chrono::Days::new(30));
    if let Some(theirs) = crate::access::Sight::of(&user.actor()).rows(crate::access::Rows::OfClient, "subscriptions") {
        sql = sql.sql(" AND ").append(theirs);
    }
    sql.sql(" ORDER BY subscriptions.end_date")
}

/// The audit chain's state: verified in full while the trail is small enough to walk on a page view. Its size
/// is told by the newest entry's id, which the index gives at once; counting a large trail would take longer.
fn audit_figure(conn: &mut PgConnection, history: &HistoryFigures) -> QueryResult<Figure> {
    use crate::audit::chain::{self, Verification};
    // Each view checks at most this many new entries, so a long trail is caught up with over a few views.
    const WALK_PER_VIEW: u64 = 20_000;
    // One view walks at a time; views arriving meanwhile show what the last walk found rather than walk the same
    // entries beside it (each holding thousands of them in memory) or wait for it.
    let mut walk = match history.audit_walk.try_lock() {
        Ok(walk) => walk,
        Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => {
            let seen = history.audit_seen.lock().expect("audit seen lock").clone();
            let value = seen.unwrap_or_else(|| "Being checked; the next view shows the result".into());
            return Ok(Figure { label: "Audit chain".into(), value, href: None, count: None });
        }
    };
    let from = walk.clone().unwrap_or_else(Verification::start);
    let checked_before = from.entries;
    let walked = chain::verify_from(conn, from, WALK_PER_VIEW)?;
    let value = match &walked.broken {
        Some(link) => format!("BROKEN at {link}"),
        // A walk that used its whole allowance may have more ahead of it.
        None if walked.entries - checked_before >= WALK_PER_VIEW => {
            format!("{} entries checked so far, intact; the rest at the next views", walked.entries)
        }
        None => format!("Intact ({} entries)", walked.entries),
    };
    *walk = Some(walked);
    *history.audit_seen.lock().expect("audit seen lock") = Some(value.clone());
    Ok(Figure { label: "Audit chain".into(), value, href: None, count: None })
}
