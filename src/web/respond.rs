//! The two answers to a POST: a redirect on success, the form again with 422 on refusal.
use crate::error::AppError;
use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use askama::Template;

/// A successful POST answers with a redirect.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

/// A refused form is shown again, with what was typed, as 422.
pub fn unprocessable(template: impl Template) -> Result<HttpResponse, AppError> {
    let body = template.render().map_err(AppError::internal)?;
    Ok(HttpResponse::build(StatusCode::UNPROCESSABLE_ENTITY).content_type("text/html; charset=utf-8").body(body))
}
