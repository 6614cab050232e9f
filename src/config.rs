//! Settings from the environment.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `DATABASE_URL`; when unset, a private cluster under `data_dir` is used.
    pub database_url: Option<String>,
    /// `DATABASE_REPLICA_URL`: a streaming replica of that database, which lists, dashboards, search, CSV exports,
    /// print views and most session reads read from (`web::reads`); when unset, everything reads the primary.
    pub database_replica_url: Option<String>,
    /// `BIND_ADDR`, default 127.0.0.1:8080.
    pub bind_addr: SocketAddr,
    /// `INCIDENT_DESK_DATA_DIR`, default `./var`: the private cluster and the session key live here.
    pub data_dir: PathBuf,
    /// `COOKIE_SECURE=true` marks cookies Secure (set it when served over HTTPS).
    pub cookie_secure: bool,
    /// `SESSION_KEY`: 64 or more bytes (as hex) that sign and encrypt session cookies.
    pub session_key: Option<String>,
    /// `DB_POOL_SIZE`, default 10.
    pub pool_size: u32,
    /// `DB_POOL_WAIT_MS`: how long a request waits for a connection before answering 503 (default 3000).
    pub pool_wait_ms: u64,
    /// `TRUSTED_PROXY`: the address of a reverse proxy in front; its `X-Forwarded-For` names the client.
    pub trusted_proxy: Option<std::net::IpAddr>,
    /// `SMTP_URL`, e.g. `smtp://user:pass@host:587`; when unset, mail is written as `.eml` files under
    /// `data_dir/mail`.
    pub smtp_url: Option<SecretUrl>,
    /// `MAIL_FROM`, default `Incident Desk <incident-desk@localhost>`.
    pub mail_from: String,
    /// `PUBLIC_URL`: the address people open the product at, for links in mail; default `http://BIND_ADDR`.
    pub public_url: String,
    /// `MAIL_RETRY_SECONDS` (default 30): the wait before the first retry of a delivery; each later one doubles.
    pub mail_retry_first: Duration,
    /// `MAIL_GIVE_UP_MINUTES` (default 1440): how long after its first attempt a delivery is given up.
    pub mail_give_up_after: Duration,
    /// `MAIL_TIMEOUT_SECONDS` (default 60): how long the worker waits for the mail server.
    pub mail_timeout: Duration,
}

/// A URL that may hold a password: shown and logged without it.
#[derive(Clone)]
pub struct SecretUrl(pub url::Url);

impl std::fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

impl std::fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = self.0.clone();
        if shown.password().is_some() {
            let _ = shown.set_password(Some("********"));
        }
        write!(f, "{shown}")
    }
}

impl Settings {
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let parse = |name: &str, default: &str| var(name).unwrap_or_else(|| default.to_string());
        Ok(Self {
            database_url: var("DATABASE_URL"),
            database_replica_url: var("DATABASE_REPLICA_URL"),
            bind_addr: parse("BIND_ADDR", "127.0.0.1:8080")
                .parse()
                .map_err(|e| format!("BIND_ADDR must be host:port, e.g. 127.0.0.1:8080 ({e})"))?,
            data_dir: PathBuf::from(parse("INCIDENT_DESK_DATA_DIR", "var")),
            cookie_secure: matches!(parse("COOKIE_SECURE", "false").as_str(), "1" | "true" | "yes"),
            session_key: var("SESSION_KEY"),
            pool_size: parse("DB_POOL_SIZE", "10")
                .parse()
                .map_err(|_| "DB_POOL_SIZE must be a whole number".to_string())?,
            pool_wait_ms: parse("DB_POOL_WAIT_MS", "3000")
                .parse()
                .map_err(|_| "DB_POOL_WAIT_MS must be a whole number of milliseconds".to_string())?,
            trusted_proxy: var("TRUSTED_PROXY")
                .map(|v| {
                    v.trim().parse().map_err(|e| format!("TRUSTED_PROXY must be an IP address, e.g. 10.0.0.2 ({e})"))
                })
                .transpose()?,
            smtp_url: var("SMTP_URL").map(|text| smtp_url(&text)).transpose()?,
            mail_from: parse("MAIL_FROM", "Incident Desk <incident-desk@localhost>"),
            public_url: var("PUBLIC_URL")
                .unwrap_or_else(|| format!("http://{}", parse("BIND_ADDR", "127.0.0.1:8080")))
                .trim_end_matches('/')
                .to_string(),
            mail_retry_first: seconds("MAIL_RETRY_SECONDS", &parse("MAIL_RETRY_SECONDS", "30"))?,
            mail_give_up_after: seconds("MAIL_GIVE_UP_MINUTES", &parse("MAIL_GIVE_UP_MINUTES", "1440"))? * 60,
            mail_timeout: seconds("MAIL_TIMEOUT_SECONDS", &parse("MAIL_TIMEOUT_SECONDS", "60"))?,
        })
    }
}

fn seconds(name: &str, text: &str) -> Result<Duration, String> {
    text.parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .map(|n| Duration::from_secs(n.into()))
        .ok_or_else(|| format!("{name} must be a whole number from 1"))
}

/// Reads `SMTP_URL`; the message never repeats it, as it may hold a password.
fn smtp_url(text: &str) -> Result<SecretUrl, String> {
    let url = url::Url::parse(text.trim())
        .map_err(|e| format!("SMTP_URL is not a URL ({e}); e.g. smtp://user:pass@host:587"))?;
    if !matches!(url.scheme(), "smtp" | "smtps") || url.host_str().is_none_or(str::is_empty) {
        return Err(
            "SMTP_URL must be smtp://[user:pass@]host[:port] or smtps://…, e.g. smtp://user:pass@host:587".into()
        );
    }
    Ok(SecretUrl(url))
}
