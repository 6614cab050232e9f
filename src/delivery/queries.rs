//! Outbox queries. The caller owns the transaction.
use super::{Channel, Recipient};
use crate::schema::{clients, communications, deliveries, incidents, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

pub fn insert(
    conn: &mut PgConnection,
    communication_id: i32,
    channel: Channel,
    recipients: &[Recipient],
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let rows: Vec<_> = recipients
        .iter()
        .map(|recipient| {
            (
                deliveries::communication_id.eq(communication_id),
                deliveries::recipient_user_id.eq(recipient.user_id),
                deliveries::channel.eq(channel.as_str()),
                deliveries::address.eq((channel == Channel::Email).then(|| recipient.email.clone())),
                deliveries::next_attempt_at.eq(now),
                deliveries::created_at.eq(now),
            )
        })
        .collect();
    diesel::insert_into(deliveries::table).values(rows).execute(conn)
}

/// A delivery the worker has claimed, with what its message says.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery_id: i32,
    pub communication_id: i32,
    pub channel: String,
    pub recipient_user_id: i32,
    pub recipient_name: String,
    pub address: Option<String>,
    pub message_id: String,
    pub attempts: i32,
    pub first_attempt_at: DateTime<Utc>,
    pub communication_type: String,
    pub recipient_type: Option<String>,
    pub message: Option<String>,
    pub sender_name: Option<String>,
    pub incident_id: i32,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub client_name: String,
}

/// Claims the delivery that has been due longest, if any: marks it `sending` until `lease_until` and commits
/// nothing itself (the caller commits the claim before it sends). Rows other workers hold are skipped, so each
/// delivery is claimed by one worker. `message_id` names the message of a first attempt; later attempts keep it.
pub fn claim(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    message_id: impl FnOnce(i32) -> String,
) -> QueryResult<Option<Claimed>> {
    let due: Option<(i32, Option<String>, Option<DateTime<Utc>>)> = deliveries::table
        .filter(deliveries::status.eq("pending"))
        .filter(deliveries::next_attempt_at.le(now))
        .order((deliveries::next_attempt_at, deliveries::delivery_id))
        .select((deliveries::delivery_id, deliveries::message_id, deliveries::first_attempt_at))
        .limit(1)
        .for_update()
        .skip_locked()
        .first(conn)
        .optional()?;
    let Some((delivery_id, kept_id, first_attempt)) = due else { return Ok(None) };
    let message_id = kept_id.unwrap_or_else(|| message_id(delivery_id));
    let first_attempt_at = first_attempt.unwrap_or(now);
    diesel::update(deliveries::table.find(delivery_id))
        .set((
            deliveries::status.eq("sending"),
            deliveries::attempts.eq(deliveries::attempts + 1),
            deliveries::claimed_until.eq(lease_until),
            deliveries::first_attempt_at.eq(first_attempt_at),
            deliveries::message_id.eq(&message_id),
        ))
        .execute(conn)?;
    #[allow(clippy::type_complexity)]
    let row: (
        (i32, String, i32, String, Option<String>, i32),
        (String, Option<String>, Option<String>, Option<i32>),
        (i32, String, String, String, String),
    ) = deliveries::table
        .find(delivery_id)
        .inner_join(users::table)
        .inner_join(communications::table.inner_join(incidents::table.inner_join(clients::table)))
        .select((
            (
                deliveries::communication_id,
                deliveries::channel,
                deliveries::recipient_user_id,
                users::name,
                deliveries::address,
                deliveries::attempts,
            ),
            (
                communications::communication_type,
                communications::recipient_type,
                communications::message,
                communications::sender_id,
            ),
            (incidents::incident_id, incidents::title, incidents::severity, incidents::status, clients::client_name),
        ))
        .first(conn)?;
    let ((communication_id, channel, recipient_user_id, recipient_name, address, attempts), communication, incident) =
        row;
    let (communication_type, recipient_type, message, sender_id) = communication;
    let sender_name = match sender_id {
        Some(id) => Some(users::table.find(id).select(users::name).first(conn)?),
        None => None,
    };
    let (incident_id, title, severity, status, client_name) = incident;
    Ok(Some(Claimed {
        delivery_id,
        communication_id,
        channel,
        recipient_user_id,
        recipient_name,
        address,
        message_id,
        attempts,
        first_attempt_at,
        communication_type,
        recipient_type,
        message,
        sender_name,
        incident_id,
        title,
        severity,
        status,
        client_name,
    }))
}

/// What became of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The mail server accepted the message (its answer), or it was written to a file (its path), or the
    /// notification was put on the recipient's page.
    Sent { accepted_as: String },
    /// It may work later: try again at `at`.
    Retry { error: String, at: DateTime<Utc> },
    /// Given up.
    Failed { reason: String },
}

/// Records the outcome of the worker's attempt at its claimed delivery.
pub fn record_outcome(
    conn: &mut PgConnection,
    delivery_id: i32,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let target = deliveries::table.find(delivery_id);
    let no_claim = deliveries::claimed_until.eq(None::<DateTime<Utc>>);
    match outcome {
        Outcome::Sent { accepted_as } => diesel::update(target)
            .set((
                deliveries::status.eq("sent"),
                deliveries::sent_at.eq(now),
                deliveries::accepted_as.eq(accepted_as),
                deliveries::failure_reason.eq(None::<String>),
                no_claim,
            ))
            .execute(conn),
        Outcome::Retry { error, at } => diesel::update(target)
            .set((
                deliveries::status.eq("pending"),
                deliveries::next_attempt_at.eq(at),
                deliveries::last_error.eq(error),
                no_claim,
            ))
            .execute(conn),
        Outcome::Failed { reason } => diesel::update(target)
            .set((deliveries::status.eq("failed"), deliveries::failure_reason.eq(reason), no_claim))
            .execute(conn),
    }
    .map(|_| ())
}

/// Deliveries left `sending` past their lease: the worker that claimed them stopped before it recorded what
/// happened. (delivery, communication, message id)
pub fn interrupted(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<Vec<(i32, i32, Option<String>)>> {
    deliveries::table
        .filter(deliveries::status.eq("sending"))
        .filter(deliveries::claimed_until.lt(now))
        .select((deliveries::delivery_id, deliveries::communication_id, deliveries::message_id))
        .load(conn)
}

/// Gives up an interrupted delivery, if it still is one; returns whether it was.
pub fn give_up_interrupted(
    conn: &mut PgConnection,
    delivery_id: i32,
    reason: &str,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::update(
        deliveries::table
            .find(delivery_id)
            .filter(deliveries::status.eq("sending"))
            .filter(deliveries::claimed_until.lt(now)),
    )
    .set((
        deliveries::status.eq("failed"),
        deliveries::failure_reason.eq(reason),
        deliveries::claimed_until.eq(None::<DateTime<Utc>>),
    ))
    .execute(conn)
    .map(|rows| rows == 1)
}

/// A communication's status, locked until the caller's transaction ends, so that workers settling its last
/// deliveries at the same time decide its status one after the other.
pub fn lock_communication(
    conn: &mut PgConnection,
    communication_id: i32,
) -> QueryResult<(String, Option<DateTime<Utc>>, Option<String>)> {
    communications::table
        .find(communication_id)
        .select((communications::delivery_status, communications::sent_at, communications::failure_reason))
        .for_update()
        .first(conn)
}

/// A delivery as the communication's page and status show it.
#[derive(Debug, Clone, Queryable)]
pub struct DeliveryRow {
    pub delivery_id: i32,
    pub recipient_name: String,
    pub address: Option<String>,
    pub channel: String,
    pub status: String,
    pub attempts: i32,
    pub sent_at: Option<DateTime<Utc>>,
    pub message_id: Option<String>,
    pub accepted_as: Option<String>,
    pub last_error: Option<String>,
    pub failure_reason: Option<String>,
}

/// The deliveries of a communication, by recipient.
pub fn of_communication(conn: &mut PgConnection, communication_id: i32) -> QueryResult<Vec<DeliveryRow>> {
    deliveries::table
        .inner_join(users::table)
        .filter(deliveries::communication_id.eq(communication_id))
        .order((users::name, deliveries::delivery_id))
        .select((
            deliveries::delivery_id,
            users::name,
            deliveries::address,
            deliveries::channel,
            deliveries::status,
            deliveries::attempts,
            deliveries::sent_at,
            deliveries::message_id,
            deliveries::accepted_as,
            deliveries::last_error,
            deliveries::failure_reason,
        ))
        .load(conn)
}

pub fn set_communication_status(
    conn: &mut PgConnection,
    communication_id: i32,
    status: &str,
    sent_at: Option<DateTime<Utc>>,
    failure_reason: Option<&str>,
) -> QueryResult<()> {
    diesel::update(communications::table.find(communication_id))
        .set((
            communications::delivery_status.eq(status),
            communications::sent_at.eq(sent_at),
            communications::failure_reason.eq(failure_reason),
            communications::lock_version.eq(communications::lock_version + 1),
        ))
        .execute(conn)
        .map(|_| ())
}
