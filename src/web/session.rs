//! Who is signed in: the session holds only the user id; the user is read afresh with the session on every request
//! (one statement, `session_store`), so a user set inactive or on leave is signed out at their next request.
use crate::auth::rules::may_act;
use crate::error::AppError;
use crate::users::User;
use actix_session::{Session, SessionExt};
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};
use std::future::Future;
use std::pin::Pin;

pub(super) const USER_KEY: &str = "uid";
const FLASH_KEY: &str = "flash";
const ORGANISATION_KEY: &str = "organisation";
const VIEWS_KEY: &str = "views";

/// The signed-in, active user. Handlers that take it are closed to everyone else.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User);

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let request = req.clone();
        Box::pin(async move {
            let user_id = session.get::<i32>(USER_KEY).ok().flatten().ok_or(AppError::SignInRequired)?;
            let user = session.get::<User>(super::session_store::SIGNED_IN_USER).ok().flatten();
            match user {
                Some(user) if user.user_id == user_id && may_act(user.status()).is_ok() => {
                    // For the audit of a refusal, after the handler.
                    request.extensions_mut().insert(user.actor());
                    Ok(CurrentUser(user))
                }
                _ => {
                    session.purge();
                    Err(AppError::SignInRequired)
                }
            }
        })
    }
}

/// What a signed-in page needs, in one extractor: the application, the session and the signed-in, active user (as
/// `CurrentUser` decides). A handler names beside it only what is its own: the path, the query, the form.
pub struct SignedIn {
    pub state: actix_web::web::Data<super::AppState>,
    pub session: Session,
    pub user: User,
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<actix_web::web::Data<super::AppState>>().cloned();
        let session = req.get_session();
        let user = CurrentUser::from_request(req, payload);
        Box::pin(async move {
            let CurrentUser(user) = user.await?;
            let state = state.ok_or_else(|| AppError::internal("the application state is not registered"))?;
            Ok(SignedIn { state, session, user })
        })
    }
}

/// Starts a signed-in session: a new session id (no fixation) and a new CSRF token. `organisation` names the
/// client or vendor a contact acts for, for the top bar.
pub fn sign_in(session: &Session, user_id: i32, organisation: Option<&str>) -> Result<(), AppError> {
    session.renew();
    session.insert(USER_KEY, user_id).map_err(AppError::internal)?;
    match organisation {
        Some(name) => session.insert(ORGANISATION_KEY, name).map_err(AppError::internal)?,
        None => {
            session.remove(ORGANISATION_KEY);
        }
    }
    super::csrf::rotate(session);
    Ok(())
}

/// The client or vendor the signed-in user acts for, if any.
pub fn organisation(session: &Session) -> Option<String> {
    session.get::<String>(ORGANISATION_KEY).ok().flatten()
}

/// Ends the signed-in session; a fresh anonymous one carries the flash message to the sign-in page.
pub fn sign_out(session: &Session) {
    session.clear();
    session.renew();
}

/// Leaves a message for the next page shown.
pub fn flash(session: &Session, message: impl Into<String>) {
    let _ = session.insert(FLASH_KEY, message.into());
}

pub fn take_flash(session: &Session) -> Option<String> {
    // Removing marks the session changed even when there is nothing to remove, and a changed session is written
    // back to the database: look first, so an ordinary page view writes nothing.
    if !session.contains_key(FLASH_KEY) {
        return None;
    }
    session.remove_as::<String>(FLASH_KEY).and_then(Result::ok)
}

/// The signed-in user's saved views, as the navigation lists them. The session keeps a copy, read at sign-in and
/// renewed whenever the user saves or deletes one, so no page reads the table to draw its navigation.
pub fn saved_views(session: &Session) -> Vec<crate::views::SavedView> {
    session.get(VIEWS_KEY).ok().flatten().unwrap_or_default()
}

pub fn set_saved_views(session: &Session, views: &[crate::views::SavedView]) {
    let _ = session.insert(VIEWS_KEY, views);
}
