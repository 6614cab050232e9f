//! The incident's forms as data: the fields of reporting, editing, escalating and communicating, which the pages
//! draw and parse and the audit trail's words name; and the typed input each form gives its use case, read here
//! in one place from what was submitted.
use super::categories;
use super::service::{COMPONENT_REF, local_to_utc};
use crate::domain::enums::*;
use crate::forms::{self, Field, FieldError, FieldKind, field};
use crate::records::procedures::USER_REF;
use crate::records::resources::CLIENT_REF;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

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

/// What was submitted, by field name (the last value of a name wins).
pub type Submitted = HashMap<String, String>;

/// How a form's typed input is read from what was submitted: the input, or the fields' errors.
pub type Reader<T> = fn(&Submitted) -> Result<T, Vec<FieldError>>;

/// A report of an incident, as its form gives it.
#[derive(Debug, Clone)]
pub struct IncidentReport {
    pub title: String,
    pub category: String,
    pub severity: Severity,
    pub impact_level: Level,
    pub urgency_level: Level,
    pub client_id: i32,
    pub component_id: i32,
    pub assigned_to_user_id: Option<i32>,
    pub detected_at: DateTime<Utc>,
    /// The first progress update.
    pub details: Option<String>,
    /// The reporter confirmed it is not the same incident as a similar open one.
    pub confirmed: bool,
}

impl IncidentReport {
    /// Reads the report form; the detection time is typed in `zone`, the reporter's time zone.
    pub fn read(submitted: &Submitted, zone: &str) -> Result<Self, Vec<FieldError>> {
        forms::read(REPORT_FIELDS, submitted, |form| {
            let (title, category) = (form.required("title"), form.required("category"));
            let (severity, impact_level, urgency_level) =
                (form.required("severity"), form.required("impact_level"), form.required("urgency_level"));
            let (client_id, component_id) = (form.required("client_id"), form.required("component_id"));
            let assigned_to_user_id = form.optional("assigned_to_user_id");
            let detected_at = form.text("detection_timestamp").and_then(|text| local_to_utc(text, zone));
            if detected_at.is_none() {
                form.refuse("detection_timestamp", "Enter when the incident was detected, like 2026-11-26 14:30.");
            }
            Some(IncidentReport {
                title: title?,
                category: category?,
                severity: severity?,
                impact_level: impact_level?,
                urgency_level: urgency_level?,
                client_id: client_id?,
                component_id: component_id?,
                assigned_to_user_id,
                detected_at: detected_at?,
                details: form.optional("details"),
                confirmed: submitted.get("confirm_duplicate").map(String::as_str) == Some("yes"),
            })
        })
    }
}

/// An edit of an incident's status, priority and assignment, as its form gives it.
#[derive(Debug, Clone)]
pub struct IncidentEdit {
    pub status: IncidentStatus,
    pub severity: Severity,
    pub impact_level: Level,
    pub urgency_level: Level,
    /// `None`: nobody.
    pub assigned_to_user_id: Option<i32>,
}

impl IncidentEdit {
    pub fn read(submitted: &Submitted) -> Result<Self, Vec<FieldError>> {
        forms::read(EDIT_FIELDS, submitted, |form| {
            let (status, severity) = (form.required("status"), form.required("severity"));
            let (impact_level, urgency_level) = (form.required("impact_level"), form.required("urgency_level"));
            Some(IncidentEdit {
                status: status?,
                severity: severity?,
                impact_level: impact_level?,
                urgency_level: urgency_level?,
                assigned_to_user_id: form.optional("assigned_to_user_id"),
            })
        })
    }
}

/// An escalation, as its form gives it.
#[derive(Debug, Clone)]
pub struct Escalation {
    pub level: EscalationLevel,
    pub to_user_id: i32,
    pub reason: Option<String>,
}

impl Escalation {
    pub fn read(submitted: &Submitted) -> Result<Self, Vec<FieldError>> {
        forms::read(ESCALATION_FIELDS, submitted, |form| {
            let (level, to_user_id) = (form.required("escalation_level"), form.required("escalated_to_user"));
            Some(Escalation { level: level?, to_user_id: to_user_id?, reason: form.optional("reason") })
        })
    }
}

/// A communication about an incident, as its form gives it.
#[derive(Debug, Clone)]
pub struct Communication {
    pub recipient_id: Option<i32>,
    pub recipient_type: Option<RecipientType>,
    pub communication_type: String,
    pub delivery_method: DeliveryMethod,
    /// Given only for what is recorded by hand.
    pub delivery_status: Option<DeliveryStatus>,
    pub message: String,
}

impl Communication {
    pub fn read(submitted: &Submitted) -> Result<Self, Vec<FieldError>> {
        forms::read(COMMUNICATION_FIELDS, submitted, |form| {
            let (recipient_id, recipient_type) = (form.optional("recipient_id"), form.optional("recipient_type"));
            let (communication_type, delivery_method) =
                (form.required("communication_type"), form.required("delivery_method"));
            let (delivery_status, message) = (form.optional("delivery_status"), form.required("message"));
            Some(Communication {
                recipient_id,
                recipient_type,
                communication_type: communication_type?,
                delivery_method: delivery_method?,
                delivery_status,
                message: message?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submitted(pairs: &[(&str, &str)]) -> Submitted {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn report() -> Vec<(&'static str, &'static str)> {
        vec![
            ("title", "Payment API timeouts"),
            ("category", "Performance"),
            ("severity", "P2"),
            ("impact_level", "high"),
            ("urgency_level", "medium"),
            ("client_id", "3"),
            ("component_id", "7"),
            ("detection_timestamp", "2026-11-26T14:30"),
        ]
    }

    fn errors<T: std::fmt::Debug>(read: Result<T, Vec<FieldError>>) -> Vec<(&'static str, String)> {
        read.expect_err("refused").into_iter().map(|e| (e.field, e.message)).collect()
    }

    #[test]
    fn a_report_reads_as_its_types_in_the_reporters_zone() {
        let report = IncidentReport::read(&submitted(&report()), "CET").unwrap();
        assert_eq!((report.client_id, report.component_id, report.assigned_to_user_id), (3, 7, None));
        assert_eq!((report.severity, report.impact_level), (Severity::P2, Level::High));
        assert_eq!(report.detected_at.to_rfc3339(), "2026-11-26T13:30:00+00:00");
        assert!(!report.confirmed && report.details.is_none());
    }

    #[test]
    fn a_missing_or_bad_id_is_an_error_naming_its_field_never_zero() {
        let cases: &[(&str, &str, &str)] = &[
            ("client_id", "", "Choose the client."),
            ("component_id", "", "Choose the affected component."),
            ("client_id", "0", "Choose a client from the list."),
            ("component_id", "abc", "Choose a component from the list."),
            ("assigned_to_user_id", "99999999999", "Choose a user from the list."),
            ("detection_timestamp", "", "Enter when the incident was detected."),
            ("detection_timestamp", "2026-02-30T10:00", "Detected at must be a real date and time"),
            ("severity", "P9", "Severity must be one of"),
        ];
        for (field, value, expected) in cases {
            let mut pairs = report();
            pairs.retain(|(name, _)| name != field);
            pairs.push((field, value));
            let errors = errors(IncidentReport::read(&submitted(&pairs), "UTC"));
            assert_eq!(errors.len(), 1, "{field}={value:?}: {errors:?}");
            assert_eq!(errors[0].0, *field);
            assert!(errors[0].1.starts_with(expected), "{field}={value:?}: {errors:?}");
        }
    }

    #[test]
    fn a_time_that_the_zone_skips_is_an_error_on_the_detection_time() {
        let mut pairs = report();
        pairs.retain(|(name, _)| *name != "detection_timestamp");
        // Clocks in Central Europe went from 02:00 to 03:00 on 29 March 2026.
        pairs.push(("detection_timestamp", "2026-03-29T02:30"));
        let errors = errors(IncidentReport::read(&submitted(&pairs), "CET"));
        assert_eq!(
            errors,
            vec![("detection_timestamp", "Enter when the incident was detected, like 2026-11-26 14:30.".to_string())]
        );
    }

    #[test]
    fn escalations_edits_and_communications_read_or_name_the_field() {
        let escalation = Escalation::read(&submitted(&[("escalation_level", "vendor"), ("escalated_to_user", "12")]));
        let escalation = escalation.unwrap();
        assert_eq!((escalation.level, escalation.to_user_id, escalation.reason), (EscalationLevel::Vendor, 12, None));
        let refused = errors(Escalation::read(&submitted(&[("escalation_level", "vendor")])));
        assert_eq!(refused, vec![("escalated_to_user", "Choose who to escalate to.".to_string())]);

        let edit = [("status", "open"), ("severity", "P1"), ("impact_level", "low"), ("urgency_level", "low")];
        let read = IncidentEdit::read(&submitted(&edit)).unwrap();
        assert_eq!((read.status, read.assigned_to_user_id), (IncidentStatus::Open, None));
        let refused = errors(IncidentEdit::read(&submitted(&[("assigned_to_user_id", "-1"), ("status", "open")])));
        let fields: Vec<&str> = refused.iter().map(|(field, _)| *field).collect();
        assert_eq!(fields, ["severity", "impact_level", "urgency_level", "assigned_to_user_id"]);

        let told = [("communication_type", "update"), ("delivery_method", "sms"), ("message", "Restarted.")];
        let read = Communication::read(&submitted(&told)).unwrap();
        assert_eq!((read.delivery_method, read.recipient_id, read.delivery_status), (DeliveryMethod::Sms, None, None));
        let refused = errors(Communication::read(&submitted(&[("recipient_id", "x"), ("delivery_method", "sms")])));
        let fields: Vec<&str> = refused.iter().map(|(field, _)| *field).collect();
        assert_eq!(fields, ["recipient_id", "communication_type", "message"]);
    }
}
