//! Saving a view from the incident list, and deleting one.
use super::SavedView;
use super::service;
use crate::clock::Clock;
use crate::error::{AppError, Refusal};
use crate::users::User;
use crate::web::AppState;
use crate::web::respond::see_other;
use crate::web::session::SignedIn;
use crate::web::session::{self};
use actix_web::{HttpResponse, web};
use diesel::{Connection, PgConnection};
use std::collections::HashMap;

type Form = web::Form<HashMap<String, String>>;

/// Saves the list's filters and order under a name, then opens the view; a refused name shows the list again with
/// what was typed.
pub async fn save(SignedIn { state, session, user }: SignedIn, form: Form) -> Result<HttpResponse, AppError> {
    let name = form.get("name").cloned().unwrap_or_default();
    let query = form.get("query").cloned().unwrap_or_default();
    let (typed, address) = (name.clone(), query.clone());
    let outcome =
        changing_views(&state, &user, move |conn, clock, actor| service::save(conn, clock, actor, &typed, &address))
            .await?;
    match outcome {
        Ok((saved, views)) => {
            session::set_saved_views(&session, &views);
            session::flash(&session, format!("The view “{}” was saved; it is in the navigation.", saved.name));
            Ok(see_other(&saved.href()))
        }
        Err(Refusal::Invalid(errors)) => {
            let params: Vec<(String, String)> = serde_urlencoded::from_str(&query).unwrap_or_default();
            let message = errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ");
            crate::incidents::handlers::list_with_view_error(&state, &session, &user, &params, name, message, &errors)
                .await
        }
        Err(other) => Err(other.into()),
    }
}

/// Runs a change to the user's views in a transaction, and reads them all again for the navigation's copy.
async fn changing_views(
    state: &AppState,
    user: &User,
    work: impl FnOnce(&mut PgConnection, &Clock, &User) -> Result<SavedView, Refusal<SavedView>> + Send + 'static,
) -> Result<Result<(SavedView, Vec<SavedView>), Refusal<SavedView>>, AppError> {
    let (actor, clock) = (user.clone(), state.clock.clone());
    state
        .db(move |conn| {
            Ok(conn.transaction(|conn| {
                let changed = work(conn, &clock, &actor)?;
                Ok((changed, super::of_user(conn, actor.user_id)?))
            }))
        })
        .await
}

/// Deletes one of the user's own views.
pub async fn delete(SignedIn { state, session, user }: SignedIn, form: Form) -> Result<HttpResponse, AppError> {
    let view_id = form
        .get("view_id")
        .and_then(|id| id.trim().parse::<i32>().ok())
        .ok_or_else(|| AppError::Unprocessable("Choose one of your saved views to delete.".into()))?;
    let (deleted, views) =
        changing_views(&state, &user, move |conn, clock, actor| service::delete(conn, clock, actor, view_id)).await??;
    session::set_saved_views(&session, &views);
    session::flash(&session, format!("The view “{}” was deleted.", deleted.name));
    Ok(see_other("/incidents"))
}
