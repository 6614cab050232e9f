//! The access matrix: every route in the route table × every role (and a user confined to a client) × a record in
//! scope and one outside it. The expected outcome is generated from the single rule set, as the route table names it:
//! each route's `Access` and `access::may`, with the record loaded by the routes' own scoped function (404 outside
//! the actor's scope, 403 where a rule refuses). Independently of the product's rules, no response shown to a
//! confined user carries an out-of-scope title or link, and every out-of-scope record is refused or not found.
//! The Access page ("why can this person see this?") must agree with what the routes answered, for every actor.
//! permissions.md itself is transcribed in the table test of `access::may` (src/access/rules.rs).
use crate::fixtures::{self, ROLES, World};
use crate::support::*;
use diesel::prelude::*;
use incident_desk::access::{self as rules, Action, Area, Target};
use incident_desk::domain::enums::Role::{self, *};
use incident_desk::error::Refusal;
use incident_desk::records::{procedures::PROCEDURES, resources::ADMINISTERED, spec::Resource};
use incident_desk::web::routes::{Access, ROUTES, RouteInfo};

/// The areas by their paths, and whether their records belong to a client (shared catalogue records are visible
/// to confined staff).
const AREAS: &[(&str, Area, bool)] = &[
    ("/clients", Area::Clients, true),
    ("/users", Area::Users, true),
    ("/vendors", Area::Vendors, false),
    ("/products", Area::Products, false),
    ("/components", Area::Components, false),
    ("/subscriptions", Area::Subscriptions, true),
    ("/slas", Area::Slas, true),
    ("/incidents", Area::Incidents, true),
    ("/problems", Area::Problems, true),
    ("/work-orders", Area::WorkOrders, true),
    ("/workarounds", Area::Workarounds, true),
    ("/analyses", Area::Analyses, true),
    ("/changes", Area::Changes, true),
    ("/rollbacks", Area::Rollbacks, true),
    ("/metrics", Area::Metrics, true),
    ("/reports", Area::Reports, true),
    ("/kb", Area::Articles, true),
    ("/reviews", Area::Reviews, true),
];

/// The area a route's path lies in, if any.
fn area_of(route: &RouteInfo) -> Option<&'static (&'static str, Area, bool)> {
    AREAS.iter().find(|(path, _, _)| {
        route.path == *path || route.path.starts_with(&format!("{path}/")) || route.path == format!("{path}.csv")
    })
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

    /// The actor as the access rules see them, read from the database.
    fn rules_actor(&self, conn: &mut PgConnection) -> rules::Actor {
        let id = fixtures::user_id(conn, self.email);
        incident_desk::users::queries::find(conn, id).unwrap().expect("the actor exists").actor()
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

/// A described record type by its path (incidents have pages of their own).
fn resource(path: &str) -> Option<&'static Resource> {
    ADMINISTERED.iter().chain(PROCEDURES.iter()).copied().find(|r| r.path == path)
}

/// Loads the record a route names as `actor` would, with the routes' own function: `Err` is how it is refused.
/// Returns what the access rules need to know of it.
fn load(conn: &mut PgConnection, path: &str, id: i32, actor: &rules::Actor) -> Result<Target, Expect> {
    fn refused<C: std::fmt::Debug>(refusal: Refusal<C>) -> Expect {
        match refusal {
            Refusal::NotFound => Expect::NotFound,
            Refusal::Forbidden(_) => Expect::Forbidden,
            other => panic!("loading a record failed: {other:?}"),
        }
    }
    match resource(path) {
        None => incident_desk::incidents::service::load_as(conn, actor, id).map(|_| Target::Any).map_err(refused),
        Some(resource) => {
            let record = incident_desk::records::service::load_as(conn, actor, resource, id).map_err(refused)?;
            Ok(incident_desk::records::rules::target(resource, &record, Some(id)))
        }
    }
}

/// Whether `actor` has a notification of this communication, on an incident they see (the route's own
/// confinement), or it does not exist for them.
fn own_notification(conn: &mut PgConnection, actor: &rules::Actor, communication: i32) -> Expect {
    use incident_desk::schema::{communications, notifications};
    let told: Option<i32> = notifications::table
        .inner_join(communications::table)
        .filter(notifications::user_id.eq(actor.user_id))
        .filter(notifications::communication_id.eq(communication))
        .select(communications::incident_id)
        .first(conn)
        .optional()
        .unwrap();
    match told.map(|incident| incident_desk::incidents::service::load_as(conn, actor, incident)) {
        Some(Ok(_)) => Expect::Allowed,
        _ => Expect::NotFound,
    }
}

/// The expected outcome of a route, from the route table's access and the single rule set: a role that may not
/// read the area is refused (403); a record outside the actor's scope does not exist for them (404); then the
/// action's rule decides.
pub fn expect(
    conn: &mut PgConnection,
    records: &Records,
    route: &RouteInfo,
    actor: Option<Actor>,
    which: Which,
) -> Expect {
    let action = match (route.access, actor) {
        (Access::Public, _) => return Expect::Allowed,
        (_, None) => return Expect::SignIn,
        // One's own notification: the one of a communication addressed to them, on an incident they see.
        (Access::SignedIn, Some(actor)) if route.path.contains("{id}") => {
            let actor = actor.rules_actor(conn);
            return own_notification(conn, &actor, records.id("/notifications", which));
        }
        (Access::SignedIn, _) => return Expect::Allowed,
        (Access::Do(action), Some(_)) => action,
    };
    let actor = actor.expect("signed in").rules_actor(conn);
    let decided = |target: &Target| match actor.may(action, target) {
        Ok(_) => Expect::Allowed,
        Err(_) => Expect::Forbidden,
    };
    let Some(&(path, _, _)) = area_of(route).filter(|_| route.path.contains("{id}")) else {
        if actor.may(Action::Read(action.area()), &Target::Any).is_err() {
            return Expect::Forbidden;
        }
        return decided(&Target::Any);
    };
    match load(conn, path, records.id(path, which), &actor) {
        Ok(target) => decided(&target),
        Err(refused) => refused,
    }
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
        // One's own notifications are named by their communication.
        let area = match area_of(route) {
            Some(&(area, _, _)) => area,
            None if route.path.starts_with("/notifications/") => "/notifications",
            None => return route.path.to_string(),
        };
        let escalation = if which == Which::InScope { self.escalation_in } else { self.escalation_out };
        route
            .path
            .replace("{id}", &self.id(area, which).to_string())
            .replace("{escalation_id}", &escalation.to_string())
            .replace("{communication_id}", &self.id("/notifications", which).to_string())
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
    // A communication about the incident: on the notifications of everyone who may see it (in scope: every user
    // of the world; outside it: the staff not confined to a client).
    let communication = sql_id(
        conn,
        &format!(
            "INSERT INTO communications (incident_id, sender_id, recipient_type, communication_type, delivery_method, message) \
         VALUES ({incident}, {manager}, 'all_stakeholders', 'update', 'email', '{mark} status update') RETURNING communication_id AS id"
        ),
    );
    let told = if ours {
        "TRUE"
    } else {
        "role IN ('system_administrator', 'incident_manager', 'technical_support', 'account_manager', 'executive') AND client_id IS NULL"
    };
    diesel::sql_query(format!(
        "INSERT INTO notifications (user_id, communication_id, created_at) SELECT user_id, {communication}, now() FROM users WHERE {told}"
    ))
    .execute(conn)
    .expect("notifications");
    diesel::sql_query(format!(
        "INSERT INTO deliveries (communication_id, recipient_user_id, channel, address, status, next_attempt_at, created_at) \
         SELECT {communication}, user_id, 'email', email, 'pending', now(), now() FROM users WHERE {told}"
    ))
    .execute(conn)
    .expect("deliveries");
    let mut records = records;
    records.push(("/notifications", communication));
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
    /// A GET route's page with a record in scope, and the first actor allowed to see it.
    pub fn page_for(&self, conn: &mut PgConnection, route: &RouteInfo) -> (String, &'static str) {
        let actor = self
            .actors
            .iter()
            .find(|actor| expect(conn, &self.records, route, Some(**actor), Which::InScope) == Expect::Allowed)
            .unwrap_or_else(|| panic!("nobody may see {}", route.path));
        (self.records.path(route, Which::InScope), actor.email)
    }

    /// What a confined actor must never see: the mark of out-of-scope records, the other client's name (for those
    /// confined to a client), and links to out-of-scope records.
    fn secrets(&self, actor: &Actor) -> Vec<String> {
        let mut secrets = vec![SECRET.to_string()];
        if actor.client_scoped {
            secrets.push("Borealis".into());
        }
        for (area, id) in &self.records.out_of_scope {
            let shared = !AREAS.iter().any(|(path, _, of_client)| path == area && *of_client);
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
                let searches: &[&str] = match route.access {
                    Access::Do(Action::Read(_)) if !route.path.contains("{id}") => &["", "?q=queue", "?q=broker"],
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

/// What one request answered: the route, the side of its record, and the status.
type Answered = (&'static RouteInfo, Which, u16);

/// Runs one actor's requests of one method and returns every disagreement with the matrix, and what each request
/// answered.
async fn walk(scenario: &Scenario, actor: Actor, method: &str) -> (Vec<String>, Vec<Answered>) {
    let browser = scenario.app.signed_in(actor.email).await;
    let token = browser.csrf_token().await;
    let secrets = scenario.secrets(&actor);
    let mut conn = scenario.app.db.conn();
    let user_id = fixtures::user_id(&mut conn, actor.email);
    let mut problems = Vec::new();
    let mut answered = Vec::new();
    for (route, which, path) in scenario.cases(method) {
        let expected = expect(&mut conn, &scenario.records, route, Some(actor), which);
        let changes_before = changes_by(&mut conn, user_id);
        let response = if method == "GET" {
            browser.get(&path).await
        } else {
            browser.post_raw(&path, &[("csrf_token", &token)]).await
        };
        let status = response.status().as_u16();
        answered.push((route, which, status));
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
        // Whatever the rules say, a confined actor never reaches a record outside their client or vendor.
        let of_client = area_of(route).is_some_and(|(_, _, of_client)| *of_client);
        if actor.confined()
            && which == Which::OutOfScope
            && route.path.contains("{id}")
            && (of_client || actor.role == VendorContact)
            && !matches!(status, 403 | 404)
        {
            problems.push(format!("{method} {path} as {who}: a record outside their scope answered {status}"));
        }
        if actor.confined()
            && let Some(secret) = secrets.iter().find(|s| body.contains(s.as_str()))
        {
            let at = body.find(secret.as_str()).unwrap_or_default();
            let context: String = body[at.saturating_sub(80)..].chars().take(160).collect();
            problems.push(format!("{method} {path} as {who}: the response shows {secret:?} in …{context}…"));
        }
    }
    (problems, answered)
}

/// The Access page's answers for one person: (action, "allowed" or "refused", what hides the record if it is).
fn explained(page: &str) -> Vec<(String, String, String)> {
    let attribute = |row: &str, name: &str| {
        let marker = format!("{name}=\"");
        row.find(&marker).map(|at| row[at + marker.len()..].split('"').next().unwrap_or_default().to_string())
    };
    page.split("<tr data-action=")
        .skip(1)
        .map(|row| {
            let row = format!("data-action={}", row.split('>').next().unwrap_or_default());
            let get = |name| attribute(&row, name).unwrap_or_default();
            (get("data-action"), get("data-answer"), get("data-hidden"))
        })
        .collect()
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Whether the Access page's answer for `actor`, on each explained record, is what the routes answered them.
async fn explainer_disagreements(
    scenario: &Scenario,
    admin: &Browser,
    actor: Actor,
    answered: &[Answered],
) -> Vec<String> {
    let user_id = fixtures::user_id(&mut scenario.app.db.conn(), actor.email);
    let mut problems = Vec::new();
    for &(path, area, _) in AREAS.iter().filter(|(_, area, _)| incident_desk::explainer::EXPLAINED.contains(area)) {
        for which in [Which::InScope, Which::OutOfScope] {
            let id = scenario.records.id(path, which);
            let (status, page) = admin.text(&format!("{path}/{id}/access?user={user_id}")).await;
            assert_eq!(status, 200, "the Access page of {path}/{id}");
            let answers = explained(&page);
            let read = answers.iter().find(|(action, _, _)| action == "read").expect("the page answers for reading");
            for &(route, _, status) in answered.iter().filter(|(route, w, _)| {
                *w == which && route.path.contains("{id}") && area_of(route).is_some_and(|(_, a, _)| *a == area)
            }) {
                let Access::Do(action) = route.access else { continue };
                let expected: &[u16] = if read.1 == "refused" {
                    if read.2 == "scope" { &[404] } else { &[403] }
                } else if matches!(action, Action::Read(_)) {
                    &[200]
                } else {
                    let Some((_, answer, _)) = answers.iter().find(|(a, _, _)| *a == capitalised(&action.describe()))
                    else {
                        continue;
                    };
                    match (answer.as_str(), route.method) {
                        ("allowed", "GET") => &[200],
                        ("allowed", _) => &[200, 303, 409, 422],
                        _ => &[403],
                    }
                };
                if !expected.contains(&status) {
                    problems.push(format!(
                        "{} {} ({which:?}) as {:?}: the Access page says {read:?} and {answers:?}, the route answered {status}",
                        route.method, route.path, actor.role
                    ));
                }
            }
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
async fn every_route_answers_every_role_in_and_out_of_scope_as_the_rules_say() {
    let scenario = scenario().await;
    // Reads first, so the approvals and escalations the POSTs may decide are still waiting when they are shown.
    let mut problems = Vec::new();
    let mut answered: Vec<Vec<Answered>> = vec![Vec::new(); scenario.actors.len()];
    for method in ["GET", "POST"] {
        let walks = scenario.actors.iter().map(|&actor| walk(&scenario, actor, method));
        for (index, (found, seen)) in futures_util::future::join_all(walks).await.into_iter().enumerate() {
            problems.extend(found);
            answered[index].extend(seen);
        }
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
        "{} of {cases} cases disagree with the rules:\n{}",
        problems.len(),
        problems.join("\n")
    );
    // The explainer answers, person by person, what the routes did.
    let admin = scenario.app.signed_in("admin@provider.example").await;
    for (actor, answered) in scenario.actors.iter().zip(&answered) {
        problems.extend(explainer_disagreements(&scenario, &admin, *actor, answered).await);
    }
    assert!(problems.is_empty(), "the Access page disagrees with the routes:\n{}", problems.join("\n"));
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
            match expect(&mut conn, &scenario.records, route, None, which) {
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
                if route.access == Access::Public {
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
