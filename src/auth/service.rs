//! Signing in: throttle, find the user, verify the password off the async workers, check the status, audit.
use super::{password, rules, throttle};
use crate::audit::{self, Actor, Changes};
use crate::error::AppError;
use crate::users::{User, queries};
use crate::web::AppState;
use crate::web::page::FieldError;
use diesel::Connection;

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

/// A signed-in user and the name of the client or vendor they are tied to.
pub type SignedIn = (User, Option<String>);

pub async fn sign_in(
    state: &AppState,
    email: &str,
    password_input: &str,
    address: Option<String>,
) -> Result<Result<SignedIn, SignInRefusal>, AppError> {
    let attempt = throttle::Attempt { email: email.to_string(), address };
    let (counted, clock) = (attempt.clone(), state.clock.clone());
    let started =
        state.db(move |conn| Ok(conn.transaction(|conn| throttle::begin(conn, &counted, clock.now()))?)).await?;
    if let Err(wait) = started {
        // Waiting attempts are counted by the throttle, not audited: anonymous requests cannot grow the trail.
        let seconds = wait.left.as_secs_f64().ceil().max(1.0) as u64;
        return Err(AppError::TooManyAttempts { seconds, from_address: wait.address });
    }
    let lookup_email = email.trim().to_string();
    let candidate = state.db(move |conn| Ok(queries::find_for_login(conn, &lookup_email)?)).await?;
    let (user, stored_hash, organisation) = match candidate {
        Some((user, hash, organisation)) => (Some(user), hash, organisation),
        None => (None, None, None),
    };
    // Over-long input is refused without hashing, but only after the same lookup, so timing says nothing.
    let password_input = password_input.to_string();
    let verified = password_input.len() <= password::MAX_PASSWORD_LENGTH
        && state.hashing.verify(password_input, stored_hash).await;

    let outcome = match user {
        Some(user) if verified => match rules::may_act(user.status()) {
            Ok(()) => Ok(user),
            Err(reason) => Err((Some(user), SignInRefusal::NotActive(reason))),
        },
        user => Err((user, SignInRefusal::BadCredentials)),
    };
    if outcome.is_ok() {
        state.db(move |conn| Ok(throttle::succeeded(conn, &attempt)?)).await?;
    }
    // A failure is not the account owner's act: its actor is unknown, and the account is only its subject.
    let (actor, entity_id) = match &outcome {
        Ok(user) => (Actor::user(user.user_id, user.role()), user.user_id.to_string()),
        Err((Some(user), _)) => (Actor::anonymous(), user.user_id.to_string()),
        Err((None, _)) => (Actor::anonymous(), String::new()),
    };
    let action = if outcome.is_ok() { "login" } else { "login_failed" };
    let clock = state.clock.clone();
    state
        .db(move |conn| {
            conn.transaction(|conn| audit::record(conn, &clock, actor, action, "user", entity_id, Changes::new()))?;
            Ok(())
        })
        .await?;
    Ok(outcome.map(|user| (user, organisation)).map_err(|(_, refusal)| refusal))
}

pub async fn sign_out(state: &AppState, user: &User) -> Result<(), AppError> {
    let (user_id, role, clock) = (user.user_id, user.role(), state.clock.clone());
    state
        .db(move |conn| {
            conn.transaction(|conn| {
                audit::record(conn, &clock, Actor::user(user_id, role), "logout", "user", user_id, Changes::new())
            })?;
            Ok(())
        })
        .await
}

/// A user changes their own password: the current one is required and the new one must be acceptable.
/// Returns the form's errors when refused.
pub async fn change_password(
    state: &AppState,
    user: &User,
    current: &str,
    new: &str,
    confirmation: &str,
) -> Result<Vec<FieldError>, AppError> {
    let mut errors = Vec::new();
    if let Err(message) = password::check_new_password(new) {
        errors.push(FieldError { field: "new_password", message });
    } else if new != confirmation {
        errors
            .push(FieldError { field: "confirm_password", message: "The two new passwords are not the same.".into() });
    }
    let user_id = user.user_id;
    let stored = state.db(move |conn| Ok(queries::password_hash(conn, user_id)?)).await?;
    let current = current.to_string();
    let verified = current.len() <= password::MAX_PASSWORD_LENGTH && state.hashing.verify(current, stored).await;
    if !verified {
        errors.insert(
            0,
            FieldError { field: "current_password", message: "Your current password is not correct.".into() },
        );
    }
    if !errors.is_empty() {
        return Ok(errors);
    }
    let new = new.to_string();
    let hash = state.hashing.run(move || password::hash(&new)).await.map_err(AppError::internal)?;
    let (role, clock) = (user.role(), state.clock.clone());
    state
        .db(move |conn| {
            conn.transaction(|conn| {
                queries::set_password_hash(conn, user_id, &hash, clock.now())?;
                // Every other session of the user ends; the handler starts a fresh one for this browser.
                crate::web::session_store::end_sessions_of(conn, user_id)?;
                let changes = Changes::new().field("password_hash", Some("old"), Some("new"));
                audit::record(conn, &clock, Actor::user(user_id, role), "update", "user", user_id, changes)
            })?;
            Ok(())
        })
        .await?;
    Ok(Vec::new())
}
