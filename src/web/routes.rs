//! Every route, in one table. The router is built from it, and the tests walk it, so no route escapes the
//! CSRF, access and scope checks.
use crate::{auth, web::home};
use actix_web::web;

/// One route: its method, path pattern and the action it performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: &'static str,
    pub path: &'static str,
    pub action: &'static str,
}

macro_rules! route_table {
    ($($method:ident $path:literal => $handler:path, $action:literal;)+) => {
        pub const ROUTES: &[RouteInfo] = &[$(RouteInfo { method: method_name(stringify!($method)), path: $path, action: $action }),+];

        pub fn configure(cfg: &mut web::ServiceConfig) {
            $(cfg.route($path, web::$method().to($handler));)+
        }
    };
}

const fn method_name(method: &str) -> &'static str {
    match method.as_bytes() {
        b"get" => "GET",
        b"post" => "POST",
        _ => panic!("route table: unsupported method"),
    }
}

route_table! {
    get "/healthz" => home::healthz, "health check";
    get "/static/app.css" => home::stylesheet, "stylesheet";
    get "/login" => auth::handlers::login_form, "show sign-in form";
    post "/login" => auth::handlers::login, "sign in";
    post "/logout" => auth::handlers::logout, "sign out";
    get "/" => home::home, "home page for the signed-in role";
}
