//! Signing in: throttle, find the user, verify the password off the async workers, check the status, audit.
use super::{password, rules};
use crate::audit::{self, Actor, Changes};
use crate::error::AppError;
use crate::users::{User, queries};
use crate::web::AppState;
use diesel::Connection;
use std::time::Instant;

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

pub async fn sign_in(state: &AppState, email: &str, password_input: &str) -> Result<Result<User, SignInRefusal>, AppError> {
    let wait = state.throttle.wait_for(email, Instant::now());
    if !wait.is_zero() {
        return Err(AppError::TooManyAttempts(wait.as_secs().max(1)));
    }
    let lookup_email = email.trim().to_string();
    let candidate = state.db(move |conn| Ok(queries::find_for_login(conn, &lookup_email)?)).await?;
    let (user, stored_hash) = match candidate {
        Some((user, hash)) => (Some(user), hash),
        None => (None, None),
    };
    // Over-long input is refused without hashing, but only after the same lookup, so timing says nothing.
    let password_input = password_input.to_string();
    let verified = password_input.len() <= password::MAX_PASSWORD_LENGTH
        && state.hashing.run(move || password::verify(&password_input, stored_hash.as_deref())).await;

    let outcome = match user {
        Some(user) if verified => match rules::may_act(user.status()) {
            Ok(()) => Ok(user),
            Err(reason) => Err((Some(user), SignInRefusal::NotActive(reason))),
        },
        user => Err((user, SignInRefusal::BadCredentials)),
    };
    match &outcome {
        Ok(_) => state.throttle.succeeded(email),
        Err(_) => state.throttle.failed(email, Instant::now()),
    }
    let audited_user = match &outcome {
        Ok(user) | Err((Some(user), _)) => Some((user.user_id, user.role())),
        Err((None, _)) => None,
    };
    let action = if outcome.is_ok() { "login" } else { "login_failed" };
    let clock = state.clock.clone();
    state
        .db(move |conn| {
            conn.transaction(|conn| {
                let actor = audited_user.map_or(Actor::anonymous(), |(id, role)| Actor::user(id, role));
                let entity_id = audited_user.map_or(String::new(), |(id, _)| id.to_string());
                audit::record(conn, &clock, actor, action, "user", entity_id, Changes::new())
            })?;
            Ok(())
        })
        .await?;
    Ok(outcome.map_err(|(_, refusal)| refusal))
}

pub async fn sign_out(state: &AppState, user: &User) -> Result<(), AppError> {
    let (user_id, role, clock) = (user.user_id, user.role(), state.clock.clone());
    state
        .db(move |conn| {
            conn.transaction(|conn| audit::record(conn, &clock, Actor::user(user_id, role), "logout", "user", user_id, Changes::new()))?;
            Ok(())
        })
        .await
}
