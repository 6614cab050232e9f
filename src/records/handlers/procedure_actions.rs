//! Procedure actions beyond create and edit: the procedures index, executing a rollback, a work order's status, a printed report.
use super::*;
use crate::web::session::SignedIn;

#[derive(Template)]
#[template(path = "records/procedures.html")]
struct ProceduresPage {
    page: Page,
    procedures: Vec<(&'static Resource, bool)>,
}

/// The ten procedures, with a link to each list and to its form for those who may use it.
pub async fn procedures_index(session: Session, CurrentUser(user): CurrentUser) -> Result<HttpResponse, AppError> {
    let procedures: Vec<(&'static Resource, bool)> = procedures::PROCEDURES
        .iter()
        .filter(|r| user.actor().can(Action::Read(r.area), &Target::Any))
        .map(|r| (*r, user.actor().can(Action::Create(r.area), &Target::Any)))
        .collect();
    html(
        ProceduresPage { page: Page::for_user(&session, &user, "Procedures", "/procedures"), procedures },
        StatusCode::OK,
    )
}

/// Runs a procedure action on one record and returns to it.
async fn act_on(
    state: &AppState,
    session: &Session,
    user: User,
    resource: &'static Resource,
    id: i32,
    done: &'static str,
    work: impl FnOnce(
        &mut diesel::PgConnection,
        &crate::clock::Clock,
        &User,
        &super::queries::Record,
    ) -> Result<(), Refusal>
    + Send
    + 'static,
) -> Result<HttpResponse, AppError> {
    let (clock, actor) = (state.clock.clone(), user.clone());
    let outcome = state
        .db(move |conn| {
            Ok(conn.transaction(|conn| {
                let record = service::load(conn, &actor, resource, id)?;
                work(conn, &clock, &actor, &record)
            }))
        })
        .await?;
    after_action(session, outcome, done, &format!("{}/{id}", resource.path))
}

pub async fn execute_rollback(
    SignedIn { state, session, user }: SignedIn,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    act_on(
        &state,
        &session,
        user,
        &procedures::ROLLBACKS,
        id.into_inner(),
        "The rollback was carried out; its change is now rolled back.",
        |conn, clock, user, record| {
            crate::records::kinds::rollbacks::execute_rollback(conn, clock, user, record).map(|_| ())
        },
    )
    .await
}

pub async fn work_order_status(
    SignedIn { state, session, user }: SignedIn,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let status = form.get("status").cloned().unwrap_or_default();
    act_on(
        &state,
        &session,
        user,
        &procedures::WORK_ORDERS,
        id.into_inner(),
        "Work order status changed.",
        move |conn, clock, user, record| {
            crate::records::kinds::work_orders::set_work_order_status(conn, clock, user, record, &status)
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "records/report_print.html")]
struct ReportPrint {
    page: Page,
    report: RecordView,
    report_type: String,
    snapshot: crate::records::kinds::reports::printout::Snapshot,
    as_of: String,
    chain_head: String,
    /// When this page was made, for the running head of every printed page.
    printed_at: String,
}

pub async fn print_report(
    SignedIn { state, session, user }: SignedIn,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let viewer = user.clone();
    let (record, names) = state
        .db(move |conn| {
            let record = service::load(conn, &viewer, &procedures::REPORTS, id)?;
            // The snapshot names people by id; the printout by name.
            let people = crate::records::kinds::reports::printout::Snapshot::people(&record);
            let names = crate::incidents::queries::names(conn, &people)?.into_iter().collect();
            Ok((record, names))
        })
        .await?;
    // The trail's head when the report was generated ties the printout to the trail as it stood then.
    let chain_head = record
        .document(crate::column!(incident_reports, snapshot))
        .and_then(|s| s.get("audit_head"))
        .and_then(|h| h.as_str())
        .unwrap_or("not recorded")
        .to_string();
    let zone = user.timezone.clone();
    let snapshot = crate::records::kinds::reports::printout::Snapshot::read(&record, &zone, &names, &user);
    let report_type = record
        .text(crate::column!(incident_reports, report_type))
        .and_then(crate::domain::enums::ReportType::parse)
        .map_or("Report", |t| t.label())
        .to_string();
    let as_of = record
        .time(crate::column!(incident_reports, generated_at))
        .map(|at| format::datetime(at, &zone))
        .unwrap_or_default();
    let body = ReportPrint {
        page: Page::for_user(&session, &user, format!("{report_type}: incident {}", snapshot.incident_id), "/reports"),
        report: view::record_view(&procedures::REPORTS, &record, &zone),
        report_type,
        snapshot,
        as_of,
        chain_head,
        printed_at: format::datetime(state.clock.now(), &zone),
    };
    html(body, StatusCode::OK)
}
