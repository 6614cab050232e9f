//! The access matrix: every route in the route table × every role (and a user confined to a client) × a record in
//! scope and one outside it. The expected outcome comes from `permissions.md`, transcribed below as data, not
//! from the product's own rules: allowed, 403 for a role that may not, 404 outside the actor's scope. Anonymous
//! requests go to the sign-in page, and so do sessions of users who are no longer active. No response shown to a
//! confined user carries an out-of-scope title or link.
use crate::fixtures::{self, ROLES, World};
use crate::support::*;
use diesel::prelude::*;
use incident_desk::domain::enums::Role::{self, *};
use incident_desk::web::routes::{ROUTES, RouteInfo};

// ---- permissions.md, as data ----

/// Who may read an area's records.
#[derive(Clone, Copy)]
enum Readers {
    /// Provider staff only.
    Staff,
    /// Staff, and contacts within their scope: (client contacts, vendor contacts).
    StaffAndContacts(bool, bool),
}

/// One area of permissions.md: who reads, creates, updates and approves.
struct Area {
    path: &'static str,
    readers: Readers,
    create: &'static [Role],
    update: &'static [Role],
    decide: &'static [Role],
    /// Whether its records belong to a client (shared catalogue records are visible to confined staff).
    of_client: bool,
}

const ALL: &[Role] =
    &[SystemAdministrator, IncidentManager, TechnicalSupport, AccountManager, Executive, ClientContact, VendorContact];
const APPROVERS: &[Role] = &[IncidentManager, Executive];
const SUBSCRIPTION_EDITORS: &[Role] = &[SystemAdministrator, AccountManager, IncidentManager, Executive];
const PROCEDURE_STAFF: &[Role] = &[IncidentManager, TechnicalSupport, SystemAdministrator];

const fn area(path: &'static str, create: &'static [Role], update: &'static [Role], of_client: bool) -> Area {
    Area { path, readers: Readers::Staff, create, update, decide: &[], of_client }
}

const AREAS: &[Area] = &[
    area("/clients", &[SystemAdministrator], &[SystemAdministrator, AccountManager], true),
    area("/users", &[SystemAdministrator, IncidentManager], &[SystemAdministrator, IncidentManager], true),
    area(
        "/vendors",
        &[SystemAdministrator, IncidentManager, Executive],
        &[SystemAdministrator, IncidentManager, Executive],
        false,
    ),
    area("/products", &[SystemAdministrator, TechnicalSupport], &[SystemAdministrator, TechnicalSupport], false),
    area("/components", &[SystemAdministrator, TechnicalSupport], &[SystemAdministrator, TechnicalSupport], false),
    Area { decide: APPROVERS, ..area("/subscriptions", SUBSCRIPTION_EDITORS, SUBSCRIPTION_EDITORS, true) },
    Area { decide: APPROVERS, ..area("/slas", SUBSCRIPTION_EDITORS, SUBSCRIPTION_EDITORS, true) },
    Area {
        readers: Readers::StaffAndContacts(true, true),
        ..area("/incidents", ALL, &[IncidentManager, TechnicalSupport, Executive], true)
    },
    area("/problems", PROCEDURE_STAFF, PROCEDURE_STAFF, true),
    Area {
        readers: Readers::StaffAndContacts(false, true),
        ..area("/work-orders", PROCEDURE_STAFF, PROCEDURE_STAFF, true)
    },
    area("/workarounds", PROCEDURE_STAFF, PROCEDURE_STAFF, true),
    area("/analyses", PROCEDURE_STAFF, PROCEDURE_STAFF, true),
    Area {
        decide: APPROVERS,
        ..area(
            "/changes",
            &[TechnicalSupport, SystemAdministrator, Executive, IncidentManager],
            &[TechnicalSupport, SystemAdministrator, Executive, IncidentManager],
            true,
        )
    },
    Area {
        decide: APPROVERS,
        ..area(
            "/rollbacks",
            &[TechnicalSupport, IncidentManager, Executive],
            &[TechnicalSupport, IncidentManager, Executive],
            true,
        )
    },
    area("/metrics", &[IncidentManager, SystemAdministrator], &[IncidentManager, SystemAdministrator], true),
    Area {
        readers: Readers::StaffAndContacts(true, true),
        ..area("/reports", &[IncidentManager, Executive], &[IncidentManager, Executive], true)
    },
    Area {
        readers: Readers::StaffAndContacts(true, true),
        ..area("/kb", &[TechnicalSupport, IncidentManager], &[TechnicalSupport, IncidentManager], true)
    },
    area("/reviews", &[IncidentManager, Executive], &[IncidentManager, Executive], true),
];

const ESCALATORS: &[Role] = &[IncidentManager, TechnicalSupport, AccountManager, Executive];

/// What a route needs, read from its path.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Need {
    /// Open to anyone, signed in or not.
    Public,
    /// Any signed-in user.
    SignedIn,
    /// One of these roles; the route names no record.
    Roles(&'static [Role]),
    /// Reading the area's record (or its list).
    Read,
    /// One of these roles, on a record the actor can read.
    RecordRoles(&'static [Role]),
    /// A work order's status: its staff editors, or the vendor contact it is assigned to.
    WorkOrderStatus,
}

/// The route's area (if any) and what it needs. Panics on a route the matrix does not know, so a new route cannot
/// escape the checks.
fn classify(route: &RouteInfo) -> (Option<&'static Area>, Need) {
    use Need::*;
    let special = match (route.method, route.path) {
        ("GET", "/healthz" | "/static/app.css" | "/login") | ("POST", "/login") => Some(Public),
        // The procedures index lists only the procedures the role may read.
        ("POST", "/logout") | ("GET", "/" | "/procedures") | (_, "/account/password") => Some(SignedIn),
        // permissions.md: "audit log, read all": reading the whole trail, and checking its chain.
        ("GET", "/audit" | "/audit.csv") | ("POST", "/audit/verify") => Some(Roles(&[SystemAdministrator, Executive])),
        _ => None,
    };
    if let Some(need) = special {
        return (None, need);
    }
    let area = AREAS
        .iter()
        .find(|a| {
            route.path == a.path
                || route.path.starts_with(&format!("{}/", a.path))
                || route.path == format!("{}.csv", a.path)
        })
        .unwrap_or_else(|| panic!("the access matrix does not know the area of {} {}", route.method, route.path));
    let rest = route.path[area.path.len()..].trim_start_matches('/');
    let need = match (route.method, rest) {
        ("GET", "" | ".csv" | "{id}" | "{id}/print") => Read,
        ("GET", "new") | ("POST", "") => Roles(area.create),
        ("GET", "{id}/edit") | ("POST", "{id}") => RecordRoles(area.update),
        ("GET", "{id}/decide") | ("POST", "{id}/approve" | "{id}/reject") => RecordRoles(area.decide),
        // Setting another user's password is part of administering users.
        (_, "{id}/password") => RecordRoles(area.update),
        ("POST", "{id}/status") if area.path == "/work-orders" => WorkOrderStatus,
        // permissions.md does not name who carries out an approved rollback; the product reads it as those who
        // may request one.
        ("POST", "{id}/execute") if area.path == "/rollbacks" => RecordRoles(area.update),
        ("POST", "{id}/close") if area.path == "/incidents" => RecordRoles(&[IncidentManager]),
        ("POST", "{id}/progress") if area.path == "/incidents" => {
            RecordRoles(&[IncidentManager, TechnicalSupport, Executive, VendorContact])
        }
        ("GET", "{id}/escalations/new")
        | (
            "POST",
            "{id}/escalations" | "{id}/escalations/{escalation_id}/resolve" | "{id}/escalations/{escalation_id}/cancel",
        ) if area.path == "/incidents" => RecordRoles(ESCALATORS),
        ("GET", "{id}/communications/new") | ("POST", "{id}/communications") if area.path == "/incidents" => {
            RecordRoles(&[IncidentManager, TechnicalSupport, AccountManager])
        }
        _ => panic!("the access matrix does not know what {} {} needs", route.method, route.path),
    };
    (Some(area), need)
}

/// Who is acting: a role, and the client or vendor they are confined to.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub role: Role,
    pub email: &'static str,
    client_scoped: bool,
}

impl Actor {
    fn confined(&self) -> bool {
        self.client_scoped || self.role == VendorContact
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expect {
    Allowed,
    Forbidden,
    NotFound,
    SignIn,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Which {
    InScope,
    OutOfScope,
}

fn may_read(area: &Area, role: Role) -> bool {
    match (area.readers, role) {
        (Readers::StaffAndContacts(client, _), ClientContact) => client,
        (Readers::StaffAndContacts(_, vendor), VendorContact) => vendor,
        (_, ClientContact | VendorContact) => false,
        _ => true,
    }
}

/// The expected outcome. The order is the product's reading of permissions.md: a role that may not read an area
/// at all is refused (403); a record outside the actor's scope does not exist for them (404); then the action's
/// roles decide.
pub fn expect(route: &RouteInfo, actor: Option<Actor>, which: Which) -> Expect {
    let (area, need) = classify(route);
    let Some(actor) = actor else {
        return if need == Need::Public { Expect::Allowed } else { Expect::SignIn };
    };
    let role = actor.role;
    if let Some(area) = area
        && !may_read(area, role)
    {
        return Expect::Forbidden;
    }
    let sees =
        which == Which::InScope || !actor.confined() || (role != VendorContact && !area.is_some_and(|a| a.of_client));
    let has_record = route.path.contains("{id}");
    if has_record && !sees {
        return Expect::NotFound;
    }
    let allowed = match need {
        Need::Public | Need::SignedIn | Need::Read => true,
        Need::Roles(roles) | Need::RecordRoles(roles) => roles.contains(&role),
        Need::WorkOrderStatus => PROCEDURE_STAFF.contains(&role) || role == VendorContact,
    };
    if allowed { Expect::Allowed } else { Expect::Forbidden }
}

// ---- The scenario: a record of each area inside the confined actors' scope, and one outside ----

/// Everything outside the confined actors' scope carries this mark in its name, so a leak is easy to spot.
const SECRET: &str = "SECRET-B";

pub struct Records {
    in_scope: Vec<(&'static str, i32)>,
    out_of_scope: Vec<(&'static str, i32)>,
    escalation_in: i32,
    escalation_out: i32,
}

impl Records {
    pub fn id(&self, area: &str, which: Which) -> i32 {
        let list = if which == Which::InScope { &self.in_scope } else { &self.out_of_scope };
        list.iter().find(|(path, _)| *path == area).unwrap_or_else(|| panic!("no {which:?} record for {area}")).1
    }

    pub fn path(&self, route: &RouteInfo, which: Which) -> String {
        let (area, _) = classify(route);
        let Some(area) = area else { return route.path.to_string() };
        let escalation = if which == Which::InScope { self.escalation_in } else { self.escalation_out };
        route
            .path
            .replace("{id}", &self.id(area.path, which).to_string())
            .replace("{escalation_id}", &escalation.to_string())
    }
}

fn sql_id(conn: &mut PgConnection, sql: &str) -> i32 {
    fixtures::insert(conn, sql)
}

/// One side of the scenario: a client's incident on a component, with a record of each procedure.
fn side(conn: &mut PgConnection, w: &World, which: Which) -> (Vec<(&'static str, i32)>, i32) {
    let ours = which == Which::InScope;
    let mark = if ours { "Acme" } else { SECRET };
    let (client, component) = if ours { (w.client_a, w.component) } else { (w.client_b, w.other_component) };
    let manager = fixtures::user_id(conn, w.emails[&IncidentManager]);
    let support = fixtures::user_id(conn, w.emails[&TechnicalSupport]);
    let assignee = if ours { fixtures::user_id(conn, w.emails[&VendorContact]) } else { support };
    let incident = fixtures::incident(conn, &format!("{mark} queue outage"), client, component, "resolved");
    let product: i32 = sql_id(
        conn,
        &format!("SELECT product_id AS id FROM infrastructure_components WHERE component_id = {component}"),
    );
    let vendor: i32 =
        sql_id(conn, &format!("SELECT support_vendor_id AS id FROM products WHERE product_id = {product}"));
    let contact = create_user(
        conn,
        &format!("{mark} Contact"),
        &format!("{}.contact@clients.example", mark.to_lowercase()),
        ClientContact,
        Some(client),
        None,
    )
    .user_id;
    let subscription = sql_id(
        conn,
        &format!(
            "INSERT INTO subscriptions (client_id, product_id, subscription_type, sla_tier, start_date, end_date, approval_status) \
         VALUES ({client}, {product}, 'limited_service', 'standard', '2026-01-01', '2027-01-01', 'pending') RETURNING subscription_id AS id"
        ),
    );
    let active_subscription = if ours { w.subscription_a } else { w.subscription_b };
    let sla = sql_id(
        conn,
        &format!(
            "INSERT INTO service_level_agreements (subscription_id, severity_level, response_time_minutes, resolution_time_hours, approval_status) \
         VALUES ({active_subscription}, 'P3', 240, 48, 'pending') RETURNING sla_id AS id"
        ),
    );
    let problem = sql_id(
        conn,
        &format!(
            "INSERT INTO problem_tickets (incident_id, title, issued_by_user) VALUES ({incident}, '{mark} recurring stalls', {manager}) RETURNING problem_id AS id"
        ),
    );
    let change = sql_id(
        conn,
        &format!(
            "INSERT INTO change_requests (incident_id, title, change_type, risk_level, requesting_user) \
         VALUES ({incident}, '{mark} broker patch', 'normal', 'low', {support}) RETURNING change_id AS id"
        ),
    );
    let records = vec![
        ("/clients", client),
        ("/users", contact),
        ("/vendors", vendor),
        ("/products", product),
        ("/components", component),
        ("/subscriptions", subscription),
        ("/slas", sla),
        ("/incidents", incident),
        ("/problems", problem),
        (
            "/work-orders",
            sql_id(
                conn,
                &format!(
                    "INSERT INTO work_orders (incident_id, title, work_type, status, assigned_to_user, created_by_user) \
             VALUES ({incident}, '{mark} replace broker disk', 'repair', 'assigned', {assignee}, {manager}) RETURNING workorder_id AS id"
                ),
            ),
        ),
        (
            "/workarounds",
            sql_id(
                conn,
                &format!(
                    "INSERT INTO workarounds (incident_id, description, effectiveness_level, implemented_by_user, implemented_at) \
             VALUES ({incident}, '{mark} restart the consumer', 'partial_mitigation', {support}, now()) RETURNING workaround_id AS id"
                ),
            ),
        ),
        (
            "/analyses",
            sql_id(
                conn,
                &format!(
                    "INSERT INTO root_cause_analysis (incident_id, findings, analysis_method, conducted_by_user) \
             VALUES ({incident}, '{mark} disk full', 'five_whys', {support}) RETURNING analysis_id AS id"
                ),
            ),
        ),
        ("/changes", change),
        (
            "/rollbacks",
            sql_id(
                conn,
                &format!(
                    "INSERT INTO rollback_requests (change_id, incident_id, requesting_user, justification) \
             VALUES ({change}, {incident}, {support}, '{mark} patch broke consumers') RETURNING rollback_id AS id"
                ),
            ),
        ),
        (
            "/metrics",
            sql_id(
                conn,
                &format!(
                    "INSERT INTO performance_metrics (incident_id, metric_type, calculated_value_minutes, recorded_by_user) \
             VALUES ({incident}, 'resolution_time', 90, {manager}) RETURNING metric_id AS id"
                ),
            ),
        ),
        (
            "/reports",
            sql_id(
                conn,
                &format!(
                    "INSERT INTO incident_reports (incident_id, report_type, generated_by_user, status) \
             VALUES ({incident}, 'post_mortem', {manager}, 'published') RETURNING report_id AS id"
                ),
            ),
        ),
        (
            "/kb",
            sql_id(
                conn,
                &format!(
                    "INSERT INTO knowledge_base_articles (incident_id, title, article_type, category, created_by_user, status, body) \
             VALUES ({incident}, '{mark} broker disk guide', 'troubleshooting', 'technical', {support}, 'published', 'Free space.') RETURNING article_id AS id"
                ),
            ),
        ),
        (
            "/reviews",
            sql_id(
                conn,
                &format!(
                    "INSERT INTO post_incident_reviews (incident_id, facilitator_user, scheduled_date, overall_rating, notes) \
             VALUES ({incident}, {manager}, now() + interval '1 day', 'good', '{mark} review notes') RETURNING review_id AS id"
                ),
            ),
        ),
    ];
    let escalation = sql_id(
        conn,
        &format!(
            "INSERT INTO incident_escalations (incident_id, escalated_by_user, escalated_to_user, escalation_level, reason, escalated_at, status) \
         VALUES ({incident}, {support}, {manager}, 'management', '{mark} customer impact', now(), 'active') RETURNING escalation_id AS id"
        ),
    );
    (records, escalation)
}

pub struct Scenario {
    pub app: TestApp,
    pub records: Records,
    pub actors: Vec<Actor>,
}

async fn scenario() -> Scenario {
    scenario_on(TestApp::spawn().await)
}

/// The world, a record of each area on both sides, and an actor per role (and one confined to client A).
pub fn scenario_on(app: TestApp) -> Scenario {
    let mut conn = app.db.conn();
    let w = fixtures::world(&mut conn);
    let (in_scope, escalation_in) = side(&mut conn, &w, Which::InScope);
    let (out_of_scope, escalation_out) = side(&mut conn, &w, Which::OutOfScope);
    let mut actors: Vec<Actor> = ROLES
        .iter()
        .map(|&role| Actor { role, email: w.emails[&role], client_scoped: role == ClientContact })
        .collect();
    actors.push(Actor { role: AccountManager, email: w.scoped_manager, client_scoped: true });
    Scenario { app, records: Records { in_scope, out_of_scope, escalation_in, escalation_out }, actors }
}

impl Scenario {
    /// What a confined actor must never see: the mark of out-of-scope records, the other client's name (for those
    /// confined to a client), and links to out-of-scope records.
    fn secrets(&self, actor: &Actor) -> Vec<String> {
        let mut secrets = vec![SECRET.to_string()];
        if actor.client_scoped {
            secrets.push("Borealis".into());
        }
        for (area, id) in &self.records.out_of_scope {
            let shared = !AREAS.iter().any(|a| a.path == *area && a.of_client);
            if actor.role != VendorContact && shared {
                continue;
            }
            secrets.push(format!("{area}/{id}\""));
            secrets.push(format!("{area}/{id}/"));
        }
        secrets
    }

    /// Each route with a record on each side; lists and exports also searched for words that both sides' records
    /// share (the search must not reach past the scope either).
    fn cases(&self, method: &str) -> Vec<(&'static RouteInfo, Which, String)> {
        ROUTES
            .iter()
            .filter(|r| r.method == method && r.path != "/logout")
            .flat_map(|route| {
                let sides: &[Which] =
                    if route.path.contains("{id}") { &[Which::InScope, Which::OutOfScope] } else { &[Which::InScope] };
                let searches: &[&str] = match classify(route) {
                    (Some(_), Need::Read) if !route.path.contains("{id}") => &["", "?q=queue", "?q=broker"],
                    _ => &[""],
                };
                sides.iter().flat_map(move |&which| {
                    searches
                        .iter()
                        .map(move |query| (route, which, format!("{}{query}", self.records.path(route, which))))
                })
            })
            .collect()
    }
}

fn outcome_matches(method: &str, expected: Expect, status: u16) -> bool {
    match expected {
        Expect::Allowed if method == "GET" => status == 200,
        // A signed-in form submission with no fields: refused for its content or the record's state, or done.
        Expect::Allowed => matches!(status, 200 | 303 | 409 | 422),
        Expect::Forbidden => status == 403,
        Expect::NotFound => status == 404,
        Expect::SignIn => status == 303,
    }
}

/// Runs one actor's requests of one method and returns every disagreement with the matrix.
async fn walk(scenario: &Scenario, actor: Actor, method: &str) -> Vec<String> {
    let browser = scenario.app.signed_in(actor.email).await;
    let token = browser.csrf_token().await;
    let secrets = scenario.secrets(&actor);
    let mut conn = scenario.app.db.conn();
    let user_id = fixtures::user_id(&mut conn, actor.email);
    let mut problems = Vec::new();
    for (route, which, path) in scenario.cases(method) {
        let expected = expect(route, Some(actor), which);
        let changes_before = changes_by(&mut conn, user_id);
        let response = if method == "GET" {
            browser.get(&path).await
        } else {
            browser.post_raw(&path, &[("csrf_token", &token)]).await
        };
        let status = response.status().as_u16();
        if let Some(missing) = missing_security_header(&response) {
            problems.push(format!("{method} {path}: the {status} response lacks {missing}"));
        }
        let body = response.text().await.unwrap_or_default();
        let who = format!("{:?}{}", actor.role, if actor.client_scoped { " (client A)" } else { "" });
        if !outcome_matches(method, expected, status) {
            problems.push(format!("{method} {path} ({which:?}) as {who}: expected {expected:?}, got {status}"));
        }
        if expected != Expect::Allowed && method == "POST" && changes_by(&mut conn, user_id) != changes_before {
            problems.push(format!("{method} {path} as {who}: refused with {status} but wrote an audit entry"));
        }
        if actor.confined()
            && let Some(secret) = secrets.iter().find(|s| body.contains(s.as_str()))
        {
            let at = body.find(secret.as_str()).unwrap_or_default();
            let context: String = body[at.saturating_sub(80)..].chars().take(160).collect();
            problems.push(format!("{method} {path} as {who}: the response shows {secret:?} in …{context}…"));
        }
    }
    problems
}

/// Every response, of every type and status, carries the security headers.
fn missing_security_header(response: &reqwest::Response) -> Option<&'static str> {
    ["content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy"]
        .into_iter()
        .find(|name| !response.headers().contains_key(*name))
}

/// The changes an actor made (the walks run side by side, so the whole trail's count would mix them up).
fn changes_by(conn: &mut PgConnection, user_id: i32) -> i64 {
    use incident_desk::schema::audit_logs::dsl::*;
    audit_logs.filter(audit_by_user.eq(user_id)).filter(action.ne("refuse")).count().get_result(conn).unwrap()
}

#[tokio::test]
async fn every_route_answers_every_role_in_and_out_of_scope_as_permissions_md_says() {
    let scenario = scenario().await;
    // Reads first, so the approvals and escalations the POSTs may decide are still waiting when they are shown.
    let mut problems = Vec::new();
    for method in ["GET", "POST"] {
        let walks = scenario.actors.iter().map(|&actor| walk(&scenario, actor, method));
        problems.extend(futures_util::future::join_all(walks).await.into_iter().flatten());
    }
    let cases = scenario.actors.len() * (scenario.cases("GET").len() + scenario.cases("POST").len());
    assert!(cases > 1_500, "the matrix covers every route, role and side: {cases} cases");
    println!(
        "{cases} cases: {} actors x {} GET and {} POST requests",
        scenario.actors.len(),
        scenario.cases("GET").len(),
        scenario.cases("POST").len()
    );
    assert!(
        problems.is_empty(),
        "{} of {cases} cases disagree with permissions.md:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[tokio::test]
async fn anonymous_requests_are_sent_to_sign_in_except_the_public_pages() {
    let scenario = scenario().await;
    let browser = scenario.app.browser();
    let token = browser.csrf_token().await;
    let mut conn = scenario.app.db.conn();
    let changes_before = audit_count(&mut conn);
    let mut problems = Vec::new();
    for method in ["GET", "POST"] {
        for (route, which, path) in scenario.cases(method) {
            let response = if method == "GET" {
                browser.get(&path).await
            } else {
                browser.post_raw(&path, &[("csrf_token", &token)]).await
            };
            let (status, to) = (response.status().as_u16(), location(&response).to_string());
            if let Some(missing) = missing_security_header(&response) {
                problems.push(format!("{method} {path}: the {status} response lacks {missing}"));
            }
            match expect(route, None, which) {
                Expect::SignIn if status != 303 || to != "/login" => {
                    problems.push(format!("{method} {path}: expected a redirect to /login, got {status} to {to:?}"))
                }
                Expect::Allowed if !(200..500).contains(&status) || status == 303 => {
                    problems.push(format!("{method} {path}: a public page answered {status}"))
                }
                _ => {}
            }
            let body = response.text().await.unwrap_or_default();
            if body.contains(SECRET) || body.contains("Acme queue outage") {
                problems.push(format!("{method} {path}: an anonymous response shows a record"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(audit_count(&mut conn), changes_before, "anonymous requests change nothing");
}

/// Inactive and on-leave users cannot sign in, and a session opened while they were active stops at its next
/// request, on every route.
#[tokio::test]
async fn inactive_and_on_leave_users_are_refused_everywhere() {
    let scenario = scenario().await;
    let mut conn = scenario.app.db.conn();
    let email = "support@provider.example";
    let id = fixtures::user_id(&mut conn, email);
    let mut problems = Vec::new();
    for status in ["inactive", "on_leave"] {
        set_status(&mut conn, id, status);
        let refused = scenario.app.browser().login(email, PASSWORD).await;
        assert_eq!(refused.status(), 422, "a {status} user cannot sign in");
        set_status(&mut conn, id, "active");
        for method in ["GET", "POST"] {
            for (route, _, path) in scenario.cases(method) {
                if classify(route).1 == Need::Public {
                    continue;
                }
                let browser = scenario.app.signed_in(email).await;
                let token = browser.csrf_token().await;
                set_status(&mut conn, id, status);
                let response = if method == "GET" {
                    browser.get(&path).await
                } else {
                    browser.post_raw(&path, &[("csrf_token", &token)]).await
                };
                if response.status() != 303 || location(&response) != "/login" {
                    problems.push(format!("{method} {path} by a {status} user: {}", response.status()));
                }
                set_status(&mut conn, id, "active");
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
