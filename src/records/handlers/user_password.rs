//! A user's password, set by an administrator.
use super::*;
use crate::web::session::SignedIn;

#[derive(Template)]
#[template(path = "records/password.html")]
struct PasswordPage {
    page: Page,
    target: RecordView,
    errors: Vec<FieldError>,
}

async fn password_page(
    state: &AppState,
    session: &Session,
    user: User,
    id: i32,
    errors: Vec<FieldError>,
) -> Result<PasswordPage, AppError> {
    let resource = &resources::USERS;
    let actor = user.clone();
    let record = state.db(move |conn| Ok(kinds::users::may_set_password(conn, &actor, id)?)).await?;
    let target = view::record_view(resource, &record, &user.timezone);
    Ok(PasswordPage {
        page: Page::for_user(session, &user, format!("Set the password of {}", target.title), resource.path),
        target,
        errors,
    })
}

pub async fn password_form(
    SignedIn { state, session, user }: SignedIn,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    html(password_page(&state, &session, user, id.into_inner(), Vec::new()).await?, StatusCode::OK)
}

pub async fn set_password(
    SignedIn { state, session, user }: SignedIn,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let actor = user.clone();
    // Who may set it is checked before any hashing work is done.
    state.db(move |conn| Ok(kinds::users::may_set_password(conn, &actor, id)?)).await?;
    let new_password = form.get("password").cloned().unwrap_or_default();
    if let Err(message) = password::check_new_password(&new_password) {
        let errors = vec![FieldError { field: "password", message }];
        return unprocessable(password_page(&state, &session, user, id, errors.clone()).await?, &errors);
    }
    let hash = state.hashing.run(move || password::hash(&new_password)).await.map_err(AppError::internal)?;
    let (actor, clock) = (user.clone(), state.clock.clone());
    state
        .db(move |conn| Ok(conn.transaction(|conn| kinds::users::set_password(conn, &clock, &actor, id, &hash))?))
        .await?;
    session::flash(&session, "The password was set. Give it to the user in person or by phone.");
    Ok(see_other(&format!("/users/{id}")))
}
