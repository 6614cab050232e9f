//! Reporting an incident.
use super::*;
use crate::web::session::SignedIn;

#[derive(Template)]
#[template(path = "incidents/report.html")]
struct ReportPage {
    page: Page,
    fields: Vec<FormField>,
    conditions: &'static [Condition],
    checked: Vec<String>,
    proposal: Option<String>,
    similar: Vec<(i32, String)>,
    errors: Vec<FieldError>,
}

impl ReportPage {
    fn is_checked(&self, name: &str) -> bool {
        self.checked.iter().any(|c| c == name)
    }
}

struct ReportForm {
    typed: HashMap<String, String>,
    checked: Vec<String>,
    proposal: Option<String>,
    errors: Vec<FieldError>,
    similar: Vec<(i32, String)>,
}

async fn report_page(
    state: &AppState,
    session: &Session,
    user: &User,
    form: ReportForm,
) -> Result<ReportPage, AppError> {
    let sight = Sight::of(&user.actor());
    // Whoever may change incidents may assign one as they report it.
    let staff = user.actor().can(Action::Update(Area::Incidents), &Target::Any);
    let (clients, components, assignees) = state
        .db(move |conn| {
            // Vendor contacts report for the clients their vendor works for, on their vendor's components; client
            // contacts for their own client, on the components of its subscriptions.
            let clients = crate::records::queries::choices(conn, &CLIENT_REF, sight)?;
            let components = crate::records::queries::choices(conn, &COMPONENT_REF, sight)?;
            let assignees =
                if staff { person_choices(queries::active_people(conn, STAFF_ROLES, None)?) } else { Vec::new() };
            Ok((clients, components, assignees))
        })
        .await?;
    let typed = |name: &str| form.typed.get(name).cloned();
    let references = |name: &str| match name {
        "client_id" => clients.clone(),
        "component_id" => components.clone(),
        "assigned_to_user_id" => assignees.clone(),
        _ => Vec::new(),
    };
    let fields = form_fields(REPORT_FIELDS, true, &typed, &references, &form.errors)
        .into_iter()
        .filter(|f| staff || f.name != "assigned_to_user_id")
        .collect();
    Ok(ReportPage {
        page: Page::for_user(session, user, "Report an incident", "/incidents"),
        fields,
        conditions: CONDITIONS,
        checked: form.checked,
        proposal: form.proposal,
        similar: form.similar,
        errors: form.errors,
    })
}

pub async fn new(SignedIn { state, session, user }: SignedIn) -> Result<HttpResponse, AppError> {
    user.actor().may(Action::Create(Area::Incidents), &Target::Any)?;
    let now = format::local_input(state.clock.now(), &user.timezone);
    let mut typed = HashMap::from([("detection_timestamp".to_string(), now)]);
    if let Some(client) = user.client_id.filter(|_| user.role() == Role::ClientContact) {
        typed.insert("client_id".into(), client.to_string());
    }
    let form = ReportForm { typed, checked: Vec::new(), proposal: None, errors: Vec::new(), similar: Vec::new() };
    html(report_page(&state, &session, &user, form).await?, StatusCode::OK)
}

pub async fn create(SignedIn { state, session, user }: SignedIn, form: Form) -> Result<HttpResponse, AppError> {
    user.actor().may(Action::Create(Area::Incidents), &Target::Any)?;
    let (mut typed, checked) = read(form);
    if typed.get("action").map(String::as_str) == Some("classify") {
        let names: Vec<&str> = checked.iter().map(String::as_str).collect();
        let (severity, decided) = rules::classify(&names);
        let reason = decided.map_or("none of the conditions applies".to_string(), |c| format!("“{}” applies", c.text));
        typed.insert("severity".into(), severity.as_str().into());
        let proposal =
            Some(format!("Proposed severity: {} — because {reason}. You may still choose another.", severity.label()));
        let form = ReportForm { typed, checked, proposal, errors: Vec::new(), similar: Vec::new() };
        return html(report_page(&state, &session, &user, form).await?, StatusCode::OK);
    }
    let report = IncidentReport::read(&typed, &user.timezone);
    // Where a duplicate warning halts the report, the similar incidents it means.
    let halted_on = report.as_ref().ok().map(|r| (r.client_id, r.component_id));
    let outcome = match report {
        Ok(report) => {
            let (actor, clock) = (user.clone(), state.clock.clone());
            state.db(move |conn| Ok(conn.transaction(|conn| service::report(conn, &clock, &actor, &report)))).await?
        }
        Err(errors) => Err(Refusal::Invalid(errors)),
    };
    match outcome {
        Ok(incident) => {
            session::flash(&session, format!("Incident {} was reported.", incident.incident_id));
            Ok(see_other(&format!("/incidents/{}", incident.incident_id)))
        }
        Err(Refusal::Invalid(errors)) => {
            let similar = match halted_on.filter(|_| errors.iter().any(|e| e.field == "confirm_duplicate")) {
                Some((client, component)) => {
                    let now = state.clock.now();
                    state.db(move |conn| Ok(queries::similar_open(conn, client, component, now)?)).await?
                }
                None => Vec::new(),
            };
            let refusal = errors.clone();
            let form = ReportForm { typed, checked, proposal: None, errors, similar };
            unprocessable(report_page(&state, &session, &user, form).await?, &refusal)
        }
        Err(other) => Err(other.into()),
    }
}
