//! Work orders: moved along their statuses from their page, by staff or by their vendor-contact assignee.
use super::{Behaviour, PageActions, Refusal};
use crate::access::{Action, Actor, Target};
use crate::audit::{self, Changes};
use crate::clock::Clock;
use crate::column;
use crate::domain::enums::{Choices, WorkOrderStatus};
use crate::forms::FieldError;
use crate::records::queries::Record;
use crate::records::row::Cells;
use crate::records::{procedures, rules, service};
use crate::schema::post_incident_reviews;
use crate::users::User;
use diesel::prelude::*;

#[derive(Debug)]
pub struct WorkOrders;

impl Behaviour for WorkOrders {
    fn access_target(&self, cells: &Cells, _id: Option<i32>) -> Target {
        Target::WorkOrder { assignee: cells.reference(column!(work_orders, assigned_to_user)) }
    }

    fn check(&self, conn: &mut PgConnection, submitted: &Cells) -> Result<Vec<FieldError>, Refusal> {
        let Some(review) = submitted.reference(column!(work_orders, review_id)) else {
            return Ok(Vec::new());
        };
        let reviewed: Option<i32> = post_incident_reviews::table
            .find(review)
            .select(post_incident_reviews::incident_id)
            .first(conn)
            .optional()?;
        let incident = submitted.reference(column!(work_orders, incident_id));
        Ok(FieldError::of("incident_id", check_follow_up(review, reviewed, incident)))
    }

    fn page_actions(&self, actor: &Actor, target: &Target, _id: i32, record: &Record) -> PageActions {
        if !actor.can(Action::SetWorkOrderStatus, target) {
            return PageActions::default();
        }
        let from = record.text(column!(work_orders, status)).unwrap_or_default();
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
    let id = record.id;
    let assignee = record.reference(column!(work_orders, assigned_to_user));
    user.actor().may(Action::SetWorkOrderStatus, &Target::WorkOrder { assignee })?;
    let from = record.text(column!(work_orders, status)).unwrap_or_default().to_string();
    if crate::domain::enums::WorkOrderStatus::parse(status).is_none() {
        return Err(Refusal::field("status", "Choose the new status from the list."));
    }
    rules::check_transition(&procedures::WORK_ORDERS, &from, status).map_err(|m| Refusal::field("status", m))?;
    let version = record.lock_version.ok_or(Refusal::NotFound)?;
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

/// A follow-up action is a work order on the incident of the review that raised it.
pub fn check_follow_up(review: i32, reviewed: Option<i32>, incident: Option<i32>) -> Result<(), String> {
    match (reviewed, incident) {
        (Some(reviewed), Some(incident)) if reviewed == incident => Ok(()),
        (Some(reviewed), _) => Err(format!(
            "Follow-up action: post-incident review {review} is of incident {reviewed}; choose that incident."
        )),
        (None, _) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_follow_up_action_is_on_its_reviews_incident() {
        assert!(check_follow_up(3, Some(41), Some(41)).is_ok());
        assert!(
            check_follow_up(3, Some(41), Some(42)).unwrap_err().contains("is of incident 41; choose that incident")
        );
        assert!(check_follow_up(3, Some(41), None).is_err());
    }
}
