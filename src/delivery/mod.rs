//! Communications that reach people. Recording an email or a dashboard notification puts one delivery per
//! recipient into the outbox (`enqueue`, in the recording's transaction); the worker delivers them off the request
//! path and sets each delivery's and the communication's status from the outcome.
pub mod mail;
pub mod queries;
pub mod worker;

use crate::domain::enums::DeliveryMethod;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// A way the product delivers a communication itself; SMS, phone and chat are recorded by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Dashboard,
}

impl Channel {
    pub fn of(method: DeliveryMethod) -> Option<Self> {
        match method {
            DeliveryMethod::Email => Some(Channel::Email),
            DeliveryMethod::DashboardNotification => Some(Channel::Dashboard),
            DeliveryMethod::Sms | DeliveryMethod::Phone | DeliveryMethod::Chat => None,
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        DeliveryMethod::parse(value).and_then(Self::of)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => DeliveryMethod::Email.as_str(),
            Channel::Dashboard => DeliveryMethod::DashboardNotification.as_str(),
        }
    }
}

/// Someone a delivery goes to.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub user_id: i32,
    pub email: String,
}

/// Puts one delivery per recipient into the outbox, due now. Email recipients also find the communication on
/// their Notifications page at once; a dashboard notification gets there when the worker delivers it.
pub fn enqueue(
    conn: &mut PgConnection,
    communication_id: i32,
    channel: Channel,
    recipients: &[Recipient],
    now: DateTime<Utc>,
) -> QueryResult<()> {
    queries::insert(conn, communication_id, channel, recipients, now)?;
    if channel == Channel::Email {
        let users: Vec<i32> = recipients.iter().map(|r| r.user_id).collect();
        crate::notifications::queries::add(conn, communication_id, &users, now)?;
    }
    Ok(())
}
