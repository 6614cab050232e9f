//! Which database a request reads, when there is a read replica (`DATABASE_REPLICA_URL`).
//!
//! A GET (or HEAD) reads its session from the replica, and its data too when the route table marks the route
//! `Reads::Replica` (lists, dashboards, search, CSV exports, print views). Everything else reads the primary:
//! every POST, every other page, and every request of a browser that wrote in the last `PRIMARY_AFTER_WRITE`.
//! Whatever writes (every POST, and any answer that writes the session) leaves a cookie saying until when that
//! browser reads the primary, so people see their own change at once, on whichever server they reach next.
//! Writes always go to the primary. Without a replica this does nothing: one pool, no cookie.
use super::AppState;
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;
use std::time::Duration;

/// How long after a browser's write it reads only the primary: far longer than a streaming replica, which
/// replays within milliseconds, normally takes to catch up.
pub const PRIMARY_AFTER_WRITE: Duration = Duration::from_secs(5);

/// The cookie that holds until when (Unix milliseconds) a browser reads the primary. It is not signed: all it can
/// change is which copy of the data its own browser reads.
pub const PRIMARY_UNTIL_COOKIE: &str = "incident_desk_read_primary_until";

/// What one request may read from the replica.
#[derive(Debug, Clone, Copy)]
struct FromReplica {
    session: bool,
    data: bool,
}

tokio::task_local! {
    static FROM_REPLICA: FromReplica;
}

/// Whether the request being served reads its session from the replica.
pub(super) fn session_from_replica() -> bool {
    FROM_REPLICA.try_with(|reads| reads.session).unwrap_or(false)
}

/// Whether the request being served reads its data from the replica.
pub(super) fn data_from_replica() -> bool {
    FROM_REPLICA.try_with(|reads| reads.data).unwrap_or(false)
}

/// Decides, for the request and everything it awaits (the session store, the handler), which database it reads,
/// and marks a writing browser to read the primary for a while.
pub async fn choose(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.app_data::<web::Data<AppState>>().is_none_or(|state| state.replica.is_none()) {
        return next.call(req).await;
    }
    let reading = matches!(*req.method(), Method::GET | Method::HEAD);
    let now = now_millis();
    let wrote_lately = req
        .cookie(PRIMARY_UNTIL_COOKIE)
        .and_then(|cookie| cookie.value().parse::<u128>().ok())
        .is_some_and(|until| until > now);
    let session = reading && !wrote_lately;
    let data = session && req.match_pattern().is_some_and(|pattern| super::routes::reads_replica(&pattern));
    let secure = req.app_data::<web::Data<super::csrf::SignInCookies>>().is_some_and(|cookies| cookies.secure);
    let mut res = FROM_REPLICA.scope(FromReplica { session, data }, next.call(req)).await?;
    let wrote_session = res.response().cookies().any(|cookie| cookie.name() == super::SESSION_COOKIE);
    if !reading || wrote_session {
        let until = now + PRIMARY_AFTER_WRITE.as_millis();
        let cookie = Cookie::build(PRIMARY_UNTIL_COOKIE, until.to_string())
            .path("/")
            .max_age(actix_web::cookie::time::Duration::seconds(PRIMARY_AFTER_WRITE.as_secs() as i64))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .finish();
        res.response_mut().add_cookie(&cookie)?;
    }
    Ok(res)
}

fn now_millis() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default()
}
