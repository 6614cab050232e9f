//! Failed sign-ins, kept in PostgreSQL so that every app server slows the same guesser: per account, and per client
//! address across accounts (spraying one password over many accounts). An attempt is counted as it starts, before
//! the password is checked, so parallel guesses cannot slip past the wait; the rows are locked while it is decided.
use super::rules::{ACCOUNT_FREE_ATTEMPTS, ADDRESS_FREE_ATTEMPTS, FORGET_AFTER, wait_left};
use crate::schema::sign_in_throttle::dsl::*;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::time::Duration;

/// Who is trying to sign in: the email typed, and the client's address when known.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub email: String,
    pub address: Option<String>,
}

impl Attempt {
    fn account_key(&self) -> String {
        format!("account:{}", self.email.trim().to_lowercase())
    }

    fn address_key(&self) -> Option<String> {
        self.address.as_ref().map(|address| format!("address:{address}"))
    }

    /// The keys to count, with the attempts each may make before it is slowed.
    fn keys(&self) -> Vec<(String, u32)> {
        let mut keys = vec![(self.account_key(), ACCOUNT_FREE_ATTEMPTS)];
        keys.extend(self.address_key().map(|k| (k, ADDRESS_FREE_ATTEMPTS)));
        keys
    }
}

/// Why an attempt must wait, and how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    /// Whether the client's address is being slowed (many failures across accounts), rather than the account.
    pub address: bool,
    pub left: Duration,
}

/// Starts an attempt, in the caller's transaction: refused with the time left while its account or address must
/// wait (the refusal is counted on the rows, not audited); otherwise counted.
pub fn begin(conn: &mut PgConnection, attempt: &Attempt, now: DateTime<Utc>) -> QueryResult<Result<(), Wait>> {
    // Failures forgiven by a quiet spell are forgotten, so neither a guesser nor the table grows without bound.
    let forgotten = now - chrono::Duration::from_std(FORGET_AFTER).expect("a quarter of an hour");
    diesel::delete(sign_in_throttle.filter(last_attempt_at.lt(forgotten))).execute(conn)?;
    let keys = attempt.keys();
    let rows: Vec<_> = keys.iter().map(|(k, _)| (key.eq(k.clone()), last_attempt_at.eq(now))).collect();
    diesel::insert_into(sign_in_throttle).values(&rows).on_conflict_do_nothing().execute(conn)?;
    let names: Vec<String> = keys.iter().map(|(k, _)| k.clone()).collect();
    let counted: Vec<(String, i32, DateTime<Utc>)> = sign_in_throttle
        .filter(key.eq_any(&names))
        .order(key)
        .for_update()
        .select((key, failures, last_attempt_at))
        .load(conn)?;
    let wait = counted
        .iter()
        .filter_map(|(name, count, last)| {
            let free = keys.iter().find(|(k, _)| k == name)?.1;
            let since = (now - *last).to_std().unwrap_or_default();
            let left = wait_left(u32::try_from(*count).unwrap_or(0), free, since);
            Some(Wait { address: name.starts_with("address:"), left })
        })
        .max_by_key(|wait| wait.left)
        .filter(|wait| !wait.left.is_zero());
    if let Some(wait) = wait {
        diesel::update(sign_in_throttle.filter(key.eq_any(&names))).set(refused.eq(refused + 1)).execute(conn)?;
        return Ok(Err(wait));
    }
    diesel::update(sign_in_throttle.filter(key.eq_any(&names)))
        .set((failures.eq(failures + 1), last_attempt_at.eq(now)))
        .execute(conn)?;
    Ok(Ok(()))
}

/// A sign-in succeeded: its account starts afresh, and its address's count no longer holds this attempt.
pub fn succeeded(conn: &mut PgConnection, attempt: &Attempt) -> QueryResult<()> {
    diesel::delete(sign_in_throttle.filter(key.eq(attempt.account_key()))).execute(conn)?;
    if let Some(address) = attempt.address_key() {
        diesel::update(sign_in_throttle.filter(key.eq(address)).filter(failures.gt(0)))
            .set(failures.eq(failures - 1))
            .execute(conn)?;
    }
    Ok(())
}
