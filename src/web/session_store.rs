//! Sessions kept in PostgreSQL. The cookie holds only a random key; ending a session deletes its row, so a
//! copied cookie stops working at sign-out, at a password change and when an administrator acts on the user.
//! With a read replica, a session is read there unless its browser wrote lately (`super::reads`); it is always
//! written to the primary.
use crate::db::DbPool;
use crate::schema::{sessions, users};
use crate::users::User;
use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError, generate_session_key};
use actix_web::cookie::time::Duration;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

type State = HashMap<String, String>;

#[derive(Clone)]
pub struct PgSessionStore {
    pool: DbPool,
    replica: Option<DbPool>,
    /// When expired sessions were last swept away.
    swept: Arc<Mutex<Option<Instant>>>,
}

/// Expired sessions are swept at most this often: every sign-in saves a session or two, and sweeping on each
/// save was a statement per save for rows that expire by the hour.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

impl PgSessionStore {
    pub fn new(pool: DbPool, replica: Option<DbPool>) -> Self {
        Self { pool, replica, swept: Arc::default() }
    }

    /// Whether this save should sweep: the first, then once per `SWEEP_EVERY`.
    fn sweep_due(&self) -> bool {
        let mut swept = self.swept.lock().expect("session sweep lock");
        let due = swept.is_none_or(|at| at.elapsed() >= SWEEP_EVERY);
        if due {
            *swept = Some(Instant::now());
        }
        due
    }

    /// Runs `work` on the primary.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut PgConnection) -> QueryResult<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        Self::run_on(&self.pool, work).await
    }

    async fn run_on<T: Send + 'static>(
        pool: &DbPool,
        work: impl FnOnce(&mut PgConnection) -> QueryResult<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let pool = pool.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<T> {
            let mut conn = pool.get()?;
            Ok(work(&mut conn)?)
        })
        .await?
    }
}

fn expiry(ttl: &Duration) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::seconds(ttl.whole_seconds())
}

/// The signed-in user, from the state as actix-session keeps it (values are JSON).
fn user_of(state: &State) -> Option<i32> {
    state.get(super::session::USER_KEY).and_then(|v| serde_json::from_str(v).ok())
}

/// The state as stored: without the signed-in user that `load` read beside it.
fn to_json(state: &State) -> serde_json::Value {
    let stored: std::collections::BTreeMap<&String, &String> =
        state.iter().filter(|(key, _)| key.as_str() != SIGNED_IN_USER).collect();
    serde_json::to_value(stored).unwrap_or_default()
}

/// Where `load` puts the session's user, read in the same statement.
pub(super) const SIGNED_IN_USER: &str = "__signed_in_user";

impl SessionStore for PgSessionStore {
    /// The session and its signed-in user in one statement: the user rides in the state under `SIGNED_IN_USER`
    /// for `CurrentUser`, and is never written back.
    async fn load(&self, key: &SessionKey) -> Result<Option<State>, LoadError> {
        let key = key.as_ref().to_string();
        let pool = match &self.replica {
            Some(replica) if super::reads::session_from_replica() => replica,
            _ => &self.pool,
        };
        let found = Self::run_on(pool, move |conn| {
            sessions::table
                .left_join(users::table)
                .filter(sessions::session_key.eq(key))
                .filter(sessions::expires_at.gt(Utc::now()))
                .select((sessions::state, Option::<User>::as_select()))
                .first::<(serde_json::Value, Option<User>)>(conn)
                .optional()
        })
        .await
        .map_err(LoadError::Other)?;
        let Some((state, user)) = found else { return Ok(None) };
        let mut state: State = serde_json::from_value(state).map_err(|e| LoadError::Deserialization(e.into()))?;
        if let Some(user) = user {
            let user = serde_json::to_string(&user).map_err(|e| LoadError::Other(e.into()))?;
            state.insert(SIGNED_IN_USER.to_string(), user);
        }
        Ok(Some(state))
    }

    async fn save(&self, state: State, ttl: &Duration) -> Result<SessionKey, SaveError> {
        let key = generate_session_key();
        let (text, user, json, expires) = (key.as_ref().to_string(), user_of(&state), to_json(&state), expiry(ttl));
        let sweep = self.sweep_due();
        self.run(move |conn| {
            // Expired sessions are swept as new ones arrive, so the table stays small without a timer.
            if sweep {
                diesel::delete(sessions::table.filter(sessions::expires_at.lt(Utc::now()))).execute(conn)?;
            }
            diesel::insert_into(sessions::table)
                .values((
                    sessions::session_key.eq(text),
                    sessions::user_id.eq(user),
                    sessions::state.eq(json),
                    sessions::expires_at.eq(expires),
                ))
                .execute(conn)
        })
        .await
        .map_err(SaveError::Other)?;
        Ok(key)
    }

    async fn update(&self, key: SessionKey, state: State, ttl: &Duration) -> Result<SessionKey, UpdateError> {
        let (text, user, json, expires) = (key.as_ref().to_string(), user_of(&state), to_json(&state), expiry(ttl));
        let updated = self
            .run(move |conn| {
                diesel::update(sessions::table.filter(sessions::session_key.eq(text)))
                    .set((sessions::user_id.eq(user), sessions::state.eq(json), sessions::expires_at.eq(expires)))
                    .execute(conn)
            })
            .await
            .map_err(UpdateError::Other)?;
        if updated == 1 {
            Ok(key)
        } else {
            // The session was ended meanwhile (sign-out elsewhere): start a new one rather than revive it.
            self.save(state, ttl).await.map_err(|e| UpdateError::Other(anyhow::anyhow!(e.to_string())))
        }
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> anyhow::Result<()> {
        let (text, expires) = (key.as_ref().to_string(), expiry(ttl));
        self.run(move |conn| {
            diesel::update(sessions::table.filter(sessions::session_key.eq(text)))
                .set(sessions::expires_at.eq(expires))
                .execute(conn)
        })
        .await
        .map(|_| ())
    }

    async fn delete(&self, key: &SessionKey) -> anyhow::Result<()> {
        let text = key.as_ref().to_string();
        self.run(move |conn| diesel::delete(sessions::table.filter(sessions::session_key.eq(text))).execute(conn))
            .await
            .map(|_| ())
    }
}
