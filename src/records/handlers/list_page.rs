//! A kind's list and its CSV export.
use super::*;
use crate::forms::address;
use crate::web::session::SignedIn;

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
            let column = resource
                .columns
                .iter()
                .find(|c| **c == name)
                .ok_or_else(|| AppError::BadRequest(address::unknown_sort(name)))?;
            Some((*column, descending))
        }
    };
    Ok(ListOptions { search, sort, linked_to: None })
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
                return Err(AppError::BadRequest(address::unknown_filter(field.label, value)));
            }
            filters.push((*name, value.to_string()));
        }
    }
    let page = address::page_number(one(query, "page")).map_err(AppError::BadRequest)?;
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
            let sort = ListOptions { sort: Some((field.name, descending)), ..options.clone() };
            Heading { label: field.label, href: page_link(resource, filters, &sort, 1), sorted }
        })
        .collect()
}

pub async fn list<R: Described>(
    SignedIn { state, session, user }: SignedIn,
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
                let (records, total) = queries::list_with(conn, resource, scope, &filters, &options, page_number)?;
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
    address::check_page(page_number, records.len(), Some(total), PAGE_SIZE).map_err(AppError::BadRequest)?;
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
        clear_href: page_link(resource, &[], &ListOptions { search: None, sort: options.sort, linked_to: None }, 1),
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
pub(super) fn reference_choices(
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
pub(super) fn heading(resource: &Resource, title: &str) -> String {
    if title.starts_with(resource.noun) || title.starts_with("SLA") {
        title.to_string()
    } else {
        format!("{}: {title}", resource.noun)
    }
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
    crate::web::csv::download(&state, &filename, move |conn, send| {
        // As the list shows it: labels over the columns, the record's name unless a field already is its name,
        // values in words, times in the reader's zone, an empty cell where nothing was given.
        let titled = resource.field(resource.title).is_none();
        let mut header = vec!["ID".to_string()];
        header.extend(titled.then(|| "Name".to_string()));
        header.extend(fields.iter().map(|f| f.label.to_string()));
        // A page at a time: the list's own query, so the export is the list, filters and order alike.
        let mut page = 0;
        let read = |_: Option<&queries::Record>| {
            page += 1;
            queries::list_with(conn, resource, scope, &filters, &options, page).map(|(records, _)| records)
        };
        crate::format::write_csv(header, PAGE_SIZE as usize, send, read, |record| {
            let mut cells = vec![record.id.to_string()];
            cells.extend(titled.then(|| record.title.clone()));
            let value = |f: &&crate::forms::Field| {
                if record.cell(f.name).is_null() { String::new() } else { view::field_view(f, record, &zone).value }
            };
            cells.extend(fields.iter().map(value));
            cells
        })
    })
    .await
}
