//! The two answers to a POST: a redirect on success, the form again with 422 on refusal.
use crate::error::AppError;
use crate::forms::FieldError;
use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use askama::Template;

/// A successful POST answers with a redirect.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

/// A rendered page with a status.
pub fn html(template: impl Template, status: StatusCode) -> Result<HttpResponse, AppError> {
    let body = template.render().map_err(AppError::internal)?;
    Ok(page(body, status))
}

fn page(body: String, status: StatusCode) -> HttpResponse {
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body)
}

/// A form shown again with its error summary: the window's title starts with "Error:", so a screen reader says so
/// before anything else (GOV.UK's pattern).
fn with_errors(template: impl Template, status: StatusCode) -> Result<HttpResponse, AppError> {
    let body = template.render().map_err(AppError::internal)?;
    Ok(page(body.replacen("<title>", "<title>Error: ", 1), status))
}

/// A form whose record someone else changed meanwhile, shown again with theirs and what was typed (409).
pub fn conflict(template: impl Template) -> Result<HttpResponse, AppError> {
    with_errors(template, StatusCode::CONFLICT)
}

/// A refused form is shown again, with what was typed, as 422; its messages are the refusal's reason.
pub fn unprocessable(template: impl Template, errors: &[FieldError]) -> Result<HttpResponse, AppError> {
    let mut response = with_errors(template, StatusCode::UNPROCESSABLE_ENTITY)?;
    let reason = errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" ");
    response.extensions_mut().insert(crate::error::Refused(reason));
    Ok(response)
}

/// The answer to a one-button action: back to the record with a flash, or the refusal's page (input refusals are
/// 422 with their messages, since no form is shown again).
pub fn after_action<C>(
    session: &actix_session::Session,
    outcome: Result<(), crate::error::Refusal<C>>,
    done: &str,
    back: &str,
) -> Result<HttpResponse, AppError> {
    match outcome {
        Ok(()) => {
            super::session::flash(session, done);
            Ok(see_other(back))
        }
        Err(refusal) => Err(refusal.into()),
    }
}
