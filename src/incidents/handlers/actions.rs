//! One-button actions on the incident page: move along, take, close, progress, end an escalation.
use super::*;
use crate::web::session::SignedIn;

/// A one-button action of the incident page, read from its form: what it does and says once done.
pub trait PageAction: Sized + Send + 'static {
    fn read(typed: &HashMap<String, String>) -> Self;

    /// The flash once done.
    fn done(&self) -> &'static str;

    /// The text box it takes, if any: its field and what was typed, shown again when the text is refused.
    fn note(&self) -> Option<(&'static str, String)> {
        None
    }

    /// Does it, in the caller's transaction.
    fn run(self, conn: &mut diesel::PgConnection, on: OnIncident<'_>) -> Result<(), Refusal>;
}

/// Moves the incident one step along (acknowledge, start work, resolve, reopen), from the version its page showed;
/// resolving says how.
pub struct MoveAlong {
    version: Option<i32>,
    to: Option<IncidentStatus>,
    resolution_note: String,
}

impl PageAction for MoveAlong {
    fn read(typed: &HashMap<String, String>) -> Self {
        MoveAlong {
            version: crate::forms::lock_version(typed),
            to: typed.get("to").and_then(|to| IncidentStatus::parse(to.trim())),
            resolution_note: typed.get("resolution_note").cloned().unwrap_or_default(),
        }
    }

    fn done(&self) -> &'static str {
        match self.to {
            Some(IncidentStatus::Investigating) => "Incident acknowledged.",
            Some(IncidentStatus::InProgress) => "Work on the incident has started.",
            Some(IncidentStatus::Resolved) => "Incident resolved.",
            _ => "Incident status changed.",
        }
    }

    fn note(&self) -> Option<(&'static str, String)> {
        Some(("resolution_note", self.resolution_note.clone()))
    }

    fn run(self, conn: &mut diesel::PgConnection, on: OnIncident<'_>) -> Result<(), Refusal> {
        service::move_to(conn, on, self.version, self.to, &self.resolution_note).map(|_| ())
    }
}

/// Assigns the incident to the one who takes it.
pub struct Take(Option<i32>);

impl PageAction for Take {
    fn read(typed: &HashMap<String, String>) -> Self {
        Take(crate::forms::lock_version(typed))
    }

    fn done(&self) -> &'static str {
        "You have taken the incident; it is assigned to you."
    }

    fn run(self, conn: &mut diesel::PgConnection, on: OnIncident<'_>) -> Result<(), Refusal> {
        service::take(conn, on, self.0).map(|_| ())
    }
}

/// Closes a resolved incident.
pub struct Close(Option<i32>);

impl PageAction for Close {
    fn read(typed: &HashMap<String, String>) -> Self {
        Close(crate::forms::lock_version(typed))
    }

    fn done(&self) -> &'static str {
        "Incident closed."
    }

    fn run(self, conn: &mut diesel::PgConnection, on: OnIncident<'_>) -> Result<(), Refusal> {
        service::close(conn, on, self.0).map(|_| ())
    }
}

/// Posts a progress update.
pub struct Progress(String);

impl PageAction for Progress {
    fn read(typed: &HashMap<String, String>) -> Self {
        Progress(typed.get("note").cloned().unwrap_or_default())
    }

    fn done(&self) -> &'static str {
        "Progress update posted."
    }

    fn note(&self) -> Option<(&'static str, String)> {
        Some(("note", self.0.clone()))
    }

    fn run(self, conn: &mut diesel::PgConnection, on: OnIncident<'_>) -> Result<(), Refusal> {
        service::post_progress(conn, on, &self.0).map(|_| ())
    }
}

/// Takes a one-button action from the incident page.
pub async fn act<A: PageAction>(
    SignedIn { state, session, user }: SignedIn,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let action = A::read(&read(form).0);
    let (done, note) = (action.done(), action.note());
    run(&state, &session, &user, (id.into_inner(), done), note, move |conn, on| action.run(conn, on)).await
}

/// Runs an action from the incident page and returns to it with a flash, or with the refusal's page. An action that
/// takes a note (`typed`: its field and text) shows the page again with the note as typed when the note is refused.
async fn run(
    state: &AppState,
    session: &Session,
    user: &User,
    (incident_id, done): (i32, &str),
    typed: Option<(&'static str, String)>,
    work: impl FnOnce(&mut diesel::PgConnection, OnIncident<'_>) -> Result<(), Refusal> + Send + 'static,
) -> Result<HttpResponse, AppError> {
    let (clock, actor) = (state.clock.clone(), user.clone());
    let outcome = state
        .db(move |conn| {
            let on = OnIncident { clock: &clock, user: &actor, incident_id };
            Ok(conn.transaction(|conn| work(conn, on)))
        })
        .await?;
    match (outcome, typed) {
        (Err(Refusal::Invalid(errors)), Some((field, text))) if errors.iter().any(|e| e.field == field) => {
            let error = errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ");
            let note = Note { field, text, error: Some(error) };
            unprocessable(detail_page(state, session, user, incident_id, note).await?, &errors)
        }
        (outcome, _) => after_action(session, outcome, done, &format!("/incidents/{incident_id}")),
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
    run(&state, &session, &user, (incident_id, done), None, move |conn, on| {
        service::end_escalation(conn, on, escalation_id, resolve)
    })
    .await
}

pub async fn resolve_escalation(
    SignedIn { state, session, user }: SignedIn,
    path: web::Path<(i32, i32)>,
) -> Result<HttpResponse, AppError> {
    end_escalation(state, session, user, path.into_inner(), true).await
}

pub async fn cancel_escalation(
    SignedIn { state, session, user }: SignedIn,
    path: web::Path<(i32, i32)>,
) -> Result<HttpResponse, AppError> {
    end_escalation(state, session, user, path.into_inner(), false).await
}
