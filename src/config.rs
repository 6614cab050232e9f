//! Settings from the environment.
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `DATABASE_URL`; when unset, a private cluster under `data_dir` is used.
    pub database_url: Option<String>,
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
}

impl Settings {
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let parse = |name: &str, default: &str| var(name).unwrap_or_else(|| default.to_string());
        Ok(Self {
            database_url: var("DATABASE_URL"),
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
        })
    }
}
