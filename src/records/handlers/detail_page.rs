//! A record's page.
use super::*;
use crate::web::session::SignedIn;

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
    history: Vec<crate::records::history::EntryView>,
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
    /// What the page states besides the fields (a review's follow-up actions done).
    facts: Vec<String>,
    /// Further actions, as (label, address).
    links: Vec<(String, String)>,
}

pub async fn detail<R: Described>(
    SignedIn { state, session, user }: SignedIn,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let resource = R::resource();
    let id = id.into_inner();
    let scope = sight_of(&user);
    let (viewer, actor, zone) = (user.clone(), user.actor(), user.timezone.clone());
    let internal = actor.can(Action::ReadInternal(resource.area), &Target::Any);
    let (record, related, history, facts) = state
        .db(move |conn| {
            let record = service::load(conn, &viewer, resource, id)?;
            let mut related = Vec::new();
            for relation in resource.related.iter().filter(|r| actor.can(Action::Read(r.resource.area), &Target::Any)) {
                let options = queries::ListOptions { linked_to: Some((relation.link, id)), ..Default::default() };
                let (rows, total) = queries::list_with(conn, relation.resource, scope, &[], &options, 1)?;
                related.push((relation, rows, total));
            }
            // A record's history names records and people outside a contact's scope.
            let history = if internal {
                let mut entries = audit::history_with_names(conn, resource.kind, &id.to_string())?;
                entries.reverse();
                crate::records::history::in_words(conn, &entries, &zone, scope)?
            } else {
                Vec::new()
            };
            let facts = resource.behaviour.page_facts(conn, id)?;
            Ok((record, related, history, facts))
        })
        .await?;
    let target = rules::target(resource, &record, Some(id));
    let actions = resource.behaviour.page_actions(&actor, &target, id, &record);
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
        can_decide: resource.behaviour.waiting(resource, &record) && actor.can(Action::Decide(resource.area), &target),
        can_set_password: actions.set_password,
        approvers: crate::access::rules::approvers(resource.area, &target),
        can_execute: actions.execute,
        can_explain: actor.can(Action::ExplainAccess, &target) && crate::explainer::EXPLAINED.contains(&resource.area),
        show_history: internal,
        print_href: actions.print_href,
        audit_href: crate::audit::trail_href(&actor, resource.kind, id),
        status_choices: actions.status_choices,
        facts,
        links: actions.links,
        record: record_view,
    };
    html(body, StatusCode::OK)
}
