//! Signing in and out, and changing one's own password, as steps in the caller's transaction: the handlers run
//! them around the password hashing, which happens off the async workers and outside any transaction.
use super::{password, rules, throttle};
use crate::audit::{self, Actor, Changes};
use crate::clock::Clock;
use crate::forms::FieldError;
use crate::users::User;
use crate::users::queries::{self, LoginCandidate};
use diesel::PgConnection;
use diesel::QueryResult;

/// Why a sign-in was refused; each is shown on the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInRefusal {
    BadCredentials,
    NotActive(String),
}

impl SignInRefusal {
    pub fn message(&self) -> &str {
        match self {
            SignInRefusal::BadCredentials => rules::BAD_CREDENTIALS,
            SignInRefusal::NotActive(reason) => reason,
        }
    }
}

/// Starts a sign-in: refused while its account or address must wait (counted, not audited: anonymous requests
/// cannot grow the trail); otherwise counted, and the account that may be signing in, if any.
pub fn begin(
    conn: &mut PgConnection,
    clock: &Clock,
    attempt: &throttle::Attempt,
) -> QueryResult<Result<Option<LoginCandidate>, throttle::Wait>> {
    if let Err(wait) = throttle::begin(conn, attempt, clock.now())? {
        return Ok(Err(wait));
    }
    Ok(Ok(queries::find_for_login(conn, attempt.email.trim())?))
}

/// A refused sign-in: why, and the account it was about, if the email named one.
#[derive(Debug, Clone)]
pub struct Failure {
    pub account: Option<i32>,
    pub refusal: SignInRefusal,
}

/// Whether the password was right and the account may act: the user it signs in, or why not.
pub fn decide(user: Option<User>, verified: bool) -> Result<User, Failure> {
    match user {
        Some(user) if verified => match rules::may_act(user.status()) {
            Ok(()) => Ok(user),
            Err(reason) => Err(Failure { account: Some(user.user_id), refusal: SignInRefusal::NotActive(reason) }),
        },
        user => Err(Failure { account: user.map(|u| u.user_id), refusal: SignInRefusal::BadCredentials }),
    }
}

/// Ends a sign-in: a success starts the account's count afresh; either way it is audited.
pub fn finish(
    conn: &mut PgConnection,
    clock: &Clock,
    attempt: &throttle::Attempt,
    outcome: &Result<User, Failure>,
) -> QueryResult<()> {
    if outcome.is_ok() {
        throttle::succeeded(conn, attempt)?;
    }
    // A failure is not the account owner's act: its actor is unknown, and the account is only its subject.
    let (actor, entity_id, action) = match outcome {
        Ok(user) => (Actor::user(user.user_id, user.role()), user.user_id.to_string(), "login"),
        Err(Failure { account: Some(id), .. }) => (Actor::anonymous(), id.to_string(), "login_failed"),
        Err(Failure { account: None, .. }) => (Actor::anonymous(), String::new(), "login_failed"),
    };
    audit::record(conn, clock, actor, action, "user", entity_id, Changes::new())?;
    Ok(())
}

pub fn sign_out(conn: &mut PgConnection, clock: &Clock, user: &User) -> QueryResult<()> {
    let actor = Actor::user(user.user_id, user.role());
    audit::record(conn, clock, actor, "logout", "user", user.user_id, Changes::new())?;
    Ok(())
}

/// What is wrong with a new password and its confirmation, before the current one is checked.
pub fn check_new_password(new: &str, confirmation: &str) -> Vec<FieldError> {
    if let Err(message) = password::check_new_password(new) {
        vec![FieldError { field: "new_password", message }]
    } else if new != confirmation {
        vec![FieldError { field: "confirm_password", message: "The two new passwords are not the same.".into() }]
    } else {
        Vec::new()
    }
}

/// The refusal of a wrong current password.
pub fn wrong_current_password() -> FieldError {
    FieldError { field: "current_password", message: "Your current password is not correct.".into() }
}

/// Saves the user's new password (hashed beforehand) and ends their other sessions; the handler starts a fresh
/// one for this browser.
pub fn save_password(conn: &mut PgConnection, clock: &Clock, user: &User, hash: &str) -> QueryResult<()> {
    queries::set_password_hash(conn, user.user_id, hash, clock.now())?;
    queries::end_sessions_of(conn, user.user_id)?;
    let changes = Changes::new().field("password_hash", Some("old"), Some("new"));
    audit::record(conn, clock, Actor::user(user.user_id, user.role()), "update", "user", user.user_id, changes)?;
    Ok(())
}
