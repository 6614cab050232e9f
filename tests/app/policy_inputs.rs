//! The procedures' inputs as the policy writes them: its required inputs are enough and each is required; each
//! optional input is accepted when given as the policy allows and stored as given; where honouring one would
//! break a rule, the form says so on its field.
use crate::fixtures::user_id;
use crate::procedures::{Scene, scene, text};
use crate::support::*;
use diesel::prelude::*;
use incident_desk::domain::enums::Role;

/// Who submits a procedure's form, and its table and key.
struct Procedure {
    path: &'static str,
    table: &'static str,
    key: &'static str,
    role: Role,
}

const fn procedure(path: &'static str, table: &'static str, key: &'static str, role: Role) -> Procedure {
    Procedure { path, table, key, role }
}

const PROBLEMS: Procedure = procedure("/problems", "problem_tickets", "problem_id", Role::TechnicalSupport);
const WORK_ORDERS: Procedure = procedure("/work-orders", "work_orders", "workorder_id", Role::TechnicalSupport);
const WORKAROUNDS: Procedure = procedure("/workarounds", "workarounds", "workaround_id", Role::TechnicalSupport);
const ANALYSES: Procedure = procedure("/analyses", "root_cause_analysis", "analysis_id", Role::TechnicalSupport);
const CHANGES: Procedure = procedure("/changes", "change_requests", "change_id", Role::TechnicalSupport);
const ROLLBACKS: Procedure = procedure("/rollbacks", "rollback_requests", "rollback_id", Role::TechnicalSupport);
const METRICS: Procedure = procedure("/metrics", "performance_metrics", "metric_id", Role::IncidentManager);
const REPORTS: Procedure = procedure("/reports", "incident_reports", "report_id", Role::IncidentManager);
const ARTICLES: Procedure = procedure("/kb", "knowledge_base_articles", "article_id", Role::TechnicalSupport);
const REVIEWS: Procedure = procedure("/reviews", "post_incident_reviews", "review_id", Role::IncidentManager);

/// The records the forms point to.
struct Setting {
    app: TestApp,
    open: String,
    closed: String,
    failed_change: String,
    problem: String,
    support: String,
    manager: String,
    emails: std::collections::HashMap<Role, &'static str>,
}

async fn setting() -> Setting {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let Scene { w, open, closed, support, change: failed_change } = scene(&mut conn);
    let manager = user_id(&mut conn, w.emails[&Role::IncidentManager]);
    let problem = text(
        &mut conn,
        &format!(
            "INSERT INTO problem_tickets (incident_id, title, issued_by_user) VALUES ({open}, 'Stalls', {support}) RETURNING problem_id::text AS value"
        ),
    );
    // An approved SLA for the closed incident's client and severity, whose target a metric takes by default.
    diesel::sql_query(format!(
        "INSERT INTO service_level_agreements (subscription_id, severity_level, response_time_minutes, resolution_time_hours) VALUES ({}, 'P2', 60, 8)",
        w.subscription_a
    ))
    .execute(&mut conn)
    .unwrap();
    Setting {
        app,
        open: open.to_string(),
        closed: closed.to_string(),
        failed_change: failed_change.to_string(),
        problem,
        support: support.to_string(),
        manager: manager.to_string(),
        emails: w.emails,
    }
}

impl Setting {
    /// The policy's required inputs of a procedure, and nothing else (the `*_by_user` input is the signed-in user).
    fn required(&self, procedure: &Procedure) -> Vec<(&'static str, String)> {
        let at = "2026-11-20T09:30".to_string();
        match procedure.path {
            "/problems" => vec![("incident_id", self.open.clone()), ("title", "Recurring stalls".into())],
            "/work-orders" => vec![("title", "Replace disk".into()), ("work_type", "repair".into())],
            "/workarounds" => vec![
                ("incident_id", self.open.clone()),
                ("effectiveness_level", "partial_mitigation".into()),
                ("implemented_at", at),
            ],
            "/analyses" => vec![("incident_id", self.open.clone()), ("analysis_method", "five_whys".into())],
            "/changes" => {
                vec![("title", "Rotate logs".into()), ("change_type", "normal".into()), ("risk_level", "low".into())]
            }
            // The policy halts on a missing justification, so the product asks for one.
            "/rollbacks" => {
                vec![("change_id", self.failed_change.clone()), ("justification", "It broke logins".into())]
            }
            // The value is the incident's times' (the policy's step: "retrieve incident timestamps to calculate").
            "/metrics" => vec![("incident_id", self.closed.clone()), ("metric_type", "resolution_time".into())],
            "/reports" => vec![("incident_id", self.closed.clone()), ("report_type", "post_mortem".into())],
            "/kb" => vec![
                ("title", "Rotating logs".into()),
                ("article_type", "prevention_guide".into()),
                ("category", "technical".into()),
            ],
            "/reviews" => vec![
                ("incident_id", self.closed.clone()),
                ("facilitator_user", self.support.clone()),
                ("scheduled_date", at),
                ("overall_rating", "good".into()),
            ],
            other => panic!("no procedure {other}"),
        }
    }

    /// Submits a form as `role`; on success, the new record's id.
    async fn submit(
        &self,
        procedure: &Procedure,
        role: Role,
        form: &[(&'static str, String)],
    ) -> Result<String, String> {
        let browser = self.app.signed_in(self.emails[&role]).await;
        let response = browser.post(procedure.path, &pairs(form)).await;
        let status = response.status().as_u16();
        let to = location(&response).to_string();
        let body = response.text().await.unwrap();
        if status == 303 { Ok(to.rsplit('/').next().unwrap().to_string()) } else { Err(format!("{status}: {body}")) }
    }

    fn stored(&self, procedure: &Procedure, id: &str, column: &str) -> String {
        text(
            &mut self.app.db.conn(),
            &format!(
                "SELECT coalesce({column}::text, '') AS value FROM {} WHERE {} = {id}",
                procedure.table, procedure.key
            ),
        )
    }
}

const ALL: [&Procedure; 10] =
    [&PROBLEMS, &WORK_ORDERS, &WORKAROUNDS, &ANALYSES, &CHANGES, &ROLLBACKS, &METRICS, &REPORTS, &ARTICLES, &REVIEWS];

#[tokio::test]
async fn the_policys_required_inputs_are_enough_and_each_of_them_is_required() {
    let s = setting().await;
    for procedure in ALL {
        let required = s.required(procedure);
        s.submit(procedure, procedure.role, &required)
            .await
            .unwrap_or_else(|e| panic!("{}: the required inputs alone are refused: {e}", procedure.path));
        for (name, _) in &required {
            let without: Vec<_> = required.iter().filter(|(n, _)| n != name).cloned().collect();
            let refused = s.submit(procedure, procedure.role, &without).await.unwrap_err();
            assert!(refused.starts_with("422"), "{} without {name}: {refused}", procedure.path);
            assert!(
                refused.contains(&format!("id=\"{name}-error\"")),
                "{} without {name}: named on its field",
                procedure.path
            );
        }
    }
}

#[tokio::test]
async fn each_optional_input_the_policy_lists_is_accepted_and_stored_as_given() {
    let s = setting().await;
    type Input = (&'static Procedure, Role, Vec<(&'static str, String)>, Vec<(&'static str, String)>);
    let same = |pairs: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
    };
    let inputs: Vec<Input> = vec![
        (&PROBLEMS, Role::TechnicalSupport, same(&[("status", "investigating")]), same(&[("status", "investigating")])),
        (&WORK_ORDERS, Role::TechnicalSupport, same(&[("incident_id", &s.open)]), same(&[("incident_id", &s.open)])),
        (
            &WORK_ORDERS,
            Role::TechnicalSupport,
            same(&[("change_id", &s.failed_change)]),
            same(&[("change_id", &s.failed_change)]),
        ),
        (
            &WORK_ORDERS,
            Role::TechnicalSupport,
            same(&[("problem_id", &s.problem)]),
            same(&[("problem_id", &s.problem)]),
        ),
        (
            &WORK_ORDERS,
            Role::TechnicalSupport,
            same(&[("assigned_to_user", &s.manager)]),
            same(&[("assigned_to_user", &s.manager)]),
        ),
        (&WORK_ORDERS, Role::TechnicalSupport, same(&[("status", "in_progress")]), same(&[("status", "in_progress")])),
        (
            &WORKAROUNDS,
            Role::TechnicalSupport,
            same(&[("status", "inactive")]),
            same(&[("status", "inactive"), ("description", "")]),
        ),
        (
            &ANALYSES,
            Role::TechnicalSupport,
            same(&[("status", "completed"), ("completed_at", "2026-11-21T16:45")]),
            same(&[("status", "completed"), ("completed_at", "2026-11-21 16:45:00+00")]),
        ),
        (
            &ANALYSES,
            Role::TechnicalSupport,
            same(&[("status", "reviewed"), ("completed_at", "2026-11-21T16:45")]),
            same(&[("status", "reviewed"), ("completed_at", "2026-11-21 16:45:00+00")]),
        ),
        (
            &CHANGES,
            Role::TechnicalSupport,
            same(&[("incident_id", &s.open)]),
            same(&[("incident_id", &s.open), ("justification", "")]),
        ),
        (
            &CHANGES,
            Role::TechnicalSupport,
            same(&[("status", "requested")]),
            same(&[("status", "requested"), ("approved_by_user", "")]),
        ),
        // An approver's own change, submitted approved: approved by them ("approved_by_user, null until approved").
        (
            &CHANGES,
            Role::IncidentManager,
            same(&[("status", "approved")]),
            same(&[("status", "approved"), ("approved_by_user", &s.manager)]),
        ),
        (
            &CHANGES,
            Role::IncidentManager,
            same(&[("status", "scheduled")]),
            same(&[("status", "scheduled"), ("approved_by_user", &s.manager)]),
        ),
        (&ROLLBACKS, Role::TechnicalSupport, same(&[("incident_id", &s.open)]), same(&[("incident_id", &s.open)])),
        (
            &ROLLBACKS,
            Role::IncidentManager,
            same(&[("status", "approved")]),
            same(&[("status", "approved"), ("approved_by_user", &s.manager), ("completed_at", "")]),
        ),
        (
            &ROLLBACKS,
            Role::IncidentManager,
            same(&[("status", "failed"), ("completed_at", "2026-11-22T08:00")]),
            same(&[("status", "failed"), ("completed_at", "2026-11-22 08:00:00+00")]),
        ),
        // The SLA's target would be 480 minutes: the recorder's is kept.
        (&METRICS, Role::IncidentManager, same(&[("target_minutes", "300")]), same(&[("target_minutes", "300")])),
        (
            &METRICS,
            Role::IncidentManager,
            same(&[("calculated_value_minutes", "240")]),
            same(&[("calculated_value_minutes", "240"), ("target_minutes", "480")]),
        ),
        (&REPORTS, Role::Executive, same(&[("status", "draft")]), same(&[("status", "draft")])),
        (&REPORTS, Role::IncidentManager, same(&[("status", "published")]), same(&[("status", "published")])),
        (
            &ARTICLES,
            Role::TechnicalSupport,
            same(&[("incident_id", &s.open)]),
            same(&[("incident_id", &s.open), ("body", "")]),
        ),
        (
            &ARTICLES,
            Role::TechnicalSupport,
            same(&[("reviewer_user", &s.manager), ("status", "under_review")]),
            same(&[("reviewer_user", &s.manager), ("status", "under_review")]),
        ),
        (&REVIEWS, Role::IncidentManager, same(&[("status", "cancelled")]), same(&[("status", "cancelled")])),
    ];
    for (procedure, role, given, expected) in inputs {
        let mut form = s.required(procedure);
        form.extend(given.iter().cloned());
        let id = s
            .submit(procedure, role, &form)
            .await
            .unwrap_or_else(|e| panic!("{} with {given:?} by {role:?}: {e}", procedure.path));
        for (column, value) in expected {
            assert_eq!(s.stored(procedure, &id, column), value, "{} with {given:?}: {column}", procedure.path);
        }
    }
    // A review submitted as completed is stamped with the time it was, as an edit to completed is.
    let mut completed = s.required(&REVIEWS);
    completed.push(("status", "completed".into()));
    let id = s.submit(&REVIEWS, Role::IncidentManager, &completed).await.unwrap();
    assert_ne!(s.stored(&REVIEWS, &id, "completed_at"), "");
    // A change submitted approved is audited as made and as approved.
    let approvals: i64 = incident_desk::schema::audit_logs::table
        .filter(incident_desk::schema::audit_logs::action.eq("approve"))
        .count()
        .get_result(&mut s.app.db.conn())
        .unwrap();
    assert_eq!(approvals, 4, "two changes and two rollbacks were approved as they were submitted");
}

#[tokio::test]
async fn an_input_that_would_break_a_rule_is_refused_on_its_field() {
    let s = setting().await;
    type Breach<'a> = (&'a Procedure, Role, Vec<(&'static str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Breach> = vec![
        (
            &ANALYSES,
            Role::TechnicalSupport,
            vec![("status", "completed")],
            "completed_at",
            "needs the time it was completed",
        ),
        (
            &ANALYSES,
            Role::TechnicalSupport,
            vec![("completed_at", "2026-11-21T16:45")],
            "completed_at",
            "an analysis in progress has no completion time",
        ),
        (&CHANGES, Role::TechnicalSupport, vec![("status", "approved")], "status", "Submit it as requested"),
        (&CHANGES, Role::Executive, vec![("status", "rolled_back")], "status", "when a rollback of it is carried out"),
        (&ROLLBACKS, Role::TechnicalSupport, vec![("status", "approved")], "status", "Submit it as requested"),
        (
            &ROLLBACKS,
            Role::IncidentManager,
            vec![("status", "approved"), ("completed_at", "2026-11-22T08:00")],
            "completed_at",
            "Carry out button",
        ),
        (&ARTICLES, Role::TechnicalSupport, vec![("status", "published")], "status", "published by its reviewer"),
        (
            &METRICS,
            Role::IncidentManager,
            vec![("calculated_value_minutes", "5")],
            "calculated_value_minutes",
            "240 minutes, not 5",
        ),
    ];
    for (procedure, role, given, field, words) in cases {
        let mut form = s.required(procedure);
        form.extend(given.iter().map(|(k, v)| (*k, v.to_string())));
        let before = count(&mut s.app.db.conn(), procedure.table);
        let refused = s.submit(procedure, role, &form).await.unwrap_err();
        assert!(refused.starts_with("422"), "{} {given:?}: {refused}", procedure.path);
        let message = refused.split(&format!("id=\"{field}-error\">")).nth(1).unwrap_or_default();
        assert!(message.contains(words), "{} {given:?}: «{words}» on {field}: {refused}", procedure.path);
        assert_eq!(count(&mut s.app.db.conn(), procedure.table), before, "nothing written");
    }
}
