//! One-button actions on the incident page: move along, take, close, progress, end an escalation.
use super::*;

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

/// The record version a one-button form was shown with, if it has one.
fn version_of(typed: &HashMap<String, String>) -> Option<i32> {
    typed.get("lock_version").and_then(|v| v.trim().parse::<i32>().ok())
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
    fn(&mut diesel::PgConnection, &crate::clock::Clock, &User, i32, Option<i32>) -> Result<Incident, Refusal>;

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
