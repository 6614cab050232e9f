//! A communication and its deliveries.
use super::*;
use crate::web::session::SignedIn;

struct DeliveryView {
    recipient: String,
    address: Option<String>,
    status: &'static str,
    attempts: i32,
    sent: Option<String>,
    message_id: Option<String>,
    accepted_as: Option<String>,
    problem: Option<String>,
}

#[derive(Template)]
#[template(path = "incidents/communication.html")]
struct CommunicationPage {
    page: Page,
    incident_id: i32,
    incident_title: String,
    sender: String,
    to: String,
    kind: String,
    method: String,
    status: String,
    sent: Option<String>,
    created: String,
    failure_reason: Option<String>,
    message: Option<String>,
    /// Whether the product delivers it (email, dashboard notification), and where email goes.
    delivered_by_product: bool,
    email: bool,
    mail_destination: String,
    deliveries: Vec<DeliveryView>,
}

/// A delivery's status in words: `sending` is still pending for the reader.
fn delivery_status_label(status: &str) -> &'static str {
    match status {
        "sent" => "Sent",
        "failed" => "Failed",
        "sending" => "Pending (being sent)",
        _ => "Pending",
    }
}

/// A communication about the incident and how each of its deliveries went (staff only).
pub async fn communication(
    SignedIn { state, session, user }: SignedIn,
    path: web::Path<(i32, i32)>,
) -> Result<HttpResponse, AppError> {
    let (incident_id, communication_id) = path.into_inner();
    let viewer = user.clone();
    let (incident, row, deliveries, names) = state
        .db(move |conn| {
            let incident = service::load(conn, &viewer, incident_id)?;
            viewer.actor().may(Action::ReadInternal(Area::Incidents), &Target::Any)?;
            let row = queries::communication(conn, incident_id, communication_id)?.ok_or(AppError::NotFound)?;
            let deliveries = crate::delivery::queries::of_communication(conn, communication_id)?;
            let ids: Vec<i32> = [row.sender_id, row.recipient_id].into_iter().flatten().collect();
            let names: HashMap<i32, String> = queries::names(conn, &ids)?.into_iter().collect();
            Ok((incident, row, deliveries, names))
        })
        .await?;
    let zone = user.timezone.as_str();
    let name = |id: Option<i32>| id.and_then(|id| names.get(&id).cloned());
    let group = row.recipient_type.as_deref().and_then(RecipientType::parse).map(|g| g.label().to_string());
    let to = match (name(row.recipient_id), group) {
        (Some(person), Some(group)) => format!("{person} and {}", group.to_lowercase()),
        (Some(person), None) => person,
        (None, Some(group)) => group,
        (None, None) => "Nobody".into(),
    };
    let method = DeliveryMethod::parse(&row.delivery_method);
    let body = CommunicationPage {
        page: Page::for_user(&session, &user, format!("Communication about incident {incident_id}"), "/incidents"),
        incident_id,
        incident_title: incident.title,
        sender: name(row.sender_id).unwrap_or_else(|| "Incident Desk (automatic notice)".into()),
        to,
        kind: row.communication_type.replace('_', " "),
        method: method.map_or(row.delivery_method.clone(), |m| m.label().to_string()),
        status: DeliveryStatus::parse(&row.delivery_status).map_or(row.delivery_status.clone(), |s| s.label().into()),
        sent: row.sent_at.map(|at| format::datetime(at, zone)),
        created: format::datetime(row.created_at, zone),
        failure_reason: row.failure_reason,
        message: row.message,
        delivered_by_product: method.and_then(crate::delivery::Channel::of).is_some(),
        email: method == Some(DeliveryMethod::Email),
        mail_destination: state.mail_destination.clone(),
        deliveries: deliveries
            .into_iter()
            .map(|d| DeliveryView {
                recipient: d.recipient_name,
                address: d.address,
                status: delivery_status_label(&d.status),
                attempts: d.attempts,
                sent: d.sent_at.map(|at| format::datetime(at, zone)),
                message_id: d.message_id,
                accepted_as: d.accepted_as,
                problem: d.failure_reason.or(d.last_error.filter(|_| d.status != "sent")),
            })
            .collect(),
    };
    html(body, StatusCode::OK)
}
