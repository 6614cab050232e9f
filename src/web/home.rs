//! The health check and the stylesheet.
use super::AppState;
use crate::error::AppError;
use actix_web::{HttpResponse, web};
use diesel::RunQueryDsl;

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
