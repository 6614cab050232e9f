//! Every route, in one table. The router is built from it, and the tests walk it, so no route escapes the
//! CSRF, access and scope checks.
use crate::access::Action::{self, *};
use crate::access::Area as A;
use crate::audit::handlers as audit;
use crate::dashboards::handlers as dashboards;
use crate::explainer::handlers as explainer;
use crate::incidents::forms::{Communication, Escalation, IncidentEdit};
use crate::incidents::handlers::{self as incidents, Close, MoveAlong, Progress, Take};
use crate::intelligence::handlers as intelligence;
use crate::notifications::handlers as notifications;
use crate::records::handlers::{
    self as records, Analyses, Articles, Changes, Clients, Components, Metrics, Problems, Products, Reports, Reviews,
    Rollbacks, Slas, Subscriptions, Users, Vendors, WorkOrders, Workarounds,
};
use crate::views::handlers as views;
use crate::{auth, web::home};
use Access::{Do, Public, SignedIn};
use actix_web::web;

/// One route: its method, path pattern, what it does in words, and the access rule it is under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: &'static str,
    pub path: &'static str,
    pub action: &'static str,
    pub access: Access,
    pub reads: Reads,
}

/// Who may use a route: anyone, anyone signed in, or whoever `access::may` lets take the action (on the record the
/// path names, within their scope).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    SignedIn,
    Do(Action),
}

/// Which database a route reads. With a read replica (`DATABASE_REPLICA_URL`), the GET routes marked `Replica`
/// (lists, dashboards, search, CSV exports and print views) read it, unless the browser wrote in the last few
/// seconds (`web::reads`); every other route reads the primary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    Primary,
    Replica,
}

macro_rules! route_table {
    ($($method:ident $path:literal => $handler:path, $action:literal, $access:expr $(, $reads:ident)?;)+) => {
        pub const ROUTES: &[RouteInfo] = &[$(RouteInfo {
            method: method_name(stringify!($method)),
            path: $path,
            action: $action,
            access: $access,
            reads: reads!($($reads)?),
        }),+];

        pub fn configure(cfg: &mut web::ServiceConfig) {
            $(cfg.route($path, route(method_name(stringify!($method))).to($handler));)+
        }
    };
}

macro_rules! reads {
    () => {
        Reads::Primary
    };
    (Replica) => {
        Reads::Replica
    };
}

/// Whether the GET route with this pattern may read the replica.
pub fn reads_replica(pattern: &str) -> bool {
    ROUTES.iter().any(|route| route.path == pattern && route.method == "GET" && route.reads == Reads::Replica)
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
    get "/healthz" => home::healthz, "health check", Public;
    get "/static/app.css" => home::stylesheet, "stylesheet", Public;
    get "/login" => auth::handlers::login_form, "show sign-in form", Public;
    post "/login" => auth::handlers::login, "sign in", Public;
    post "/logout" => auth::handlers::logout, "sign out", SignedIn;
    get "/" => dashboards::home, "dashboard for the signed-in role", SignedIn, Replica;
    get "/account/password" => auth::handlers::password_form, "show change own password form", SignedIn;
    post "/account/password" => auth::handlers::change_password, "change own password", SignedIn;
    get "/audit" => audit::trail, "read the audit trail", Do(Read(A::AuditTrail)), Replica;
    get "/audit.csv" => audit::export, "export the audit trail as CSV", Do(Read(A::AuditTrail)), Replica;
    post "/audit/verify" => audit::verify, "verify the audit chain", Do(Read(A::AuditTrail));
    get "/notifications" => notifications::list, "list own notifications", SignedIn, Replica;
    post "/notifications/read" => notifications::mark_all_read, "mark all own notifications read", SignedIn;
    post "/notifications/{id}/read" => notifications::mark_read, "mark own notification of a communication read", SignedIn;
    get "/incidents" => incidents::list, "list incidents", Do(Read(A::Incidents)), Replica;
    get "/incidents.csv" => incidents::export, "export incidents as CSV", Do(Read(A::Incidents)), Replica;
    get "/incidents/new" => incidents::new, "show report incident form", Do(Create(A::Incidents));
    post "/incidents" => incidents::create, "report incident", Do(Create(A::Incidents));
    // Before `/incidents/{id}`, which would take "views" for an id.
    post "/incidents/views" => views::save, "save a view of the incident list", Do(Read(A::Incidents));
    post "/incidents/views/delete" => views::delete, "delete a saved view", Do(Read(A::Incidents));
    get "/incidents/{id}" => incidents::detail, "show incident", Do(Read(A::Incidents));
    get "/incidents/{id}/access" => explainer::access::<explainer::Incident>, "show who can see an incident, and why", Do(ExplainAccess);
    get "/incidents/{id}/edit" => incidents::form::<IncidentEdit>, "show update incident form", Do(Update(A::Incidents));
    post "/incidents/{id}" => incidents::submit::<IncidentEdit>, "update incident", Do(Update(A::Incidents));
    post "/incidents/{id}/status" => incidents::act::<MoveAlong>, "move incident along (acknowledge, start work, resolve, reopen)", Do(Update(A::Incidents));
    post "/incidents/{id}/take" => incidents::act::<Take>, "take incident (assign it to oneself)", Do(Update(A::Incidents));
    post "/incidents/{id}/suspected-cause" => intelligence::mark_suspected, "mark a recent change as the incident's suspected cause", Do(Update(A::Incidents));
    post "/incidents/{id}/close" => incidents::act::<Close>, "close incident", Do(CloseIncident);
    post "/incidents/{id}/progress" => incidents::act::<Progress>, "post progress update", Do(PostProgress);
    get "/incidents/{id}/escalations/new" => incidents::form::<Escalation>, "show escalate incident form", Do(Escalate);
    post "/incidents/{id}/escalations" => incidents::submit::<Escalation>, "escalate incident", Do(Escalate);
    post "/incidents/{id}/escalations/{escalation_id}/resolve" => incidents::resolve_escalation, "resolve escalation", Do(Escalate);
    post "/incidents/{id}/escalations/{escalation_id}/cancel" => incidents::cancel_escalation, "cancel escalation", Do(Escalate);
    get "/incidents/{id}/communications/new" => incidents::form::<Communication>, "show record communication form", Do(Communicate);
    post "/incidents/{id}/communications" => incidents::submit::<Communication>, "record communication", Do(Communicate);
    get "/incidents/{id}/communications/{communication_id}" => incidents::communication, "show communication and its deliveries", Do(ReadInternal(A::Incidents));
    get "/clients" => records::list::<Clients>, "list clients", Do(Read(A::Clients)), Replica;
    get "/clients.csv" => records::export::<Clients>, "export clients as CSV", Do(Read(A::Clients)), Replica;
    get "/clients/new" => records::new::<Clients>, "show new client form", Do(Create(A::Clients));
    post "/clients" => records::create::<Clients>, "create client", Do(Create(A::Clients));
    get "/clients/{id}" => records::detail::<Clients>, "show client", Do(Read(A::Clients));
    get "/clients/{id}/edit" => records::edit::<Clients>, "show edit client form", Do(Update(A::Clients));
    post "/clients/{id}" => records::update::<Clients>, "update client", Do(Update(A::Clients));
    get "/users" => records::list::<Users>, "list users", Do(Read(A::Users)), Replica;
    get "/users.csv" => records::export::<Users>, "export users as CSV", Do(Read(A::Users)), Replica;
    get "/users/new" => records::new::<Users>, "show new user form", Do(Create(A::Users));
    post "/users" => records::create::<Users>, "create user", Do(Create(A::Users));
    get "/users/{id}" => records::detail::<Users>, "show user", Do(Read(A::Users));
    get "/users/{id}/edit" => records::edit::<Users>, "show edit user form", Do(Update(A::Users));
    post "/users/{id}" => records::update::<Users>, "update user", Do(Update(A::Users));
    get "/users/{id}/password" => records::password_form, "show set user password form", Do(SetPassword);
    post "/users/{id}/password" => records::set_password, "set user password", Do(SetPassword);
    get "/vendors" => records::list::<Vendors>, "list vendors", Do(Read(A::Vendors)), Replica;
    get "/vendors.csv" => records::export::<Vendors>, "export vendors as CSV", Do(Read(A::Vendors)), Replica;
    get "/vendors/new" => records::new::<Vendors>, "show new vendor form", Do(Create(A::Vendors));
    post "/vendors" => records::create::<Vendors>, "create vendor", Do(Create(A::Vendors));
    get "/vendors/{id}" => records::detail::<Vendors>, "show vendor", Do(Read(A::Vendors));
    get "/vendors/{id}/edit" => records::edit::<Vendors>, "show edit vendor form", Do(Update(A::Vendors));
    post "/vendors/{id}" => records::update::<Vendors>, "update vendor", Do(Update(A::Vendors));
    get "/products" => records::list::<Products>, "list products", Do(Read(A::Products)), Replica;
    get "/products.csv" => records::export::<Products>, "export products as CSV", Do(Read(A::Products)), Replica;
    get "/products/new" => records::new::<Products>, "show new product form", Do(Create(A::Products));
    post "/products" => records::create::<Products>, "create product", Do(Create(A::Products));
    get "/products/{id}" => records::detail::<Products>, "show product", Do(Read(A::Products));
    get "/products/{id}/edit" => records::edit::<Products>, "show edit product form", Do(Update(A::Products));
    post "/products/{id}" => records::update::<Products>, "update product", Do(Update(A::Products));
    get "/components" => records::list::<Components>, "list infrastructure components", Do(Read(A::Components)), Replica;
    get "/components.csv" => records::export::<Components>, "export infrastructure components as CSV", Do(Read(A::Components)), Replica;
    get "/components/new" => records::new::<Components>, "show new infrastructure component form", Do(Create(A::Components));
    post "/components" => records::create::<Components>, "create infrastructure component", Do(Create(A::Components));
    get "/components/{id}" => records::detail::<Components>, "show infrastructure component", Do(Read(A::Components));
    get "/components/{id}/edit" => records::edit::<Components>, "show edit infrastructure component form", Do(Update(A::Components));
    post "/components/{id}" => records::update::<Components>, "update infrastructure component", Do(Update(A::Components));
    get "/subscriptions" => records::list::<Subscriptions>, "list subscriptions", Do(Read(A::Subscriptions)), Replica;
    get "/subscriptions.csv" => records::export::<Subscriptions>, "export subscriptions as CSV", Do(Read(A::Subscriptions)), Replica;
    get "/subscriptions/new" => records::new::<Subscriptions>, "show new subscription form", Do(Create(A::Subscriptions));
    post "/subscriptions" => records::create::<Subscriptions>, "create subscription", Do(Create(A::Subscriptions));
    get "/subscriptions/{id}" => records::detail::<Subscriptions>, "show subscription", Do(Read(A::Subscriptions));
    get "/subscriptions/{id}/edit" => records::edit::<Subscriptions>, "show edit subscription form", Do(Update(A::Subscriptions));
    post "/subscriptions/{id}" => records::update::<Subscriptions>, "update subscription", Do(Update(A::Subscriptions));
    get "/subscriptions/{id}/decide" => records::decide_form::<Subscriptions>, "show approve or reject subscription form", Do(Decide(A::Subscriptions));
    post "/subscriptions/{id}/approve" => records::approve::<Subscriptions>, "approve subscription", Do(Decide(A::Subscriptions));
    post "/subscriptions/{id}/reject" => records::reject::<Subscriptions>, "reject subscription", Do(Decide(A::Subscriptions));
    get "/slas" => records::list::<Slas>, "list SLAs", Do(Read(A::Slas)), Replica;
    get "/slas.csv" => records::export::<Slas>, "export SLAs as CSV", Do(Read(A::Slas)), Replica;
    get "/slas/new" => records::new::<Slas>, "show new SLA form", Do(Create(A::Slas));
    post "/slas" => records::create::<Slas>, "create SLA", Do(Create(A::Slas));
    get "/slas/{id}" => records::detail::<Slas>, "show SLA", Do(Read(A::Slas));
    get "/slas/{id}/edit" => records::edit::<Slas>, "show edit SLA form", Do(Update(A::Slas));
    post "/slas/{id}" => records::update::<Slas>, "update SLA", Do(Update(A::Slas));
    get "/slas/{id}/decide" => records::decide_form::<Slas>, "show approve or reject SLA form", Do(Decide(A::Slas));
    post "/slas/{id}/approve" => records::approve::<Slas>, "approve SLA", Do(Decide(A::Slas));
    post "/slas/{id}/reject" => records::reject::<Slas>, "reject SLA", Do(Decide(A::Slas));
    get "/procedures" => records::procedures_index, "list the procedures", SignedIn, Replica;
    get "/problems" => records::list::<Problems>, "list problem tickets", Do(Read(A::Problems)), Replica;
    get "/problems.csv" => records::export::<Problems>, "export problem tickets as CSV", Do(Read(A::Problems)), Replica;
    get "/problems/new" => records::new::<Problems>, "show new problem ticket form", Do(Create(A::Problems));
    post "/problems" => records::create::<Problems>, "create problem ticket", Do(Create(A::Problems));
    get "/problems/{id}" => records::detail::<Problems>, "show problem ticket", Do(Read(A::Problems));
    get "/problems/{id}/access" => explainer::access::<Problems>, "show who can see a problem ticket, and why", Do(ExplainAccess);
    get "/problems/{id}/edit" => records::edit::<Problems>, "show edit problem ticket form", Do(Update(A::Problems));
    post "/problems/{id}" => records::update::<Problems>, "update problem ticket", Do(Update(A::Problems));
    get "/work-orders" => records::list::<WorkOrders>, "list work orders", Do(Read(A::WorkOrders)), Replica;
    get "/work-orders.csv" => records::export::<WorkOrders>, "export work orders as CSV", Do(Read(A::WorkOrders)), Replica;
    get "/work-orders/new" => records::new::<WorkOrders>, "show new work order form", Do(Create(A::WorkOrders));
    post "/work-orders" => records::create::<WorkOrders>, "create work order", Do(Create(A::WorkOrders));
    get "/work-orders/{id}" => records::detail::<WorkOrders>, "show work order", Do(Read(A::WorkOrders));
    get "/work-orders/{id}/access" => explainer::access::<WorkOrders>, "show who can see a work order, and why", Do(ExplainAccess);
    get "/work-orders/{id}/edit" => records::edit::<WorkOrders>, "show edit work order form", Do(Update(A::WorkOrders));
    post "/work-orders/{id}" => records::update::<WorkOrders>, "update work order", Do(Update(A::WorkOrders));
    post "/work-orders/{id}/status" => records::work_order_status, "change work order status", Do(SetWorkOrderStatus);
    get "/workarounds" => records::list::<Workarounds>, "list workarounds", Do(Read(A::Workarounds)), Replica;
    get "/workarounds.csv" => records::export::<Workarounds>, "export workarounds as CSV", Do(Read(A::Workarounds)), Replica;
    get "/workarounds/new" => records::new::<Workarounds>, "show new workaround form", Do(Create(A::Workarounds));
    post "/workarounds" => records::create::<Workarounds>, "create workaround", Do(Create(A::Workarounds));
    get "/workarounds/{id}" => records::detail::<Workarounds>, "show workaround", Do(Read(A::Workarounds));
    get "/workarounds/{id}/access" => explainer::access::<Workarounds>, "show who can see a workaround, and why", Do(ExplainAccess);
    get "/workarounds/{id}/edit" => records::edit::<Workarounds>, "show edit workaround form", Do(Update(A::Workarounds));
    post "/workarounds/{id}" => records::update::<Workarounds>, "update workaround", Do(Update(A::Workarounds));
    get "/analyses" => records::list::<Analyses>, "list root cause analyses", Do(Read(A::Analyses)), Replica;
    get "/analyses.csv" => records::export::<Analyses>, "export root cause analyses as CSV", Do(Read(A::Analyses)), Replica;
    get "/analyses/new" => records::new::<Analyses>, "show new root cause analysis form", Do(Create(A::Analyses));
    post "/analyses" => records::create::<Analyses>, "create root cause analysis", Do(Create(A::Analyses));
    get "/analyses/{id}" => records::detail::<Analyses>, "show root cause analysis", Do(Read(A::Analyses));
    get "/analyses/{id}/access" => explainer::access::<Analyses>, "show who can see a root cause analysis, and why", Do(ExplainAccess);
    get "/analyses/{id}/edit" => records::edit::<Analyses>, "show edit root cause analysis form", Do(Update(A::Analyses));
    post "/analyses/{id}" => records::update::<Analyses>, "update root cause analysis", Do(Update(A::Analyses));
    get "/changes" => records::list::<Changes>, "list change requests", Do(Read(A::Changes)), Replica;
    get "/changes.csv" => records::export::<Changes>, "export change requests as CSV", Do(Read(A::Changes)), Replica;
    get "/changes/new" => records::new::<Changes>, "show new change request form", Do(Create(A::Changes));
    post "/changes" => records::create::<Changes>, "create change request", Do(Create(A::Changes));
    get "/changes/{id}" => records::detail::<Changes>, "show change request", Do(Read(A::Changes));
    get "/changes/{id}/access" => explainer::access::<Changes>, "show who can see a change request, and why", Do(ExplainAccess);
    get "/changes/{id}/edit" => records::edit::<Changes>, "show edit change request form", Do(Update(A::Changes));
    post "/changes/{id}" => records::update::<Changes>, "update change request", Do(Update(A::Changes));
    get "/changes/{id}/decide" => records::decide_form::<Changes>, "show approve or reject change request form", Do(Decide(A::Changes));
    post "/changes/{id}/approve" => records::approve::<Changes>, "approve change request", Do(Decide(A::Changes));
    post "/changes/{id}/reject" => records::reject::<Changes>, "reject change request", Do(Decide(A::Changes));
    get "/rollbacks" => records::list::<Rollbacks>, "list rollback requests", Do(Read(A::Rollbacks)), Replica;
    get "/rollbacks.csv" => records::export::<Rollbacks>, "export rollback requests as CSV", Do(Read(A::Rollbacks)), Replica;
    get "/rollbacks/new" => records::new::<Rollbacks>, "show new rollback request form", Do(Create(A::Rollbacks));
    post "/rollbacks" => records::create::<Rollbacks>, "create rollback request", Do(Create(A::Rollbacks));
    get "/rollbacks/{id}" => records::detail::<Rollbacks>, "show rollback request", Do(Read(A::Rollbacks));
    get "/rollbacks/{id}/access" => explainer::access::<Rollbacks>, "show who can see a rollback request, and why", Do(ExplainAccess);
    get "/rollbacks/{id}/edit" => records::edit::<Rollbacks>, "show edit rollback request form", Do(Update(A::Rollbacks));
    post "/rollbacks/{id}" => records::update::<Rollbacks>, "update rollback request", Do(Update(A::Rollbacks));
    get "/rollbacks/{id}/decide" => records::decide_form::<Rollbacks>, "show approve or reject rollback request form", Do(Decide(A::Rollbacks));
    post "/rollbacks/{id}/approve" => records::approve::<Rollbacks>, "approve rollback request", Do(Decide(A::Rollbacks));
    post "/rollbacks/{id}/reject" => records::reject::<Rollbacks>, "reject rollback request", Do(Decide(A::Rollbacks));
    post "/rollbacks/{id}/execute" => records::execute_rollback, "carry out rollback", Do(ExecuteRollback);
    get "/metrics" => records::list::<Metrics>, "list performance metrics", Do(Read(A::Metrics)), Replica;
    get "/metrics.csv" => records::export::<Metrics>, "export performance metrics as CSV", Do(Read(A::Metrics)), Replica;
    get "/metrics/new" => records::new::<Metrics>, "show new performance metric form", Do(Create(A::Metrics));
    post "/metrics" => records::create::<Metrics>, "create performance metric", Do(Create(A::Metrics));
    get "/metrics/{id}" => records::detail::<Metrics>, "show performance metric", Do(Read(A::Metrics));
    get "/metrics/{id}/access" => explainer::access::<Metrics>, "show who can see a performance metric, and why", Do(ExplainAccess);
    get "/reports" => records::list::<Reports>, "list incident reports", Do(Read(A::Reports)), Replica;
    get "/reports.csv" => records::export::<Reports>, "export incident reports as CSV", Do(Read(A::Reports)), Replica;
    get "/reports/new" => records::new::<Reports>, "show new incident report form", Do(Create(A::Reports));
    post "/reports" => records::create::<Reports>, "create incident report", Do(Create(A::Reports));
    get "/reports/{id}" => records::detail::<Reports>, "show incident report", Do(Read(A::Reports));
    get "/reports/{id}/access" => explainer::access::<Reports>, "show who can see a incident report, and why", Do(ExplainAccess);
    get "/reports/{id}/edit" => records::edit::<Reports>, "show edit incident report form", Do(Update(A::Reports));
    post "/reports/{id}" => records::update::<Reports>, "update incident report", Do(Update(A::Reports));
    get "/reports/{id}/print" => records::print_report, "show printable incident report", Do(Read(A::Reports)), Replica;
    get "/kb" => records::list::<Articles>, "list knowledge base articles", Do(Read(A::Articles)), Replica;
    get "/kb.csv" => records::export::<Articles>, "export knowledge base articles as CSV", Do(Read(A::Articles)), Replica;
    get "/kb/new" => records::new::<Articles>, "show new knowledge base article form", Do(Create(A::Articles));
    post "/kb" => records::create::<Articles>, "create knowledge base article", Do(Create(A::Articles));
    get "/kb/{id}" => records::detail::<Articles>, "show knowledge base article", Do(Read(A::Articles));
    get "/kb/{id}/access" => explainer::access::<Articles>, "show who can see a knowledge base article, and why", Do(ExplainAccess);
    get "/kb/{id}/edit" => records::edit::<Articles>, "show edit knowledge base article form", Do(Update(A::Articles));
    post "/kb/{id}" => records::update::<Articles>, "update knowledge base article", Do(Update(A::Articles));
    get "/reviews" => records::list::<Reviews>, "list post-incident reviews", Do(Read(A::Reviews)), Replica;
    get "/reviews.csv" => records::export::<Reviews>, "export post-incident reviews as CSV", Do(Read(A::Reviews)), Replica;
    get "/reviews/new" => records::new::<Reviews>, "show new post-incident review form", Do(Create(A::Reviews));
    post "/reviews" => records::create::<Reviews>, "create post-incident review", Do(Create(A::Reviews));
    get "/reviews/{id}" => records::detail::<Reviews>, "show post-incident review", Do(Read(A::Reviews));
    get "/reviews/{id}/access" => explainer::access::<Reviews>, "show who can see a post-incident review, and why", Do(ExplainAccess);
    get "/reviews/{id}/edit" => records::edit::<Reviews>, "show edit post-incident review form", Do(Update(A::Reviews));
    post "/reviews/{id}" => records::update::<Reviews>, "update post-incident review", Do(Update(A::Reviews));
}
