use super::service::{self, SignInRefusal};
use crate::error::AppError;
use crate::web::AppState;
use crate::web::csrf;
use crate::web::page::{FieldError, Page};
use crate::web::respond::{see_other, unprocessable};
use crate::web::session::{self, CurrentUser};
use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
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
        let address = state.client_address(&request);
        match service::sign_in(&state, &form.email, &form.password, address).await? {
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

pub async fn logout(
    state: web::Data<AppState>,
    session: Session,
    user: Option<CurrentUser>,
) -> Result<HttpResponse, AppError> {
    if let Some(CurrentUser(user)) = user {
        service::sign_out(&state, &user).await?;
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
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let errors =
        service::change_password(&state, &user, &form.current_password, &form.new_password, &form.confirm_password)
            .await?;
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
