//! A dashboard per role: what the role acts on first, and only what is within the user's scope.
pub mod handlers;
pub mod queries;

use crate::access::Scope;
use crate::db::prepared::{PreparedSql, prepared};
use crate::domain::enums::{Role, Severity};
use crate::incidents::sla_clock::SlaClocks;
use crate::incidents::sla_clock::{ClockView, clocks};
use crate::users::User;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Integer;
use queries::{ClockInputs, IncidentLine};
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Figures over the history (SLA compliance, mean times by month, incidents per week) change slowly but read
/// many rows: each is computed at most once a minute per scope and shared by the dashboard views in between.
#[derive(Default)]
pub struct HistoryFigures {
    computed: Mutex<HashMap<(&'static str, Scope), Slot>>,
    /// How far the audit chain has been checked; each view goes on from there.
    audit_walk: Mutex<Option<crate::audit::chain::Verification>>,
    /// What the last walk found, shown by views that arrive while another view walks.
    audit_seen: Mutex<Option<String>>,
}

/// When a figure was computed, and its value.
type Computed = (Instant, Arc<dyn Any + Send + Sync>);
/// A figure's place: empty until first computed, and locked while it is being computed.
type Slot = Arc<Mutex<Option<Computed>>>;

impl HistoryFigures {
    const FRESH_FOR: Duration = Duration::from_secs(60);

    fn get<T: Clone + Send + Sync + 'static>(
        &self,
        name: &'static str,
        scope: Scope,
        compute: impl FnOnce() -> QueryResult<T>,
    ) -> QueryResult<T> {
        let slot = Arc::clone(self.computed.lock().expect("history figures lock").entry((name, scope)).or_default());
        // Views that arrive while the figure is being computed wait for it rather than each compute it again.
        let mut slot = slot.lock().expect("history figure lock");
        if let Some((_, value)) = slot.as_ref().filter(|(at, _)| at.elapsed() < Self::FRESH_FOR)
            && let Some(value) = value.downcast_ref::<T>()
        {
            return Ok(value.clone());
        }
        let value = compute()?;
        *slot = Some((Instant::now(), Arc::new(value.clone())));
        Ok(value)
    }
}

pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    /// Adds colour to words that already carry the meaning.
    pub class: &'static str,
}

impl Cell {
    fn text(text: impl Into<String>) -> Self {
        Cell { text: text.into(), href: None, class: "" }
    }

    fn link(text: impl Into<String>, href: impl Into<String>) -> Self {
        Cell { text: text.into(), href: Some(href.into()), class: "" }
    }
}

pub struct Panel {
    pub title: String,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    /// Why the panel is empty, in words.
    pub empty: String,
}

pub struct Figure {
    pub label: String,
    pub value: String,
    pub href: Option<String>,
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

fn week_chart(
    conn: &mut PgConnection,
    history: &HistoryFigures,
    scope: Scope,
    now: DateTime<Utc>,
) -> QueryResult<WeekChart> {
    const SEVERITIES: [&str; 4] = ["P1", "P2", "P3", "P4"];
    let mut weeks: Vec<Week> = Vec::new();
    for row in history.get("per_week", scope, || queries::per_week(conn, scope, now))? {
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
    Ok(WeekChart { weeks, max })
}

use queries::OPEN;

fn incident_panel(
    conn: &mut PgConnection,
    title: &str,
    lines: Vec<IncidentLine>,
    now: DateTime<Utc>,
    empty: &str,
) -> QueryResult<Panel> {
    let clients: Vec<i32> = lines.iter().map(|l| l.clock.client_id).collect();
    let targets = crate::service_levels::targets_for(conn, &clients)?;
    Ok(clock_panel(title, lines, &targets, now, empty))
}

/// A panel of incidents with their SLA clocks, from targets already read.
fn clock_panel(title: &str, lines: Vec<IncidentLine>, targets: &Targets, now: DateTime<Utc>, empty: &str) -> Panel {
    let rows = lines
        .into_iter()
        .map(|line| {
            let clock = clocks_of(&line.clock, targets, now).map_or_else(
                || ClockView { text: "No applicable SLA".into(), class: "none" },
                |c| ClockView { text: c.headline().describe(), class: c.headline().class() },
            );
            let ClockInputs { incident_id, severity, .. } = &line.clock;
            let severity = Severity::parse(severity).map_or(severity.clone(), |s| s.label().to_string());
            vec![
                Cell::link(format!("{incident_id}: {}", line.title), format!("/incidents/{incident_id}")),
                Cell::text(severity),
                Cell::text(line.status.replace('_', " ")),
                Cell::text(line.client_name),
                Cell { text: clock.text, href: None, class: clock.class },
            ]
        })
        .collect();
    Panel {
        title: title.into(),
        headers: vec!["Incident", "Severity", "Status", "Client", "SLA"],
        rows,
        empty: empty.into(),
    }
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
    Ok(Panel { title: title.into(), headers, rows, empty: empty.into() })
}

fn counts_panel(conn: &mut PgConnection, title: &str, sql: PreparedSql<'static>, empty: &str) -> QueryResult<Panel> {
    let rows = queries::counts(conn, sql)?
        .into_iter()
        .map(|c| vec![Cell::text(c.label), Cell::text(c.n.to_string())])
        .collect();
    Ok(Panel { title: title.into(), headers: vec!["", "Number"], rows, empty: empty.into() })
}

fn severity_figures(conn: &mut PgConnection, scope: Scope, only: &[&str]) -> QueryResult<Vec<Figure>> {
    let counts = queries::open_by_severity(conn, scope)?;
    Ok(["P1", "P2", "P3", "P4"]
        .into_iter()
        .filter(|s| only.is_empty() || only.contains(s))
        .map(|severity| Figure {
            label: format!("Open {}", Severity::parse(severity).map_or(severity, |s| s.label())),
            value: counts.iter().find(|c| c.label == severity).map_or(0, |c| c.n).to_string(),
            href: Some(format!("/incidents?severity={severity}")),
        })
        .collect())
}

/// What waits for a decision: the major requests for an executive, the others for anyone who approves.
fn approvals_panel(conn: &mut PgConnection, executive_only: bool) -> QueryResult<Panel> {
    use crate::access::{Area, rules::major_requests};
    let which = |area| {
        let major = major_requests(area);
        if executive_only { major.to_string() } else { format!("NOT {major}") }
    };
    let (subscriptions, changes) = (which(Area::Subscriptions), which(Area::Changes));
    let mut sql = format!(
        "SELECT 'Subscriptions waiting for approval' AS label, count(*) AS n FROM subscriptions WHERE approval_status = 'pending' AND {subscriptions} \
         UNION ALL SELECT 'Change requests waiting for approval', count(*) FROM change_requests WHERE status = 'requested' AND {changes}"
    );
    if !executive_only {
        sql.push_str(
            " UNION ALL SELECT 'SLAs waiting for approval', count(*) FROM service_level_agreements WHERE approval_status = 'pending' \
             UNION ALL SELECT 'Rollback requests waiting for approval', count(*) FROM rollback_requests WHERE status = 'requested'",
        );
    }
    let links = [
        ("Subscriptions", "/subscriptions?approval_status=pending"),
        ("Change", "/changes?status=requested"),
        ("SLAs", "/slas?approval_status=pending"),
        ("Rollback", "/rollbacks?status=requested"),
    ];
    let rows = queries::counts(conn, prepared(sql))?
        .into_iter()
        .map(|c| {
            let href =
                links.iter().find(|(prefix, _)| c.label.starts_with(prefix)).map_or("/procedures", |(_, href)| href);
            vec![Cell::link(c.label, href), Cell::text(c.n.to_string())]
        })
        .collect();
    let title = if executive_only { "Approvals waiting for an executive" } else { "Approvals waiting" };
    Ok(Panel {
        title: title.into(),
        headers: vec!["Waiting", "Number"],
        rows,
        empty: "Nothing waits for approval.".into(),
    })
}

fn chart(conn: &mut PgConnection, history: &HistoryFigures, scope: Scope, now: DateTime<Utc>) -> QueryResult<Chart> {
    let months = history.get("mean_times", scope, || queries::mean_times(conn, scope, now))?;
    let hours = |minutes: Option<f64>| (minutes.unwrap_or(0.0) / 60.0 * 10.0).round() / 10.0;
    let max_hours = months.iter().map(|m| hours(m.mttr_minutes).max(hours(m.mtta_minutes))).fold(1.0, f64::max);
    Ok(Chart {
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
    })
}

fn compliance_panel(conn: &mut PgConnection, history: &HistoryFigures, scope: Scope) -> QueryResult<Panel> {
    let rows = history
        .get("sla_compliance", scope, || queries::sla_compliance(conn, scope))?
        .into_iter()
        .map(|c| {
            let percent = if c.measured == 0 { 0 } else { c.met * 100 / c.measured };
            vec![
                Cell::text(c.client_name),
                Cell::text(format!("{percent}% ({} of {} metrics met their target)", c.met, c.measured)),
            ]
        })
        .collect();
    Ok(Panel {
        title: "SLA compliance by client".into(),
        headers: vec!["Client", "Met"],
        rows,
        empty: "No metrics have been recorded against a target yet.".into(),
    })
}

/// Builds the dashboard of the user's role.
pub fn build(
    conn: &mut PgConnection,
    history: &HistoryFigures,
    user: &User,
    now: DateTime<Utc>,
) -> QueryResult<Dashboard> {
    let scope = user.actor().scope();
    let me = user.user_id;
    let mut dashboard = Dashboard { figures: Vec::new(), panels: Vec::new(), chart: None, weeks: None };
    let open_incidents = |conn: &mut PgConnection, order: &str, limit: i64| {
        queries::incidents(conn, scope, prepared(OPEN), order, limit)
    };
    match user.role() {
        Role::IncidentManager => {
            dashboard.figures = severity_figures(conn, scope, &[])?;
            let (attention, targets) = attention(conn, scope, now)?;
            dashboard.panels.push(clock_panel(
                "SLA clocks at risk or breached",
                attention,
                &targets,
                now,
                "No SLA clock is at risk or breached.",
            ));
            dashboard.panels.push(escalations_panel(conn, scope)?);
            dashboard.panels.push(approvals_panel(conn, false)?);
            dashboard.weeks = Some(week_chart(conn, history, scope, now)?);
        }
        Role::TechnicalSupport => {
            let mine = queries::incidents(
                conn,
                scope,
                prepared(format!("{OPEN} AND incidents.assigned_to_user_id = ")).bind::<Integer, _>(me),
                "incidents.created_at",
                50,
            )?;
            dashboard.panels.push(incident_panel(
                conn,
                "My incidents, oldest first",
                mine,
                now,
                "No open incidents are assigned to you.",
            )?);
            dashboard.panels.push(lines_panel(
                conn,
                "My work orders, oldest first",
                vec!["Work order", "Status"],
                "/work-orders",
                prepared(
                    "SELECT workorder_id AS id, title, replace(status, '_', ' ') AS detail FROM work_orders \
                     WHERE status IN ('created', 'assigned', 'in_progress') AND assigned_to_user = ",
                )
                .bind::<Integer, _>(me)
                .sql(" ORDER BY created_at LIMIT 50"),
                "No open work orders are assigned to you.",
            )?);
            let waiting = queries::incidents(
                conn,
                scope,
                prepared(format!(
                    // Probes per incident, in the open-incident index's order, stopping at the twentieth. Written as
                    // "fewer than both" because the planner then expects a third of open incidents to match, and
                    // walks the index: `probe IS NULL` is expected to match 0.5 %, so it read and sorted every open
                    // incident, and NOT EXISTS under an OR hashed every analysis and workaround there is.
                    "{OPEN} AND (SELECT count(*) FROM (SELECT 1 FROM root_cause_analysis r \
                                WHERE r.incident_id = incidents.incident_id LIMIT 1) r) \
                     + (SELECT count(*) FROM (SELECT 1 FROM workarounds w \
                                WHERE w.incident_id = incidents.incident_id LIMIT 1) w) < 2"
                )),
                "incidents.severity, incidents.created_at",
                20,
            )?;
            dashboard.panels.push(incident_panel(
                conn,
                "Waiting for a root cause analysis or a workaround",
                waiting,
                now,
                "Every open incident has an analysis and a workaround.",
            )?);
        }
        Role::AccountManager => {
            let open = open_incidents(conn, "incidents.severity, incidents.created_at", 50)?;
            dashboard.panels.push(incident_panel(
                conn,
                "Open incidents of my clients",
                open,
                now,
                "Your clients have no open incidents.",
            )?);
            dashboard.panels.push(compliance_panel(conn, history, scope)?);
            let today = now.date_naive();
            dashboard.panels.push(lines_panel(
                conn,
                "Subscriptions ending within 30 days",
                vec!["Subscription", "Ends"],
                "/subscriptions",
                ending_subscriptions(user, today),
                "No active subscription ends in the next 30 days.",
            )?);
        }
        Role::Executive => {
            dashboard.panels.push(approvals_panel(conn, true)?);
            dashboard.figures = severity_figures(conn, scope, &["P1", "P2"])?;
            let critical = queries::incidents(
                conn,
                scope,
                prepared(format!("{OPEN} AND incidents.severity IN ('P1', 'P2')")),
                "incidents.severity, incidents.created_at",
                50,
            )?;
            dashboard.panels.push(incident_panel(
                conn,
                "Open P1 and P2 incidents",
                critical,
                now,
                "No P1 or P2 incident is open.",
            )?);
            dashboard.chart = Some(chart(conn, history, scope, now)?);
            dashboard.weeks = Some(week_chart(conn, history, scope, now)?);
            dashboard.panels.push(compliance_panel(conn, history, scope)?);
        }
        Role::SystemAdministrator => {
            dashboard.panels.push(counts_panel(
                conn,
                "Users by status",
                prepared(
                    "SELECT replace(status, '_', ' ') AS label, count(*) AS n FROM users GROUP BY status ORDER BY status",
                ),
                "There are no users.",
            )?);
            dashboard.panels.push(lines_panel(
                conn,
                "Components degraded or offline",
                vec!["Component", "Status"],
                "/components",
                prepared(
                    "SELECT component_id AS id, component_name AS title, operational_status AS detail \
                     FROM infrastructure_components WHERE operational_status IN ('degraded', 'offline') \
                     ORDER BY operational_status DESC, component_name",
                ),
                "Every component is operational or in maintenance.",
            )?);
            dashboard.figures.push(audit_figure(conn, history)?);
        }
        Role::ClientContact => {
            let ours = queries::incidents(
                conn,
                scope,
                prepared("TRUE"),
                "(incidents.status IN ('resolved', 'closed')), incidents.created_at DESC",
                30,
            )?;
            dashboard.panels.push(incident_panel(
                conn,
                "Our incidents",
                ours,
                now,
                "Your organisation has no incidents.",
            )?);
            dashboard.panels.push(lines_panel(
                conn,
                "Latest communications to us",
                vec!["Incident", "Message"],
                "/incidents",
                prepared(
                    "SELECT incidents.incident_id AS id, incidents.title, coalesce(m.message, m.communication_type) \
                            || ' (' || to_char(m.created_at, 'YYYY-MM-DD HH24:MI') || ' UTC)' AS detail \
                     FROM communications m JOIN incidents USING (incident_id) \
                     WHERE (m.recipient_type IN ('client_contacts', 'all_stakeholders') OR m.recipient_id = ",
                )
                .bind::<Integer, _>(me)
                .sql(") AND ")
                .fragment(scope.incidents())
                .sql(" ORDER BY m.created_at DESC LIMIT 10"),
                "No communications yet.",
            )?);
        }
        Role::VendorContact => {
            let ours = open_incidents(conn, "incidents.severity, incidents.created_at", 30)?;
            dashboard.panels.push(incident_panel(
                conn,
                "Open incidents on our products",
                ours,
                now,
                "No open incidents involve your products.",
            )?);
            let sight = crate::access::Sight::of(&user.actor());
            let mut sql = prepared(
                "SELECT work_orders.workorder_id AS id, work_orders.title, replace(work_orders.status, '_', ' ') AS detail \
                 FROM work_orders WHERE work_orders.status IN ('created', 'assigned', 'in_progress')",
            );
            if let Some(theirs) = sight.rows(crate::access::Rows::WorkOrders, "work_orders") {
                sql = sql.sql(" AND ").append(theirs);
            }
            dashboard.panels.push(lines_panel(
                conn,
                "Our work orders",
                vec!["Work order", "Status"],
                "/work-orders",
                sql.sql(" ORDER BY work_orders.created_at LIMIT 30"),
                "No open work orders are assigned to your vendor.",
            )?);
        }
    }
    Ok(dashboard)
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

/// The SLA targets of (client, severity), as `service_levels::targets_for` reads them.
type Targets = HashMap<(i32, String), (i32, i32)>;

/// An incident's SLA clocks, or none when no approved SLA applies.
fn clocks_of(inputs: &ClockInputs, targets: &Targets, now: DateTime<Utc>) -> Option<SlaClocks> {
    clocks(
        targets.get(&(inputs.client_id, inputs.severity.clone())).copied(),
        inputs.detection_timestamp,
        inputs.acknowledged_at,
        inputs.resolution_timestamp,
        now,
    )
}

/// Open incidents whose SLA clock is at risk or breached, longest-running first, at most 20, with the targets
/// that decided it. The clocks' own rule decides: open incidents are walked a batch at a time in the order of
/// their detection, reading only what the clocks need, until 20 are found; the oldest are the likeliest to
/// need attention, so the walk rarely goes past its first batch.
fn attention(conn: &mut PgConnection, scope: Scope, now: DateTime<Utc>) -> QueryResult<(Vec<IncidentLine>, Targets)> {
    const MOST: usize = 20;
    const BATCH: i64 = 200;
    let mut targets = Targets::new();
    let mut known_clients = std::collections::HashSet::new();
    let mut found: Vec<i32> = Vec::new();
    let mut after = None;
    loop {
        let batch = queries::open_clock_inputs(conn, scope, after, BATCH)?;
        let new_clients: Vec<i32> = batch.iter().map(|o| o.client_id).filter(|c| known_clients.insert(*c)).collect();
        if !new_clients.is_empty() {
            targets.extend(crate::service_levels::targets_for(conn, &new_clients)?);
        }
        for open in &batch {
            if clocks_of(open, &targets, now).is_some_and(|c| c.headline().needs_attention()) && found.len() < MOST {
                found.push(open.incident_id);
            }
        }
        match batch.last() {
            Some(last) if found.len() < MOST && batch.len() as i64 == BATCH => {
                after = Some((last.detection_timestamp, last.incident_id))
            }
            _ => break,
        }
    }
    if found.is_empty() {
        return Ok((Vec::new(), targets));
    }
    let lines = queries::incidents(
        conn,
        scope,
        prepared("incidents.incident_id = ANY(").bind::<diesel::sql_types::Array<Integer>, _>(found).sql(")"),
        "incidents.detection_timestamp, incidents.incident_id",
        MOST as i64,
    )?;
    Ok((lines, targets))
}

fn escalations_panel(conn: &mut PgConnection, scope: Scope) -> QueryResult<Panel> {
    lines_panel(
        conn,
        "Active escalations",
        vec!["Incident", "Escalated to"],
        "/incidents",
        prepared(
            "SELECT incidents.incident_id AS id, incidents.title, u.name || ' (' || e.escalation_level || ')' AS detail \
             FROM incident_escalations e JOIN incidents USING (incident_id) JOIN users u ON u.user_id = e.escalated_to_user \
             WHERE e.status = 'active' AND ",
        )
        .fragment(scope.incidents())
        .sql(" ORDER BY e.escalated_at LIMIT 20"),
        "No escalation is active.",
    )
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
            return Ok(Figure { label: "Audit chain".into(), value, href: None });
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
    Ok(Figure { label: "Audit chain".into(), value, href: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn views_arriving_together_compute_a_history_figure_once_and_share_it() {
        let history = HistoryFigures::default();
        let computed = AtomicUsize::new(0);
        let values: Vec<i64> = std::thread::scope(|scope| {
            let views: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        history
                            .get("figure", Scope::All, || {
                                computed.fetch_add(1, Ordering::SeqCst);
                                std::thread::sleep(Duration::from_millis(50));
                                Ok(42_i64)
                            })
                            .unwrap()
                    })
                })
                .collect();
            views.into_iter().map(|v| v.join().unwrap()).collect()
        });
        assert_eq!(values, [42; 8]);
        assert_eq!(computed.load(Ordering::SeqCst), 1, "computed once for eight views");
        let other = history.get("figure", Scope::Client(1), || Ok(7_i64)).unwrap();
        assert_eq!((other, computed.load(Ordering::SeqCst)), (7, 1), "each scope has its own figure");
    }
}
