//! The incident's forms as data: the fields of reporting, editing, escalating and communicating, which the pages
//! draw and parse and the audit trail's words name.
use super::categories;
use super::service::COMPONENT_REF;
use crate::domain::enums::*;
use crate::forms::{Field, FieldKind, field};
use crate::records::procedures::USER_REF;
use crate::records::resources::CLIENT_REF;

/// The kinds of communication the form offers.
pub fn communication_types() -> Vec<(&'static str, &'static str)> {
    vec![
        ("update", "Update"),
        ("notification", "Notification"),
        ("escalation", "Escalation"),
        ("resolution", "Resolution"),
    ]
}

pub static REPORT_FIELDS: &[Field] = &[
    field("title", "Title", FieldKind::Text).hint("What is wrong, in a few words, e.g. Payment API timeouts"),
    field("category", "Category", FieldKind::Choice(categories)),
    field("severity", "Severity", FieldKind::Choice(Severity::choices))
        .hint("P1 is the most urgent; the questions below suggest one"),
    field("impact_level", "Impact", FieldKind::Choice(Level::choices)),
    field("urgency_level", "Urgency", FieldKind::Choice(Level::choices)),
    field("client_id", "Client", FieldKind::Reference(&CLIENT_REF)),
    field("component_id", "Affected component", FieldKind::Reference(&COMPONENT_REF)),
    field("detection_timestamp", "Detected at", FieldKind::DateTime)
        .hint("In your own time zone")
        .missing("Enter when the incident was detected."),
    field("assigned_to_user_id", "Assign to", FieldKind::Reference(&USER_REF)).optional().hint("Provider staff only"),
    field("details", "Details", FieldKind::LongText).optional().hint("Posted as the first progress update"),
];

pub static EDIT_FIELDS: &[Field] = &[
    field("status", "Status", FieldKind::Choice(IncidentStatus::choices))
        .hint("Open → investigating → in progress → resolved → closed; a resolved incident may be reopened"),
    field("severity", "Severity", FieldKind::Choice(Severity::choices)),
    field("impact_level", "Impact", FieldKind::Choice(Level::choices)),
    field("urgency_level", "Urgency", FieldKind::Choice(Level::choices)),
    field("assigned_to_user_id", "Assigned to", FieldKind::Reference(&USER_REF)).optional(),
];

pub static ESCALATION_FIELDS: &[Field] = &[
    field("escalation_level", "Level", FieldKind::Choice(EscalationLevel::choices))
        .missing("Choose the escalation level.")
        .hint(
            "Management: an incident manager or executive. Technical: technical support or a system administrator. \
         Executive: an executive. Vendor: a contact of the vendor that supports the component",
        ),
    field("escalated_to_user", "Escalate to", FieldKind::Reference(&USER_REF)).missing("Choose who to escalate to."),
    field("reason", "Reason", FieldKind::Text).optional().hint("e.g. customer impact, technical complexity"),
];

pub static COMMUNICATION_FIELDS: &[Field] = &[
    field("recipient_id", "Recipient", FieldKind::Reference(&USER_REF))
        .optional()
        .hint("A person, or choose a group below"),
    field("recipient_type", "Recipient group", FieldKind::Choice(RecipientType::choices)).optional(),
    field("communication_type", "Type", FieldKind::Choice(communication_types))
        .missing("Choose the type of communication."),
    field("delivery_method", "Delivery method", FieldKind::Choice(DeliveryMethod::choices)),
    field("delivery_status", "Delivery status", FieldKind::Choice(DeliveryStatus::choices))
        .optional()
        .default("pending")
        .hint(
            "Only for SMS, phone and chat, which you record by hand. Email and dashboard notifications start \
             pending: Incident Desk sends them and sets sent, with the time, or failed, with the reason",
        ),
    field("message", "Message", FieldKind::LongText).missing("Write the message."),
];
