//! The one application error. Each variant renders the error page with its status.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("The page or record was not found.")]
    NotFound,
    /// No one is signed in (or the session's user may no longer act): go to the sign-in page.
    #[error("Sign in to continue.")]
    SignInRequired,
    /// A rule refused the action; the text names the rule.
    #[error("{0}")]
    Forbidden(String),
    #[error("The form has expired or did not come from this site. Go back, reload the page and try again.")]
    Csrf,
    #[error("{0}")]
    BadRequest(String),
    #[error(
        "Someone else changed this record while you were editing it. Reload it to see their changes, then try again."
    )]
    Conflict,
    #[error("Too many failed sign-in attempts for this account. Try again in {0} seconds.")]
    TooManyAttempts(u64),
    #[error("The database is not available right now. Try again in a moment.")]
    Unavailable,
    #[error("Something went wrong on our side. The error was logged.")]
    Internal(String),
}

impl AppError {
    pub fn internal(error: impl std::fmt::Display) -> Self {
        AppError::Internal(error.to_string())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => AppError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _) => {
                AppError::Unavailable
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(_: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable
    }
}

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
            AppError::Conflict => StatusCode::CONFLICT,
            AppError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
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
            AppError::Conflict => "This record changed",
            AppError::TooManyAttempts(_) => "Too many attempts",
            AppError::Unavailable => "Service unavailable",
            AppError::Internal(_) => "Something went wrong",
        };
        let page = ErrorPage { status: status.as_u16(), title, message: self.to_string() };
        let mut response = HttpResponse::build(status);
        if let AppError::TooManyAttempts(seconds) = self {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        match page.render() {
            Ok(body) => response.content_type("text/html; charset=utf-8").body(body),
            Err(_) => response.content_type("text/plain; charset=utf-8").body(page.message),
        }
    }
}
