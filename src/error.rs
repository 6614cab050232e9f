//! The one application error, and the refusals of use cases. The web layer renders each variant as the error page
//! with its status (`web::error_page`).

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
    /// A form larger than any the product's own fields add up to.
    #[error("The form is too large to send. Shorten the longest text and try again.")]
    TooLarge,
    /// A refusal of submitted content where no form is shown again.
    #[error("{0}")]
    Unprocessable(String),
    #[error(
        "Someone else changed this record while you were editing it. Reload it to see their changes, then try again."
    )]
    Conflict,
    /// The record's state does not allow the action (already decided, closed, carried out); the text names the rule.
    #[error("{0}")]
    WrongState(String),
    #[error(
        "Too many failed sign-in attempts {}. Try again in {seconds} seconds.",
        if *from_address { "from your network address" } else { "for this account" }
    )]
    TooManyAttempts { seconds: u64, from_address: bool },
    #[error("The database is not available right now. Try again in a moment.")]
    Unavailable,
    #[error("Something went wrong on our side. The error was logged.")]
    Internal(String),
}

/// Why a request was refused, carried on its answer so that the web layer can audit the refusal.
#[derive(Debug, Clone)]
pub struct Refused(pub String);

impl AppError {
    /// The rule or reason that refused the request, for its audit entry; `None` when it was no refusal.
    pub fn refusal(&self) -> Option<String> {
        match self {
            AppError::Forbidden(reason) | AppError::WrongState(reason) | AppError::Unprocessable(reason) => {
                Some(reason.clone())
            }
            AppError::NotFound => Some("Not found within the user's scope.".into()),
            _ => None,
        }
    }

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

/// Why a use case did not go through; nothing was written. `C` is the record as it is now, for conflicts.
#[derive(Debug)]
pub enum Refusal<C> {
    /// A rule about who may act; the text names the rule.
    Forbidden(String),
    /// A rule about the record's state (already decided, closed, carried out); the text names the rule.
    WrongState(String),
    /// The record does not exist, or not within the actor's scope.
    NotFound,
    /// The form needs correcting.
    Invalid(Vec<crate::forms::FieldError>),
    /// Someone saved the record first; here it is as it is now.
    Conflict(Box<C>),
    Database(diesel::result::Error),
}

impl<C> From<diesel::result::Error> for Refusal<C> {
    fn from(error: diesel::result::Error) -> Self {
        Refusal::Database(error)
    }
}

impl<C> Refusal<C> {
    /// A refusal of one field.
    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        Refusal::Invalid(vec![crate::forms::FieldError { field, message: message.into() }])
    }
}

/// A refusal by an access rule: its words are the page's message.
impl<C> From<crate::access::Rule> for Refusal<C> {
    fn from(rule: crate::access::Rule) -> Self {
        Refusal::Forbidden(rule.text)
    }
}

impl From<crate::access::Rule> for AppError {
    fn from(rule: crate::access::Rule) -> Self {
        AppError::Forbidden(rule.text)
    }
}

/// Refusals that reach the error page (forms show `Invalid` and `Conflict` again themselves). A refusal by a rule or
/// of the input keeps its reason, so that the audit of refused POSTs records it however the handler got here.
impl<C> From<Refusal<C>> for AppError {
    fn from(refusal: Refusal<C>) -> Self {
        match refusal {
            Refusal::Forbidden(reason) => AppError::Forbidden(reason),
            Refusal::WrongState(reason) => AppError::WrongState(reason),
            Refusal::NotFound => AppError::NotFound,
            Refusal::Invalid(errors) => {
                AppError::Unprocessable(errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join(" "))
            }
            Refusal::Conflict(_) => AppError::Conflict,
            Refusal::Database(error) => error.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_that_reaches_the_error_page_keeps_its_reason_for_the_audit() {
        let table: [(Refusal<()>, Option<&str>); 5] = [
            (
                Refusal::Forbidden("Only incident managers may approve.".into()),
                Some("Only incident managers may approve."),
            ),
            (Refusal::WrongState("Already approved.".into()), Some("Already approved.")),
            (Refusal::NotFound, Some("Not found within the user's scope.")),
            (Refusal::field("title", "Enter a title."), Some("Enter a title.")),
            // Someone saved first: no rule refused it, and the form shows their version.
            (Refusal::Conflict(Box::new(())), None),
        ];
        for (refusal, reason) in table {
            let described = format!("{refusal:?}");
            assert_eq!(AppError::from(refusal).refusal().as_deref(), reason, "{described}");
        }
    }
}
