//! Every route, in one table. The router is built from it, and the tests walk it, so no route escapes the
//! CSRF, access and scope checks.
use crate::audit::handlers as audit;
use crate::dashboards::handlers as dashboards;
use crate::incidents::handlers as incidents;
use crate::records::handlers::{
    self as records, Analyses, Articles, Changes, Clients, Components, Metrics, Problems, Products, Reports, Reviews,
    Rollbacks, Slas, Subscriptions, Users, Vendors, WorkOrders, Workarounds,
};
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
            $(cfg.route($path, route(method_name(stringify!($method))).to($handler));)+
        }
    };
}

/// A GET route answers HEAD too (monitors and link checkers use it); the server sends no body for HEAD.
fn route(method: &str) -> actix_web::Route {
    use actix_web::guard;
    match method {
        "GET" => web::route().guard(guard::Any(guard::Get()).or(guard::Head())),
        _ => web::post(),
    }
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
    get "/" => dashboards::home, "dashboard for the signed-in role";
    get "/account/password" => auth::handlers::password_form, "show change own password form";
    post "/account/password" => auth::handlers::change_password, "change own password";
    get "/incidents" => incidents::list, "list incidents";
    get "/incidents.csv" => incidents::export, "export incidents as CSV";
    get "/incidents/new" => incidents::new, "show report incident form";
    post "/incidents" => incidents::create, "report incident";
    get "/incidents/{id}" => incidents::detail, "show incident";
    get "/incidents/{id}/edit" => incidents::edit, "show update incident form";
    post "/incidents/{id}" => incidents::update, "update incident";
    post "/incidents/{id}/close" => incidents::close, "close incident";
    post "/incidents/{id}/progress" => incidents::progress, "post progress update";
    get "/incidents/{id}/escalations/new" => incidents::escalation_form, "show escalate incident form";
    post "/incidents/{id}/escalations" => incidents::escalate, "escalate incident";
    post "/incidents/{id}/escalations/{escalation_id}/resolve" => incidents::resolve_escalation, "resolve escalation";
    post "/incidents/{id}/escalations/{escalation_id}/cancel" => incidents::cancel_escalation, "cancel escalation";
    get "/incidents/{id}/communications/new" => incidents::communication_form, "show record communication form";
    post "/incidents/{id}/communications" => incidents::communicate, "record communication";
    get "/clients" => records::list::<Clients>, "list clients";
    get "/clients.csv" => records::export::<Clients>, "export clients as CSV";
    get "/clients/new" => records::new::<Clients>, "show new client form";
    post "/clients" => records::create::<Clients>, "create client";
    get "/clients/{id}" => records::detail::<Clients>, "show client";
    get "/clients/{id}/edit" => records::edit::<Clients>, "show edit client form";
    post "/clients/{id}" => records::update::<Clients>, "update client";
    get "/users" => records::list::<Users>, "list users";
    get "/users.csv" => records::export::<Users>, "export users as CSV";
    get "/users/new" => records::new::<Users>, "show new user form";
    post "/users" => records::create::<Users>, "create user";
    get "/users/{id}" => records::detail::<Users>, "show user";
    get "/users/{id}/edit" => records::edit::<Users>, "show edit user form";
    post "/users/{id}" => records::update::<Users>, "update user";
    get "/users/{id}/password" => records::password_form, "show set user password form";
    post "/users/{id}/password" => records::set_password, "set user password";
    get "/vendors" => records::list::<Vendors>, "list vendors";
    get "/vendors.csv" => records::export::<Vendors>, "export vendors as CSV";
    get "/vendors/new" => records::new::<Vendors>, "show new vendor form";
    post "/vendors" => records::create::<Vendors>, "create vendor";
    get "/vendors/{id}" => records::detail::<Vendors>, "show vendor";
    get "/vendors/{id}/edit" => records::edit::<Vendors>, "show edit vendor form";
    post "/vendors/{id}" => records::update::<Vendors>, "update vendor";
    get "/products" => records::list::<Products>, "list products";
    get "/products.csv" => records::export::<Products>, "export products as CSV";
    get "/products/new" => records::new::<Products>, "show new product form";
    post "/products" => records::create::<Products>, "create product";
    get "/products/{id}" => records::detail::<Products>, "show product";
    get "/products/{id}/edit" => records::edit::<Products>, "show edit product form";
    post "/products/{id}" => records::update::<Products>, "update product";
    get "/components" => records::list::<Components>, "list infrastructure components";
    get "/components.csv" => records::export::<Components>, "export infrastructure components as CSV";
    get "/components/new" => records::new::<Components>, "show new infrastructure component form";
    post "/components" => records::create::<Components>, "create infrastructure component";
    get "/components/{id}" => records::detail::<Components>, "show infrastructure component";
    get "/components/{id}/edit" => records::edit::<Components>, "show edit infrastructure component form";
    post "/components/{id}" => records::update::<Components>, "update infrastructure component";
    get "/subscriptions" => records::list::<Subscriptions>, "list subscriptions";
    get "/subscriptions.csv" => records::export::<Subscriptions>, "export subscriptions as CSV";
    get "/subscriptions/new" => records::new::<Subscriptions>, "show new subscription form";
    post "/subscriptions" => records::create::<Subscriptions>, "create subscription";
    get "/subscriptions/{id}" => records::detail::<Subscriptions>, "show subscription";
    get "/subscriptions/{id}/edit" => records::edit::<Subscriptions>, "show edit subscription form";
    post "/subscriptions/{id}" => records::update::<Subscriptions>, "update subscription";
    get "/subscriptions/{id}/decide" => records::decide_form::<Subscriptions>, "show approve or reject subscription form";
    post "/subscriptions/{id}/approve" => records::approve::<Subscriptions>, "approve subscription";
    post "/subscriptions/{id}/reject" => records::reject::<Subscriptions>, "reject subscription";
    get "/slas" => records::list::<Slas>, "list SLAs";
    get "/slas.csv" => records::export::<Slas>, "export SLAs as CSV";
    get "/slas/new" => records::new::<Slas>, "show new SLA form";
    post "/slas" => records::create::<Slas>, "create SLA";
    get "/slas/{id}" => records::detail::<Slas>, "show SLA";
    get "/slas/{id}/edit" => records::edit::<Slas>, "show edit SLA form";
    post "/slas/{id}" => records::update::<Slas>, "update SLA";
    get "/slas/{id}/decide" => records::decide_form::<Slas>, "show approve or reject SLA form";
    post "/slas/{id}/approve" => records::approve::<Slas>, "approve SLA";
    post "/slas/{id}/reject" => records::reject::<Slas>, "reject SLA";
    get "/procedures" => records::procedures_index, "list the procedures";
    get "/problems" => records::list::<Problems>, "list problem tickets";
    get "/problems.csv" => records::export::<Problems>, "export problem tickets as CSV";
    get "/problems/new" => records::new::<Problems>, "show new problem ticket form";
    post "/problems" => records::create::<Problems>, "create problem ticket";
    get "/problems/{id}" => records::detail::<Problems>, "show problem ticket";
    get "/problems/{id}/edit" => records::edit::<Problems>, "show edit problem ticket form";
    post "/problems/{id}" => records::update::<Problems>, "update problem ticket";
    get "/work-orders" => records::list::<WorkOrders>, "list work orders";
    get "/work-orders.csv" => records::export::<WorkOrders>, "export work orders as CSV";
    get "/work-orders/new" => records::new::<WorkOrders>, "show new work order form";
    post "/work-orders" => records::create::<WorkOrders>, "create work order";
    get "/work-orders/{id}" => records::detail::<WorkOrders>, "show work order";
    get "/work-orders/{id}/edit" => records::edit::<WorkOrders>, "show edit work order form";
    post "/work-orders/{id}" => records::update::<WorkOrders>, "update work order";
    post "/work-orders/{id}/status" => records::work_order_status, "change work order status";
    get "/workarounds" => records::list::<Workarounds>, "list workarounds";
    get "/workarounds.csv" => records::export::<Workarounds>, "export workarounds as CSV";
    get "/workarounds/new" => records::new::<Workarounds>, "show new workaround form";
    post "/workarounds" => records::create::<Workarounds>, "create workaround";
    get "/workarounds/{id}" => records::detail::<Workarounds>, "show workaround";
    get "/workarounds/{id}/edit" => records::edit::<Workarounds>, "show edit workaround form";
    post "/workarounds/{id}" => records::update::<Workarounds>, "update workaround";
    get "/analyses" => records::list::<Analyses>, "list root cause analyses";
    get "/analyses.csv" => records::export::<Analyses>, "export root cause analyses as CSV";
    get "/analyses/new" => records::new::<Analyses>, "show new root cause analysis form";
    post "/analyses" => records::create::<Analyses>, "create root cause analysis";
    get "/analyses/{id}" => records::detail::<Analyses>, "show root cause analysis";
    get "/analyses/{id}/edit" => records::edit::<Analyses>, "show edit root cause analysis form";
    post "/analyses/{id}" => records::update::<Analyses>, "update root cause analysis";
    get "/changes" => records::list::<Changes>, "list change requests";
    get "/changes.csv" => records::export::<Changes>, "export change requests as CSV";
    get "/changes/new" => records::new::<Changes>, "show new change request form";
    post "/changes" => records::create::<Changes>, "create change request";
    get "/changes/{id}" => records::detail::<Changes>, "show change request";
    get "/changes/{id}/edit" => records::edit::<Changes>, "show edit change request form";
    post "/changes/{id}" => records::update::<Changes>, "update change request";
    get "/changes/{id}/decide" => records::decide_form::<Changes>, "show approve or reject change request form";
    post "/changes/{id}/approve" => records::approve::<Changes>, "approve change request";
    post "/changes/{id}/reject" => records::reject::<Changes>, "reject change request";
    get "/rollbacks" => records::list::<Rollbacks>, "list rollback requests";
    get "/rollbacks.csv" => records::export::<Rollbacks>, "export rollback requests as CSV";
    get "/rollbacks/new" => records::new::<Rollbacks>, "show new rollback request form";
    post "/rollbacks" => records::create::<Rollbacks>, "create rollback request";
    get "/rollbacks/{id}" => records::detail::<Rollbacks>, "show rollback request";
    get "/rollbacks/{id}/edit" => records::edit::<Rollbacks>, "show edit rollback request form";
    post "/rollbacks/{id}" => records::update::<Rollbacks>, "update rollback request";
    get "/rollbacks/{id}/decide" => records::decide_form::<Rollbacks>, "show approve or reject rollback request form";
    post "/rollbacks/{id}/approve" => records::approve::<Rollbacks>, "approve rollback request";
    post "/rollbacks/{id}/reject" => records::reject::<Rollbacks>, "reject rollback request";
    post "/rollbacks/{id}/execute" => records::execute_rollback, "carry out rollback";
    get "/metrics" => records::list::<Metrics>, "list performance metrics";
    get "/metrics.csv" => records::export::<Metrics>, "export performance metrics as CSV";
    get "/metrics/new" => records::new::<Metrics>, "show new performance metric form";
    post "/metrics" => records::create::<Metrics>, "create performance metric";
    get "/metrics/{id}" => records::detail::<Metrics>, "show performance metric";
    get "/reports" => records::list::<Reports>, "list incident reports";
    get "/reports.csv" => records::export::<Reports>, "export incident reports as CSV";
    get "/reports/new" => records::new::<Reports>, "show new incident report form";
    post "/reports" => records::create::<Reports>, "create incident report";
    get "/reports/{id}" => records::detail::<Reports>, "show incident report";
    get "/reports/{id}/edit" => records::edit::<Reports>, "show edit incident report form";
    post "/reports/{id}" => records::update::<Reports>, "update incident report";
    get "/reports/{id}/print" => records::print_report, "show printable incident report";
    get "/kb" => records::list::<Articles>, "list knowledge base articles";
    get "/kb.csv" => records::export::<Articles>, "export knowledge base articles as CSV";
    get "/kb/new" => records::new::<Articles>, "show new knowledge base article form";
    post "/kb" => records::create::<Articles>, "create knowledge base article";
    get "/kb/{id}" => records::detail::<Articles>, "show knowledge base article";
    get "/kb/{id}/edit" => records::edit::<Articles>, "show edit knowledge base article form";
    post "/kb/{id}" => records::update::<Articles>, "update knowledge base article";
    get "/reviews" => records::list::<Reviews>, "list post-incident reviews";
    get "/reviews.csv" => records::export::<Reviews>, "export post-incident reviews as CSV";
    get "/reviews/new" => records::new::<Reviews>, "show new post-incident review form";
    post "/reviews" => records::create::<Reviews>, "create post-incident review";
    get "/reviews/{id}" => records::detail::<Reviews>, "show post-incident review";
    get "/reviews/{id}/edit" => records::edit::<Reviews>, "show edit post-incident review form";
    post "/reviews/{id}" => records::update::<Reviews>, "update post-incident review";
    get "/audit" => audit::trail, "read the audit trail";
    get "/audit.csv" => audit::export, "export the audit trail as CSV";
    post "/audit/verify" => audit::verify, "verify the audit chain";
}
