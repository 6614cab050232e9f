//! Marking a recent change as the incident's suspected cause, from the incident's page.
use crate::error::AppError;
use crate::web::respond::after_action;
use crate::web::session::SignedIn;
use actix_web::{HttpResponse, web};
use diesel::Connection;
use std::collections::HashMap;

/// Marks the change the form names as the suspected cause; an empty one clears the mark.
pub async fn mark_suspected(
    SignedIn { state, session, user }: SignedIn,
    id: web::Path<i32>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let incident_id = id.into_inner();
    let typed = form.get("change_id").map(|v| v.trim().to_string()).unwrap_or_default();
    let change_id = match typed.as_str() {
        "" => None,
        text => Some(text.parse::<i32>().map_err(|_| {
            AppError::Unprocessable(format!("Suspected cause: \"{text}\" is not a change request's number."))
        })?),
    };
    let done = match change_id {
        Some(change) => format!("Change {change} is marked as the suspected cause."),
        None => "The suspected cause is cleared.".to_string(),
    };
    let (clock, actor) = (state.clock.clone(), user.clone());
    let outcome = state
        .db(move |conn| {
            Ok(conn.transaction(|conn| super::service::mark_suspected(conn, &clock, &actor, incident_id, change_id)))
        })
        .await?;
    after_action(&session, outcome, &done, &format!("/incidents/{incident_id}#recent-changes"))
}
