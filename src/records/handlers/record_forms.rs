//! Creating and editing a record.
use super::*;
use crate::web::session::SignedIn;

#[derive(Template)]
#[template(path = "records/form.html")]
struct FormPage {
    page: Page,
    resource: &'static Resource,
    heading: String,
    action: String,
    fields: Vec<FormField>,
    errors: Vec<FieldError>,
    lock_version: Option<i32>,
    /// On a conflict: the record as someone else saved it.
    current: Option<RecordView>,
    cancel: String,
}

struct FormState {
    user: User,
    creating: bool,
    id: Option<i32>,
    lock_version: Option<i32>,
    typed: HashMap<String, String>,
    errors: Vec<FieldError>,
    current: Option<RecordView>,
}

async fn form_page(
    state: &AppState,
    session: &Session,
    resource: &'static Resource,
    form: FormState,
) -> Result<FormPage, AppError> {
    let scope = sight_of(&form.user);
    let names: Vec<&str> = resource.fields.iter().map(|f| f.name).collect();
    let (chosen, id) = (form.typed.clone(), form.id);
    let (choices, title) = state
        .db(move |conn| {
            let choices = reference_choices(conn, resource, scope, &names, &chosen)?;
            // An edit form is headed by the record's name, as its page is.
            let title = match id {
                Some(id) => queries::get(conn, resource, id, scope)?.map(|record| record.title),
                None => None,
            };
            Ok((choices, title))
        })
        .await?;
    let typed = |name: &str| form.typed.get(name).cloned();
    let fields = form_fields(
        resource.fields,
        form.creating,
        &typed,
        &|name| choices.get(name).cloned().unwrap_or_default(),
        &form.errors,
    );
    let (heading, action, cancel) = match form.id {
        None => (format!("New {}", resource.noun.to_lowercase()), resource.path.to_string(), resource.path.to_string()),
        Some(id) => (
            format!("Edit {}", heading(resource, &title.unwrap_or_else(|| format!("{} {id}", resource.noun)))),
            format!("{}/{id}", resource.path),
            format!("{}/{id}", resource.path),
        ),
    };
    Ok(FormPage {
        page: Page::for_user(session, &form.user, heading.clone(), resource.path),
        resource,
        heading,
        action,
        fields,
        errors: form.errors,
        lock_version: form.lock_version,
        current: form.current,
        cancel,
    })
}

pub async fn new<R: Described>(
    SignedIn { state, session, user }: SignedIn,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let resource = R::resource();
    user.actor().may(Action::Read(resource.area), &Target::Any)?;
    user.actor().may(Action::Create(resource.area), &Target::Any)?;
    // Defaults, then what the link that led here chose (e.g. the incident a workaround is for).
    let mut typed: HashMap<String, String> =
        resource.fields.iter().filter_map(|f| f.default.map(|d| (f.name.to_string(), d.to_string()))).collect();
    for field in resource.fields.iter().filter(|f| crate::forms::on_form(f, true)) {
        if let Some(value) = query.get(field.name) {
            typed.insert(field.name.to_string(), value.clone());
        }
        // A time the form asks for starts at now; an optional one (a change's scheduled start) stays empty.
        if matches!(field.kind, FieldKind::DateTime) && field.required && !typed.contains_key(field.name) {
            typed.insert(field.name.to_string(), format::local_input(state.clock.now(), &user.timezone));
        }
    }
    let (viewer, mut typed) = (user.clone(), typed);
    let typed = state
        .db(move |conn| {
            resource.behaviour.prefill(conn, &viewer, &mut typed)?;
            Ok(typed)
        })
        .await?;
    let state_ =
        FormState { user, creating: true, id: None, lock_version: None, typed, errors: Vec::new(), current: None };
    html(form_page(&state, &session, resource, state_).await?, StatusCode::OK)
}

pub async fn create<R: Described>(
    SignedIn { state, session, user }: SignedIn,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let resource = R::resource();
    let input = form.into_inner();
    // Refused before any hashing work is done.
    user.actor().may(Action::Create(resource.area), &Target::Any)?;
    // A new user's password is hashed on the bounded hashing pool, before the transaction takes a connection.
    let password_hash = match input.get("password").filter(|p| password::check_new_password(p).is_ok()) {
        Some(text) if resource.fields.iter().any(|f| matches!(f.kind, FieldKind::NewPassword)) => {
            let text = text.clone();
            Some(state.hashing.run(move || password::hash(&text)).await.map_err(AppError::internal)?)
        }
        _ => None,
    };
    let (actor, clock, submitted) = (user.clone(), state.clock.clone(), input.clone());
    let outcome = state
        .db(move |conn| {
            Ok(conn.transaction(|conn| {
                service::create(conn, &clock, &actor, resource, &submitted, password_hash.as_deref())
            }))
        })
        .await?;
    match outcome {
        Ok((id, status)) => {
            let waiting = if status == ApprovalStatus::Pending { "; it now waits for approval" } else { "" };
            session::flash(&session, format!("{} {id} was created{waiting}.", resource.noun));
            Ok(see_other(&format!("{}/{id}", resource.path)))
        }
        Err(Refusal::Invalid(errors)) => {
            let refusal = errors.clone();
            let form =
                FormState { user, creating: true, id: None, lock_version: None, typed: input, errors, current: None };
            unprocessable(form_page(&state, &session, resource, form).await?, &refusal)
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn edit<R: Described>(
    SignedIn { state, session, user }: SignedIn,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let resource = R::resource();
    let id = id.into_inner();
    let actor = user.clone();
    let record = state.db(move |conn| Ok(service::load(conn, &actor, resource, id)?)).await?;
    let values = service::values_of(resource, &record);
    user.actor().may(Action::Update(resource.area), &rules::target(resource, &record, Some(id)))?;
    // Stored times are UTC; the form shows them in the user's zone.
    let typed = values
        .iter()
        .filter_map(|(name, value)| {
            let value = match record.time(name) {
                Some(at) => format::local_input(at, &user.timezone),
                None => value.clone()?,
            };
            Some((name.to_string(), value))
        })
        .collect();
    let lock_version = record.lock_version;
    let form =
        FormState { user, creating: false, id: Some(id), lock_version, typed, errors: Vec::new(), current: None };
    html(form_page(&state, &session, resource, form).await?, StatusCode::OK)
}

pub async fn update<R: Described>(
    SignedIn { state, session, user }: SignedIn,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let resource = R::resource();
    let id = id.into_inner();
    let input = form.into_inner();
    let lock_version = crate::forms::lock_version(&input);
    let (actor, clock, submitted) = (user.clone(), state.clock.clone(), input.clone());
    let outcome = state
        .db(move |conn| {
            Ok(conn.transaction(|conn| service::update(conn, &clock, &actor, resource, id, lock_version, &submitted)))
        })
        .await?;
    match outcome {
        Ok(status) => {
            let waiting = if status == ApprovalStatus::Pending { "; it waits for approval again" } else { "" };
            session::flash(&session, format!("{} {id} was saved{waiting}.", resource.noun));
            Ok(see_other(&format!("{}/{id}", resource.path)))
        }
        Err(Refusal::Invalid(errors)) => {
            let refusal = errors.clone();
            let form =
                FormState { user, creating: false, id: Some(id), lock_version, typed: input, errors, current: None };
            unprocessable(form_page(&state, &session, resource, form).await?, &refusal)
        }
        Err(Refusal::Conflict(record)) => {
            let current = view::record_view(resource, &record, &user.timezone);
            let errors = vec![FieldError {
                field: "current",
                message: "Someone else saved this record while you were editing it. Their values are shown below; your changes are kept in the form. Save again to replace theirs.".into(),
            }];
            let form = FormState {
                lock_version: Some(current.lock_version),
                user,
                creating: false,
                id: Some(id),
                typed: input,
                errors,
                current: Some(current),
            };
            conflict(form_page(&state, &session, resource, form).await?)
        }
        Err(other) => Err(other.into()),
    }
}
