//! The error page: each `AppError` variant answers with its status and words, and carries the security headers
//! itself (some are answered before the header middleware); a refusal's reason rides on the answer for its audit.
use crate::error::{AppError, Refused};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

impl From<actix_web::error::BlockingError> for AppError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        AppError::internal(error)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: String,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::SignInRequired => StatusCode::SEE_OTHER,
            AppError::Forbidden(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict | AppError::WrongState(_) => StatusCode::CONFLICT,
            AppError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(detail) = self {
            tracing::error!(%detail, "request failed");
        }
        let status = self.status_code();
        if let AppError::SignInRequired = self {
            return HttpResponse::SeeOther().insert_header((actix_web::http::header::LOCATION, "/login")).finish();
        }
        let title = match self {
            AppError::NotFound | AppError::SignInRequired => "Page not found",
            AppError::Forbidden(_) | AppError::Csrf => "You cannot do that",
            AppError::BadRequest(_) => "The request was not understood",
            AppError::TooLarge => "The form is too large",
            AppError::Unprocessable(_) => "There is a problem",
            AppError::Conflict => "This record changed",
            AppError::WrongState(_) => "Not possible in this state",
            AppError::TooManyAttempts { .. } => "Too many attempts",
            AppError::Unavailable => "Service unavailable",
            AppError::Internal(_) => "Something went wrong",
        };
        let page = ErrorPage { status: status.as_u16(), title, message: self.to_string() };
        let mut response = HttpResponse::build(status);
        // Error pages carry the security headers themselves: some are answered before the header middleware.
        for (name, value) in super::SECURITY_HEADERS {
            response.insert_header((*name, *value));
        }
        if let AppError::TooManyAttempts { seconds, .. } = self {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        let mut response = match page.render() {
            Ok(body) => response.content_type("text/html; charset=utf-8").body(body),
            Err(_) => response.content_type("text/plain; charset=utf-8").body(page.message),
        };
        if let Some(reason) = self.refusal() {
            response.extensions_mut().insert(Refused(reason));
        }
        response
    }
}
