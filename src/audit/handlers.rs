//! The auditors' desk: the whole trail for system administrators and executives, filtered by who, role, action,
//! record and time (every filter in the address), newest first a page at a time, as CSV, and a panel with the
//! chain's state and a check that runs in the background.
use super::trail::{Cursor, Filter};
use super::verification::{self, Run};
use crate::access::Sight;
use crate::access::{Action, Area, Target};
use crate::domain::enums::{Choices, Role};
use crate::error::AppError;
use crate::format;
use crate::forms::view::{FormField, form_fields};
use crate::forms::{self, Field, FieldKind, field};
use crate::records::history::{ACTIONS, EntryView, OTHER_KINDS, entry_views};
use crate::records::procedures::{PROCEDURES, USER_REF};
use crate::records::queries as record_queries;
use crate::records::resources::{ADMINISTERED, INCIDENT_SUMMARY};
use crate::users::User;
use crate::web::AppState;
use crate::web::page::Page;
use crate::web::respond::{html, see_other};
use crate::web::session::SignedIn;
use crate::web::session::{self, CurrentUser};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::Connection;
use std::collections::HashMap;

/// Entries per page.
const PAGE_SIZE: i64 = 50;

fn actions() -> Vec<(&'static str, &'static str)> {
    ACTIONS.to_vec()
}

fn record_types() -> Vec<(&'static str, &'static str)> {
    let mut kinds: Vec<(&str, &str)> = ADMINISTERED
        .iter()
        .chain(std::iter::once(&&INCIDENT_SUMMARY))
        .chain(PROCEDURES)
        .map(|r| (r.kind, r.noun))
        .chain(OTHER_KINDS.iter().copied())
        .collect();
    kinds.sort_by_key(|(_, noun)| *noun);
    kinds
}

static FILTERS: &[Field] = &[
    field("user", "Who", FieldKind::Reference(&USER_REF)).optional(),
    field("role", "Their role", FieldKind::Choice(Role::choices)).optional(),
    field("action", "Action", FieldKind::Choice(actions)).optional(),
    field("entity_type", "Record type", FieldKind::Choice(record_types)).optional(),
    field("entity_id", "Record number", FieldKind::Text).optional(),
    field("from", "From", FieldKind::Date).optional(),
    field("to", "To", FieldKind::Date).optional(),
];

/// Lets only readers of the trail on (a refused POST is audited by the web layer, like every refusal).
fn check_reader(user: &User) -> Result<(), AppError> {
    user.actor().may(Action::Read(Area::AuditTrail), &Target::Any)?;
    Ok(())
}

/// The filters as the address gives them; a value that cannot be right is a clear 400.
fn read_filter(query: &HashMap<String, String>, zone: &str) -> Result<(Filter, forms::Values), AppError> {
    let (values, errors) = forms::parse(FILTERS, query, true);
    if let Some(error) = errors.first() {
        return Err(AppError::BadRequest(format!("{} Change the filter and try again.", error.message)));
    }
    let get = |name: &str| values.get(name).cloned().flatten();
    // A day runs from midnight to midnight in the viewer's zone.
    let midnight = |date: Option<String>, days: i64| {
        date.and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()).and_then(|d| {
            let day = d.checked_add_signed(chrono::Duration::days(days))?;
            crate::incidents::service::local_to_utc(&format!("{day}T00:00"), zone)
        })
    };
    let filter = Filter {
        user: get("user").and_then(|v| v.parse().ok()),
        role: get("role"),
        action: get("action"),
        entity_type: get("entity_type"),
        entity_id: get("entity_id"),
        from: midnight(get("from"), 0),
        until: midnight(get("to"), 1),
    };
    if let (Some(from), Some(until)) = (filter.from, filter.until)
        && until <= from
    {
        return Err(AppError::BadRequest("The date range ends before it starts; change From or To.".into()));
    }
    Ok((filter, values))
}

/// The page's place: which entries (before or after one, or the newest) and its number, for "entries 51–100"
/// (unknown for a link straight to an entry).
fn read_cursor(query: &HashMap<String, String>) -> Result<(Cursor, Option<i64>), AppError> {
    let number = |name: &str, most: i64| -> Result<Option<i64>, AppError> {
        match query.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(text) => text.parse::<i64>().ok().filter(|n| (1..=most).contains(n)).map(Some).ok_or_else(|| {
                AppError::BadRequest(format!(
                    "The address's {name} \"{text}\" is not one this page made; go back to the newest entries."
                ))
            }),
        }
    };
    let cursor = match (number("before", i64::MAX)?, number("at", i64::MAX)?, number("after", i64::MAX)?) {
        (None, None, None) => Cursor::Newest,
        (Some(id), None, None) => Cursor::Before(id),
        (None, Some(id), None) => Cursor::At(id),
        (None, None, Some(id)) => Cursor::After(id),
        _ => {
            return Err(AppError::BadRequest(
                "The address asks for more than one place in the trail; choose one.".into(),
            ));
        }
    };
    let page = number("page", 1_000_000_000)?;
    Ok((cursor, if cursor == Cursor::Newest { Some(1) } else { page }))
}

// ---- the page -------------------------------------------------------------------------------------------

/// The chain's state for the panel.
pub struct ChainPanel {
    pub head_hash: String,
    pub entries: i64,
    /// Whether `entries` is counted (else it is the newest entry's number, until a check counts them).
    pub exact: bool,
    /// The newest check: running (with its progress), or its result.
    pub latest: Option<RunView>,
    /// When the newest check is not a finished walk: the newest that is.
    pub last_result: Option<RunView>,
}

pub struct RunView {
    pub id: i64,
    pub status: String,
    pub started: String,
    pub finished: Option<String>,
    pub by: Option<String>,
    pub checked: i64,
    pub total: i64,
    pub percent: i64,
    pub intact: bool,
    pub running: bool,
    pub broken_id: Option<i64>,
    pub problem: Option<String>,
}

fn run_view(run: &Run, by: Option<String>, zone: &str, now: chrono::DateTime<chrono::Utc>) -> RunView {
    let status = if run.stalled(now) {
        "Stopped: it has made no progress for a minute (its server may have stopped). Start it again."
    } else {
        match run.status.as_str() {
            "running" => "Running",
            "intact" => "Intact: every entry matches its hash and the one before it",
            "broken" => "BROKEN",
            "interrupted" => "Stopped before the end",
            _ => "Failed",
        }
    };
    RunView {
        id: run.verification_id,
        status: status.to_string(),
        started: format::datetime(run.started_at, zone),
        finished: run.finished_at.map(|at| format::datetime(at, zone)),
        by,
        checked: run.checked,
        total: run.total,
        percent: if run.total > 0 { (run.checked * 100 / run.total).min(100) } else { 0 },
        intact: run.status == "intact",
        running: run.running() && !run.stalled(now),
        broken_id: run.broken_id,
        problem: run.problem.clone(),
    }
}

#[derive(Template)]
#[template(path = "audit/trail.html")]
struct TrailPage {
    page: Page,
    filters: Vec<FormField>,
    entries: Vec<EntryView>,
    panel: ChainPanel,
    export_href: String,
    /// The entries' places in the filtered trail, when known: (first, last).
    places: Option<(i64, i64)>,
    newer: Option<String>,
    older: Option<String>,
    newest: Option<String>,
    filtered: bool,
}

/// The address of the trail with these filters, and a page.
fn trail_link(path: &str, values: &forms::Values, place: &[(&str, String)]) -> String {
    let mut pairs: Vec<(&str, String)> = values.iter().filter_map(|(k, v)| Some((*k, v.clone()?))).collect();
    pairs.extend(place.iter().cloned());
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    if query.is_empty() { path.to_string() } else { format!("{path}?{query}") }
}

pub async fn trail(
    SignedIn { state, session, user }: SignedIn,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    check_reader(&user)?;
    let zone = user.timezone.clone();
    let (filter, values) = read_filter(&query, &zone)?;
    let (cursor, number) = read_cursor(&query)?;
    let now = state.clock.now();
    let (mut entries, people, panel) = {
        let (filter, zone) = (filter.clone(), zone.clone());
        state
            .db(move |conn| {
                // One more than a page says whether there are more beyond it.
                let entries = entry_views(conn, &filter, cursor, PAGE_SIZE + 1, (&zone, Sight::EVERYTHING))?;
                let people = record_queries::choices(conn, &USER_REF, Sight::EVERYTHING)?;
                let recent = verification::recent(conn)?;
                let (head_hash, size, exact) = verification::size(conn, recent.intact.as_ref())?;
                // The newest finished walk, when the newest check is something else (running, stopped).
                let finished = recent.finished.filter(|run| {
                    recent.latest.as_ref().is_none_or(|(latest, _)| latest.verification_id != run.verification_id)
                });
                let panel = ChainPanel {
                    head_hash,
                    entries: size,
                    exact,
                    latest: recent.latest.map(|(run, by)| run_view(&run, Some(by), &zone, now)),
                    last_result: finished.map(|run| run_view(&run, None, &zone, now)),
                };
                Ok((entries, people, panel))
            })
            .await?
    };
    let more = entries.len() as i64 > PAGE_SIZE;
    if more {
        // The extra entry lies beyond the page: the oldest one, or the newest when reading towards newer ones.
        if let Cursor::After(_) = cursor {
            entries.remove(0);
        } else {
            entries.pop();
        }
    }
    let (has_older, has_newer) = match cursor {
        Cursor::Newest => (more, false),
        Cursor::Before(_) | Cursor::At(_) => (more, true),
        Cursor::After(_) => (true, more),
    };
    let place = |cursor: (&'static str, i64), page: Option<i64>| {
        let mut place = vec![(cursor.0, cursor.1.to_string())];
        place.extend(page.map(|page| ("page", page.to_string())));
        trail_link("/audit", &values, &place)
    };
    let older = entries.last().filter(|_| has_older).map(|e| place(("before", e.id), number.map(|n| n + 1)));
    let newer = entries
        .first()
        .filter(|_| has_newer && number != Some(2))
        .map(|e| place(("after", e.id), number.map(|n| n - 1)));
    let places = number.map(|n| {
        let first = (n - 1) * PAGE_SIZE + 1;
        (first, first + entries.len() as i64 - 1)
    });
    let typed = |name: &str| values.get(name).cloned().flatten();
    let body = TrailPage {
        page: Page::for_user(&session, &user, "Audit trail", "/audit"),
        filters: form_fields(FILTERS, true, &typed, &|_| people.clone(), &[]),
        export_href: trail_link("/audit.csv", &values, &[]),
        places,
        newest: (cursor != Cursor::Newest).then(|| trail_link("/audit", &values, &[])),
        older,
        newer,
        filtered: values.values().any(Option::is_some),
        entries,
        panel,
    };
    html(body, StatusCode::OK)
}

/// The filtered trail as CSV, newest first, every entry (not a page), streamed a batch at a time.
pub async fn export(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    check_reader(&user)?;
    let zone = user.timezone.clone();
    let (filter, _) = read_filter(&query, &zone)?;
    const BATCH: usize = 1_000;
    crate::web::csv::download(&state, "audit_trail.csv", move |conn, send| {
        let header = ["entry", "time", "who", "role", "action", "record", "link", "changes", "entry hash"];
        let read = |last: Option<&EntryView>| {
            let cursor = last.map_or(Cursor::Newest, |entry| Cursor::Before(entry.id));
            entry_views(conn, &filter, cursor, BATCH as i64, (&zone, Sight::EVERYTHING))
        };
        crate::format::write_csv(header.map(String::from), BATCH, send, read, |entry| {
            vec![
                entry.id.to_string(),
                entry.when.clone(),
                entry.who.clone(),
                entry.role.clone(),
                entry.action.clone(),
                entry.record.clone(),
                entry.href.clone().unwrap_or_default(),
                entry.changes_text(),
                entry.hash.clone(),
            ]
        })
    })
    .await
}

/// Starts a check of the whole chain on a thread of its own, unless one is running, and shows the trail's page,
/// where its progress and then its result appear.
pub async fn verify(SignedIn { state, session, user }: SignedIn) -> Result<HttpResponse, AppError> {
    check_reader(&user)?;
    let (clock, actor) = (state.clock.clone(), super::Actor::user(user.user_id, user.role()));
    let (id, started) =
        state.db(move |conn| Ok(conn.transaction(|conn| verification::start(conn, &clock, actor))?)).await?;
    if started {
        let (pool, clock) = (state.pool.clone(), state.clock.clone());
        std::thread::Builder::new()
            .name(format!("audit-check-{id}"))
            .spawn(move || verification::run(&pool, &clock, id))
            .map_err(AppError::internal)?;
        session::flash(&session, format!("Check {id} of the audit chain started; its progress shows below."));
    } else {
        session::flash(
            &session,
            format!("Check {id} of the audit chain is running already; its progress shows below."),
        );
    }
    Ok(see_other("/audit"))
}
