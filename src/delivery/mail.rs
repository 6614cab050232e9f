//! The mail a delivery sends, and where it goes: a mail server (`SMTP_URL`), or `.eml` files under the data
//! folder when no server is set, so that nothing is silently dropped.
use super::queries::Claimed;
use crate::config::{SecretUrl, Settings};
use crate::domain::enums::{IncidentStatus, RecipientType, Severity};
use lettre::message::header::{ContentType, MIME_VERSION_1_0};
use lettre::message::{Mailbox, Message};
use lettre::{SmtpTransport, Transport};
use std::path::PathBuf;
use std::time::Duration;

enum Destination {
    Smtp(SmtpTransport),
    Files(PathBuf),
}

/// Composes and sends the product's mail.
pub struct Mailer {
    destination: Destination,
    /// Where mail goes, in words for the pages (never with a password).
    described: String,
    from: Mailbox,
    /// The address people open the product at, for links.
    public_url: String,
}

/// Why a message was not handed over, and whether trying again cannot help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub permanent: bool,
    pub reason: String,
}

impl Mailer {
    /// The mail server of `SMTP_URL`, or files under the data folder without one.
    pub fn from_settings(settings: &Settings) -> Result<Self, String> {
        let from = settings
            .mail_from
            .parse::<Mailbox>()
            .map_err(|e| format!("MAIL_FROM must be an address like Incident Desk <desk@example.com> ({e})"))?;
        match &settings.smtp_url {
            Some(url) => Self::smtp(url, settings.mail_timeout, from, &settings.public_url),
            None => Ok(Self::files(settings.data_dir.join("mail"), from, &settings.public_url)),
        }
    }

    /// A mail server. A plain `smtp://` address upgrades to TLS with STARTTLS when the server offers it
    /// (`?tls=required` insists on it, `smtps://` speaks TLS from the start).
    pub fn smtp(url: &SecretUrl, timeout: Duration, from: Mailbox, public_url: &str) -> Result<Self, String> {
        let mut address = url.0.clone();
        if address.scheme() == "smtp" && !address.query_pairs().any(|(name, _)| name == "tls") {
            address.query_pairs_mut().append_pair("tls", "opportunistic");
        }
        let transport = SmtpTransport::from_url(address.as_str())
            .map_err(|e| format!("SMTP_URL {url} cannot be used: {e}"))?
            .timeout(Some(timeout))
            .build();
        Ok(Self {
            destination: Destination::Smtp(transport),
            described: format!("sent through the mail server {url}"),
            from,
            public_url: public_url.to_string(),
        })
    }

    /// `.eml` files in `dir`, one per message.
    pub fn files(dir: PathBuf, from: Mailbox, public_url: &str) -> Self {
        let shown = std::path::absolute(&dir).unwrap_or_else(|_| dir.clone());
        Self {
            described: format!(
                "written as .eml files to {} (no mail server is set: set SMTP_URL to send mail)",
                shown.display()
            ),
            destination: Destination::Files(dir),
            from,
            public_url: public_url.to_string(),
        }
    }

    /// Where mail goes, in words.
    pub fn described(&self) -> &str {
        &self.described
    }

    /// A new Message-ID for a delivery's first attempt, in the sender's domain.
    pub fn message_id(&self, delivery_id: i32) -> String {
        let random: [u8; 12] = rand::random();
        format!("<{delivery_id}.{}@{}>", hex::encode(random), self.from.email.domain())
    }

    /// The message of a claimed email delivery: plain text, with the incident's title, severity and status as
    /// labels and a link to it.
    pub fn compose(&self, delivery: &Claimed) -> Result<Message, SendError> {
        let address = delivery.address.as_deref().unwrap_or_default();
        let to = format!("{} <{address}>", delivery.recipient_name.replace(['<', '>', '"'], ""))
            .parse::<Mailbox>()
            .or_else(|_| address.parse::<Mailbox>())
            .map_err(|e| SendError {
                permanent: true,
                reason: format!("The address {address:?} cannot be mailed to ({e})."),
            })?;
        let kind = capitalised(&delivery.communication_type.replace('_', " "));
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .message_id(Some(delivery.message_id.clone()))
            .subject(format!("[Incident {}] {kind}: {}", delivery.incident_id, delivery.title))
            .header(MIME_VERSION_1_0)
            .header(ContentType::TEXT_PLAIN)
            .body(self.text(delivery, &kind))
            .map_err(|e| SendError { permanent: true, reason: format!("The message could not be composed: {e}.") })
    }

    fn text(&self, delivery: &Claimed, kind: &str) -> String {
        let severity = Severity::parse(&delivery.severity).map_or(delivery.severity.as_str(), |s| s.label());
        let status = IncidentStatus::parse(&delivery.status).map_or(delivery.status.as_str(), |s| s.label());
        let why = match delivery.recipient_type.as_deref().and_then(RecipientType::parse) {
            Some(group) => format!("as one of the {}", group.label().to_lowercase()),
            None => "by name".to_string(),
        };
        let from = delivery
            .sender_name
            .as_deref()
            .map_or("Incident Desk".to_string(), |name| format!("{name}, via Incident Desk"));
        let message = delivery.message.as_deref().map(|m| format!("{m}\n\n")).unwrap_or_default();
        format!(
            "{kind} about incident {id}: {title}\n\n{message}\
             Incident:  {title}\n\
             Severity:  {severity}\n\
             Status:    {status}\n\
             Client:    {client}\n\
             Open it:   {url}/incidents/{id}\n\n\
             From {from}. You receive this {why}; it is also on your Notifications page.\n",
            id = delivery.incident_id,
            title = delivery.title,
            client = delivery.client_name,
            url = self.public_url,
        )
    }

    /// Hands the message over; answers what the server said on accepting it, or the file it was written to.
    pub fn send(&self, message: &Message, message_id: &str) -> Result<String, SendError> {
        match &self.destination {
            Destination::Smtp(transport) => transport
                .send(message)
                .map(|answer| format!("{} {}", answer.code(), answer.message().collect::<Vec<_>>().join(" ")))
                .map_err(|e| SendError { permanent: e.is_permanent(), reason: e.to_string() }),
            Destination::Files(dir) => write_file(dir, message, message_id),
        }
    }
}

/// Writes the message to `dir/<message id>.eml`. A file left by an attempt that could not record its outcome
/// is kept as it is, so a message is never written twice.
fn write_file(dir: &std::path::Path, message: &Message, message_id: &str) -> Result<String, SendError> {
    use std::io::Write;
    let transient = |e: std::io::Error| SendError { permanent: false, reason: format!("{}: {e}", dir.display()) };
    std::fs::create_dir_all(dir).map_err(transient)?;
    let stem: String = message_id.trim_matches(['<', '>']).chars().take_while(|c| *c != '@').collect();
    let path = dir.join(format!("{stem}.eml"));
    let partial = dir.join(format!(".{stem}.eml.partial"));
    if !path.exists() {
        let mut file = std::fs::File::create(&partial).map_err(transient)?;
        file.write_all(&message.formatted()).and_then(|()| file.sync_all()).map_err(transient)?;
        std::fs::rename(&partial, &path).map_err(transient)?;
    }
    Ok(format!("written to {}", path.display()))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}
