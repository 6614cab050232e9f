//! Forms on an incident: edit, escalate, communicate.
use super::*;
use crate::incidents::forms::Reader;
use crate::web::session::SignedIn;

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

/// One of the incident's forms, named by the typed input it gives its use case: its fields, page, the people it
/// offers and what saving it does.
pub trait IncidentForm: Sized + Send + 'static {
    const FIELDS: &'static [Field];
    /// Who may use it.
    const ACTION: Action;
    /// "Escalate" incident 12.
    const HEADING: &'static str;
    /// Its address below the incident's: "/escalations".
    const PATH: &'static str;
    /// The flash once saved.
    const DONE: &'static str;

    /// What was submitted, as the use case's input, or the fields' errors.
    const READ: Reader<Self>;

    /// Saves it.
    fn save(self, at: Saving<'_>) -> Result<(), Refusal>;

    /// The people its person fields offer.
    fn people(conn: &mut diesel::PgConnection, incident: &Incident) -> Result<Vec<Person>, AppError>;

    /// What the form shows first, and the record version it edits, if it edits one.
    fn start(_incident: &Incident) -> (HashMap<String, String>, Option<i32>) {
        (Self::FIELDS.iter().filter_map(|f| Some((f.name.to_string(), f.default?.to_string()))).collect(), None)
    }
}

/// Where a form's use case runs: the caller's transaction, its clock and user, the incident and the version the
/// form was shown with.
pub struct Saving<'a> {
    conn: &'a mut diesel::PgConnection,
    on: OnIncident<'a>,
    lock_version: Option<i32>,
}

impl IncidentForm for IncidentEdit {
    const FIELDS: &'static [Field] = EDIT_FIELDS;
    const ACTION: Action = Action::Update(Area::Incidents);
    const HEADING: &'static str = "Update";
    const PATH: &'static str = "";
    const DONE: &'static str = "Incident updated.";

    const READ: Reader<Self> = IncidentEdit::read;

    fn save(self, at: Saving<'_>) -> Result<(), Refusal> {
        service::update(at.conn, at.on, at.lock_version, &self).map(|_| ())
    }

    fn people(conn: &mut diesel::PgConnection, _incident: &Incident) -> Result<Vec<Person>, AppError> {
        Ok(queries::active_people(conn, STAFF_ROLES, None)?)
    }

    fn start(incident: &Incident) -> (HashMap<String, String>, Option<i32>) {
        (edit_values(incident), Some(incident.lock_version))
    }
}

impl IncidentForm for Escalation {
    const FIELDS: &'static [Field] = ESCALATION_FIELDS;
    const ACTION: Action = Action::Escalate;
    const HEADING: &'static str = "Escalate";
    const PATH: &'static str = "/escalations";
    const DONE: &'static str = "Incident escalated.";

    const READ: Reader<Self> = Escalation::read;

    fn save(self, at: Saving<'_>) -> Result<(), Refusal> {
        service::escalate(at.conn, at.on, &self).map(|_| ())
    }

    fn people(conn: &mut diesel::PgConnection, incident: &Incident) -> Result<Vec<Person>, AppError> {
        let within: Vec<Role> = <EscalationLevel as strum::IntoEnumIterator>::iter()
            .filter(|level| *level != EscalationLevel::Vendor)
            .flat_map(|level| rules::escalation_roles(level).iter().copied())
            .collect();
        let mut people = queries::active_people(conn, &within, None)?;
        people.extend(vendor_contacts(conn, incident)?);
        Ok(people)
    }
}

impl IncidentForm for Communication {
    const FIELDS: &'static [Field] = COMMUNICATION_FIELDS;
    const ACTION: Action = Action::Communicate;
    const HEADING: &'static str = "Record a communication about";
    const PATH: &'static str = "/communications";
    const DONE: &'static str = "Communication recorded.";

    const READ: Reader<Self> = Communication::read;

    fn save(self, at: Saving<'_>) -> Result<(), Refusal> {
        service::communicate(at.conn, at.on, &self).map(|_| ())
    }

    fn people(conn: &mut diesel::PgConnection, incident: &Incident) -> Result<Vec<Person>, AppError> {
        let mut people = queries::client_contacts(conn, incident.client_id)?;
        people.extend(queries::active_people(conn, STAFF_ROLES, None)?);
        people.extend(vendor_contacts(conn, incident)?);
        Ok(people)
    }
}

/// The active contacts of the vendor that supports the incident's component, if one does.
fn vendor_contacts(conn: &mut diesel::PgConnection, incident: &Incident) -> Result<Vec<Person>, AppError> {
    Ok(match queries::supporting_vendor(conn, incident.component_id)? {
        Some(vendor) => queries::active_people(conn, rules::escalation_roles(EscalationLevel::Vendor), Some(vendor))?,
        None => Vec::new(),
    })
}

struct FormInput {
    typed: HashMap<String, String>,
    errors: Vec<FieldError>,
    lock_version: Option<i32>,
    current: Option<Incident>,
}

async fn incident_form<F: IncidentForm>(
    state: &AppState,
    session: &Session,
    user: &User,
    incident_id: i32,
    input: Option<FormInput>,
) -> Result<IncidentFormPage, AppError> {
    let viewer = user.clone();
    let (incident, people) = state
        .db(move |conn| {
            // Out of scope is 404 before any role check can say the incident exists.
            let incident = service::load(conn, &viewer, incident_id)?;
            viewer.actor().may(F::ACTION, &Target::Any)?;
            let people = F::people(conn, &incident)?;
            Ok((incident, people))
        })
        .await?;
    let input = input.unwrap_or_else(|| {
        let (typed, lock_version) = F::start(&incident);
        FormInput { typed, errors: Vec::new(), lock_version, current: None }
    });
    let choices = person_choices(people);
    let typed = |name: &str| input.typed.get(name).cloned();
    let mut fields = form_fields(F::FIELDS, true, &typed, &|_| choices.clone(), &input.errors);
    // The status offers where the incident is and where it may go next, nothing the lifecycle would refuse.
    let legal: Vec<IncidentStatus> =
        std::iter::once(incident.status()).chain(next_steps(incident.status(), &user.actor())).collect();
    for field in fields.iter_mut().filter(|f| f.name == "status") {
        field.options.retain(|(value, _)| legal.iter().any(|s| s.as_str() == value));
    }
    let heading = format!("{} incident {}", F::HEADING, incident.incident_id);
    Ok(IncidentFormPage {
        page: Page::for_user(session, user, heading.clone(), "/incidents"),
        incident_id: incident.incident_id,
        title: incident.title.clone(),
        heading,
        action: format!("/incidents/{incident_id}{}", F::PATH),
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

/// Shows one of the incident's forms.
pub async fn form<F: IncidentForm>(
    SignedIn { state, session, user }: SignedIn,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    html(incident_form::<F>(&state, &session, &user, id.into_inner(), None).await?, StatusCode::OK)
}

/// Submits one of the incident's forms; refusals show the form again with what was typed.
pub async fn submit<F: IncidentForm>(
    SignedIn { state, session, user }: SignedIn,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let incident_id = id.into_inner();
    let (typed, _) = read(form);
    let lock_version = crate::forms::lock_version(&typed);
    let outcome = match F::READ(&typed) {
        Err(errors) => Err(Refusal::Invalid(errors)),
        Ok(input) => {
            let (actor, clock) = (user.clone(), state.clock.clone());
            state
                .db(move |conn| {
                    Ok(conn.transaction(|conn| {
                        let on = OnIncident { clock: &clock, user: &actor, incident_id };
                        input.save(Saving { conn, on, lock_version })
                    }))
                })
                .await?
        }
    };
    match outcome {
        Ok(()) => {
            session::flash(&session, F::DONE);
            Ok(see_other(&format!("/incidents/{incident_id}")))
        }
        Err(Refusal::Invalid(errors)) => {
            let refusal = errors.clone();
            let input = FormInput { typed, errors, lock_version, current: None };
            unprocessable(incident_form::<F>(&state, &session, &user, incident_id, Some(input)).await?, &refusal)
        }
        Err(Refusal::Conflict(current)) => {
            let errors = vec![FieldError {
                field: "current",
                message: "Someone else changed this incident while you were editing it. Its current values are shown below; your changes are kept in the form. Save again to apply them.".into(),
            }];
            let input = FormInput { typed, errors, lock_version: Some(current.lock_version), current: Some(*current) };
            conflict(incident_form::<F>(&state, &session, &user, incident_id, Some(input)).await?)
        }
        Err(other) => Err(other.into()),
    }
}
