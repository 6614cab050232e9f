//! Administration pages. One set of handlers serves every described record type.
use super::queries::{self, Filter, ListOptions, PAGE_SIZE};
use super::rules;
use super::service::{self, Refusal, sight_of};
use super::spec::{FieldKind, Resource};
use super::view::{self, RecordView, RowView};
use super::{procedures, resources};
use crate::access::{Action, Sight, Target};
use crate::audit;
use crate::auth::password;
use crate::domain::enums::ApprovalStatus;
use crate::error::AppError;
use crate::format;
use crate::forms::view::{CheckGroup, FormField, form_fields};
use crate::users::User;
use crate::web::AppState;
use crate::web::page::{FieldError, Page};
use crate::web::respond::{after_action, conflict, html, see_other, unprocessable};
use crate::web::session::{self, CurrentUser};
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::Connection;
use std::collections::HashMap;

/// A record type with list, detail and form pages.
pub trait Described: 'static {
    fn resource() -> &'static Resource;
}

macro_rules! described {
    ($($marker:ident => $resource:path),+ $(,)?) => {
        $(
            pub struct $marker;
            impl Described for $marker {
                fn resource() -> &'static Resource { &$resource }
            }
        )+
    };
}

described! {
    Clients => resources::CLIENTS,
    Users => resources::USERS,
    Vendors => resources::VENDORS,
    Products => resources::PRODUCTS,
    Components => resources::COMPONENTS,
    Subscriptions => resources::SUBSCRIPTIONS,
    Slas => resources::SLAS,
    Problems => procedures::PROBLEM_TICKETS,
    WorkOrders => procedures::WORK_ORDERS,
    Workarounds => procedures::WORKAROUNDS,
    Analyses => procedures::ANALYSES,
    Changes => procedures::CHANGES,
    Rollbacks => procedures::ROLLBACKS,
    Metrics => procedures::METRICS,
    Reports => procedures::REPORTS,
    Articles => procedures::ARTICLES,
    Reviews => procedures::REVIEWS,
}

type Form = web::Form<HashMap<String, String>>;

// ---- list ------------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "records/list.html")]
struct ListPage {
    page: Page,
    resource: &'static Resource,
    /// The choice filters, as groups of boxes to tick.
    checks: Vec<CheckGroup>,
    /// The reference filters, as lists to pick from.
    selects: Vec<FormField>,
    /// The list with no filter, in the same order.
    clear_href: String,
    /// The order the list keeps while its filters change.
    sort: Option<String>,
    rows: Vec<RowView>,
    headers: Vec<Heading>,
    /// The search box's words, for record types that can be searched.
    search: Option<String>,
    /// The CSV of exactly this filtered list.
    export_href: String,
    total: i64,
    first: i64,
    last: i64,
    previous: Option<String>,
    next: Option<String>,
    can_create: bool,
    empty_reason: String,
}

/// A list page's address: its parameters, a name possibly repeated (`status=created&status=assigned`).
type Query = [(String, String)];

/// The last non-empty value of a parameter.
fn one<'a>(query: &'a Query, name: &str) -> Option<&'a str> {
    query.iter().rev().filter(|(k, _)| k == name).map(|(_, v)| v.trim()).find(|v| !v.is_empty())
}

/// Reads the search words and sort column of a list page; an unknown column is a clear 400.
fn read_options(resource: &'static Resource, query: &Query) -> Result<ListOptions, AppError> {
    let search = match one(query, "q") {
        Some(q) if q.contains('\0') || q.chars().count() > 200 => {
            return Err(AppError::BadRequest("Search for up to 200 characters of ordinary text.".into()));
        }
        other => other.map(str::to_string),
    };
    let sort = match one(query, "sort") {
        None => None,
        Some(text) => {
            let (name, descending) = text.strip_prefix('-').map_or((text, false), |name| (name, true));
            let column = resource.columns.iter().find(|c| **c == name).ok_or_else(|| {
                AppError::BadRequest(format!("The list cannot be sorted by \"{name}\"; use the column headings."))
            })?;
            Some((*column, descending))
        }
    };
    Ok(ListOptions { search, sort })
}

/// Reads the list's filters from the address (a filter may hold several values: any of them matches); a value
/// that cannot be right is a clear 400.
fn read_filters(resource: &'static Resource, query: &Query) -> Result<(Vec<Filter>, i64), AppError> {
    let mut filters = Vec::new();
    for name in resource.filters {
        let field = resource.field(name).expect("filters are described fields");
        for value in query.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty()) {
            let valid = match field.kind {
                FieldKind::Choice(choices) => choices().iter().any(|(v, _)| *v == value),
                FieldKind::Reference(_) => value.parse::<i32>().is_ok_and(|id| id > 0),
                _ => false,
            };
            if !valid {
                return Err(AppError::BadRequest(format!(
                    "The filter {} cannot be \"{value}\"; choose one of the offered values.",
                    field.label
                )));
            }
            filters.push((*name, value.to_string()));
        }
    }
    let page =
        match one(query, "page") {
            None => 1,
            Some(text) => text.parse::<i64>().ok().filter(|p| (1..=1_000_000).contains(p)).ok_or_else(|| {
                AppError::BadRequest(format!("The page number \"{text}\" is not a whole number from 1."))
            })?,
        };
    Ok((filters, page))
}

/// The address of a list page: its filters, search and sort, and a page number.
fn page_link(resource: &Resource, filters: &[Filter], options: &ListOptions, page: i64) -> String {
    let mut pairs: Vec<(&str, String)> = filters.iter().map(|(k, v)| (*k, v.clone())).collect();
    if let Some(search) = &options.search {
        pairs.push(("q", search.clone()));
    }
    if let Some((column, descending)) = options.sort {
        pairs.push(("sort", format!("{}{column}", if descending { "-" } else { "" })));
    }
    pairs.push(("page", page.to_string()));
    format!("{}?{}", resource.path, serde_urlencoded::to_string(&pairs).unwrap_or_default())
}

/// A sortable column heading: its label, the address that sorts by it (the other way if it is the sort
/// already), and how it is sorted now, for `aria-sort`.
pub struct Heading {
    pub label: &'static str,
    pub href: String,
    pub sorted: &'static str,
}

fn headings(resource: &'static Resource, filters: &[Filter], options: &ListOptions) -> Vec<Heading> {
    resource
        .columns
        .iter()
        .filter_map(|c| resource.field(c))
        .map(|field| {
            let (sorted, descending) = match options.sort {
                Some((column, descending)) if column == field.name => {
                    (if descending { "descending" } else { "ascending" }, !descending)
                }
                _ => ("none", false),
            };
            let sort = ListOptions { search: options.search.clone(), sort: Some((field.name, descending)) };
            Heading { label: field.label, href: page_link(resource, filters, &sort, 1), sorted }
        })
        .collect()
}

pub async fn list<R: Described>(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let resource = R::resource();
    let actor = user.actor();
    actor.may(Action::Read(resource.area), &Target::Any)?;
    let (filters, page_number) = read_filters(resource, &query)?;
    let options = read_options(resource, &query)?;
    let scope = sight_of(&user);
    let (records, total, choices) = {
        let (filters, options) = (filters.clone(), options.clone());
        state
            .db(move |conn| {
                let (records, total) =
                    queries::list_with(conn, resource, scope, &filters, None, &options, page_number)?;
                let choices = if scope.contact {
                    Choices::new()
                } else {
                    reference_choices(conn, resource, scope, resource.filters, &HashMap::new())?
                };
                Ok((records, total, choices))
            })
            .await?
    };
    let staff = actor.can(Action::ReadInternal(resource.area), &Target::Any);
    // Every filter the list offers is on its form, whoever may edit the field, so any the address applies is seen
    // and can be cleared: choices as boxes to tick (several at once), references as a list to pick one from.
    // Contacts filter by choices, never by lists of other people or records.
    let chosen = |name: &str, value: &str| filters.iter().any(|(k, v)| *k == name && v == value);
    let mut checks = Vec::new();
    let mut selects = Vec::new();
    for field in resource.filters.iter().filter_map(|name| resource.field(name)) {
        match field.kind {
            FieldKind::Choice(options) => {
                checks.push(CheckGroup::new(field.name, field.label, options(), |value| chosen(field.name, value)))
            }
            FieldKind::Reference(_) if staff => selects.push(FormField {
                name: field.name,
                label: field.label,
                hint: None,
                required: false,
                input: crate::forms::view::Input::Select,
                value: filters.iter().find(|(k, _)| *k == field.name).map(|(_, v)| v.clone()).unwrap_or_default(),
                options: choices.get(field.name).cloned().unwrap_or_default(),
                error: None,
            }),
            _ => {}
        }
    }
    let first = (page_number - 1) * PAGE_SIZE + 1;
    let last = (first + records.len() as i64 - 1).max(0);
    let empty_reason = if filters.is_empty() {
        format!("There are no {} yet.", resource.plural.to_lowercase())
    } else {
        format!("No {} match these filters.", resource.plural.to_lowercase())
    };
    let body = ListPage {
        page: Page::for_user(&session, &user, resource.plural, resource.path),
        resource,
        checks,
        selects,
        clear_href: page_link(resource, &[], &ListOptions { search: None, sort: options.sort }, 1),
        sort: options.sort.map(|(column, descending)| format!("{}{column}", if descending { "-" } else { "" })),
        rows: records.iter().map(|r| view::row_view(resource, r, &user.timezone)).collect(),
        headers: headings(resource, &filters, &options),
        search: resource.search.map(|_| options.search.clone().unwrap_or_default()),
        export_href: page_link(resource, &filters, &options, 1).replacen('?', ".csv?", 1),
        total,
        first,
        last,
        previous: (page_number > 1).then(|| page_link(resource, &filters, &options, page_number - 1)),
        next: (last < total).then(|| page_link(resource, &filters, &options, page_number + 1)),
        can_create: actor.can(Action::Create(resource.area), &Target::Any),
        empty_reason,
    };
    html(body, StatusCode::OK)
}

/// Each reference field's choices: (id, name) pairs.
type Choices = HashMap<&'static str, Vec<(String, String)>>;

/// The choices of each reference field in `only`. A value already chosen is always among them, even when the
/// list is cut short, so that saving a form never drops a link.
fn reference_choices(
    conn: &mut diesel::PgConnection,
    resource: &'static Resource,
    scope: Sight,
    only: &[&str],
    chosen: &HashMap<String, String>,
) -> Result<Choices, AppError> {
    let mut choices = HashMap::new();
    for field in resource.fields.iter().filter(|f| only.contains(&f.name)) {
        if let FieldKind::Reference(target) = field.kind {
            let mut options = queries::choices(conn, target, scope)?;
            if let Some(id) = chosen
                .get(field.name)
                .filter(|id| id.parse::<i32>().is_ok() && !options.iter().any(|(option, _)| option == *id))
            {
                options.extend(queries::choice(conn, target, id, scope)?);
            }
            choices.insert(field.name, options);
        }
    }
    Ok(choices)
}

/// "Client: Acme Logistics", but "Subscription 4" rather than "Subscription: Subscription 4".
fn heading(resource: &Resource, title: &str) -> String {
    if title.starts_with(resource.noun) || title.starts_with("SLA") {
        title.to_string()
    } else {
        format!("{}: {title}", resource.noun)
    }
}

// ---- detail ----------------------------------------------------------------------------------------------

struct RelatedView {
    title: &'static str,
    headers: Vec<&'static str>,
    rows: Vec<RowView>,
    total: i64,
}

#[derive(Template)]
#[template(path = "records/detail.html")]
struct DetailPage {
    page: Page,
    resource: &'static Resource,
    record: RecordView,
    related: Vec<RelatedView>,
    /// The record's audit entries in words, newest first.
    history: Vec<crate::audit::words::EntryView>,
    can_edit: bool,
    can_decide: bool,
    can_set_password: bool,
    approvers: String,
    /// A rollback that may be carried out now.
    can_execute: bool,
    /// Whether the user may see who can see this record, and why.
    can_explain: bool,
    /// Whether the user sees the record's change history (the provider's internal details).
    show_history: bool,
    /// A report's printable page.
    print_href: Option<String>,
    /// The statuses a work order may move to, for the assignee's quick form.
    status_choices: Vec<(&'static str, &'static str)>,
    /// The record's entries in the whole audit trail, for those who may read it.
    audit_href: Option<String>,
}

pub async fn detail<R: Described>(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let resource = R::resource();
    let id = id.into_inner();
    let scope = sight_of(&user);
    let (viewer, actor, zone) = (user.clone(), user.actor(), user.timezone.clone());
    let internal = actor.can(Action::ReadInternal(resource.area), &Target::Any);
    let (record, related, history) = state
        .db(move |conn| {
            let record = service::load(conn, &viewer, resource, id)?;
            let mut related = Vec::new();
            for relation in resource.related.iter().filter(|r| actor.can(Action::Read(r.resource.area), &Target::Any)) {
                let (rows, total) =
                    queries::list(conn, relation.resource, scope, &[], Some((relation.condition, id)), 1)?;
                related.push((relation, rows, total));
            }
            // A record's history names records and people outside a contact's scope.
            let history = if internal {
                let mut entries = audit::history_with_names(conn, resource.kind, &id.to_string())?;
                entries.reverse();
                audit::words::in_words(conn, &entries, &zone)?
            } else {
                Vec::new()
            };
            Ok((record, related, history))
        })
        .await?;
    let values = service::values_of(resource, &record);
    let target = rules::target(resource, &values, Some(id));
    let mut record_view = view::record_view(resource, &record, &user.timezone);
    if !internal {
        record_view.fields.retain(|f| !resource.internal.contains(&f.name));
    }
    let body = DetailPage {
        page: Page::for_user(&session, &user, heading(resource, &record_view.title), resource.path),
        resource,
        related: related
            .into_iter()
            .map(|(relation, rows, total)| RelatedView {
                title: relation.title,
                headers: relation
                    .resource
                    .columns
                    .iter()
                    .filter_map(|c| relation.resource.field(c))
                    .map(|f| f.label)
                    .collect(),
                rows: rows.iter().map(|r| view::row_view(relation.resource, r, &user.timezone)).collect(),
                total,
            })
            .collect(),
        history,
        can_edit: actor.can(Action::Update(resource.area), &target),
        can_decide: rules::waiting(resource, &values) && actor.can(Action::Decide(resource.area), &target),
        can_set_password: resource.kind == "user" && actor.can(Action::SetPassword, &target),
        approvers: crate::access::rules::approvers(resource.area, &target),
        can_execute: resource.kind == "rollback_request"
            && values.get("status").cloned().flatten().as_deref() == Some("approved")
            && record.get("completed_at").is_none_or(|v| v.is_null())
            && actor.can(Action::ExecuteRollback, &target),
        can_explain: actor.can(Action::ExplainAccess, &target) && crate::explainer::EXPLAINED.contains(&resource.area),
        show_history: internal,
        print_href: (resource.kind == "incident_report").then(|| format!("/reports/{id}/print")),
        audit_href: crate::audit::trail_href(&actor, resource.kind, id),
        status_choices: if resource.kind == "work_order" && actor.can(Action::SetWorkOrderStatus, &target) {
            let from = values.get("status").cloned().flatten().unwrap_or_default();
            <crate::domain::enums::WorkOrderStatus as crate::domain::enums::Choices>::choices()
                .into_iter()
                .filter(|(to, _)| resource.transitions.contains(&(from.as_str(), *to)))
                .collect()
        } else {
            Vec::new()
        },
        record: record_view,
    };
    html(body, StatusCode::OK)
}

// ---- create and edit -------------------------------------------------------------------------------------

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
                Some(id) => queries::get(conn, resource, id, scope)?
                    .and_then(|record| record.get("__title").and_then(|t| t.as_str()).map(str::to_string)),
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
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
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
    let state_ =
        FormState { user, creating: true, id: None, lock_version: None, typed, errors: Vec::new(), current: None };
    html(form_page(&state, &session, resource, state_).await?, StatusCode::OK)
}

pub async fn create<R: Described>(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let resource = R::resource();
    let input = form.into_inner();
    // Refused before any hashing work is done.
    user.actor().may(Action::Create(resource.area), &Target::Any)?;
    // A new user's password is hashed on the bounded hashing pool, before the transaction takes a connection.
    let password_hash = match input.get("password").filter(|p| password::check_new_password(p).is_ok()) {
        Some(text) if resource.kind == "user" => {
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
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let resource = R::resource();
    let id = id.into_inner();
    let actor = user.clone();
    let record = state.db(move |conn| Ok(service::load(conn, &actor, resource, id)?)).await?;
    let values = service::values_of(resource, &record);
    user.actor().may(Action::Update(resource.area), &rules::target(resource, &values, Some(id)))?;
    // Stored times are UTC; the form shows them in the user's zone.
    let local = |name: &str, value: String| match resource.field(name).map(|f| f.kind) {
        Some(FieldKind::DateTime) => format::parse(&value).map_or(value, |at| format::local_input(at, &user.timezone)),
        _ => value,
    };
    let typed = service::values_of(resource, &record)
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_string(), local(k, v?))))
        .collect();
    let lock_version = Some(view::record_view(resource, &record, &user.timezone).lock_version);
    let form =
        FormState { user, creating: false, id: Some(id), lock_version, typed, errors: Vec::new(), current: None };
    html(form_page(&state, &session, resource, form).await?, StatusCode::OK)
}

pub async fn update<R: Described>(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let resource = R::resource();
    let id = id.into_inner();
    let input = form.into_inner();
    let lock_version = input.get("lock_version").and_then(|v| v.trim().parse::<i32>().ok());
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

// ---- approvals -------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "records/decide.html")]
struct DecidePage {
    page: Page,
    resource: &'static Resource,
    record: RecordView,
    reason: String,
    errors: Vec<FieldError>,
}

async fn decide_page(
    state: &AppState,
    session: &Session,
    user: User,
    resource: &'static Resource,
    id: i32,
    reason: String,
    errors: Vec<FieldError>,
) -> Result<DecidePage, AppError> {
    let actor = user.clone();
    let record = state.db(move |conn| Ok(service::load(conn, &actor, resource, id)?)).await?;
    let values = service::values_of(resource, &record);
    user.actor().may(Action::Decide(resource.area), &rules::target(resource, &values, Some(id)))?;
    if !rules::waiting(resource, &values) {
        return Err(AppError::WrongState(format!(
            "Approval: this {} has been decided already; only waiting records can be decided.",
            resource.noun.to_lowercase()
        )));
    }
    let record = view::record_view(resource, &record, &user.timezone);
    Ok(DecidePage {
        page: Page::for_user(
            session,
            &user,
            format!("Approve or reject {} {id}", resource.noun.to_lowercase()),
            resource.path,
        ),
        resource,
        record,
        reason,
        errors,
    })
}

pub async fn decide_form<R: Described>(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    html(
        decide_page(&state, &session, user, R::resource(), id.into_inner(), String::new(), Vec::new()).await?,
        StatusCode::OK,
    )
}

async fn decide<R: Described>(
    state: web::Data<AppState>,
    session: Session,
    user: User,
    id: i32,
    approve: bool,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let resource = R::resource();
    let reason = form.get("rejection_reason").cloned().unwrap_or_default();
    let (actor, clock, submitted) = (user.clone(), state.clock.clone(), reason.clone());
    let outcome = state
        .db(move |conn| {
            Ok(conn.transaction(|conn| service::decide_any(conn, &clock, &actor, resource, id, approve, &submitted)))
        })
        .await?;
    match outcome {
        Ok(()) => {
            session::flash(
                &session,
                format!("{} {id} was {}.", resource.noun, if approve { "approved" } else { "rejected" }),
            );
            Ok(see_other(&format!("{}/{id}", resource.path)))
        }
        Err(Refusal::Invalid(errors)) => {
            let refusal = errors.clone();
            unprocessable(decide_page(&state, &session, user, resource, id, reason, errors).await?, &refusal)
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn approve<R: Described>(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    decide::<R>(state, session, user, id.into_inner(), true, form).await
}

pub async fn reject<R: Described>(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    decide::<R>(state, session, user, id.into_inner(), false, form).await
}

// ---- a user's password, set by an administrator -----------------------------------------------------------

#[derive(Template)]
#[template(path = "records/password.html")]
struct PasswordPage {
    page: Page,
    target: RecordView,
    errors: Vec<FieldError>,
}

async fn password_page(
    state: &AppState,
    session: &Session,
    user: User,
    id: i32,
    errors: Vec<FieldError>,
) -> Result<PasswordPage, AppError> {
    let resource = &resources::USERS;
    let actor = user.clone();
    let record = state.db(move |conn| Ok(service::may_set_password(conn, &actor, id)?)).await?;
    let target = view::record_view(resource, &record, &user.timezone);
    Ok(PasswordPage {
        page: Page::for_user(session, &user, format!("Set the password of {}", target.title), resource.path),
        target,
        errors,
    })
}

pub async fn password_form(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    html(password_page(&state, &session, user, id.into_inner(), Vec::new()).await?, StatusCode::OK)
}

pub async fn set_password(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let actor = user.clone();
    // Who may set it is checked before any hashing work is done.
    state.db(move |conn| Ok(service::may_set_password(conn, &actor, id)?)).await?;
    let new_password = form.get("password").cloned().unwrap_or_default();
    if let Err(message) = password::check_new_password(&new_password) {
        let errors = vec![FieldError { field: "password", message }];
        return unprocessable(password_page(&state, &session, user, id, errors.clone()).await?, &errors);
    }
    let hash = state.hashing.run(move || password::hash(&new_password)).await.map_err(AppError::internal)?;
    let (actor, clock) = (user.clone(), state.clock.clone());
    state.db(move |conn| Ok(conn.transaction(|conn| service::set_password(conn, &clock, &actor, id, &hash))?)).await?;
    session::flash(&session, "The password was set. Give it to the user in person or by phone.");
    Ok(see_other(&format!("/users/{id}")))
}

// ---- procedure actions beyond create and edit ------------------------------------------------------------

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
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    act_on(
        &state,
        &session,
        user,
        &procedures::ROLLBACKS,
        id.into_inner(),
        "The rollback was carried out; its change is now rolled back.",
        |conn, clock, user, record| super::procedure_service::execute_rollback(conn, clock, user, record).map(|_| ()),
    )
    .await
}

pub async fn work_order_status(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
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
            super::procedure_service::set_work_order_status(conn, clock, user, record, &status)
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
    snapshot: super::report::Snapshot,
    as_of: String,
    chain_head: String,
    /// When this page was made, for the running head of every printed page.
    printed_at: String,
}

pub async fn print_report(
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let viewer = user.clone();
    let (record, names) = state
        .db(move |conn| {
            let record = service::load(conn, &viewer, &procedures::REPORTS, id)?;
            // The snapshot names people by id; the printout by name.
            let people = super::report::Snapshot::people(&record);
            let names = crate::incidents::queries::names(conn, &people)?.into_iter().collect();
            Ok((record, names))
        })
        .await?;
    // The trail's head when the report was generated ties the printout to the trail as it stood then.
    let chain_head = record
        .get("snapshot")
        .and_then(|s| s.get("audit_head"))
        .and_then(|h| h.as_str())
        .unwrap_or("not recorded")
        .to_string();
    let zone = user.timezone.clone();
    let snapshot = super::report::Snapshot::read(&record, &zone, &names, &user);
    let report_type = record
        .get("report_type")
        .and_then(|v| v.as_str())
        .and_then(crate::domain::enums::ReportType::parse)
        .map_or("Report", |t| t.label())
        .to_string();
    let as_of = record
        .get("generated_at")
        .and_then(|v| v.as_str())
        .and_then(format::parse)
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

/// The filtered, sorted list as CSV, within the user's scope, streamed page by page.
pub async fn export<R: Described>(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let resource = R::resource();
    user.actor().may(Action::Read(resource.area), &Target::Any)?;
    let (filters, _) = read_filters(resource, &query)?;
    let options = read_options(resource, &query)?;
    let scope = sight_of(&user);
    let internal = user.actor().can(Action::ReadInternal(resource.area), &Target::Any);
    let zone = user.timezone.clone();
    let fields: Vec<&'static crate::forms::Field> = resource
        .fields
        .iter()
        .filter(|f| !matches!(f.kind, FieldKind::NewPassword))
        .filter(|f| internal || !resource.internal.contains(&f.name))
        .collect();
    let filename = format!("{}.csv", resource.table);
    crate::web::csv::download(&state.pool, &filename, move |conn, send| {
        let mut header = vec![resource.key.to_string(), "name".to_string()];
        header.extend(fields.iter().map(|f| f.name.to_string()));
        if !send(crate::format::csv_line(header)) {
            return Ok(());
        }
        for page in 1.. {
            let (records, _) = queries::list_with(conn, resource, scope, &filters, None, &options, page)?;
            let mut chunk = Vec::new();
            for record in &records {
                let mut cells =
                    vec![view::id_of(resource, record).to_string(), view::record_view(resource, record, &zone).title];
                cells.extend(fields.iter().map(|f| view::field_view(f, record, &zone).value));
                chunk.extend(crate::format::csv_line(cells));
            }
            if (!chunk.is_empty() && !send(chunk)) || (records.len() as i64) < PAGE_SIZE {
                break;
            }
        }
        Ok(())
    })
    .await
}
