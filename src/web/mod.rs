//! The web layer: application state, middleware, the route table and page scaffolding. Handlers live in the
//! domain modules and are the only code that touches actix.
pub mod csrf;
pub mod csv;
pub mod format;
pub mod home;
pub mod page;
pub mod respond;
pub mod routes;
pub mod session;
pub mod session_store;

use crate::auth::password::HashingPool;
use crate::auth::throttle::LoginThrottle;
use crate::clock::Clock;
use crate::db::DbPool;
use crate::error::AppError;
use actix_session::SessionMiddleware;
use actix_session::config::{PersistentSession, TtlExtensionPolicy};
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use diesel::PgConnection;
use std::net::TcpListener;

/// What every request can reach.
pub struct AppState {
    pub pool: DbPool,
    pub clock: Clock,
    pub hashing: HashingPool,
    pub throttle: LoginThrottle,
    pub history_figures: std::sync::Arc<crate::dashboards::HistoryFigures>,
    /// Where email goes, in words for the communication page (`delivery::mail::Mailer::described`).
    pub mail_destination: String,
}

impl AppState {
    pub fn new(pool: DbPool, clock: Clock) -> Self {
        Self {
            pool,
            clock,
            hashing: HashingPool::default(),
            throttle: LoginThrottle::default(),
            history_figures: Default::default(),
            mail_destination: "written as .eml files under the data folder (no mail server is set)".into(),
        }
    }

    /// The state, saying where email goes.
    pub fn with_mail_destination(self, described: &str) -> Self {
        Self { mail_destination: described.to_string(), ..self }
    }

    /// Runs blocking database work on a pooled connection, off the async workers.
    pub async fn db<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await?
    }
}

impl AppState {
    /// Passes a use case's outcome through; a refusal by a rule or of the input is audited as a refusal, in a
    /// transaction of its own (the refused change itself wrote nothing).
    pub async fn audit_refusal<T, C>(
        &self,
        user: &crate::users::User,
        entity_type: &'static str,
        entity_id: Option<i32>,
        outcome: Result<T, crate::error::Refusal<C>>,
    ) -> Result<Result<T, crate::error::Refusal<C>>, AppError> {
        use crate::error::Refusal;
        let reason = match &outcome {
            Err(Refusal::Forbidden(reason) | Refusal::WrongState(reason)) => reason.clone(),
            Err(Refusal::Invalid(errors)) => errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" "),
            _ => return Ok(outcome),
        };
        let (actor, clock) = (crate::audit::Actor::user(user.user_id, user.role()), self.clock.clone());
        let entity_id = entity_id.map(|id| id.to_string()).unwrap_or_default();
        self.db(move |conn| {
            let changes = crate::audit::Changes::new().field("reason", None::<String>, Some(reason));
            crate::audit::record(conn, &clock, actor, "refuse", entity_type, entity_id, changes)?;
            Ok(())
        })
        .await?;
        Ok(outcome)
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
    if state.database_answers().await {
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
    /// Whether the database answers within the pool's wait.
    pub async fn database_answers(&self) -> bool {
        use diesel::RunQueryDsl;
        self.db(|conn| Ok(diesel::sql_query("SELECT 1").execute(conn)?)).await.is_ok()
    }
}

pub struct ServerOptions {
    pub session_key: Key,
    pub cookie_secure: bool,
}

/// The headers every answer carries.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
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

/// Builds the server on `listener`; the caller runs it.
pub fn server(listener: TcpListener, state: web::Data<AppState>, options: ServerOptions) -> std::io::Result<Server> {
    let sessions = session_store::PgSessionStore::new(state.pool.clone());
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
            // The last wrap runs first: headers, the outage guard, the session, then the CSRF check that reads it.
            .wrap(from_fn(csrf::check))
            .wrap(
                SessionMiddleware::builder(sessions.clone(), options.session_key.clone())
                    .cookie_name("incident_desk_session".to_string())
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
            .wrap(SECURITY_HEADERS.iter().fold(DefaultHeaders::new(), |headers, header| headers.add(*header)))
            .wrap(tracing_actix_web::TracingLogger::default())
            .configure(routes::configure)
            .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(AppError::NotFound) }))
    })
    .listen(listener)?
    .run();
    Ok(server)
}
