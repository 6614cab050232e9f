//! Forms on an incident: edit, escalate, communicate.
use super::*;

#[derive(Template)]
#[template(path = "incidents/form.html")]
struct IncidentFormPage {
    page: Page,
    incident_id: i32,
    title: String,
    heading: String,
    action: String,
    fields: Vec<FormField>,
    errors: Vec<FieldError>,
    lock_version: Option<i32>,
    current: Option<Vec<(&'static str, String)>>,
    cancel: String,
}

/// Which of the incident's forms, with its fields and the choices its references offer.
#[derive(Clone, Copy)]
enum IncidentForm {
    Edit,
    Escalate,
    Communicate,
}

impl IncidentForm {
    fn fields(self) -> &'static [Field] {
        match self {
            IncidentForm::Edit => EDIT_FIELDS,
            IncidentForm::Escalate => ESCALATION_FIELDS,
            IncidentForm::Communicate => COMMUNICATION_FIELDS,
        }
    }

    fn action(self) -> Action {
        match self {
            IncidentForm::Edit => Action::Update(Area::Incidents),
            IncidentForm::Escalate => Action::Escalate,
            IncidentForm::Communicate => Action::Communicate,
        }
    }

    fn heading(self) -> &'static str {
        match self {
            IncidentForm::Edit => "Update",
            IncidentForm::Escalate => "Escalate",
            IncidentForm::Communicate => "Record a communication about",
        }
    }

    fn path(self, incident_id: i32) -> String {
        match self {
            IncidentForm::Edit => format!("/incidents/{incident_id}"),
            IncidentForm::Escalate => format!("/incidents/{incident_id}/escalations"),
            IncidentForm::Communicate => format!("/incidents/{incident_id}/communications"),
        }
    }

    fn people(self, conn: &mut diesel::PgConnection, incident: &Incident) -> Result<Vec<Person>, AppError> {
        Ok(match self {
            IncidentForm::Edit => queries::active_people(conn, STAFF_ROLES, None)?,
            IncidentForm::Escalate => {
                let within: Vec<Role> = <EscalationLevel as strum::IntoEnumIterator>::iter()
                    .filter(|level| *level != EscalationLevel::Vendor)
                    .flat_map(|level| rules::escalation_roles(level).iter().copied())
                    .collect();
                let mut people = queries::active_people(conn, &within, None)?;
                if let Some(vendor) = queries::supporting_vendor(conn, incident.component_id)? {
                    people.extend(queries::active_people(
                        conn,
                        rules::escalation_roles(EscalationLevel::Vendor),
                        Some(vendor),
                    )?);
                }
                people
            }
            IncidentForm::Communicate => {
                let mut people = queries::client_contacts(conn, incident.client_id)?;
                people.extend(queries::active_people(conn, STAFF_ROLES, None)?);
                if let Some(vendor) = queries::supporting_vendor(conn, incident.component_id)? {
                    people.extend(queries::active_people(
                        conn,
                        rules::escalation_roles(EscalationLevel::Vendor),
                        Some(vendor),
                    )?);
                }
                people
            }
        })
    }
}

struct FormInput {
    typed: HashMap<String, String>,
    errors: Vec<FieldError>,
    lock_version: Option<i32>,
    current: Option<Incident>,
}

async fn incident_form(
    state: &AppState,
    session: &Session,
    user: &User,
    which: IncidentForm,
    incident_id: i32,
    input: Option<FormInput>,
) -> Result<IncidentFormPage, AppError> {
    let viewer = user.clone();
    let (incident, people) = state
        .db(move |conn| {
            // Out of scope is 404 before any role check can say the incident exists.
            let incident = service::load(conn, &viewer, incident_id)?;
            viewer.actor().may(which.action(), &Target::Any)?;
            let people = which.people(conn, &incident)?;
            Ok((incident, people))
        })
        .await?;
    let input = input.unwrap_or_else(|| FormInput {
        typed: match which {
            IncidentForm::Edit => edit_values(&incident),
            _ => which.fields().iter().filter_map(|f| Some((f.name.to_string(), f.default?.to_string()))).collect(),
        },
        errors: Vec::new(),
        lock_version: matches!(which, IncidentForm::Edit).then_some(incident.lock_version),
        current: None,
    });
    let choices = person_choices(people);
    let typed = |name: &str| input.typed.get(name).cloned();
    let mut fields = form_fields(which.fields(), true, &typed, &|_| choices.clone(), &input.errors);
    // The status offers where the incident is and where it may go next, nothing the lifecycle would refuse.
    let legal: Vec<IncidentStatus> =
        std::iter::once(incident.status()).chain(next_steps(incident.status(), &user.actor())).collect();
    for field in fields.iter_mut().filter(|f| f.name == "status") {
        field.options.retain(|(value, _)| legal.iter().any(|s| s.as_str() == value));
    }
    let heading = format!("{} incident {}", which.heading(), incident.incident_id);
    Ok(IncidentFormPage {
        page: Page::for_user(session, user, heading.clone(), "/incidents"),
        incident_id: incident.incident_id,
        title: incident.title.clone(),
        heading,
        action: which.path(incident_id),
        cancel: format!("/incidents/{incident_id}"),
        fields,
        errors: input.errors,
        lock_version: input.lock_version,
        current: input.current.map(|c| {
            let values = edit_values(&c);
            EDIT_FIELDS.iter().map(|f| (f.label, values.get(f.name).cloned().unwrap_or_else(|| "—".into()))).collect()
        }),
    })
}

fn edit_values(incident: &Incident) -> HashMap<String, String> {
    let mut values = HashMap::from([
        ("status".to_string(), incident.status.clone()),
        ("severity".to_string(), incident.severity.clone()),
        ("impact_level".to_string(), incident.impact_level.clone()),
        ("urgency_level".to_string(), incident.urgency_level.clone()),
    ]);
    if let Some(assignee) = incident.assigned_to_user_id {
        values.insert("assigned_to_user_id".into(), assignee.to_string());
    }
    values
}

async fn show(
    state: web::Data<AppState>,
    session: Session,
    user: User,
    which: IncidentForm,
    incident_id: i32,
) -> Result<HttpResponse, AppError> {
    html(incident_form(&state, &session, &user, which, incident_id, None).await?, StatusCode::OK)
}

pub async fn edit(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    show(state, session, user, IncidentForm::Edit, id.into_inner()).await
}

pub async fn escalation_form(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    show(state, session, user, IncidentForm::Escalate, id.into_inner()).await
}

pub async fn communication_form(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    show(state, session, user, IncidentForm::Communicate, id.into_inner()).await
}

/// Submits one of the incident's forms; refusals show the form again with what was typed.
async fn submit(
    state: web::Data<AppState>,
    session: Session,
    user: User,
    which: IncidentForm,
    incident_id: i32,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let (typed, _) = read(form);
    let lock_version = typed.get("lock_version").and_then(|v| v.trim().parse::<i32>().ok());
    let (values, errors) = forms::parse(which.fields(), &typed, true);
    let outcome = if !errors.is_empty() {
        Err(Refusal::Invalid(errors))
    } else {
        let (actor, clock) = (user.clone(), state.clock.clone());
        state
            .db(move |conn| {
                Ok(conn.transaction(|conn| match which {
                    IncidentForm::Edit => service::update(conn, &clock, &actor, incident_id, lock_version, &values)
                        .map(|_| "Incident updated.".to_string()),
                    IncidentForm::Escalate => service::escalate(conn, &clock, &actor, incident_id, &values)
                        .map(|_| "Incident escalated.".to_string()),
                    IncidentForm::Communicate => service::communicate(conn, &clock, &actor, incident_id, &values)
                        .map(|_| "Communication recorded.".to_string()),
                }))
            })
            .await?
    };
    match outcome {
        Ok(message) => {
            session::flash(&session, message);
            Ok(see_other(&format!("/incidents/{incident_id}")))
        }
        Err(Refusal::Invalid(errors)) => {
            let refusal = errors.clone();
            let input = FormInput { typed, errors, lock_version, current: None };
            unprocessable(incident_form(&state, &session, &user, which, incident_id, Some(input)).await?, &refusal)
        }
        Err(Refusal::Conflict(current)) => {
            let errors = vec![FieldError {
                field: "current",
                message: "Someone else changed this incident while you were editing it. Its current values are shown below; your changes are kept in the form. Save again to apply them.".into(),
            }];
            let input = FormInput { typed, errors, lock_version: Some(current.lock_version), current: Some(*current) };
            let page = incident_form(&state, &session, &user, which, incident_id, Some(input)).await?;
            conflict(page)
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn update(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    submit(state, session, user, IncidentForm::Edit, id.into_inner(), form).await
}

pub async fn escalate(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    submit(state, session, user, IncidentForm::Escalate, id.into_inner(), form).await
}

pub async fn communicate(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    submit(state, session, user, IncidentForm::Communicate, id.into_inner(), form).await
}
