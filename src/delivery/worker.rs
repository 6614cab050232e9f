//! The delivery worker: a thread `serve` starts beside the web server. It claims one due delivery at a time
//! (`FOR UPDATE SKIP LOCKED`, so workers of several servers on one database never take the same one), commits the
//! claim, hands the message over, and records the outcome with its audit entries. A delivery a stopped worker
//! left `sending` is given up once its lease runs out: it may have been sent, and sending it again could make
//! someone get it twice.
use super::Channel;
use super::mail::{Mailer, SendError};
use super::queries::{self, Claimed, Outcome};
use crate::audit::{self, Actor, Changes};
use crate::clock::Clock;
use crate::db::DbPool;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

/// How the worker paces itself.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// The wait before the first retry; each later one doubles, up to `LONGEST_WAIT`.
    pub first_retry: Duration,
    /// How long after its first attempt a delivery is given up.
    pub give_up_after: Duration,
    /// How long a claim holds: longer than any attempt can take.
    pub lease: Duration,
    /// How often an idle worker looks for due deliveries.
    pub idle_wait: Duration,
}

/// The longest wait between two attempts.
const LONGEST_WAIT: Duration = Duration::from_secs(3600);

impl Policy {
    /// `MAIL_RETRY_SECONDS`, `MAIL_GIVE_UP_MINUTES`; a claim holds five times `MAIL_TIMEOUT_SECONDS` (an attempt
    /// waits on the server at most for connecting, greeting, sender and recipient, data and its answer).
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        Self {
            first_retry: settings.mail_retry_first,
            give_up_after: settings.mail_give_up_after,
            lease: settings.mail_timeout * 5,
            idle_wait: Duration::from_secs(1),
        }
    }

    /// The wait after the `attempts`th attempt failed.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(20);
        self.first_retry.saturating_mul(1 << doublings).min(LONGEST_WAIT)
    }

    /// What to do after an attempt failed: try again later, or give up.
    fn after_failure(&self, delivery: &Claimed, error: SendError, now: DateTime<Utc>) -> Outcome {
        let next = now + self.backoff(delivery.attempts);
        let deadline = delivery.first_attempt_at + self.give_up_after;
        if error.permanent {
            Outcome::Failed { reason: format!("The mail server refused it: {}", error.reason) }
        } else if next > deadline {
            Outcome::Failed {
                reason: format!(
                    "Given up after {} attempts over {}: {}",
                    delivery.attempts,
                    span(now - delivery.first_attempt_at),
                    error.reason
                ),
            }
        } else {
            Outcome::Retry { error: error.reason, at: next }
        }
    }
}

fn span(duration: chrono::TimeDelta) -> String {
    match duration.num_seconds() {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s => format!("{} h", s / 3600),
    }
}

/// Delivers the outbox.
#[derive(Clone)]
pub struct Worker {
    pool: DbPool,
    clock: Clock,
    mailer: Arc<Mailer>,
    policy: Policy,
}

/// A worker running on its own thread, until `stop`.
pub struct Running {
    stop: mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Running {
    /// Stops after the delivery in hand, if any.
    pub fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

type WorkResult<T> = Result<T, String>;

impl Worker {
    pub fn new(pool: DbPool, clock: Clock, mailer: Arc<Mailer>, policy: Policy) -> Self {
        Self { pool, clock, mailer, policy }
    }

    /// Runs on a thread of its own, off the request path.
    pub fn spawn(self) -> Running {
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("delivery".into())
            .spawn(move || {
                loop {
                    let wait = match self.deliver_due() {
                        Ok(0) => self.policy.idle_wait,
                        Ok(_) => Duration::ZERO,
                        Err(error) => {
                            tracing::warn!(%error, "delivery worker: will try again");
                            self.policy.idle_wait
                        }
                    };
                    match stopped.recv_timeout(wait) {
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                        _ => break,
                    }
                }
            })
            .expect("start the delivery thread");
        Running { stop, thread }
    }

    /// Gives up interrupted deliveries, then delivers what is due until nothing is; answers how many attempts
    /// it made.
    pub fn deliver_due(&self) -> WorkResult<usize> {
        let mut conn = self.pool.get().map_err(|e| e.to_string())?;
        self.give_up_interrupted(&mut conn)?;
        let mut attempts = 0;
        while let Some(delivery) = self.claim(&mut conn)? {
            let outcome = self.attempt(&mut conn, &delivery)?;
            self.settle(&mut conn, &delivery, outcome)?;
            attempts += 1;
        }
        Ok(attempts)
    }

    fn claim(&self, conn: &mut PgConnection) -> WorkResult<Option<Claimed>> {
        let now = self.clock.now();
        let lease_until = now + self.policy.lease;
        conn.transaction(|conn| queries::claim(conn, now, lease_until, |id| self.mailer.message_id(id)))
            .map_err(|e| e.to_string())
    }

    /// One attempt at a claimed delivery. A dashboard notification is delivered by putting it on the recipient's
    /// Notifications page, in the transaction that records it.
    fn attempt(&self, conn: &mut PgConnection, delivery: &Claimed) -> WorkResult<Outcome> {
        let now = self.clock.now();
        if Channel::parse(&delivery.channel) == Some(Channel::Dashboard) {
            return conn
                .transaction(|conn| {
                    crate::notifications::queries::add(
                        conn,
                        delivery.communication_id,
                        &[delivery.recipient_user_id],
                        now,
                    )
                })
                .map(|_| Outcome::Sent { accepted_as: "on the recipient's Notifications page".into() })
                .map_err(|e| e.to_string());
        }
        let sent = self.mailer.compose(delivery).and_then(|message| self.mailer.send(&message, &delivery.message_id));
        Ok(match sent {
            Ok(accepted_as) => {
                tracing::info!(delivery = delivery.delivery_id, message_id = %delivery.message_id, "mail accepted");
                Outcome::Sent { accepted_as }
            }
            Err(error) => {
                tracing::warn!(delivery = delivery.delivery_id, reason = %error.reason, "mail not accepted");
                self.policy.after_failure(delivery, error, self.clock.now())
            }
        })
    }

    fn settle(&self, conn: &mut PgConnection, delivery: &Claimed, outcome: Outcome) -> WorkResult<()> {
        conn.transaction(|conn| {
            let communication = queries::lock_communication(conn, delivery.communication_id)?;
            queries::record_outcome(conn, delivery.delivery_id, &outcome, self.clock.now())?;
            let changes = match &outcome {
                Outcome::Retry { .. } => return Ok(()),
                Outcome::Sent { accepted_as } => Changes::new()
                    .field("status", Some("pending"), Some("sent"))
                    .field("message_id", None::<String>, Some(&delivery.message_id))
                    .field("accepted_as", None::<String>, Some(accepted_as)),
                Outcome::Failed { reason } => Changes::new()
                    .field("status", Some("pending"), Some("failed"))
                    .field("message_id", None::<String>, Some(&delivery.message_id))
                    .field("failure_reason", None::<String>, Some(reason)),
            };
            audit::record(conn, &self.clock, Actor::system(), "update", "delivery", delivery.delivery_id, changes)?;
            self.settle_communication(conn, delivery.communication_id, communication)
        })
        .map_err(|e: diesel::result::Error| e.to_string())
    }

    /// Gives up deliveries whose worker stopped while handing them over.
    fn give_up_interrupted(&self, conn: &mut PgConnection) -> WorkResult<()> {
        let now = self.clock.now();
        let interrupted = queries::interrupted(conn, now).map_err(|e| e.to_string())?;
        for (delivery_id, communication_id, message_id) in interrupted {
            let reason = format!(
                "Delivery was interrupted (the server stopped) while the message was handed to the mail server; it \
                 may have arrived, as {}. It is not sent again, so that nobody gets it twice.",
                message_id.as_deref().unwrap_or("a message without an id")
            );
            conn.transaction(|conn| {
                let communication = queries::lock_communication(conn, communication_id)?;
                if !queries::give_up_interrupted(conn, delivery_id, &reason, now)? {
                    return Ok(());
                }
                tracing::warn!(delivery = delivery_id, "interrupted delivery given up");
                let changes = Changes::new().field("status", Some("pending"), Some("failed")).field(
                    "failure_reason",
                    None::<String>,
                    Some(&reason),
                );
                audit::record(conn, &self.clock, Actor::system(), "update", "delivery", delivery_id, changes)?;
                self.settle_communication(conn, communication_id, communication)
            })
            .map_err(|e: diesel::result::Error| e.to_string())?;
        }
        Ok(())
    }

    /// Once none of its deliveries is pending, a communication is `sent` (at the last acceptance) if all were
    /// sent, else `failed` with who was not reached and why. Called with the communication locked.
    fn settle_communication(
        &self,
        conn: &mut PgConnection,
        communication_id: i32,
        (old_status, old_sent_at, old_reason): (String, Option<DateTime<Utc>>, Option<String>),
    ) -> QueryResult<()> {
        let deliveries = queries::of_communication(conn, communication_id)?;
        if deliveries.iter().any(|d| matches!(d.status.as_str(), "pending" | "sending")) {
            return Ok(());
        }
        let failed: Vec<_> = deliveries.iter().filter(|d| d.status == "failed").collect();
        let (status, sent_at, reason) = if failed.is_empty() {
            ("sent", deliveries.iter().filter_map(|d| d.sent_at).max(), None)
        } else {
            let who: Vec<String> = failed
                .iter()
                .map(|d| format!("{}: {}", d.recipient_name, d.failure_reason.as_deref().unwrap_or("no reason given")))
                .collect();
            let reason = format!("{} of {} deliveries failed. {}", failed.len(), deliveries.len(), who.join(" "));
            ("failed", None, Some(reason))
        };
        if (old_status.as_str(), old_sent_at, old_reason.as_deref()) == (status, sent_at, reason.as_deref()) {
            return Ok(());
        }
        queries::set_communication_status(conn, communication_id, status, sent_at, reason.as_deref())?;
        let changes = Changes::new()
            .field("delivery_status", Some(&old_status), Some(status))
            .field("sent_at", old_sent_at.map(|at| at.to_rfc3339()), sent_at.map(|at| at.to_rfc3339()))
            .field("failure_reason", old_reason, reason);
        audit::record(conn, &self.clock, Actor::system(), "update", "communication", communication_id, changes)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_twice_as_long_each_time_up_to_an_hour() {
        let policy = Policy {
            first_retry: Duration::from_secs(30),
            give_up_after: Duration::from_secs(86_400),
            lease: Duration::from_secs(300),
            idle_wait: Duration::from_secs(1),
        };
        let waits: Vec<u64> = (1..=9).map(|attempt| policy.backoff(attempt).as_secs()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(policy.backoff(i32::MAX), LONGEST_WAIT);
    }
}
