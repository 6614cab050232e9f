//! The incident page.
use super::*;
use crate::web::session::SignedIn;

struct EscalationView {
    id: i32,
    level: String,
    target: String,
}

#[derive(Template)]
#[template(path = "incidents/detail.html")]
pub(super) struct DetailPage {
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
    /// The breach forecast of an unresolved incident, for staff.
    forecast: Option<crate::forecast::ForecastView>,
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
    /// Recent changes on its component and similar resolved incidents.
    insight: crate::intelligence::Insight,
    /// Whether the user may mark a recent change as the suspected cause, and request its rollback.
    can_suspect: bool,
    can_request_rollback: bool,
    /// The viewer's time zone, for the times of the intelligence panels.
    zone: String,
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
pub(super) fn next_steps(from: IncidentStatus, actor: &crate::access::Actor) -> Vec<IncidentStatus> {
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
    /// A time of the intelligence panels, in the viewer's zone.
    fn at(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        format::datetime(*at, &self.zone)
    }
    fn change_status(&self, value: &str) -> String {
        ChangeStatus::parse(value).map_or(value.to_string(), |s| s.label().to_string())
    }
    fn risk(&self, value: &str) -> String {
        RiskLevel::parse(value).map_or(value.to_string(), |r| r.label().to_string())
    }
    fn severity_of(&self, value: &str) -> String {
        Severity::parse(value).map_or(value.to_string(), |s| s.label().to_string())
    }
    fn is_suspected(&self, change_id: &i32) -> bool {
        self.incident.suspected_change_id == Some(*change_id)
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
pub(super) async fn detail_page(
    state: &AppState,
    session: &Session,
    user: &User,
    incident_id: i32,
    note: Note,
) -> Result<DetailPage, AppError> {
    let viewer = user.clone();
    let staff = user.actor().can(Action::ReadInternal(Area::Incidents), &Target::Any);
    let (incident, context, timeline, target, insight, forecast) = state
        .db(move |conn| {
            let incident = service::load(conn, &viewer, incident_id)?;
            let context = queries::context(conn, &incident)?;
            let timeline = timeline::load(conn, &incident, &viewer)?;
            let target = crate::service_levels::target(conn, incident.client_id, &incident.severity)?;
            let actor = viewer.actor();
            let reads_changes = actor.can(Action::Read(Area::Changes), &Target::Any);
            let matching = crate::intelligence::queries::title_match(conn)?;
            let insight =
                crate::intelligence::queries::insight(conn, &incident, Sight::of(&actor), reads_changes, matching)?;
            let forecast = match staff && incident.resolution_timestamp.is_none() {
                true => Some(crate::forecast::queries::of_incident(conn, incident.incident_id)?),
                false => None,
            };
            Ok((incident, context, timeline, target, insight, forecast))
        })
        .await?;
    let zone = user.timezone.as_str();
    let actor = user.actor();
    let can = |action| actor.can(action, &Target::Any);
    let open = incident.status() != IncidentStatus::Closed;
    let now = state.clock.now();
    let resolution_hours = target.as_ref().map(|t| t.resolution_time_hours);
    let body = DetailPage {
        page: Page::for_user(
            session,
            user,
            format!("Incident {}: {}", incident.incident_id, incident.title),
            "/incidents",
        ),
        reporter: timeline.reporter,
        assignee: timeline.assignee.unwrap_or_else(|| "Unassigned".into()),
        detected: format::datetime(incident.detection_timestamp, zone),
        created: format::datetime(incident.created_at, zone),
        acknowledged: incident.acknowledged_at.map(|at| format::datetime(at, zone)),
        resolved: incident.resolution_timestamp.map(|at| format::datetime(at, zone)),
        closed: incident.closed_at.map(|at| format::datetime(at, zone)),
        timeline: timeline
            .entries
            .into_iter()
            .map(|e| {
                let when = format!("{} ({})", format::datetime(e.at, zone), format::ago(e.at, now));
                (e, when)
            })
            .collect(),
        active_escalations: timeline
            .active_escalations
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
        forecast: forecast.map(|f| crate::forecast::ForecastView::of(f.as_ref(), resolution_hours)),
        steps: next_steps(incident.status(), &actor)
            .into_iter()
            .map(|to| Step { to, label: step_label(incident.status(), to) })
            .collect(),
        can_take: open && incident.assigned_to_user_id.is_none() && can(Action::Update(Area::Incidents)),
        note: if note.field == "note" { note.text.clone() } else { String::new() },
        resolution_note: if note.field == "resolution_note" { note.text } else { String::new() },
        errors: note.error.into_iter().map(|message| FieldError { field: note.field, message }).collect(),
        audit_href: crate::audit::trail_href(&actor, "incident", incident.incident_id),
        insight,
        can_suspect: can(Action::Update(Area::Incidents)),
        can_request_rollback: can(Action::Create(Area::Rollbacks)),
        zone: zone.to_string(),
        incident,
        context,
    };
    Ok(body)
}

/// A box of the incident page as typed (a progress update, a resolution note), and why it was refused.
#[derive(Default)]
pub(super) struct Note {
    pub(super) field: &'static str,
    pub(super) text: String,
    pub(super) error: Option<String>,
}

pub async fn detail(SignedIn { state, session, user }: SignedIn, id: web::Path<i32>) -> Result<HttpResponse, AppError> {
    html(detail_page(&state, &session, &user, id.into_inner(), Note::default()).await?, StatusCode::OK)
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
