//! Service level agreements: set only on an active, approved subscription, with times its tier allows
//! (`tiers`). Their approval is the shared one of records in force.
use super::{Behaviour, Refusal};
use crate::access::Sight;
use crate::column;
use crate::domain::enums::{ApprovalStatus, Severity, SlaTier, SubscriptionStatus};
use crate::forms::FieldError;
use crate::records::row::Cells;
use crate::records::{queries, resources};
use diesel::PgConnection;

mod tiers;

#[derive(Debug)]
pub struct ServiceLevels;

/// What an SLA's rules need to know of its subscription.
#[derive(Debug, Clone, Copy)]
pub struct Subscription {
    pub status: SubscriptionStatus,
    pub tier: SlaTier,
    pub approval: ApprovalStatus,
}

impl Behaviour for ServiceLevels {
    fn check(&self, conn: &mut PgConnection, submitted: &Cells) -> Result<Vec<FieldError>, Refusal> {
        let Some(id) = submitted.reference(column!(service_level_agreements, subscription_id)) else {
            return Ok(Vec::new());
        };
        let Some(record) = queries::get(conn, &resources::SUBSCRIPTIONS, id, Sight::EVERYTHING)? else {
            return Ok(Vec::new());
        };
        let text = |name: &str| record.text(name).unwrap_or_default();
        Ok(
            match (
                SubscriptionStatus::parse(text(column!(subscriptions, status))),
                SlaTier::parse(text(column!(subscriptions, sla_tier))),
                record.decision.as_ref().map(|d| d.status),
            ) {
                (Some(status), Some(tier), Some(approval)) => {
                    check_terms(submitted, Subscription { status, tier, approval })
                }
                _ => Vec::new(),
            },
        )
    }
}

/// An SLA needs an active, approved subscription, and promises times within its tier.
pub fn check_terms(submitted: &Cells, subscription: Subscription) -> Vec<FieldError> {
    let refuse = |message: String| vec![FieldError { field: "subscription_id", message }];
    if subscription.status != SubscriptionStatus::Active {
        return refuse(format!(
            "SLAs can only be set on an active subscription; this subscription is {}.",
            subscription.status.label().to_lowercase()
        ));
    }
    if subscription.approval != ApprovalStatus::Approved {
        return refuse(format!(
            "SLAs can only be set on an approved subscription; this subscription is {}.",
            subscription.approval.label().to_lowercase()
        ));
    }
    let severity = submitted.choice(column!(service_level_agreements, severity_level), Severity::parse);
    let response = submitted.integer(column!(service_level_agreements, response_time_minutes));
    let resolution = submitted.integer(column!(service_level_agreements, resolution_time_hours));
    match (severity, response, resolution) {
        (Some(severity), Some(response), Some(resolution)) => {
            tiers::check(subscription.tier, severity, response, resolution)
                .into_iter()
                .map(|(field, message)| FieldError { field, message })
                .collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slas_need_an_active_subscription_and_times_within_the_tier() {
        let sla = Cells::of(
            &resources::SLAS,
            &[("severity_level", "P1"), ("response_time_minutes", "45"), ("resolution_time_hours", "3")],
        );
        let subscription = |status, tier| Subscription { status, tier, approval: ApprovalStatus::Approved };
        let expired = check_terms(&sla, subscription(SubscriptionStatus::Expired, SlaTier::Premium));
        assert!(expired[0].message.contains("active subscription; this subscription is expired"));
        let pending = Subscription {
            approval: ApprovalStatus::Pending,
            ..subscription(SubscriptionStatus::Active, SlaTier::Premium)
        };
        assert!(
            check_terms(&sla, pending)[0]
                .message
                .contains("approved subscription; this subscription is waiting for approval")
        );
        let errors = check_terms(&sla, subscription(SubscriptionStatus::Active, SlaTier::Premium));
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("at most 30 minutes"));
        let standard = check_terms(&sla, subscription(SubscriptionStatus::Active, SlaTier::Standard));
        assert_eq!(standard.len(), 2, "45 min < 60 and 3 h < 8 for standard P1");
    }
}
