//! Every refused POST is audited here, once, whatever the route: the refused change wrote nothing (its transaction
//! was rolled back, or never began), so the refusal gets a transaction of its own. It names the user, the route,
//! the record the route names, and the rule that refused.
use super::AppState;
use super::routes::{Access, ROUTES};
use crate::access::Actor;
use crate::audit::{self, Changes};
use crate::error::Refused;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use diesel::Connection;

pub async fn audit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let post = req.method() == Method::POST;
    let res = next.call(req).await?;
    if !post {
        return Ok(res);
    }
    // Only refusals of a signed-in user: the extractor that read them left them on the request.
    let actor = res.request().extensions().get::<Actor>().copied();
    let refused = res.response().extensions().get::<Refused>().cloned();
    let (Some(state), Some(actor), Some(Refused(reason))) = (state, actor, refused) else { return Ok(res) };
    let request = res.request();
    let route = ROUTES.iter().find(|r| r.method == "POST" && Some(r.path) == request.match_pattern().as_deref());
    let (kind, id) = match route.map(|r| r.access) {
        Some(Access::Do(action)) => {
            (action.area().kind(), request.match_info().get("id").map(str::to_string).unwrap_or_default())
        }
        // The signed-in user's own account (their password).
        _ => (crate::access::Area::Users.kind(), actor.user_id.to_string()),
    };
    let changes = Changes::new().field("reason", None::<String>, Some(reason)).field(
        "route",
        None::<String>,
        Some(format!("POST {}", request.path())),
    );
    let clock = state.clock.clone();
    let by = audit::Actor::user(actor.user_id, actor.role);
    let written = state
        .db(move |conn| Ok(conn.transaction(|conn| audit::record(conn, &clock, by, "refuse", kind, id, changes))?))
        .await;
    match written {
        Ok(_) => Ok(res),
        Err(error) => Err(error.into()),
    }
}
