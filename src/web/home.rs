//! The home page, the health check and the stylesheet.
use super::AppState;
use super::page::Page;
use super::session::CurrentUser;
use crate::domain::enums::Role;
use crate::error::AppError;
use actix_session::Session;
use actix_web::{HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use diesel::RunQueryDsl;

/// What each role's home page offers until its dashboard exists.
fn duties(role: Role) -> &'static [&'static str] {
    match role {
        Role::SystemAdministrator => &[
            "Manage clients, users, vendors and products",
            "Maintain infrastructure components",
            "Check the audit trail",
        ],
        Role::IncidentManager => &[
            "Oversee incidents through their lifecycle",
            "Coordinate escalations and communications",
            "Approve SLAs, subscriptions and changes",
        ],
        Role::TechnicalSupport => &[
            "Investigate incidents",
            "Implement workarounds and conduct root cause analyses",
            "Maintain the knowledge base",
        ],
        Role::AccountManager => &[
            "Maintain client records and subscriptions",
            "Define service levels",
            "Coordinate incident communications",
        ],
        Role::Executive => &[
            "Approve high-risk changes and critical subscriptions",
            "Follow major incidents",
            "Review service performance",
        ],
        Role::ClientContact => {
            &["Report incidents affecting your organisation", "Follow their progress and communications"]
        }
        Role::VendorContact => &["Report and update incidents on your products", "Work on orders assigned to you"],
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    page: Page,
    role: Role,
    duties: &'static [&'static str],
}

pub async fn home(session: Session, CurrentUser(user): CurrentUser) -> impl Responder {
    let role = user.role();
    HomePage {
        page: Page::for_user(&session, &user, format!("{} home", role.label()), "/"),
        role,
        duties: duties(role),
    }
}

/// 200 when the database answers, 503 when it does not.
pub async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    state
        .db(|conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok"))
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(include_str!("../../static/app.css"))
}
