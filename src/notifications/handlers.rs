//! The Notifications page and its two buttons.
use super::queries::{self, Row};
use crate::domain::enums::DeliveryMethod;
use crate::error::AppError;
use crate::format;
use crate::forms::address::{check_page, page_number};
use crate::web::page::Page;
use crate::web::respond::{after_action, html};
use crate::web::session::SignedIn;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::Connection;
use std::collections::HashMap;

struct NotificationView {
    communication_id: i32,
    incident_id: i32,
    incident_title: String,
    summary: String,
    message: Option<String>,
    when: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "notifications/list.html")]
struct ListPage {
    page: Page,
    notifications: Vec<NotificationView>,
    any_unread: bool,
    previous: Option<String>,
    next: Option<String>,
}

fn view(row: Row, zone: &str) -> NotificationView {
    let method =
        DeliveryMethod::parse(&row.delivery_method).map_or(row.delivery_method.clone(), |m| m.label().to_lowercase());
    let kind = row.communication_type.replace('_', " ");
    let from = row.sender_name.unwrap_or_else(|| "Incident Desk".into());
    NotificationView {
        summary: format!(
            "{from} sent {} {kind} by {method}",
            if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }
        ),
        communication_id: row.communication_id,
        incident_id: row.incident_id,
        incident_title: row.incident_title,
        message: row.message,
        when: format::datetime(row.created_at, zone),
        unread: row.read_at.is_none(),
    }
}

pub async fn list(
    SignedIn { state, session, user }: SignedIn,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let number = page_number(query.get("page").map(String::as_str)).map_err(AppError::BadRequest)?;
    let (user_id, scope) = (user.user_id, user.actor().scope());
    let (rows, more) = state.db(move |conn| Ok(queries::page(conn, user_id, scope, number)?)).await?;
    check_page(number, rows.len(), None, queries::PAGE_SIZE).map_err(AppError::BadRequest)?;
    let notifications: Vec<NotificationView> = rows.into_iter().map(|row| view(row, &user.timezone)).collect();
    let body = ListPage {
        page: Page::for_user(&session, &user, "Notifications", "/notifications"),
        any_unread: user.unread_notifications > 0,
        notifications,
        previous: (number > 1).then(|| format!("/notifications?page={}", number - 1)),
        next: more.then(|| format!("/notifications?page={}", number + 1)),
    };
    html(body, StatusCode::OK)
}

pub async fn mark_read(
    SignedIn { state, session, user }: SignedIn,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let communication_id = id.into_inner();
    let (clock, actor) = (state.clock.clone(), user.clone());
    let outcome = state
        .db(move |conn| Ok(conn.transaction(|conn| super::mark_read(conn, &clock, &actor, communication_id))))
        .await?;
    after_action(&session, outcome, "Notification marked read.", "/notifications")
}

pub async fn mark_all_read(SignedIn { state, session, user }: SignedIn) -> Result<HttpResponse, AppError> {
    let (clock, actor) = (state.clock.clone(), user.clone());
    let marked = state.db(move |conn| Ok(conn.transaction(|conn| super::mark_all_read(conn, &clock, &actor)))).await?;
    let done = match marked {
        Ok(1) => "1 notification marked read.".to_string(),
        Ok(n) => format!("{n} notifications marked read."),
        Err(_) => String::new(),
    };
    after_action(&session, marked.map(|_| ()), &done, "/notifications")
}
