//! The incident list's filters and order as its address carries them: read from the address, and written back
//! into every link that leads to a list (its pages and headings, the dashboards' figures, saved views), so a
//! figure's link and the list it opens say the same thing. Pure: no database, no actix.
use crate::domain::enums::{IncidentStatus, Severity};
use chrono::{DateTime, Utc};

/// The statuses of work still to do: staff see these unless they choose others.
pub const ACTIVE: [IncidentStatus; 3] =
    [IncidentStatus::Open, IncidentStatus::Investigating, IncidentStatus::InProgress];

/// Whose incidents: one person's, or nobody's yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee {
    Person(i32),
    Nobody,
}

/// Which SLA clocks: those that need attention (at risk or breached), or only the breached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaState {
    Attention,
    Breached,
}

impl SlaState {
    pub fn choices() -> Vec<(&'static str, &'static str)> {
        vec![("attention", "At risk or breached"), ("breached", "Breached")]
    }

    fn parse(text: &str) -> Option<SlaState> {
        match text {
            "attention" => Some(SlaState::Attention),
            "breached" => Some(SlaState::Breached),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SlaState::Attention => "attention",
            SlaState::Breached => "breached",
        }
    }
}

/// What the list shows. An empty list of statuses or severities means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub statuses: Vec<IncidentStatus>,
    pub severities: Vec<Severity>,
    pub client_id: Option<i32>,
    pub assignee: Option<Assignee>,
    pub sla: Option<SlaState>,
    /// Only incidents with an active escalation.
    pub escalated: bool,
    /// Only incidents that still lack a root cause analysis or a workaround.
    pub waiting: bool,
    /// Only open incidents the forecast says are likely to breach their SLA's resolution deadline (staff: the
    /// forecast draws on every client's history).
    pub likely_breach: bool,
    /// Words to find in titles (and, for staff, in communications).
    pub text: Option<String>,
    /// Whether the search reads communications too (staff see them all; contacts do not).
    pub search_messages: bool,
}

impl ListFilter {
    /// The active incidents (open, investigating, in progress).
    pub fn active() -> ListFilter {
        ListFilter { statuses: ACTIVE.to_vec(), ..ListFilter::default() }
    }

    /// Whether the statuses are exactly the active ones, in any order.
    pub fn only_active(&self) -> bool {
        self.statuses.len() == ACTIVE.len() && ACTIVE.iter().all(|s| self.statuses.contains(s))
    }
}

/// How the list is ordered: newest first by default, or by a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    Newest,
    Oldest,
    /// P1 first; within a severity, the soonest SLA deadline (the longest overdue) first.
    Severity,
    /// P4 first.
    SeverityLowFirst,
    Status,
    /// The soonest SLA deadline first, the longest overdue at the top; incidents without a running clock last.
    SlaDue,
    /// The forecast worst first: by how far its 80th percentile passes the resolution deadline, so the likely
    /// breaches come first; incidents without a forecast or an SLA, and resolved ones, last.
    Forecast,
}

impl Order {
    pub fn parse(text: &str) -> Option<Order> {
        [
            Order::Newest,
            Order::Oldest,
            Order::Severity,
            Order::SeverityLowFirst,
            Order::Status,
            Order::SlaDue,
            Order::Forecast,
        ]
        .into_iter()
        .find(|order| order.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Order::Newest => "-created",
            Order::Oldest => "created",
            Order::Severity => "severity",
            Order::SeverityLowFirst => "-severity",
            Order::Status => "status",
            Order::SlaDue => "sla",
            Order::Forecast => "forecast",
        }
    }
}

/// The list as an address asks for it: filter, order, page number and the keyset cursor of the newest-first order.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub filter: ListFilter,
    pub order: Order,
    pub page: i64,
    pub after: Option<(DateTime<Utc>, i32)>,
}

/// The longest search, in characters.
const MAX_SEARCH: usize = 200;

/// The list's yes-or-no filters for staff, as the address names them and the page labels them.
pub const FLAGS: [(&str, &str); 3] = [
    ("escalated", "With an active escalation"),
    ("waiting", "Without a root cause analysis or a workaround"),
    ("likely_breach", "Likely to breach"),
];

/// Reads an address's parameters (a name may repeat: `status=open&status=investigating`). Staff who do not choose
/// statuses see the active incidents; a `status` parameter with no value chooses every status. Filters on the
/// provider's internal records (escalations, analyses) are for staff alone. A value this list never offers is an
/// error to show as 400.
pub fn read(params: &[(String, String)], staff: bool) -> Result<ListQuery, String> {
    let values = |name: &str| -> Vec<&str> {
        params.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty()).collect()
    };
    let one = |name: &str| values(name).last().copied();
    let bad = crate::forms::address::unknown_filter;
    let statuses = values("status")
        .into_iter()
        .map(|v| IncidentStatus::parse(v).ok_or_else(|| bad("Status", v)))
        .collect::<Result<Vec<_>, _>>()?;
    let chose_statuses = params.iter().any(|(k, _)| k == "status");
    let severities = values("severity")
        .into_iter()
        .map(|v| Severity::parse(v).ok_or_else(|| bad("Severity", v)))
        .collect::<Result<Vec<_>, _>>()?;
    let id = |what: &str, value: &str| value.parse::<i32>().ok().filter(|id| *id > 0).ok_or_else(|| bad(what, value));
    let client_id = one("client_id").map(|v| id("Client", v)).transpose()?;
    let assignee = match one("assignee") {
        None => None,
        Some("none") => Some(Assignee::Nobody),
        Some(v) => Some(Assignee::Person(id("Assignee", v)?)),
    };
    let sla = one("sla").map(|v| SlaState::parse(v).ok_or_else(|| bad("SLA", v))).transpose()?;
    let flag = |name: &str| -> Result<bool, String> {
        match one(name) {
            None => Ok(false),
            Some("yes") => Ok(true),
            Some(v) => {
                let label = FLAGS.iter().find(|(flag, _)| *flag == name).map_or(name, |(_, label)| *label);
                Err(bad(label, v))
            }
        }
    };
    let text = match one("q") {
        Some(q) if q.contains('\0') || q.chars().count() > MAX_SEARCH => {
            return Err(format!("Search for up to {MAX_SEARCH} characters of ordinary text."));
        }
        other => other.map(str::to_string),
    };
    let filter = ListFilter {
        statuses: if chose_statuses || !staff { statuses } else { ACTIVE.to_vec() },
        severities,
        client_id,
        assignee,
        sla,
        escalated: flag("escalated")? && staff,
        waiting: flag("waiting")? && staff,
        likely_breach: flag("likely_breach")? && staff,
        text,
        search_messages: staff,
    };
    let order = match one("sort") {
        None => Order::Newest,
        // The forecast is the provider's own: contacts have no such column.
        Some(text) => Order::parse(text)
            .filter(|order| staff || *order != Order::Forecast)
            .ok_or_else(|| crate::forms::address::unknown_sort(text))?,
    };
    let page = crate::forms::address::page_number(one("page"))?;
    let after = match one("after") {
        None => None,
        Some(text) => Some(
            text.split_once('_')
                .and_then(|(at, id)| Some((crate::format::parse(at)?, id.parse::<i32>().ok()?)))
                .ok_or("The page address is not one this list made; go back to the first page.")?,
        ),
    };
    Ok(ListQuery { filter, order, page, after })
}

/// The filter and order as address parameters. Statuses are always written, `status=` alone for every status, so
/// the address means the same to staff (whose default is the active ones) and to contacts.
pub fn parameters(filter: &ListFilter, order: Order) -> Vec<(&'static str, String)> {
    let mut pairs: Vec<(&'static str, String)> = Vec::new();
    if let Some(text) = &filter.text {
        pairs.push(("q", text.clone()));
    }
    if filter.statuses.is_empty() {
        pairs.push(("status", String::new()));
    }
    pairs.extend(filter.statuses.iter().map(|s| ("status", s.as_str().to_string())));
    pairs.extend(filter.severities.iter().map(|s| ("severity", s.as_str().to_string())));
    if let Some(client) = filter.client_id {
        pairs.push(("client_id", client.to_string()));
    }
    match filter.assignee {
        Some(Assignee::Person(id)) => pairs.push(("assignee", id.to_string())),
        Some(Assignee::Nobody) => pairs.push(("assignee", "none".into())),
        None => {}
    }
    if let Some(sla) = filter.sla {
        pairs.push(("sla", sla.as_str().into()));
    }
    for (on, name) in
        [(filter.escalated, "escalated"), (filter.waiting, "waiting"), (filter.likely_breach, "likely_breach")]
    {
        if on {
            pairs.push((name, "yes".into()));
        }
    }
    if order != Order::Newest {
        pairs.push(("sort", order.as_str().into()));
    }
    pairs
}

/// The address of the list with this filter and order (its first page).
pub fn href(filter: &ListFilter, order: Order) -> String {
    format!("/incidents?{}", serde_urlencoded::to_string(parameters(filter, order)).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(query).unwrap()
    }

    #[test]
    fn staff_see_active_incidents_unless_they_choose_and_an_empty_status_means_every_one() {
        let table: &[(&str, bool, &[IncidentStatus])] = &[
            ("", true, &ACTIVE),
            ("", false, &[]),
            ("status=", true, &[]),
            ("status=closed", true, &[IncidentStatus::Closed]),
            ("status=&status=open&status=resolved", true, &[IncidentStatus::Open, IncidentStatus::Resolved]),
        ];
        for (query, staff, statuses) in table {
            assert_eq!(read(&params(query), *staff).unwrap().filter.statuses, *statuses, "{query} staff {staff}");
        }
    }

    #[test]
    fn what_is_read_is_written_back_the_same() {
        for query in [
            "status=open&status=investigating&severity=P1&severity=P2&assignee=none&sla=attention&sort=severity",
            "q=disk+full&status=&client_id=4&assignee=7&escalated=yes&waiting=yes&sort=-severity",
            "status=resolved&sort=sla",
            "status=open&likely_breach=yes&sort=forecast",
        ] {
            let read = read(&params(query), true).unwrap();
            let written = serde_urlencoded::to_string(parameters(&read.filter, read.order)).unwrap();
            assert_eq!(written, query);
        }
    }

    #[test]
    fn values_the_list_never_offers_are_refused_in_words() {
        for (query, words) in [
            ("status=lost", "The filter Status cannot be \"lost\""),
            ("severity=P9", "Severity cannot be"),
            ("assignee=someone", "Assignee cannot be"),
            ("sla=late", "SLA cannot be"),
            ("likely_breach=maybe", "The filter Likely to breach cannot be \"maybe\""),
            ("escalated=maybe", "The filter With an active escalation cannot be"),
            ("sort=title", "cannot be sorted by \"title\""),
            ("page=0", "not a whole number from 1"),
            ("after=garbage", "not one this list made"),
        ] {
            let refused = read(&params(query), true).unwrap_err();
            assert!(refused.contains(words), "{query}: {refused}");
        }
    }

    #[test]
    fn contacts_cannot_filter_by_the_providers_internal_records() {
        let read = read(&params("escalated=yes&waiting=yes"), false).unwrap();
        assert!(!read.filter.escalated && !read.filter.waiting && !read.filter.search_messages);
        assert!(!super::read(&params("likely_breach=yes"), false).unwrap().filter.likely_breach);
        assert!(super::read(&params("sort=forecast"), false).is_err());
    }
}
