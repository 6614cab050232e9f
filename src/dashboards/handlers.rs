use super::{Chart, Dashboard, Figure, Panel, WeekChart, build};
use crate::error::AppError;
use crate::web::page::Page;
use crate::web::respond::html;
use crate::web::session::SignedIn;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

#[derive(Template)]
#[template(path = "dashboards/dashboard.html")]
struct DashboardPage {
    page: Page,
    figures: Vec<Figure>,
    panels: Vec<Panel>,
    chart: Option<Chart>,
    weeks: Option<WeekChart>,
}

/// The home page: the signed-in role's dashboard.
pub async fn home(SignedIn { state, session, user }: SignedIn) -> Result<HttpResponse, AppError> {
    let (viewer, now, history) = (user.clone(), state.clock.now(), state.history_figures.clone());
    let Dashboard { figures, panels, chart, weeks } =
        state.db(move |conn| Ok(build(conn, &history, &viewer, now)?)).await?;
    let title = format!("{} dashboard", user.role().label());
    html(
        DashboardPage { page: Page::for_user(&session, &user, title, "/"), figures, panels, chart, weeks },
        StatusCode::OK,
    )
}
