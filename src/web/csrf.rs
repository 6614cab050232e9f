//! CSRF protection: a random token per session, carried by every form as `csrf_token` and checked on every POST
//! before any handler runs.
//!
//! A browser that has no session yet (someone about to sign in) gets its token from a signed cookie instead:
//! the form carries the token and the cookie a copy signed with the server's key (a signed double-submit
//! cookie). Showing the sign-in page then writes nothing to the database; a session row per visit made every
//! anonymous request a write, and the table grew with the traffic.
use crate::error::AppError;
use actix_session::{Session, SessionExt};
use actix_web::HttpMessage;
use actix_web::HttpRequest;
use actix_web::ResponseError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use rand::RngCore;

const SESSION_KEY: &str = "csrf";
pub const FIELD: &str = "csrf_token";
/// The cookie holding the signed token of a browser without a session.
const SIGN_IN_COOKIE: &str = "incident_desk_sign_in";

/// What signs the sign-in cookie, and whether cookies are sent over HTTPS only (as the session's are).
#[derive(Clone)]
pub struct SignInCookies {
    pub key: Key,
    pub secure: bool,
}

/// The session's token, created on first use.
pub fn token(session: &Session) -> String {
    if let Ok(Some(token)) = session.get::<String>(SESSION_KEY) {
        return token;
    }
    let token = new_token();
    // A session that cannot be written yields a token that will not verify: the POST is refused, never allowed.
    let _ = session.insert(SESSION_KEY, &token);
    token
}

/// The sign-in form's token: the session's when there is one, otherwise the browser's signed cookie's, made anew
/// when it has none. The cookie to set comes with it.
pub fn sign_in_token(request: &HttpRequest, session: &Session) -> (String, Option<Cookie<'static>>) {
    if let Ok(Some(token)) = session.get::<String>(SESSION_KEY) {
        return (token, None);
    }
    let Some(cookies) = request.app_data::<web::Data<SignInCookies>>() else {
        return (token(session), None);
    };
    if let Some(token) = signed_token(request.cookie(SIGN_IN_COOKIE), &cookies.key) {
        return (token, None);
    }
    let token = new_token();
    let mut jar = CookieJar::new();
    jar.signed_mut(&cookies.key).add(
        Cookie::build(SIGN_IN_COOKIE, token.clone())
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(cookies.secure)
            .finish(),
    );
    let cookie = jar.get(SIGN_IN_COOKIE).cloned();
    (token, cookie)
}

/// The token in a sign-in cookie, if the server's key signed it.
fn signed_token(cookie: Option<Cookie<'static>>, key: &Key) -> Option<String> {
    let mut jar = CookieJar::new();
    jar.add_original(cookie?);
    jar.signed(key).get(SIGN_IN_COOKIE).map(|c| c.value().to_string())
}

/// Replaces the token (at sign-in, with the session).
pub fn rotate(session: &Session) {
    let _ = session.insert(SESSION_KEY, new_token());
}

/// The token as a page carries it: a fresh random pad and the token XORed with it, so no two answers carry the
/// same secret. Pages are compressed, and a secret repeated in compressed answers that also echo what a request
/// asked for (a search) could be guessed from their sizes (BREACH); a masked one cannot.
pub fn masked(token: &str) -> String {
    let Ok(token) = hex::decode(token) else { return String::new() };
    let mut pad = vec![0u8; token.len()];
    rand::rng().fill_bytes(&mut pad);
    let hidden: Vec<u8> = pad.iter().zip(&token).map(|(p, t)| p ^ t).collect();
    format!("{}{}", hex::encode(pad), hex::encode(hidden))
}

/// The token a form sent, unmasked; `None` when it is not a masked token.
fn unmasked(submitted: &str) -> Option<String> {
    let bytes = hex::decode(submitted).ok().filter(|b| !b.is_empty() && b.len() % 2 == 0)?;
    let (pad, hidden) = bytes.split_at(bytes.len() / 2);
    Some(hex::encode(pad.iter().zip(hidden).map(|(p, h)| p ^ h).collect::<Vec<u8>>()))
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Refuses a POST whose form lacks the session's token, or holds a NUL character (no text field may); other
/// methods pass. The body is read here and put back for the handler.
pub async fn check(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.method() == Method::POST {
        // Without a session, only signing in can follow; every other form then asks the browser to sign in.
        let expected = req.get_session().get::<String>(SESSION_KEY).ok().flatten().or_else(|| {
            let cookies = req.app_data::<web::Data<SignInCookies>>()?;
            signed_token(req.cookie(SIGN_IN_COOKIE), &cookies.key)
        });
        let body = match read_form(&mut req.take_payload()).await {
            Ok(body) => body,
            Err(refusal) => return Ok(req.into_response(refusal.error_response())),
        };
        let fields = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body).unwrap_or_default();
        let submitted = fields.iter().find(|(name, _)| name == FIELD).and_then(|(_, value)| unmasked(value));
        let refusal = if !tokens_match(expected.as_deref(), submitted.as_deref()) {
            tracing::warn!(path = %req.path(), "POST refused: missing or wrong CSRF token");
            Some(AppError::Csrf)
        } else if fields.iter().any(|(name, value)| name.contains('\0') || value.contains('\0')) {
            Some(AppError::BadRequest(
                "The form holds a NUL character, which no field accepts. Remove it and try again.".into(),
            ))
        } else {
            None
        };
        if let Some(refusal) = refusal {
            // Answered here, inside the header middleware, so the refusal page carries the security headers too.
            return Ok(req.into_response(refusal.error_response()));
        }
        req.set_payload(Payload::from(body));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Past this, an oversized form is no longer read to its end: the connection is dropped instead.
const DRAIN_LIMIT: usize = 16 * 1024 * 1024;

/// Reads the form, at most `FORM_LIMIT` bytes. A larger one is still read to its end (up to `DRAIN_LIMIT`) and
/// dropped, so the browser finishes sending and shows the 413 page rather than a reset connection.
async fn read_form(payload: &mut Payload) -> Result<Bytes, AppError> {
    use futures_util::StreamExt;
    let unreadable =
        || AppError::BadRequest("The form could not be read. Go back, reload the page and try again.".into());
    let mut body = actix_web::web::BytesMut::new();
    let mut received = 0usize;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| unreadable())?;
        received += chunk.len();
        if received > DRAIN_LIMIT {
            break;
        }
        if received <= super::FORM_LIMIT {
            body.extend_from_slice(&chunk);
        }
    }
    if received > super::FORM_LIMIT { Err(AppError::TooLarge) } else { Ok(body.freeze()) }
}

/// Compares in constant time so the token cannot be guessed byte by byte.
fn tokens_match(expected: Option<&str>, submitted: Option<&str>) -> bool {
    match (expected, submitted) {
        (Some(expected), Some(submitted)) if expected.len() == submitted.len() && !expected.is_empty() => {
            expected.bytes().zip(submitted.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{masked, new_token, tokens_match, unmasked};

    #[test]
    fn a_masked_token_differs_every_time_and_unmasks_to_the_token() {
        let token = new_token();
        let (one, two) = (masked(&token), masked(&token));
        assert_ne!(one, two, "no two pages carry the same secret");
        assert_eq!(unmasked(&one).as_deref(), Some(token.as_str()));
        assert_eq!(unmasked(&two).as_deref(), Some(token.as_str()));
        assert!(!tokens_match(Some(&token), unmasked(&token).as_deref()), "the bare token is no masked token");
        for bad in ["", "zz", "abc", "0000"] {
            assert!(!tokens_match(Some(&token), unmasked(bad).as_deref()), "{bad:?}");
        }
    }

    #[test]
    fn only_the_exact_session_token_matches() {
        let cases = [
            (Some("abc123"), Some("abc123"), true),
            (Some("abc123"), Some("abc124"), false),
            (Some("abc123"), Some("abc12"), false),
            (Some("abc123"), None, false),
            (None, Some("abc123"), false),
            (None, None, false),
            (Some(""), Some(""), false),
        ];
        for (expected, submitted, result) in cases {
            assert_eq!(tokens_match(expected, submitted), result, "{expected:?} vs {submitted:?}");
        }
    }
}
