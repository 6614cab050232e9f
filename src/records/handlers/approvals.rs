//! Approving and rejecting.
use super::*;
use crate::web::session::SignedIn;

#[derive(Template)]
#[template(path = "records/decide.html")]
struct DecidePage {
    page: Page,
    resource: &'static Resource,
    record: RecordView,
    reason: String,
    errors: Vec<FieldError>,
}

async fn decide_page(
    state: &AppState,
    session: &Session,
    user: User,
    resource: &'static Resource,
    id: i32,
    reason: String,
    errors: Vec<FieldError>,
) -> Result<DecidePage, AppError> {
    let actor = user.clone();
    let record = state.db(move |conn| Ok(service::load(conn, &actor, resource, id)?)).await?;
    user.actor().may(Action::Decide(resource.area), &rules::target(resource, &record, Some(id)))?;
    if !resource.behaviour.waiting(resource, &record) {
        return Err(AppError::WrongState(format!(
            "Approval: this {} has been decided already; only waiting records can be decided.",
            resource.noun.to_lowercase()
        )));
    }
    let record = view::record_view(resource, &record, &user.timezone);
    Ok(DecidePage {
        page: Page::for_user(
            session,
            &user,
            format!("Approve or reject {} {id}", resource.noun.to_lowercase()),
            resource.path,
        ),
        resource,
        record,
        reason,
        errors,
    })
}

pub async fn decide_form<R: Described>(
    SignedIn { state, session, user }: SignedIn,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    html(
        decide_page(&state, &session, user, R::resource(), id.into_inner(), String::new(), Vec::new()).await?,
        StatusCode::OK,
    )
}

async fn decide<R: Described>(
    state: web::Data<AppState>,
    session: Session,
    user: User,
    id: i32,
    approve: bool,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let resource = R::resource();
    let reason = form.get("rejection_reason").cloned().unwrap_or_default();
    let (actor, clock, submitted) = (user.clone(), state.clock.clone(), reason.clone());
    let outcome = state
        .db(move |conn| {
            Ok(conn.transaction(|conn| kinds::decide(conn, &clock, &actor, resource, id, approve, &submitted)))
        })
        .await?;
    match outcome {
        Ok(()) => {
            session::flash(
                &session,
                format!("{} {id} was {}.", resource.noun, if approve { "approved" } else { "rejected" }),
            );
            Ok(see_other(&format!("{}/{id}", resource.path)))
        }
        Err(Refusal::Invalid(errors)) => {
            let refusal = errors.clone();
            unprocessable(decide_page(&state, &session, user, resource, id, reason, errors).await?, &refusal)
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn approve<R: Described>(
    SignedIn { state, session, user }: SignedIn,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    decide::<R>(state, session, user, id.into_inner(), true, form).await
}

pub async fn reject<R: Described>(
    SignedIn { state, session, user }: SignedIn,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    decide::<R>(state, session, user, id.into_inner(), false, form).await
}
