//! Work orders: moved along their statuses from their page, by staff or by their vendor-contact assignee.
use super::{Behaviour, PageActions, Refusal, number};
use crate::access::{Action, Actor, Target};
use crate::audit::{self, Changes};
use crate::clock::Clock;
use crate::domain::enums::{Choices, WorkOrderStatus};
use crate::records::queries::Record;
use crate::records::{procedures, rules, service};
use crate::users::User;
use diesel::prelude::*;

#[derive(Debug)]
pub struct WorkOrders;

impl Behaviour for WorkOrders {
    fn page_actions(&self, actor: &Actor, target: &Target, _id: i32, record: &Record) -> PageActions {
        if !actor.can(Action::SetWorkOrderStatus, target) {
            return PageActions::default();
        }
        let from = record.get("status").and_then(|v| v.as_str()).unwrap_or_default();
        let status_choices = WorkOrderStatus::choices()
            .into_iter()
            .filter(|(to, _)| procedures::WORK_ORDERS.transitions.contains(&(from, *to)))
            .collect();
        PageActions { status_choices, ..PageActions::default() }
    }
}

/// Moves a work order along its statuses. Its vendor-contact assignee may do this (and nothing else to it).
pub fn set_work_order_status(
    conn: &mut PgConnection,
    clock: &Clock,
    user: &User,
    record: &Record,
    status: &str,
) -> Result<(), Refusal> {
    use crate::schema::work_orders;
    let id = number(record, "workorder_id").ok_or(Refusal::NotFound)?;
    let assignee = number(record, "assigned_to_user");
    user.actor().may(Action::SetWorkOrderStatus, &Target::WorkOrder { assignee })?;
    let from = record.get("status").and_then(|v| v.as_str()).unwrap_or_default().to_string();
    if crate::domain::enums::WorkOrderStatus::parse(status).is_none() {
        return Err(Refusal::field("status", "Choose the new status from the list."));
    }
    rules::check_transition(&procedures::WORK_ORDERS, &from, status).map_err(|m| Refusal::field("status", m))?;
    let version = number(record, "lock_version").ok_or(Refusal::NotFound)?;
    let updated = diesel::update(work_orders::table.find(id).filter(work_orders::lock_version.eq(version)))
        .set((
            work_orders::status.eq(status),
            work_orders::updated_at.eq(clock.now()),
            work_orders::lock_version.eq(work_orders::lock_version + 1),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(Refusal::Conflict(Box::new(record.clone())));
    }
    audit::record(
        conn,
        clock,
        service::audit_actor(user),
        "update",
        "work_order",
        id,
        Changes::new().field("status", Some(from), Some(status)),
    )?;
    Ok(())
}
