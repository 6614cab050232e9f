use super::service::{self, SignInRefusal};
use super::{password, throttle};
use crate::error::AppError;
use crate::users::User;
use crate::web::AppState;
use crate::web::csrf;
use crate::web::page::{FieldError, Page};
use crate::web::respond::{see_other, unprocessable};
use crate::web::session::SignedIn;
use crate::web::session::{self, CurrentUser};
use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use diesel::Connection;
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    page: Page,
    email: String,
    errors: Vec<FieldError>,
}

impl LoginPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn login_form(request: HttpRequest, session: Session) -> Result<HttpResponse, AppError> {
    let (token, cookie) = csrf::sign_in_token(&request, &session);
    let page =
        LoginPage { page: Page::anonymous(&session, token, "Sign in"), email: String::new(), errors: Vec::new() };
    let mut response = page.respond_to(&request).map_into_boxed_body();
    if let Some(cookie) = cookie {
        response.add_cookie(&cookie).map_err(AppError::internal)?;
    }
    Ok(response)
}

pub async fn login(
    request: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let mut errors = Vec::new();
    if form.email.trim().is_empty() {
        errors.push(FieldError { field: "email", message: "Enter your email address.".into() });
    }
    if form.password.is_empty() {
        errors.push(FieldError { field: "password", message: "Enter your password.".into() });
    }
    if errors.is_empty() {
        match sign_in(&state, &form.email, &form.password, state.client_address(&request)).await? {
            Ok((user, organisation)) => {
                session::sign_in(&session, user.user_id, organisation.as_deref())?;
                let user_id = user.user_id;
                let views = state.db(move |conn| Ok(crate::views::of_user(conn, user_id)?)).await?;
                session::set_saved_views(&session, &views);
                session::flash(&session, format!("Signed in as {}.", user.name));
                return Ok(see_other("/"));
            }
            Err(refusal @ (SignInRefusal::BadCredentials | SignInRefusal::NotActive(_))) => {
                errors.push(FieldError { field: "email", message: refusal.message().to_string() });
            }
        }
    }
    // The browser's sign-in cookie stays as it was: the form only needs its token again.
    let (token, _) = csrf::sign_in_token(&request, &session);
    let refusal = errors.clone();
    let page = LoginPage { page: Page::anonymous(&session, token, "Sign in"), email: form.email, errors };
    unprocessable(page, &refusal)
}

/// Throttles, finds the user, verifies the password off the async workers, checks the status, audits.
async fn sign_in(
    state: &AppState,
    email: &str,
    password_input: &str,
    address: Option<String>,
) -> Result<Result<(User, Option<String>), SignInRefusal>, AppError> {
    let attempt = throttle::Attempt { email: email.to_string(), address };
    let (counted, clock) = (attempt.clone(), state.clock.clone());
    let started = state.db(move |conn| Ok(conn.transaction(|conn| service::begin(conn, &clock, &counted))?)).await?;
    let candidate = started.map_err(|wait| AppError::TooManyAttempts {
        seconds: wait.left.as_secs_f64().ceil().max(1.0) as u64,
        from_address: wait.address,
    })?;
    let (user, stored_hash, organisation) = match candidate {
        Some((user, hash, organisation)) => (Some(user), hash, organisation),
        None => (None, None, None),
    };
    // Over-long input is refused without hashing, but only after the same lookup, so timing says nothing.
    let password_input = password_input.to_string();
    let verified = password_input.len() <= password::MAX_PASSWORD_LENGTH
        && state.hashing.verify(password_input, stored_hash).await;
    let outcome = service::decide(user, verified);
    let (ended, clock) = (outcome.clone(), state.clock.clone());
    state.db(move |conn| Ok(conn.transaction(|conn| service::finish(conn, &clock, &attempt, &ended))?)).await?;
    Ok(outcome.map(|user| (user, organisation)).map_err(|failure| failure.refusal))
}

pub async fn logout(
    state: web::Data<AppState>,
    session: Session,
    user: Option<CurrentUser>,
) -> Result<HttpResponse, AppError> {
    if let Some(CurrentUser(user)) = user {
        let clock = state.clock.clone();
        state.db(move |conn| Ok(conn.transaction(|conn| service::sign_out(conn, &clock, &user))?)).await?;
    }
    session::sign_out(&session);
    session::flash(&session, "You have signed out.");
    Ok(see_other("/login"))
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/password.html")]
pub struct PasswordPage {
    page: Page,
    errors: Vec<FieldError>,
}

impl PasswordPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
}

pub async fn password_form(session: Session, CurrentUser(user): CurrentUser) -> impl Responder {
    PasswordPage {
        page: Page::for_user(&session, &user, "Change your password", "/account/password"),
        errors: Vec::new(),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn change_password(
    SignedIn { state, session, user }: SignedIn,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = service::check_new_password(&form.new_password, &form.confirm_password);
    let user_id = user.user_id;
    let stored = state.db(move |conn| Ok(crate::users::queries::password_hash(conn, user_id)?)).await?;
    let current = form.current_password.clone();
    if !(current.len() <= password::MAX_PASSWORD_LENGTH && state.hashing.verify(current, stored).await) {
        errors.insert(0, service::wrong_current_password());
    }
    if errors.is_empty() {
        let new = form.new_password.clone();
        let hash = state.hashing.run(move || password::hash(&new)).await.map_err(AppError::internal)?;
        let (clock, changing) = (state.clock.clone(), user.clone());
        state
            .db(move |conn| Ok(conn.transaction(|conn| service::save_password(conn, &clock, &changing, &hash))?))
            .await?;
    }
    if !errors.is_empty() {
        let refusal = errors.clone();
        let page =
            PasswordPage { page: Page::for_user(&session, &user, "Change your password", "/account/password"), errors };
        return unprocessable(page, &refusal);
    }
    // A new session after a password change, so a session stolen earlier does not carry over.
    session::sign_in(&session, user.user_id, session::organisation(&session).as_deref())?;
    session::flash(&session, "Your password was changed.");
    Ok(see_other("/"))
}
