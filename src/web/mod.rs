//! The web layer: application state, middleware, the route table and page scaffolding. Handlers live in the
//! domain modules and are the only code that touches actix.
pub mod csrf;
pub mod csv;
pub mod error_page;
pub mod home;
pub mod page;
pub mod reads;
pub mod refusals;
pub mod respond;
pub mod routes;
pub mod session;
pub mod session_store;

use crate::auth::password::HashingPool;
use crate::clock::Clock;
use crate::db::DbPool;
use crate::error::AppError;
use actix_session::SessionMiddleware;
use actix_session::config::{PersistentSession, TtlExtensionPolicy};
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{Compress, DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use diesel::PgConnection;
use std::net::TcpListener;

/// What every request can reach.
pub struct AppState {
    /// The primary: every write, and every read that `reads` does not send to the replica.
    pub pool: DbPool,
    /// A read replica's pool (`DATABASE_REPLICA_URL`), which `reads` sends the reads it may serve to.
    pub replica: Option<DbPool>,
    pub clock: Clock,
    pub hashing: HashingPool,
    /// A reverse proxy whose `X-Forwarded-For` names the client (`TRUSTED_PROXY`); without one, the peer is.
    pub trusted_proxy: Option<std::net::IpAddr>,
    pub history_figures: std::sync::Arc<crate::dashboards::HistoryFigures>,
    /// Where email goes, in words for the communication page (`delivery::mail::Mailer::described`).
    pub mail_destination: String,
}

impl AppState {
    pub fn new(pool: DbPool, clock: Clock) -> Self {
        Self {
            pool,
            replica: None,
            clock,
            hashing: HashingPool::default(),
            trusted_proxy: None,
            history_figures: Default::default(),
            mail_destination: "written as .eml files under the data folder (no mail server is set)".into(),
        }
    }

    /// The address a request came from: the peer's, or the one a trusted proxy forwards.
    pub fn client_address(&self, request: &actix_web::HttpRequest) -> Option<String> {
        let peer = request.peer_addr()?.ip();
        if Some(peer) == self.trusted_proxy {
            let forwarded = request.headers().get("x-forwarded-for")?.to_str().ok()?;
            // The proxy appends the address it saw: the last one is the one it vouches for.
            return forwarded.rsplit(',').next().map(|a| a.trim().to_string()).filter(|a| !a.is_empty());
        }
        Some(peer.to_string())
    }

    /// The state, saying where email goes.
    pub fn with_mail_destination(self, described: &str) -> Self {
        Self { mail_destination: described.to_string(), ..self }
    }

    /// The pool the request being served reads its data through: the replica's when `reads` says it may.
    pub fn reading_pool(&self) -> &DbPool {
        match &self.replica {
            Some(replica) if reads::data_from_replica() => replica,
            _ => &self.pool,
        }
    }

    /// Runs blocking database work on a pooled connection (`reading_pool`), off the async workers.
    pub async fn db<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.reading_pool().clone();
        web::block(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await?
    }
}

/// Turns a server error into the 503 page when the cause is the database being down: the session layer
/// reports a store failure as a plain 500, which would hide what is really wrong.
async fn database_outage(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use actix_web::ResponseError;
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let outcome = next.call(req).await.map(|res| res.map_into_boxed_body());
    let failed = match &outcome {
        Ok(res) => res.status() == actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
        Err(error) => error.as_error::<AppError>().is_none(),
    };
    let Some(state) = state.filter(|_| failed) else { return outcome };
    // The session may have been read from the replica, the rest from the primary: both must answer.
    let replica_answers = match state.replica.as_ref().filter(|_| reads::session_from_replica()) {
        Some(replica) => answers(replica).await,
        None => true,
    };
    if replica_answers && answers(&state.pool).await {
        return outcome;
    }
    match outcome {
        Ok(res) => {
            let (request, _) = res.into_parts();
            Ok(actix_web::dev::ServiceResponse::new(request, AppError::Unavailable.error_response()))
        }
        Err(_) => Err(AppError::Unavailable.into()),
    }
}

impl AppState {
    /// Whether the database the request reads its data from answers within the pool's wait.
    pub async fn database_answers(&self) -> bool {
        answers(self.reading_pool()).await
    }
}

/// Whether `pool`'s database answers within the pool's wait.
async fn answers(pool: &DbPool) -> bool {
    use diesel::RunQueryDsl;
    let pool = pool.clone();
    web::block(move || pool.get().ok().and_then(|mut conn| diesel::sql_query("SELECT 1").execute(&mut conn).ok()))
        .await
        .ok()
        .flatten()
        .is_some()
}

/// The cookie that carries the session's key.
const SESSION_COOKIE: &str = "incident_desk_session";

pub struct ServerOptions {
    pub session_key: Key,
    pub cookie_secure: bool,
}

/// The headers every answer carries. Pages, exports and prints are for the signed-in user alone, so no cache keeps
/// them (the stylesheet sets its own long cache, which the default leaves alone).
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("cache-control", "no-store"),
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
];

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The largest form read. Text is limited per field, in characters: a long text and a dozen short ones at their
/// limits, in four-byte characters whose every byte the form's encoding writes as three, must fit.
pub(crate) const FORM_LIMIT: usize = 512 * 1024;
const _: () = assert!(FORM_LIMIT > (crate::forms::MAX_LONG_TEXT + 12 * crate::forms::MAX_TEXT) * 4 * 3);

/// A form that cannot be read: too large, or not a form.
fn form_error(error: actix_web::error::UrlencodedError, _: &actix_web::HttpRequest) -> actix_web::Error {
    match error {
        actix_web::error::UrlencodedError::Overflow { .. } => AppError::TooLarge.into(),
        error => AppError::BadRequest(format!("The form could not be read: {error}.")).into(),
    }
}

/// Serves on `listener` until the process is told to stop (Ctrl-C), signing cookies with `key` (64 bytes or more).
pub fn run(listener: TcpListener, state: AppState, key: &[u8], cookie_secure: bool) -> std::io::Result<()> {
    let options = ServerOptions { session_key: Key::from(key), cookie_secure };
    actix_web::rt::System::new().block_on(async move { server(listener, web::Data::new(state), options)?.await })
}

/// Builds the server on `listener`; the caller runs it.
pub fn server(listener: TcpListener, state: web::Data<AppState>, options: ServerOptions) -> std::io::Result<Server> {
    let sessions = session_store::PgSessionStore::new(state.pool.clone(), state.replica.clone());
    let sign_in_cookies =
        web::Data::new(csrf::SignInCookies { key: options.session_key.clone(), secure: options.cookie_secure });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(sign_in_cookies.clone())
            // The CSRF check reads the body first, to this limit too.
            .app_data(web::PayloadConfig::new(FORM_LIMIT))
            .app_data(web::FormConfig::default().limit(FORM_LIMIT).error_handler(form_error))
            .app_data(web::QueryConfig::default().error_handler(|error, _| {
                AppError::BadRequest(format!("The address has a parameter that could not be read: {error}.")).into()
            }))
            .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
            // The last wrap runs first: headers, the choice of database, the outage guard, the session, the CSRF
            // check that reads it, then the audit of refusals, which sees what the handler answered.
            .wrap(from_fn(refusals::audit))
            .wrap(from_fn(csrf::check))
            .wrap(
                SessionMiddleware::builder(sessions.clone(), options.session_key.clone())
                    .cookie_name(SESSION_COOKIE.to_string())
                    // A session lasts a working day from its last change.
                    .session_lifecycle(
                        PersistentSession::default()
                            .session_ttl(actix_web::cookie::time::Duration::hours(12))
                            .session_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
                    )
                    .cookie_http_only(true)
                    .cookie_same_site(SameSite::Lax)
                    .cookie_secure(options.cookie_secure)
                    .build(),
            )
            .wrap(from_fn(database_outage))
            // Which database the request reads, for everything inside, the session store included.
            .wrap(from_fn(reads::choose))
            .wrap(SECURITY_HEADERS.iter().fold(DefaultHeaders::new(), |headers, header| headers.add(*header)))
            // Pages shrink to a seventh gzipped; compressed only when the browser says it accepts it.
            .wrap(Compress::default())
            .wrap(tracing_actix_web::TracingLogger::default())
            .configure(routes::configure)
            .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(AppError::NotFound) }))
    })
    .listen(listener)?
    .run();
    Ok(server)
}
