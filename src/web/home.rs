//! The health check and the stylesheet.
use super::AppState;
use crate::error::AppError;
use actix_web::{HttpResponse, web};

/// 200 when the database answers, 503 when it does not.
pub async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    if !state.database_answers().await {
        return Err(AppError::Unavailable);
    }
    Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok"))
}

const STYLESHEET: &str = include_str!("../../static/app.css");

/// The stylesheet's address carries a hash of its content, so browsers may keep it for long and still see
/// every change at once.
pub fn stylesheet_href() -> &'static str {
    static HREF: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        use sha2::{Digest, Sha256};
        format!("/static/app.css?v={}", &hex::encode(Sha256::digest(STYLESHEET))[..12])
    });
    &HREF
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=31536000, immutable"))
        .body(STYLESHEET)
}
