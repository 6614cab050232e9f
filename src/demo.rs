//! Demo data: a realistic data set of an IT service provider (clients, vendors, products, subscriptions with
//! their SLAs, incidents and everything that hangs off them) in the import's 22-table format. The default size
//! (400 incidents over four months: history enough for an open incident's breach forecast) lets a fresh
//! installation be explored at once; larger sizes (`demo --scale N`) are bench data.
//!
//! Deterministic: a fixed-seed PRNG makes every choice and every timestamp is an offset from the `now` passed in,
//! so the same `now` always gives byte-identical output. Each incident draws from a stream of its own, seeded by its
//! rank, so it comes out the same whatever was made before it. All names are made up from the word lists below;
//! all email addresses use reserved domains (`example.com`, `.example`).
//!
//! Streamed: `generate` hands each record to a sink as soon as it is made and keeps nothing that grows with the
//! size. Ids are counted per table; a user is picked by arithmetic over the roster and the pattern of extra users
//! (`People`); what each component needs (its incidents' count, its last and previous incident) comes from a
//! first pass that draws only where each incident happens. Audit entries wait in a queue in time order until no
//! incident still to come can add an earlier one: everything an incident brings lies at most `LOOKBACK` before its
//! detection, so the trail comes out in time order and the queue holds about a week of entries.
//!
//! Resolution times depend on the component and the severity, as real ones do, so that a forecast from history
//! means something (issue 19). Each component type has a difficulty (a database is harder to mend than a cache),
//! which each component varies by a factor of its own between 0.75 and 1.35; each severity has a median time to
//! resolve on a component of difficulty 1, shorter for the more severe because they are worked first (P1 2.5 h,
//! P2 10 h, P3 30 h, P4 72 h). An incident takes median × difficulty × e^(0.6·Z), Z standard normal: a log-normal
//! spread. Acknowledgement and the start of work come early in that time. The SLA does not enter, so the
//! incidents that breach their resolution deadline are those on hard components under tight terms: of 6,000
//! incidents, 9 % of the resolved ones, a third of premium clients' P1s and a fifth of their P2s, hardly any of
//! standard clients' (before, resolution was drawn as 30–120 % of the SLA's deadline: 22 % breached, on any
//! component alike).
//!
//! What changed before it broke: some incidents (`CHANGED_BEFORE` %) follow a change on their component whose
//! window opened in the 72 hours before the incident was detected. It is the kind of change the component's previous
//! incident called for, and links to that incident, so that until change requests have a component of their own,
//! the link says which component the change was on (see `change`).
use crate::domain::enums::Role::{self, *};
use crate::domain::enums::{ChangeStatus, IncidentStatus};
use crate::import::spec::TABLES;
use crate::import::{Dataset, Sink};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde_json::{Value, json};
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

/// The password every demo login gets (printed with the logins; demo only).
pub const DEMO_PASSWORD: &str = "incident-desk-demo";

/// One demo login: the role it shows and its email.
pub struct DemoLogin {
    pub role: Role,
    pub email: &'static str,
}

/// The active demo logins, one per role, in role order.
pub fn logins() -> Vec<DemoLogin> {
    ROSTER[..7]
        .iter()
        .map(|&(role, _, _, email)| DemoLogin { role, email: email.expect("the roster opens with the logins") })
        .collect()
}

/// The number of incidents of the default demo data set: enough resolved history that every open P2 has five or
/// more resolved P2s like it, and so a breach forecast.
pub const DEMO_INCIDENTS: usize = 400;

/// The data set of `generate`, held in memory: for small sizes.
pub fn dataset(now: DateTime<Utc>, incidents: usize) -> Dataset {
    let mut data = Dataset::new();
    generate(now, incidents, &mut data);
    data
}

/// Generates a data set with `incidents` incidents (at least `DEMO_INCIDENTS`) into `sink`, record by record;
/// `now` anchors all timestamps. Incidents and all their records lie in a window before `now`: ~120 days for the
/// default size, longer for more, at most about 50 incidents a day. Clients, users, products and subscriptions
/// were set up before it, as in a system that has been running for a while. Larger data sets also have more users,
/// one per 500 incidents. Stops early when the sink is closed.
pub fn generate(now: DateTime<Utc>, incidents: usize, sink: &mut dyn Sink) {
    Demo::new(now, incidents, sink).run();
}

// ---- Word lists and plans (all made up) ----

const SEED: u64 = 0x1D_E5C0_2026;
const DAY: i64 = 24 * 60;
/// The default data set's incidents are detected within this many days before now.
const WINDOW_DAYS: i64 = 118;
/// Larger data sets spread their incidents so that no more than this many fall on a day.
const INCIDENTS_PER_DAY: usize = 50;
/// Larger data sets have one more user per this many incidents.
const INCIDENTS_PER_EXTRA_USER: usize = 500;
/// An incident is detected up to this many minutes before its place in the window, and everything it brings
/// (changes before it included) lies at most `LOOKBACK` before its detection: audit entries older than that can
/// be written out.
const DETECTION_JITTER: (i64, i64) = (90, 600);
const LOOKBACK: Duration = Duration::days(7);
/// The share of incidents (%) that follow a change on their component made in the 72 hours before detection.
const CHANGED_BEFORE: u64 = 15;
/// The roles of the extra users, in turn: mostly support staff, and contacts of every client and vendor.
const EXTRA_ROLES: [Role; 8] = [
    TechnicalSupport,
    ClientContact,
    TechnicalSupport,
    VendorContact,
    IncidentManager,
    ClientContact,
    TechnicalSupport,
    AccountManager,
];

const CLIENT_STEMS: [&str; 8] =
    ["Alderbrook", "Bluefin", "Cedarline", "Dovetail", "Emberly", "Fairhaven", "Granite Bay", "Hollowell"];
/// Client types in client order: the first client is an enterprise on premium terms.
const CLIENT_TYPES: [&str; 4] = ["enterprise", "mid_market", "small_business", "startup"];
/// An industry and the word it lends to a client's name.
const INDUSTRIES: [(&str, &str); 9] = [
    ("Healthcare", "Health"),
    ("Finance", "Capital"),
    ("Retail", "Retail Group"),
    ("Energy", "Energy"),
    ("Transportation", "Logistics"),
    ("Education", "Learning"),
    ("Telecommunications", "Telecom"),
    ("Manufacturing", "Manufacturing"),
    ("Technology", "Labs"),
];
const COUNTRIES: [&str; 7] =
    ["United States", "Canada", "United Kingdom", "Germany", "Netherlands", "Ireland", "Australia"];
/// Vendor name stem, vendor type and the word the type lends to the name, with the area code of its phone.
const VENDORS: [(&str, &str, &str, u32); 6] = [
    ("Quantrix", "technology_provider", "Software", 212),
    ("Meridian", "cloud_provider", "Cloud", 312),
    ("Stratus", "security_provider", "Security", 415),
    ("Keystone", "infrastructure_provider", "Networks", 512),
    ("Vantage", "maintenance_services", "Field Services", 617),
    ("Corvid", "payment_processor", "Payments", 713),
];
/// Product name stem and type; product i is supported by vendor i mod 6.
const PRODUCTS: [(&str, &str); 12] = [
    ("OrbitDB", "Database"),
    ("NetSentry", "Security"),
    ("StackPilot", "Platform"),
    ("RelayMail", "Service"),
    ("LedgerFlow", "Software"),
    ("PayBridge", "Service"),
    ("EdgeCache", "Infrastructure"),
    ("PulseMonitor", "Software"),
    ("ShieldGate", "Security"),
    ("DataHarbor", "Database"),
    ("TimeKeeper", "Software"),
    ("CloudVault", "Infrastructure"),
];
const EDITIONS: [&str; 4] = ["Standard", "Professional", "Enterprise", "Cloud"];
/// The component types a product of each type is made of.
const COMPONENT_KINDS: [(&str, [&str; 3]); 6] = [
    ("Database", ["Database", "Cache", "Storage"]),
    ("Security", ["Service", "Network", "API"]),
    ("Platform", ["Server", "Application", "API"]),
    ("Service", ["Service", "API", "Database"]),
    ("Infrastructure", ["Network", "Storage", "Server"]),
    ("Software", ["Application", "Server", "Database"]),
];
const PORTS: [(&str, &str); 7] = [
    ("Database", "5432"),
    ("Cache", "6379"),
    ("Storage", "9000"),
    ("API", "443"),
    ("Service", "443"),
    ("Application", "8080"),
    ("Server", "80"),
];
const LOCATIONS: [&str; 5] = ["US-East", "US-West", "EU-Central", "Asia-Pacific", "UK-South"];
const FIRST_NAMES: [&str; 20] = [
    "Amara", "Bennett", "Camila", "Dario", "Elif", "Farah", "Gideon", "Hana", "Idris", "Jonah", "Keira", "Luca", "Mei",
    "Nadia", "Omar", "Priya", "Rafael", "Sofia", "Tobias", "Wren",
];
const LAST_NAMES: [&str; 20] = [
    "Achterberg",
    "Brennan",
    "Castellanos",
    "Delacroix",
    "Eriksen",
    "Fontaine",
    "Gallagher",
    "Haddad",
    "Ivanova",
    "Jablonski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrova",
    "Rahman",
    "Sandoval",
    "Takahashi",
    "Valdez",
    "Whitfield",
];
const TIMEZONES: [&str; 6] = ["UTC", "EST", "PST", "CST", "GMT", "CET"];
/// Incident categories with title templates; `{c}` is the component's name.
const CATEGORIES: [(&str, [&str; 2]); 7] = [
    ("Performance", ["Slow responses from {c}", "High CPU load on {c}"]),
    ("Connectivity", ["Intermittent timeouts reaching {c}", "Packet loss on the path to {c}"]),
    ("Security", ["Suspicious sign-in attempts on {c}", "Expired TLS certificate on {c}"]),
    ("Data", ["Replication lag on {c}", "Nightly backup of {c} failed"]),
    ("Access", ["Users locked out of {c}", "Single sign-on failures on {c}"]),
    ("Configuration", ["Faulty configuration push to {c}", "Wrong routing rules on {c}"]),
    ("Hardware", ["Disk failure on {c}", "Memory errors on {c}"]),
];
/// Severities P1..P4 weighted like a real queue: few critical, many medium and low.
const SEVERITY_MIX: [usize; 10] = [0, 1, 1, 2, 2, 2, 2, 3, 3, 3];
const SEVERITIES: [&str; 4] = ["P1", "P2", "P3", "P4"];
/// Median hours to resolve per severity, on a component of difficulty 1: the more severe, the sooner it is done.
const MEDIAN_RESOLUTION_HOURS: [f64; 4] = [2.5, 10.0, 30.0, 72.0];
/// The spread of resolution times around the median: the standard deviation of their logarithm.
const RESOLUTION_SPREAD: f64 = 0.6;
/// How hard a component of each type is to mend.
const DIFFICULTY: [(&str, f64); 8] = [
    ("Database", 1.6),
    ("Storage", 1.4),
    ("Network", 1.3),
    ("Server", 1.1),
    ("Service", 1.0),
    ("Application", 0.9),
    ("Cache", 0.7),
    ("API", 0.6),
];
/// Impact and urgency, most severe first, so that a P1 is critical or high and a P4 low.
const LEVELS: [&str; 4] = ["critical", "high", "medium", "low"];
const ESCALATION_REASONS: [&str; 4] = [
    "Customer impact is growing",
    "Technical complexity beyond first-line support",
    "Needs resources from another team",
    "The SLA is at risk",
];
const CHANGE_ACTIONS: [&str; 6] = [
    "Apply security patch to",
    "Upgrade firmware of",
    "Roll out configuration fix for",
    "Scale out",
    "Rotate certificates of",
    "Tune connection pool of",
];
/// Work types with title templates; `{c}` is the component's name.
const WORK: [(&str, &str); 5] = [
    ("installation", "Install update on {c}"),
    ("configuration", "Reconfigure {c}"),
    ("maintenance", "Routine maintenance of {c}"),
    ("repair", "Repair {c}"),
    ("investigation", "Investigate faults on {c}"),
];
/// Knowledge base article types with title templates: `{cat}` is an incident category, `{kind}` a component type.
const ARTICLES: [(&str, &str); 4] = [
    ("troubleshooting", "Troubleshooting {cat} issues on {kind} components"),
    ("resolution_procedure", "Restoring {kind} service after {cat} failures"),
    ("prevention_guide", "Preventing {cat} incidents on {kind} components"),
    ("faq", "FAQ: {cat} incidents on {kind} components"),
];
const STATUS_PATH: [IncidentStatus; 5] = [
    IncidentStatus::Open,
    IncidentStatus::Investigating,
    IncidentStatus::InProgress,
    IncidentStatus::Resolved,
    IncidentStatus::Closed,
];
/// The number of incidents `INCIDENT_PLAN` is written for.
const PLAN_INCIDENTS: usize = 60;
/// Incident statuses of the newest `PLAN_INCIDENTS`, oldest third first: old incidents are over, recent ones still
/// being worked on. A larger data set has a longer closed history before a larger plan (`recent_statuses`).
const INCIDENT_PLAN: [&[(IncidentStatus, usize)]; 3] = [
    &[(IncidentStatus::Closed, 16), (IncidentStatus::Resolved, 8)],
    &[(IncidentStatus::Resolved, 5), (IncidentStatus::InProgress, 5), (IncidentStatus::Investigating, 4)],
    &[(IncidentStatus::InProgress, 6), (IncidentStatus::Investigating, 5), (IncidentStatus::Open, 11)],
];
/// Statuses of changes made for incidents that are over, in turn, so that some failed or were rolled back.
const SETTLED_CHANGES: [ChangeStatus; 4] =
    [ChangeStatus::Completed, ChangeStatus::Failed, ChangeStatus::Completed, ChangeStatus::RolledBack];
const SUBSCRIPTIONS: usize = 14;

#[derive(Clone, Copy, PartialEq, Default)]
enum Scope {
    #[default]
    Staff,
    Client(usize),
    Vendor(usize),
}

/// Everyone with an account: role, status, scope (a client or vendor index) and, for logins, a fixed email.
/// The first seven are the demo logins in role order; the eighth is a second client's contact, for scope tests.
const ROSTER: [(Role, &str, Scope, Option<&str>); 30] = [
    (SystemAdministrator, "active", Scope::Staff, Some("admin@example.com")),
    (IncidentManager, "active", Scope::Staff, Some("manager@example.com")),
    (TechnicalSupport, "active", Scope::Staff, Some("support@example.com")),
    (AccountManager, "active", Scope::Staff, Some("account@example.com")),
    (Executive, "active", Scope::Staff, Some("executive@example.com")),
    (ClientContact, "active", Scope::Client(0), Some("client@example.com")),
    (VendorContact, "active", Scope::Vendor(0), Some("vendor@example.com")),
    (ClientContact, "active", Scope::Client(1), Some("client2@example.com")),
    (SystemAdministrator, "active", Scope::Staff, None),
    (SystemAdministrator, "inactive", Scope::Staff, None),
    (IncidentManager, "active", Scope::Staff, None),
    (IncidentManager, "on_leave", Scope::Staff, None),
    (TechnicalSupport, "active", Scope::Staff, None),
    (TechnicalSupport, "active", Scope::Staff, None),
    (TechnicalSupport, "active", Scope::Staff, None),
    (TechnicalSupport, "active", Scope::Staff, None),
    (TechnicalSupport, "inactive", Scope::Staff, None),
    (TechnicalSupport, "on_leave", Scope::Staff, None),
    // An account manager confined to one client's portfolio.
    (AccountManager, "active", Scope::Client(2), None),
    (AccountManager, "inactive", Scope::Staff, None),
    (Executive, "active", Scope::Staff, None),
    (Executive, "on_leave", Scope::Staff, None),
    (ClientContact, "active", Scope::Client(3), None),
    (ClientContact, "active", Scope::Client(4), None),
    (ClientContact, "inactive", Scope::Client(5), None),
    (ClientContact, "on_leave", Scope::Client(0), None),
    (VendorContact, "active", Scope::Vendor(1), None),
    (VendorContact, "active", Scope::Vendor(2), None),
    (VendorContact, "active", Scope::Vendor(3), None),
    (VendorContact, "inactive", Scope::Vendor(0), None),
];

/// Subscription terms by client type: SLA tier, subscription types and recovery time objectives (hours).
fn plan(client_type: &str) -> (&'static str, [&'static str; 2], [i64; 2]) {
    match client_type {
        "enterprise" => ("premium", ["full_service", "custom"], [4, 8]),
        "mid_market" => ("standard", ["full_service", "limited_service"], [12, 24]),
        _ => ("basic", ["limited_service", "full_service"], [48, 72]),
    }
}

/// (lowest, highest) response minutes and (lowest, highest) resolution hours.
type SlaBounds = ((i64, i64), (i64, i64));

/// Availability and, per severity, (response minutes, resolution hours) bounds from the tier table in domain.md.
/// Basic has no P4 (its terms are in business days); its P3 "5–10 business days" is read as 168–240 hours.
fn sla_terms(tier: &str) -> (f64, &'static [SlaBounds]) {
    match tier {
        "premium" => {
            (99.9, &[((15, 30), (2, 4)), ((60, 120), (8, 24)), ((240, 480), (48, 72)), ((1440, 2880), (128, 128))])
        }
        "standard" => (
            99.5,
            &[((60, 120), (8, 24)), ((240, 480), (24, 48)), ((1440, 1440), (72, 120)), ((2880, 4320), (168, 168))],
        ),
        _ => (99.0, &[((240, 480), (24, 48)), ((1440, 1440), (72, 120)), ((2880, 4320), (168, 240))]),
    }
}

/// How hard a component of type `kind` is to mend: its type's difficulty times a factor of its own, 0.75–1.35,
/// spread evenly over the components by the golden ratio.
fn difficulty(kind: &str, index: usize) -> f64 {
    let of_type = DIFFICULTY.iter().find(|d| d.0 == kind).expect("every component type has a difficulty").1;
    of_type * (0.75 + 0.6 * (index as f64 * 0.618_033_988_75).fract())
}

/// The median minutes to resolve an incident of `severity` (0 = P1) on a component of `difficulty`.
fn median_resolution_minutes(severity: usize, difficulty: f64) -> f64 {
    MEDIAN_RESOLUTION_HOURS[severity] * 60.0 * difficulty
}

/// A subscription's status and end date in days ago (negative: ahead). Most run on; two end within 30 days, two
/// have expired and one was cancelled; each of those clients keeps a running subscription.
fn term(subscription: usize, rng: &mut Rng) -> (&'static str, i64) {
    match subscription {
        2 | 7 => ("active", -rng.range(5, 28)),
        5 | 11 => ("expired", rng.range(10, 90)),
        9 => ("cancelled", -rng.range(100, 300)),
        _ => ("active", -rng.range(60, 400)),
    }
}

// ---- Machinery ----

/// splitmix64: tiny and good enough for demo data; the fixed seed makes the output reproducible.
struct Rng(u64);

impl Rng {
    /// The stream of the incident of rank `rank`.
    fn stream(rank: usize) -> Self {
        Rng(SEED ^ (rank as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03))
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let z = (self.0 ^ (self.0 >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A whole number in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
    /// A number in `lo..=hi` on a grid of `step` from `lo`, so that SLA terms come out round.
    fn stepped(&mut self, (lo, hi): (i64, i64), step: i64) -> i64 {
        lo + step * self.range(0, (hi - lo) / step)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    /// A number from the standard normal distribution (Box-Muller).
    fn normal(&mut self) -> f64 {
        let unit = |bits: u64| (bits >> 11) as f64 / (1u64 << 53) as f64;
        let (u, v) = (1.0 - unit(self.next()), unit(self.next()));
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

type Time = DateTime<Utc>;

/// The format's timestamp, written out directly: a large data set has millions of them.
fn ts(at: Time) -> String {
    use chrono::{Datelike, Timelike};
    let (date, time) = (at.date_naive(), at.time());
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        date.year(),
        date.month(),
        date.day(),
        time.hour(),
        time.minute(),
        time.second()
    )
}

/// The id of a table's `index`-th record (0-based).
fn id_of(index: usize) -> String {
    (index + 1).to_string()
}

/// Everyone with an account, by index (user id − 1): the roster, then the extra users of larger data sets, whose
/// role and scope follow from their place so that picking one takes arithmetic instead of a list.
struct People {
    extra: usize,
}

impl People {
    /// Extra user `n`: roles in turn from `EXTRA_ROLES`; each round of them has contacts of the next client and
    /// vendor.
    fn extra(n: usize) -> (Role, Scope) {
        let (role, round) = (EXTRA_ROLES[n % EXTRA_ROLES.len()], n / EXTRA_ROLES.len());
        let scope = match role {
            ClientContact => Scope::Client(round % CLIENT_STEMS.len()),
            VendorContact => Scope::Vendor(round % VENDORS.len()),
            _ => Scope::Staff,
        };
        (role, scope)
    }

    /// The active users `wanted` accepts, as runs of indices (first, step, how many), until `visit` says stop.
    fn runs(&self, wanted: &impl Fn(Role, Scope) -> bool, mut visit: impl FnMut(usize, usize, usize) -> bool) {
        for (index, &(role, status, scope, _)) in ROSTER.iter().enumerate() {
            if status == "active" && wanted(role, scope) && !visit(index, 1, 1) {
                return;
            }
        }
        // The extra users of one place in `EXTRA_ROLES` have one role; contacts' scopes come round with the rounds.
        let places = EXTRA_ROLES.len();
        for (place, &role) in EXTRA_ROLES.iter().enumerate() {
            let rounds = (self.extra + places - 1 - place) / places;
            let period = match role {
                ClientContact => CLIENT_STEMS.len(),
                VendorContact => VENDORS.len(),
                _ => 1,
            };
            for first_round in 0..period.min(rounds) {
                let first = first_round * places + place;
                let count = (rounds - first_round).div_ceil(period);
                if wanted(role, Self::extra(first).1) && !visit(ROSTER.len() + first, places * period, count) {
                    return;
                }
            }
        }
    }

    /// A user id drawn evenly from the active users `wanted` accepts, if there are any.
    fn pick(&self, rng: &mut Rng, wanted: impl Fn(Role, Scope) -> bool) -> Option<String> {
        let mut total = 0;
        self.runs(&wanted, |_, _, count| {
            total += count;
            true
        });
        let mut nth = (total > 0).then(|| rng.below(total))?;
        let mut picked = None;
        self.runs(&wanted, |first, step, count| {
            if nth < count {
                picked = Some(id_of(first + step * nth));
                return false;
            }
            nth -= count;
            true
        });
        picked
    }
}

struct Product {
    vendor: usize,
    components: Vec<Component>,
}
struct Component {
    /// Its place among all components (its id − 1).
    index: usize,
    name: String,
    kind: &'static str,
    /// How hard it is to mend: its type's difficulty, varied per component.
    difficulty: f64,
}
#[derive(Clone, Copy)]
struct Sla {
    severity: usize,
    response_minutes: i64,
    resolution_hours: i64,
}
struct Subscription {
    client: usize,
    product: usize,
    slas: Vec<Sla>,
}
/// Where something happened: a product and one of its components (indices).
#[derive(Clone, Copy)]
struct Target {
    product: usize,
    component: usize,
}

/// An audit entry waiting to be written; entries are ordered by time, and by the order they were made in.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct AuditEntry {
    at: Time,
    made: u64,
    action: &'static str,
    entity: &'static str,
    id: String,
    by: String,
}

/// The audit entries made but not yet written, earliest first.
#[derive(Default)]
struct Timeline {
    waiting: BinaryHeap<Reverse<AuditEntry>>,
    made: u64,
    /// Everything before this has been written out: no entry may come before it any more.
    written_before: Option<Time>,
}

/// What the incidents on one component come to, from the first pass.
#[derive(Clone, Copy, Default)]
struct ComponentTally {
    incidents: usize,
    last_rank: usize,
}

struct Incident {
    id: String,
    client: usize,
    target: Target,
    severity: usize,
    category: &'static str,
    detected: Time,
    sla: Sla,
    /// Each status the incident reached and when, from `open` (its creation) to its current status.
    reached: Vec<(IncidentStatus, Time)>,
}

impl Incident {
    fn status(&self) -> IncidentStatus {
        self.reached.last().expect("an incident is at least open").0
    }
    fn created(&self) -> Time {
        self.reached[0].1
    }
    fn at(&self, status: IncidentStatus) -> Option<Time> {
        self.reached.iter().find(|r| r.0 == status).map(|r| r.1)
    }
    /// When work on it ended: its resolution, or now while it is still going.
    fn end(&self, now: Time) -> Time {
        self.at(IncidentStatus::Resolved).unwrap_or(now)
    }
}

struct Demo<'a> {
    now: Time,
    rng: Rng,
    sink: &'a mut dyn Sink,
    /// How many records each table of `TABLES` has so far: the next one's id follows.
    records: Vec<usize>,
    incident_count: usize,
    window_minutes: i64,
    /// How many days further back than the default the set-up lies, to make room for a longer window.
    history_days: i64,
    timeline: Timeline,
    people: People,
    products: Vec<Product>,
    subscriptions: Vec<Subscription>,
    /// How many changes for settled incidents there are so far (picks from `SETTLED_CHANGES` in turn).
    settled_changes: usize,
}

impl<'a> Demo<'a> {
    fn new(now: DateTime<Utc>, incidents: usize, sink: &'a mut dyn Sink) -> Self {
        let incidents = incidents.max(DEMO_INCIDENTS);
        let window_days = WINDOW_DAYS.max((incidents / INCIDENTS_PER_DAY) as i64);
        Demo {
            now: now.trunc_subsecs(0),
            rng: Rng(SEED),
            sink,
            records: vec![0; TABLES.len()],
            incident_count: incidents,
            window_minutes: window_days * DAY,
            history_days: window_days - WINDOW_DAYS,
            timeline: Timeline::default(),
            people: People { extra: incidents / INCIDENTS_PER_EXTRA_USER },
            products: Vec::new(),
            subscriptions: Vec::new(),
            settled_changes: 0,
        }
    }

    fn run(&mut self) {
        self.organisations();
        self.users();
        self.catalogue();
        self.subscriptions();
        self.planned_work();
        self.incidents();
        self.write_audit(None);
    }

    /// Adds a record under the table's next id, which it returns.
    fn add(&mut self, table: &'static str, record: Value) -> String {
        let Value::Object(mut record) = record else { unreachable!("records are JSON objects") };
        let index = TABLES.iter().position(|t| t.name == table).expect("a table of the import format");
        self.records[index] += 1;
        let id = self.records[index].to_string();
        record.insert(TABLES[index].key().to_string(), Value::String(id.clone()));
        self.sink.add(table, &id, Value::Object(record));
        id
    }

    fn audit(&mut self, at: Time, action: &'static str, entity: &'static str, id: &str, by: &str) {
        if let Some(written) = self.timeline.written_before {
            assert!(at >= written, "an audit entry of {at} came after the trail was written up to {written}");
        }
        let made = self.timeline.made;
        self.timeline.made += 1;
        let entry = AuditEntry { at, made, action, entity, id: id.to_string(), by: by.to_string() };
        self.timeline.waiting.push(Reverse(entry));
    }

    /// Writes the waiting audit entries from before `before` (all of them with `None`), in time order; the import
    /// chains them in id order.
    fn write_audit(&mut self, before: Option<Time>) {
        while let Some(Reverse(first)) = self.timeline.waiting.peek()
            && before.is_none_or(|before| first.at < before)
        {
            let Reverse(e) = self.timeline.waiting.pop().expect("an entry was peeked");
            let record = json!({ "action": e.action, "entity_type": e.entity, "entity_id": e.id, "audit_by_user": e.by, "created_at": ts(e.at) });
            self.add("audit_logs", record);
        }
        self.timeline.written_before = before;
    }

    /// A moment between `lo` and `hi` days ago.
    fn ago(&mut self, lo: i64, hi: i64) -> Time {
        self.now - Duration::minutes(self.rng.range(lo * DAY, hi * DAY))
    }

    /// A moment of the set-up before the incidents: between `lo` and `hi` days before the default window's start.
    fn set_up(&mut self, lo: i64, hi: i64) -> Time {
        self.ago(lo + self.history_days, hi + self.history_days)
    }

    /// `from` plus `minutes`, but never more than halfway to now, so that chains of events stay ordered and past.
    fn after(&self, from: Time, minutes: i64) -> Time {
        from + Duration::seconds((minutes * 60).clamp(0, (self.now - from).num_seconds().max(0) / 2))
    }

    /// `after` a random `lo..=hi` minutes.
    fn later(&mut self, from: Time, lo: i64, hi: i64) -> Time {
        let minutes = self.rng.range(lo, hi);
        self.after(from, minutes)
    }

    /// A moment 10–60 % of the way from `a` to `b`.
    fn between(&mut self, a: Time, b: Time) -> Time {
        a + Duration::seconds((b - a).num_seconds() * self.rng.range(10, 60) / 100)
    }

    /// An active provider-staff user with one of `roles`.
    fn staff(&mut self, roles: &[Role]) -> String {
        self.people
            .pick(&mut self.rng, |role, scope| scope == Scope::Staff && roles.contains(&role))
            .expect("the roster has active staff in every role")
    }

    /// An active contact of the client or vendor, if it has one.
    fn contact(&mut self, of: Scope) -> Option<String> {
        self.people.pick(&mut self.rng, |role, scope| matches!(role, ClientContact | VendorContact) && scope == of)
    }

    fn component(&self, target: Target) -> &Component {
        &self.products[target.product].components[target.component]
    }

    fn random_target(&mut self) -> Target {
        let product = self.rng.below(self.products.len());
        Target { product, component: self.rng.below(self.products[product].components.len()) }
    }

    // ---- Organisations, people, products, subscriptions ----

    fn organisations(&mut self) {
        for (i, stem) in CLIENT_STEMS.iter().enumerate() {
            let (industry, word) = *self.rng.pick(&INDUSTRIES);
            let name = format!("{stem} {word}");
            let created = self.set_up(600, 650);
            let record = json!({
                "client_name": name, "contact_email": format!("servicedesk@{}.example", name.to_lowercase().replace(' ', "-")),
                // A distinct four-digit prefix per client keeps registration numbers unique.
                "registration_number": format!("REG{:04}{:04}", 1000 + 1117 * i, self.rng.below(10_000)),
                "client_type": CLIENT_TYPES[i % CLIENT_TYPES.len()], "industry": industry, "country": self.rng.pick(&COUNTRIES),
                "status": "active", "created_at": ts(created), "updated_at": ts(self.later(created, DAY, 200 * DAY)),
            });
            let id = self.add("clients", record);
            self.audit(created, "create", "client", &id, "1");
        }
        for (i, &(stem, vendor_type, word, area)) in VENDORS.iter().enumerate() {
            let name = format!("{stem} {word}");
            let created = self.set_up(600, 650);
            let record = json!({
                "vendor_name": name, "vendor_type": vendor_type,
                "contact_email": format!("support@{}.example", name.to_lowercase().replace(' ', "-")),
                // 555-01xx numbers are reserved for fiction.
                "contact_phone": format!("+1{area}55501{:02}", 10 + i), "status": "active", "created_at": ts(created),
            });
            let id = self.add("vendors", record);
            self.audit(created, "create", "vendor", &id, "1");
        }
    }

    fn users(&mut self) {
        let mut taken = BTreeSet::new();
        for (n, &(role, status, scope, email)) in ROSTER.iter().enumerate() {
            let (name, generated) = loop {
                let (first, last) = (*self.rng.pick(&FIRST_NAMES), *self.rng.pick(&LAST_NAMES));
                let email = format!("{}.{}@example.com", first.to_lowercase(), last.to_lowercase());
                if taken.insert(email.clone()) {
                    break (format!("{first} {last}"), email);
                }
            };
            // The first administrator predates everything else and set the rest up.
            let created = if n == 0 { self.set_up(660, 660) } else { self.set_up(500, 590) };
            self.user((name, email.map_or(generated, str::to_string)), (role, status, scope), created);
        }
        // Extra users of larger data sets: numbered emails keep them unique whatever names are drawn.
        for n in 0..self.people.extra {
            let (role, scope) = People::extra(n);
            let (first, last) = (*self.rng.pick(&FIRST_NAMES), *self.rng.pick(&LAST_NAMES));
            let email = format!("{}.{}.{}@example.com", first.to_lowercase(), last.to_lowercase(), n + 1);
            let created = self.set_up(0, 500);
            self.user((format!("{first} {last}"), email), (role, "active", scope), created);
        }
    }

    /// Adds a user; every user but the first administrator was created by that administrator.
    fn user(&mut self, (name, email): (String, String), (role, status, scope): (Role, &str, Scope), created: Time) {
        let (client_id, vendor_id) = match scope {
            Scope::Client(c) => (Some(id_of(c)), None),
            Scope::Vendor(v) => (None, Some(id_of(v))),
            Scope::Staff => (None, None),
        };
        let department = match role {
            SystemAdministrator | ClientContact | VendorContact => "IT",
            IncidentManager | AccountManager => "Operations",
            TechnicalSupport => *self.rng.pick(&["Support", "Engineering"]),
            Executive => "Management",
        };
        let record = json!({
            "name": name, "email": email, "role": role.as_str(), "department": department,
            "client_id": client_id, "vendor_id": vendor_id, "timezone": self.rng.pick(&TIMEZONES), "status": status,
            "created_at": ts(created), "updated_at": ts(self.later(created, 60, 300 * DAY)),
        });
        let id = self.add("users", record);
        if id != "1" {
            self.audit(created, "create", "user", &id, "1");
        }
    }

    fn catalogue(&mut self) {
        for (i, &(stem, product_type)) in PRODUCTS.iter().enumerate() {
            let created = self.set_up(560, 600);
            let record = json!({
                "product_name": format!("{stem} {}", self.rng.pick(&EDITIONS)), "product_type": product_type,
                "version": format!("{}.{}.{}", self.rng.range(1, 6), self.rng.range(0, 12), self.rng.range(0, 40)),
                "support_vendor_id": id_of(i % VENDORS.len()), "status": match i { 10 => "maintenance", 11 => "deprecated", _ => "active" },
                "created_at": ts(created), "updated_at": ts(self.later(created, DAY, 300 * DAY)),
            });
            let product_id = self.add("products", record);
            let kinds =
                COMPONENT_KINDS.iter().find(|k| k.0 == product_type).expect("every product type has components").1;
            // Alternately three and two components; the first runs production.
            let components =
                (0..3 - i % 2).map(|k| self.component_record(&product_id, stem, kinds[k], k, created)).collect();
            self.products.push(Product { vendor: i % VENDORS.len(), components });
        }
    }

    fn component_record(
        &mut self,
        product_id: &str,
        stem: &str,
        kind: &'static str,
        k: usize,
        after: Time,
    ) -> Component {
        let name = format!("{}-{}-{:02}", stem.to_lowercase(), kind.to_lowercase(), k + 1);
        let created = self.later(after, 60, 14 * DAY);
        let environment =
            if k == 0 { "production" } else { *self.rng.pick(&["production", "staging", "development", "testing"]) };
        let record = json!({
            "component_name": name, "component_type": kind, "product_id": product_id, "environment": environment,
            "location": self.rng.pick(&LOCATIONS), "port_number": PORTS.iter().find(|p| p.0 == kind).map(|p| p.1),
            "operational_status": self.rng.pick(&["operational", "operational", "operational", "operational", "degraded", "maintenance", "offline"]),
            "created_at": ts(created), "updated_at": ts(self.later(created, DAY, 400 * DAY)),
        });
        let index = self.add("infrastructure_components", record).parse::<usize>().expect("a numeric id") - 1;
        Component { index, name, kind, difficulty: difficulty(kind, index) }
    }

    fn subscriptions(&mut self) {
        for i in 0..SUBSCRIPTIONS {
            // Clients take one or two products each; 5i mod 12 never gives a client the same product twice.
            let (client, product) = (i % CLIENT_STEMS.len(), 5 * i % PRODUCTS.len());
            let (tier, types, rtos) = plan(CLIENT_TYPES[client % CLIENT_TYPES.len()]);
            let subscription_type = *self.rng.pick(&types);
            let (status, end) = term(i, &mut self.rng);
            let start = self.rng.range(150, 480) + self.history_days;
            let created = self.ago(start + 3, start + 20);
            // An expired subscription last changed when it ran out.
            let updated =
                if end > 0 { self.now - Duration::days(end) } else { self.later(created, 3 * DAY, 120 * DAY) };
            let now = self.now;
            let day = move |days_ago: i64| (now - Duration::days(days_ago)).format("%Y-%m-%d").to_string();
            let record = json!({
                "client_id": id_of(client), "product_id": id_of(product), "subscription_type": subscription_type, "sla_tier": tier,
                "rto_hours": self.rng.pick(&rtos), "start_date": day(start), "end_date": day(end), "status": status,
                "created_at": ts(created), "updated_at": ts(updated),
            });
            let id = self.add("subscriptions", record);
            let creator = self.staff(&[AccountManager]);
            self.audit(created, "create", "subscription", &id, &creator);
            // Critical subscriptions (premium or custom) need an executive's approval.
            let approver = self.staff(if tier == "premium" || subscription_type == "custom" {
                &[Executive]
            } else {
                &[IncidentManager, Executive]
            });
            let decided = self.later(created, 60, 2 * DAY);
            self.audit(decided, "approve", "subscription", &id, &approver);
            if status == "cancelled" {
                self.audit(updated, "update", "subscription", &id, &creator);
            }
            // SLAs are agreed on active subscriptions only.
            let slas = if status == "active" { self.slas(&id, tier, decided) } else { Vec::new() };
            self.subscriptions.push(Subscription { client, product, slas });
        }
    }

    fn slas(&mut self, subscription_id: &str, tier: &str, after: Time) -> Vec<Sla> {
        let (availability, terms) = sla_terms(tier);
        let created = self.later(after, 60, 3 * DAY);
        let mut slas = Vec::new();
        for (severity, &(response, resolution)) in terms.iter().enumerate() {
            let sla = Sla {
                severity,
                response_minutes: self.rng.stepped(response, if response.1 <= 120 { 15 } else { 60 }),
                resolution_hours: self.rng.stepped(resolution, if resolution.1 - resolution.0 >= 24 { 24 } else { 1 }),
            };
            let record = json!({
                "subscription_id": subscription_id, "severity_level": SEVERITIES[severity], "response_time_minutes": sla.response_minutes,
                "resolution_time_hours": sla.resolution_hours, "availability_percentage": availability, "created_at": ts(created),
            });
            self.add("service_level_agreements", record);
            slas.push(sla);
        }
        slas
    }

    // ---- Incidents and what hangs off them ----

    fn incidents(&mut self) {
        let recent = self.recent_statuses();
        let history = self.incident_count - recent.len();
        let running: Vec<usize> =
            (0..self.subscriptions.len()).filter(|&s| !self.subscriptions[s].slas.is_empty()).collect();
        let tallies = self.tally_components(&running);
        // Each component's latest incident so far: its id and when it was opened.
        let mut previous: Vec<Option<(String, Time)>> = vec![None; tallies.len()];
        let last = (self.incident_count - 1) as i64;
        for rank in 0..self.incident_count {
            if self.sink.is_closed() {
                return;
            }
            // Oldest first, evenly over the window; the newest at least 90 minutes ago.
            let place = self.now - Duration::minutes(self.window_minutes * (last - rank as i64) / last);
            // No incident still to come brings anything from before this.
            self.write_audit(Some(place - Duration::minutes(DETECTION_JITTER.1) - LOOKBACK));
            let (rng, subscription, target) = self.draw_target(rank, &running);
            self.rng = rng;
            let status = if rank < history { IncidentStatus::Closed } else { recent[rank - history] };
            let detected = place - Duration::minutes(self.rng.range(DETECTION_JITTER.0, DETECTION_JITTER.1));
            let incident = self.incident(subscription, target, status, detected);
            let component = self.component(target).index;
            if let Some(previous) = &previous[component] {
                self.change_before(&incident, previous);
            }
            self.follow_ups(&incident);
            let tally = tallies[component];
            if tally.last_rank == rank && tally.incidents >= 3 {
                self.problem(&incident, tally.incidents);
            }
            previous[component] = Some((incident.id.clone(), incident.created()));
        }
        self.changes_yesterday(&previous);
    }

    /// The statuses of the newest incidents, oldest first; all before them are closed. The plan grows with the
    /// square root of the rate of incidents (a queue grows slower than the work that feeds it), and the rate stops
    /// growing at `INCIDENTS_PER_DAY`: a larger data set beyond that is a longer history of the same provider, whose
    /// queue is as long as it was (Little's law: the queue is the rate times the time an incident stays open).
    fn recent_statuses(&mut self) -> Vec<IncidentStatus> {
        let full_rate = WINDOW_DAYS as usize * INCIDENTS_PER_DAY;
        let growth = (self.incident_count.min(full_rate) as f64 / PLAN_INCIDENTS as f64).sqrt();
        let mut recent = Vec::new();
        for bucket in INCIDENT_PLAN {
            let mut statuses: Vec<IncidentStatus> = bucket
                .iter()
                .flat_map(|&(s, n)| std::iter::repeat_n(s, (n as f64 * growth).floor() as usize))
                .collect();
            self.rng.shuffle(&mut statuses);
            recent.extend(statuses);
        }
        recent
    }

    /// The first draws of the incident of `rank`: its subscription and component, and its stream to go on with.
    fn draw_target(&self, rank: usize, running: &[usize]) -> (Rng, usize, Target) {
        let mut rng = Rng::stream(rank);
        let subscription = *rng.pick(running);
        let product = self.subscriptions[subscription].product;
        let target = Target { product, component: rng.below(self.products[product].components.len()) };
        (rng, subscription, target)
    }

    /// The first pass: how many incidents each component (by index) will have, and its last.
    fn tally_components(&self, running: &[usize]) -> Vec<ComponentTally> {
        let mut tallies = vec![ComponentTally::default(); self.products.iter().map(|p| p.components.len()).sum()];
        for rank in 0..self.incident_count {
            let tally = &mut tallies[self.component(self.draw_target(rank, running).2).index];
            tally.incidents += 1;
            tally.last_rank = rank;
        }
        tallies
    }

    fn incident(&mut self, subscription: usize, target: Target, status: IncidentStatus, detected: Time) -> Incident {
        let Subscription { client, product, .. } = self.subscriptions[subscription];
        let severity = *self.rng.pick(&SEVERITY_MIX);
        let slas = &self.subscriptions[subscription].slas;
        // Targets come from the client's SLA for the severity, or the least strict one it has.
        let sla =
            *slas.iter().find(|s| s.severity == severity).or(slas.last()).expect("running subscriptions have SLAs");
        let spread = (RESOLUTION_SPREAD * self.rng.normal()).exp();
        let resolution = (median_resolution_minutes(severity, self.component(target).difficulty) * spread) as i64;
        let (category, titles) = *self.rng.pick(&CATEGORIES);
        let title = self.rng.pick(&titles).replace("{c}", &self.component(target).name);
        let mut reached = vec![(IncidentStatus::Open, detected + Duration::minutes(self.rng.range(2, 40)))];
        let stage = STATUS_PATH.iter().position(|&s| s == status).expect("every status is on the path");
        for &next in &STATUS_PATH[1..=stage] {
            let from = reached.last().expect("open").1;
            let elapsed = (from - detected).num_minutes();
            // Resolution takes what the component and severity take; response mostly meets the SLA, sometimes not,
            // and comes early in that time, as does the start of work; closing waits for the client's word.
            let minutes = match next {
                IncidentStatus::Investigating => {
                    let response = sla.response_minutes * self.rng.range(30, 140) / 100;
                    response.min(resolution * self.rng.range(10, 30) / 100) - elapsed
                }
                IncidentStatus::InProgress => self.rng.range(15, 180).min((resolution - elapsed) / 3),
                IncidentStatus::Resolved => resolution - elapsed,
                _ => self.rng.range(240, 3 * DAY),
            };
            reached.push((next, self.after(from, minutes.max(5))));
        }
        let id = id_of(self.records[TABLES.iter().position(|t| t.name == "incidents").expect("a table")]);
        let incident = Incident { id, client, target, severity, category, detected, sla, reached };
        let reporter = match self.rng.below(10) {
            0..=2 => self.contact(Scope::Client(client)),
            3 => self.contact(Scope::Vendor(self.products[product].vendor)),
            _ => None,
        }
        .unwrap_or_else(|| self.staff(&[IncidentManager, TechnicalSupport, SystemAdministrator]));
        let assignee = (status != IncidentStatus::Open || self.rng.chance(40)).then(|| self.staff(&[TechnicalSupport]));
        let updated = self.log_history(&incident, assignee.as_deref());
        let record = json!({
            "title": title, "category": category, "severity": SEVERITIES[severity],
            "impact_level": LEVELS[(severity + self.rng.below(2)).min(3)], "urgency_level": LEVELS[(severity + self.rng.below(2)).min(3)],
            "status": status.as_str(), "client_id": id_of(client), "component_id": id_of(self.component(target).index),
            "reporter_user_id": reporter, "assigned_to_user_id": assignee, "detection_timestamp": ts(detected),
            "resolution_timestamp": incident.at(IncidentStatus::Resolved).map(ts), "created_at": ts(incident.created()), "updated_at": ts(updated),
        });
        assert_eq!(self.add("incidents", record), incident.id);
        self.audit(incident.created(), "create", "incident", &incident.id, &reporter);
        incident
    }

    /// Writes the incident's change log (triage, assignment, each status change); returns the latest change's time.
    fn log_history(&mut self, incident: &Incident, assignee: Option<&str>) -> Time {
        let (created, severity) = (incident.created(), incident.severity);
        let manager = self.staff(&[IncidentManager]);
        let mut latest = incident.reached.last().expect("open").1;
        if severity < 3 && self.rng.chance(20) {
            // Triage found it worse than first reported.
            let at = self.later(created, 1, 20);
            self.log_update(
                &incident.id,
                &manager,
                at,
                "priority_change",
                ["severity", SEVERITIES[severity + 1], SEVERITIES[severity]],
            );
            latest = latest.max(at);
        }
        if let Some(assignee) = assignee {
            let at = match incident.reached.get(1) {
                Some(&(_, at)) => at,
                None => self.later(created, 5, 60),
            };
            self.log_update(&incident.id, &manager, at, "assignment_change", ["assigned_to", "", assignee]);
            latest = latest.max(at);
        }
        for pair in incident.reached.windows(2) {
            // Only an incident manager closes; the assignee moves the rest along.
            let by = match assignee {
                Some(assignee) if pair[1].0 != IncidentStatus::Closed => assignee.to_string(),
                _ => manager.clone(),
            };
            self.log_update(
                &incident.id,
                &by,
                pair[1].1,
                "status_change",
                ["status", pair[0].0.as_str(), pair[1].0.as_str()],
            );
        }
        latest
    }

    fn log_update(&mut self, incident: &str, by: &str, at: Time, update_type: &str, [field, old, new]: [&str; 3]) {
        let record = json!({
            "incident_id": incident, "updated_by_user": by, "update_type": update_type, "field_changed": field,
            "old_value": old, "new_value": new, "created_at": ts(at),
        });
        self.add("incident_updates", record);
        self.audit(at, "update", "incident", incident, by);
    }

    fn follow_ups(&mut self, incident: &Incident) {
        let escalated = self.escalation(incident);
        for &(status, at) in &incident.reached {
            match status {
                IncidentStatus::Open => self.communicate(incident, "notification", at),
                IncidentStatus::InProgress if self.rng.chance(60) => self.communicate(incident, "update", at),
                IncidentStatus::Resolved => self.communicate(incident, "resolution", at),
                _ => {}
            }
        }
        if let Some(started) = incident.at(IncidentStatus::InProgress) {
            self.workaround(incident, started);
            self.root_cause(incident, started);
            if self.rng.chance(45) {
                self.incident_change(incident, started);
            }
            if self.rng.chance(35) {
                self.repair(incident, started);
            }
        }
        self.reports(incident);
        if let Some(resolved) = incident.at(IncidentStatus::Resolved).filter(|_| self.rng.chance(45)) {
            let created = self.later(resolved, 120, 3 * DAY);
            self.article(Some(incident.id.as_str()), incident.target, incident.category, created);
        }
        if let Some(closed) = incident.at(IncidentStatus::Closed) {
            self.metrics(incident, closed, escalated);
            self.review(incident, closed);
        }
    }

    /// Escalates most P1 and P2 incidents and a few others once work has started; returns when.
    fn escalation(&mut self, incident: &Incident) -> Option<Time> {
        let acknowledged = incident.at(IncidentStatus::Investigating)?;
        if !self.rng.chance(if incident.severity <= 1 { 65 } else { 10 }) {
            return None;
        }
        let vendor = self.contact(Scope::Vendor(self.products[incident.target.product].vendor));
        // Problems in a vendor's product go to the vendor when it has someone to take them.
        let level = if vendor.is_some() && self.rng.chance(35) {
            "vendor"
        } else {
            *self.rng.pick(&["management", "technical", "executive"])
        };
        // The target fits the level; the one escalating is never the target.
        let (by, to) = match level {
            "technical" => (self.staff(&[IncidentManager]), self.staff(&[TechnicalSupport, SystemAdministrator])),
            "executive" => (self.staff(&[TechnicalSupport, IncidentManager]), self.staff(&[Executive])),
            "vendor" => (self.staff(&[TechnicalSupport]), vendor.expect("offered only with a contact")),
            _ => (self.staff(&[TechnicalSupport]), self.staff(&[IncidentManager, Executive])),
        };
        let at = self.between(acknowledged, incident.end(self.now));
        let (status, resolved_at) = match incident.at(IncidentStatus::Resolved) {
            Some(resolved) if self.rng.chance(85) => ("resolved", Some(resolved)),
            Some(_) => ("cancelled", None),
            None => ("active", None),
        };
        let record = json!({
            "incident_id": incident.id, "escalated_by_user": by, "escalated_to_user": to, "escalation_level": level,
            "reason": self.rng.pick(&ESCALATION_REASONS), "status": status, "escalated_at": ts(at), "resolved_at": resolved_at.map(ts),
            "created_at": ts(at),
        });
        self.add("incident_escalations", record);
        self.audit(at, "escalate", "incident", &incident.id, &by);
        self.communicate(incident, "escalation", at);
        Some(at)
    }

    fn communicate(&mut self, incident: &Incident, kind: &str, at: Time) {
        let sender = self.staff(&[IncidentManager, TechnicalSupport, AccountManager]);
        let (recipient, recipient_type) = match self.contact(Scope::Client(incident.client)) {
            Some(contact) if kind != "escalation" => {
                (contact, if kind == "resolution" { "all_stakeholders" } else { "client_contacts" })
            }
            _ if kind == "escalation" || incident.severity == 0 => (self.staff(&[Executive]), "executive_team"),
            _ => (self.staff(&[TechnicalSupport, SystemAdministrator]), "technical_team"),
        };
        // Only recent messages can still be waiting to go out.
        let status = if self.now - at < Duration::days(1) && self.rng.chance(50) {
            "pending"
        } else {
            *self.rng.pick(&["delivered", "delivered", "delivered", "sent", "sent", "failed"])
        };
        let sent_at = (status != "pending").then(|| self.later(at, 0, 5));
        let record = json!({
            "incident_id": incident.id, "sender_id": sender, "recipient_id": recipient, "recipient_type": recipient_type,
            "communication_type": kind, "delivery_method": self.rng.pick(&["email", "email", "sms", "phone", "chat", "dashboard_notification"]),
            "delivery_status": status, "sent_at": sent_at.map(ts), "created_at": ts(at),
        });
        // Not audited on its own: the messages go out with the audited changes that prompt them.
        self.add("communications", record);
    }

    fn workaround(&mut self, incident: &Incident, started: Time) {
        if !self.rng.chance(40) {
            return;
        }
        let at = self.between(started, incident.end(self.now));
        let status = if incident.status() == IncidentStatus::InProgress {
            "active"
        } else {
            *self.rng.pick(&["inactive", "replaced"])
        };
        let by = self.staff(&[TechnicalSupport, SystemAdministrator]);
        let record = json!({
            "incident_id": incident.id, "implemented_by_user": by,
            "effectiveness_level": self.rng.pick(&["full_mitigation", "partial_mitigation", "minimal_impact"]),
            "status": status, "implemented_at": ts(at), "created_at": ts(at),
        });
        let id = self.add("workarounds", record);
        self.audit(at, "create", "workaround", &id, &by);
    }

    /// Every P1 and P2 under way or over gets a root cause analysis, and some other incidents once over.
    fn root_cause(&mut self, incident: &Incident, started: Time) {
        let (resolved, closed) = (incident.at(IncidentStatus::Resolved), incident.at(IncidentStatus::Closed));
        if incident.severity > 1 && !(resolved.is_some() && self.rng.chance(25)) {
            return;
        }
        let created = self.between(started, incident.end(self.now));
        let (status, completed_at) = match (resolved, closed) {
            (Some(resolved), Some(closed)) => {
                (*self.rng.pick(&["completed", "reviewed"]), Some(self.between(resolved, closed)))
            }
            (Some(resolved), None) if self.rng.chance(60) => ("completed", Some(self.later(resolved, 60, 2 * DAY))),
            _ => ("in_progress", None),
        };
        let by = self.staff(&[TechnicalSupport, IncidentManager, SystemAdministrator]);
        let record = json!({
            "incident_id": incident.id, "conducted_by_user": by,
            "analysis_method": self.rng.pick(&["five_whys", "fishbone_diagram", "fault_tree_analysis", "timeline_analysis"]),
            "status": status, "completed_at": completed_at.map(ts), "created_at": ts(created),
        });
        let id = self.add("root_cause_analysis", record);
        self.audit(created, "create", "root_cause_analysis", &id, &by);
    }

    fn reports(&mut self, incident: &Incident) {
        let closed = incident.status() == IncidentStatus::Closed;
        let mut kinds = Vec::new();
        if incident.severity == 0 {
            kinds.push("executive_summary");
        }
        // Some incidents that are over get a report for a particular audience.
        if incident.at(IncidentStatus::Resolved).is_some() && self.rng.chance(30) {
            kinds.push(*self.rng.pick(&["technical_details", "business_impact", "compliance_report"]));
        }
        if closed && incident.severity <= 1 {
            kinds.push("post_mortem");
        }
        for kind in kinds {
            let at = self.later(incident.reached.last().expect("open").1, 60, 2 * DAY);
            let by = self.staff(&[IncidentManager, Executive]);
            let record = json!({
                "incident_id": incident.id, "report_type": kind, "generated_by_user": by,
                "status": self.rng.pick(if closed { &["published", "completed"] } else { &["draft", "completed"] }),
                "generated_at": ts(at), "created_at": ts(at),
            });
            let id = self.add("incident_reports", record);
            self.audit(at, "create", "incident_report", &id, &by);
        }
    }

    /// Metrics of a closed incident, computed from its timestamps, against its SLA's targets.
    fn metrics(&mut self, incident: &Incident, closed: Time, escalated: Option<Time>) {
        let minutes = |at: Option<Time>| at.map_or(1, |at| (at - incident.detected).num_minutes().max(1));
        let mut rows = vec![
            ("detection_time", minutes(Some(incident.created())), *self.rng.pick(&[5, 10, 30])),
            ("response_time", minutes(incident.at(IncidentStatus::Investigating)), incident.sla.response_minutes),
            ("resolution_time", minutes(incident.at(IncidentStatus::Resolved)), incident.sla.resolution_hours * 60),
        ];
        if escalated.is_some() {
            rows.push(("escalation_time", minutes(escalated), *self.rng.pick(&[60, 120, 240])));
        }
        let recorded = self.later(closed, 30, DAY);
        for (metric_type, value, target) in rows {
            let record = json!({
                "incident_id": incident.id, "metric_type": metric_type, "calculated_value_minutes": value, "target_minutes": target,
                "recorded_by_user": self.staff(&[IncidentManager, SystemAdministrator]), "recorded_at": ts(recorded), "created_at": ts(recorded),
            });
            self.add("performance_metrics", record);
        }
    }

    /// A post-incident review for closed P1s and P2s and about half the other closed incidents.
    fn review(&mut self, incident: &Incident, closed: Time) {
        if incident.severity > 1 && !self.rng.chance(50) {
            return;
        }
        let created = self.later(closed, 30, 600);
        let scheduled = created + Duration::hours(self.rng.range(24, 120));
        let (status, completed_at) = match scheduled + Duration::hours(2) > self.now {
            true => ("scheduled", None),
            false if self.rng.chance(10) => ("cancelled", None),
            false => ("completed", Some(scheduled + Duration::minutes(self.rng.range(45, 120)))),
        };
        let by = self.staff(&[IncidentManager, Executive]);
        let record = json!({
            "incident_id": incident.id, "facilitator_user": by, "scheduled_date": ts(scheduled),
            "overall_rating": self.rng.pick(&["excellent", "good", "good", "satisfactory", "needs_improvement", "poor"]),
            "status": status, "completed_at": completed_at.map(ts), "created_at": ts(created),
        });
        let id = self.add("post_incident_reviews", record);
        self.audit(created, "create", "post_incident_review", &id, &by);
    }

    // ---- Changes, work orders, problems, knowledge ----

    /// A change prompted by the incident: settled once the incident is over, else still on its way.
    fn incident_change(&mut self, incident: &Incident, started: Time) {
        let status = if incident.at(IncidentStatus::Resolved).is_some() {
            self.settled_change()
        } else {
            *self.rng.pick(&[
                ChangeStatus::Requested,
                ChangeStatus::Approved,
                ChangeStatus::Scheduled,
                ChangeStatus::InProgress,
            ])
        };
        let created = self.between(started, incident.end(self.now));
        self.change(Some(incident.id.as_str()), incident.severity == 0, incident.target, status, created, None);
    }

    /// The status of the next change that is over, in turn from `SETTLED_CHANGES`.
    fn settled_change(&mut self) -> ChangeStatus {
        self.settled_changes += 1;
        SETTLED_CHANGES[(self.settled_changes - 1) % SETTLED_CHANGES.len()]
    }

    /// Some incidents follow a change on their component whose window opened in the 72 hours before detection
    /// (and at least two hours after the component's previous incident): a change that incident called for, linked
    /// to it, so that the link names the component. It was requested up to three days before it started.
    fn change_before(&mut self, incident: &Incident, (previous, previous_created): &(String, Time)) {
        if !self.rng.chance(CHANGED_BEFORE) {
            return;
        }
        let earliest = (incident.detected - Duration::hours(72)).max(*previous_created + Duration::hours(2));
        let minutes = (incident.detected - Duration::hours(1) - earliest).num_minutes();
        if minutes <= 0 {
            return;
        }
        let opened = earliest + Duration::minutes(self.rng.range(0, minutes));
        let created = self.between((opened - Duration::days(3)).max(*previous_created), opened);
        let status = self.settled_change();
        self.change(Some(previous.as_str()), false, incident.target, status, created, Some(opened));
    }

    /// Yesterday, a completed change on the first component of each product (linked to the component's latest
    /// incident, which names the component), so an incident reported on it today finds the change among its recent
    /// changes.
    fn changes_yesterday(&mut self, previous: &[Option<(String, Time)>]) {
        for product in 0..self.products.len() {
            let target = Target { product, component: 0 };
            let opened = self.now - Duration::hours(self.rng.range(20, 30));
            let Some((incident, incident_created)) = &previous[self.component(target).index] else { continue };
            if *incident_created >= opened {
                continue;
            }
            let created = self.between((opened - Duration::days(2)).max(*incident_created), opened);
            self.change(Some(incident.as_str()), false, target, ChangeStatus::Completed, created, Some(opened));
        }
    }

    /// Work no incident prompted: planned changes, routine maintenance and general articles.
    fn planned_work(&mut self) {
        for _ in 0..4 {
            let (target, created) = (self.random_target(), self.ago(3, 100));
            let status = *self.rng.pick(&[
                ChangeStatus::Requested,
                ChangeStatus::Approved,
                ChangeStatus::Scheduled,
                ChangeStatus::Completed,
            ]);
            self.change(None, false, target, status, created, None);
        }
        for _ in 0..3 {
            let (target, after) = (self.random_target(), self.ago(2, 60));
            let status = *self.rng.pick(&["created", "assigned", "completed"]);
            self.work_order(None, target, "maintenance", status, after);
        }
        for _ in 0..5 {
            let (target, created) = (self.random_target(), self.ago(10, 110));
            let category = self.rng.pick(&CATEGORIES).0;
            self.article(None, target, category, created);
        }
    }

    /// A change on `target`'s component, linked to `incident` if any. A change that has started started at `opened`
    /// if given, else some time after its approval.
    fn change(
        &mut self,
        incident: Option<&str>,
        emergency: bool,
        target: Target,
        status: ChangeStatus,
        created: Time,
        opened: Option<Time>,
    ) {
        let change_type = if emergency { "emergency" } else { *self.rng.pick(&["normal", "standard", "upgrade"]) };
        let risk = if emergency { "high" } else { *self.rng.pick(&["low", "medium", "medium", "high"]) };
        let title = format!("{} {}", self.rng.pick(&CHANGE_ACTIONS), self.component(target).name);
        let requester = self.staff(&[TechnicalSupport, SystemAdministrator, IncidentManager]);
        // High-risk changes need an executive; approval is recorded only once given.
        let approvers: &[Role] = if risk == "high" { &[Executive] } else { &[IncidentManager, Executive] };
        let approval = (status != ChangeStatus::Requested).then(|| {
            let approved = match opened {
                Some(opened) => self.between(created, opened),
                None => self.later(created, 30, 720),
            };
            (self.staff(approvers), approved)
        });
        let [start, planned_end, actual_start, actual_end] =
            self.schedule(status, approval.as_ref().map_or(created, |a| a.1), opened);
        let updated =
            [Some(created), approval.as_ref().map(|a| a.1), actual_start, actual_end].into_iter().flatten().max();
        // The change is on `target`'s component. The format has no component on a change request: a change linked
        // to an incident takes the incident's when it is loaded (`import`), so a change on a component links to an
        // incident on it.
        let record = json!({
            "incident_id": incident, "title": title, "change_type": change_type, "risk_level": risk, "status": status.as_str(),
            "requesting_user": requester, "approved_by_user": approval.as_ref().map(|a| &a.0),
            "scheduled_start_time": start.map(ts), "scheduled_end_time": planned_end.map(ts), "actual_start_time": actual_start.map(ts),
            "actual_end_time": actual_end.map(ts), "created_at": ts(created), "updated_at": updated.map(ts),
        });
        let id = self.add("change_requests", record);
        self.audit(created, "create", "change_request", &id, &requester);
        let Some((approver, approved)) = approval else { return };
        self.audit(approved, "approve", "change_request", &id, &approver);
        let work_status = match status {
            ChangeStatus::Completed | ChangeStatus::Failed | ChangeStatus::RolledBack => "completed",
            ChangeStatus::InProgress => "in_progress",
            _ => "assigned",
        };
        let work_type = *self.rng.pick(&["installation", "configuration", "maintenance"]);
        self.work_order(Some(("change_id", id.as_str())), target, work_type, work_status, approved);
        if let (ChangeStatus::Failed | ChangeStatus::RolledBack, Some(ended)) = (status, actual_end) {
            self.rollback(&id, incident, status, ended);
        }
    }

    /// Scheduled start and end, actual start and end, as far as the change has got; one that has started started
    /// at `opened` if given.
    fn schedule(&mut self, status: ChangeStatus, approved: Time, opened: Option<Time>) -> [Option<Time>; 4] {
        match status {
            ChangeStatus::Requested | ChangeStatus::Approved => [None; 4],
            ChangeStatus::Scheduled => {
                let start = self.now + Duration::hours(self.rng.range(6, 120));
                [Some(start), Some(start + Duration::hours(self.rng.range(1, 4))), None, None]
            }
            _ => {
                let start = opened.unwrap_or_else(|| self.later(approved, 60, 2 * DAY));
                let planned_end = start + Duration::hours(self.rng.range(1, 4));
                let end = (status != ChangeStatus::InProgress).then(|| self.later(start, 30, 300));
                [Some(start), Some(planned_end), Some(start), end]
            }
        }
    }

    fn rollback(&mut self, change: &str, incident: Option<&str>, change_status: ChangeStatus, ended: Time) {
        let requester = self.staff(&[TechnicalSupport, IncidentManager, Executive]);
        let created = self.later(ended, 5, 120);
        // A rolled-back change had its rollback approved and carried out; a recently failed change's may be under
        // way, while one that failed before the default window was settled long ago (no request waits for years).
        let status = match change_status {
            ChangeStatus::RolledBack => "approved",
            _ if self.now - ended < Duration::days(WINDOW_DAYS) => {
                *self.rng.pick(&["requested", "in_progress", "failed", "approved"])
            }
            _ => *self.rng.pick(&["failed", "approved"]),
        };
        let approver = (status == "approved").then(|| self.staff(&[IncidentManager, Executive]));
        let completed_at = matches!(status, "approved" | "failed").then(|| self.later(created, 15, 240));
        let record = json!({
            "change_id": change, "incident_id": incident, "requesting_user": requester, "status": status,
            "approved_by_user": approver, "completed_at": completed_at.map(ts), "created_at": ts(created),
        });
        let id = self.add("rollback_requests", record);
        self.audit(created, "create", "rollback_request", &id, &requester);
        if let (Some(approver), Some(at)) = (approver, completed_at) {
            self.audit(at, "approve", "rollback_request", &id, &approver);
        }
    }

    /// A work order to repair the incident's component.
    fn repair(&mut self, incident: &Incident, started: Time) {
        let statuses: &[&str] = match incident.at(IncidentStatus::Resolved) {
            Some(_) => &["completed", "completed", "completed", "cancelled"],
            None => &["assigned", "in_progress"],
        };
        let (status, work_type) =
            (*self.rng.pick(statuses), *self.rng.pick(&["repair", "investigation", "configuration"]));
        self.work_order(Some(("incident_id", incident.id.as_str())), incident.target, work_type, status, started);
    }

    /// A work order linked to at most one incident, change or problem (`link` names the field and the id).
    fn work_order(&mut self, link: Option<(&str, &str)>, target: Target, work_type: &str, status: &str, after: Time) {
        // Unassigned until taken on; the supporting vendor's contact takes some of the work on its products.
        let assignee = (status != "created").then(|| {
            let vendor = Scope::Vendor(self.products[target.product].vendor);
            let contact = if self.rng.chance(30) { self.contact(vendor) } else { None };
            contact.unwrap_or_else(|| self.staff(&[TechnicalSupport, SystemAdministrator]))
        });
        let template = WORK.iter().find(|w| w.0 == work_type).expect("a known work type").1;
        let (created, by) =
            (self.later(after, 10, DAY), self.staff(&[IncidentManager, TechnicalSupport, SystemAdministrator]));
        let mut record = json!({
            "incident_id": null, "change_id": null, "problem_id": null, "title": template.replace("{c}", &self.component(target).name),
            "work_type": work_type, "status": status, "assigned_to_user": assignee, "created_by_user": by,
            "created_at": ts(created), "updated_at": ts(self.later(created, 30, 5 * DAY)),
        });
        if let Some((field, id)) = link {
            record[field] = json!(id);
        }
        let id = self.add("work_orders", record);
        self.audit(created, "create", "work_order", &id, &by);
    }

    /// Components with three or more incidents have a recurring problem, filed against the latest of them.
    fn problem(&mut self, incident: &Incident, incidents: usize) {
        let (status, work_status) = match incident.status() {
            IncidentStatus::Open => ("open", "created"),
            IncidentStatus::Investigating | IncidentStatus::InProgress => ("investigating", "in_progress"),
            IncidentStatus::Resolved => ("in_progress", "in_progress"),
            IncidentStatus::Closed => {
                *self.rng.pick(&[("in_progress", "in_progress"), ("resolved", "completed"), ("closed", "completed")])
            }
        };
        let (component, category) = (&self.component(incident.target).name, incident.category.to_lowercase());
        let title = format!("Recurring {category} issues on {component} ({incidents} incidents)");
        let (created, by) = (
            self.later(incident.created(), 60, DAY),
            self.staff(&[IncidentManager, TechnicalSupport, SystemAdministrator]),
        );
        let record = json!({
            "incident_id": incident.id, "title": title, "status": status, "issued_by_user": by,
            "created_at": ts(created), "updated_at": ts(self.later(created, 60, 3 * DAY)),
        });
        let id = self.add("problem_tickets", record);
        self.audit(created, "create", "problem_ticket", &id, &by);
        self.work_order(Some(("problem_id", id.as_str())), incident.target, "investigation", work_status, created);
    }

    /// A knowledge base article, written by support and reviewed by an incident manager once out of draft.
    fn article(&mut self, incident: Option<&str>, target: Target, category: &str, created: Time) {
        let (article_type, template) = *self.rng.pick(&ARTICLES);
        let title = template.replace("{cat}", &category.to_lowercase()).replace("{kind}", self.component(target).kind);
        let status = *self.rng.pick(&["draft", "under_review", "published", "published", "archived"]);
        // Some drafts are back in draft because the reviewer sent them back.
        let sent_back = status == "draft" && self.rng.chance(40);
        let reviewer = (status != "draft" || sent_back).then(|| self.staff(&[IncidentManager]));
        let updated = self.later(created, 60, 7 * DAY);
        let article_category = *self.rng.pick(&["technical", "technical", "process", "communication", "escalation"]);
        let author = self.staff(&[TechnicalSupport]);
        let record = json!({
            "incident_id": incident, "title": title, "article_type": article_type, "category": article_category,
            "created_by_user": author, "reviewer_user": reviewer, "status": status,
            "created_at": ts(created), "updated_at": ts(updated),
        });
        let id = self.add("knowledge_base_articles", record);
        self.audit(created, "create", "knowledge_base_article", &id, &author);
        if let Some(reviewer) = reviewer.filter(|_| sent_back) {
            self.audit(updated, "reject", "knowledge_base_article", &id, &reviewer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::Map;
    use strum::IntoEnumIterator;

    fn now() -> Time {
        Utc.with_ymd_and_hms(2026, 3, 14, 9, 30, 0).unwrap()
    }

    /// The record of `table` that `id` (a JSON string) refers to.
    fn get<'a>(data: &'a Dataset, table: &str, id: &Value) -> &'a Map<String, Value> {
        data[table][id.as_str().expect("an id")].as_object().expect("a record")
    }

    #[test]
    fn same_anchor_same_bytes() {
        let text = || serde_json::to_string(&dataset(now(), DEMO_INCIDENTS)).unwrap();
        assert_eq!(text(), text());
    }

    /// A size beyond the default, as `demo --scale` makes: bench data.
    const LARGER: usize = 3_000;

    #[test]
    fn passes_the_import_checks_with_every_table_filled() {
        for size in [DEMO_INCIDENTS, LARGER] {
            let data = dataset(now(), size);
            crate::import::validate::check(&data).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(data.len(), TABLES.len());
            assert_eq!(data["incidents"].len(), size);
            for table in TABLES {
                assert!(data[table.name].len() >= 3, "{} has {} records", table.name, data[table.name].len());
            }
        }
    }

    #[test]
    fn a_larger_data_set_has_a_long_closed_history_a_modest_queue_and_more_people() {
        let (small, large) = (dataset(now(), DEMO_INCIDENTS), dataset(now(), LARGER));
        let count = |data: &Dataset, status: &str| data["incidents"].values().filter(|i| i["status"] == status).count();
        assert!(count(&large, "closed") > LARGER * 85 / 100);
        let queue = LARGER - count(&large, "closed") - count(&large, "resolved");
        assert!(queue > 100 && queue < LARGER / 10, "{queue} incidents still being worked on");
        let oldest = large["incidents"].values().filter_map(|i| i["detection_timestamp"].as_str()).min().unwrap();
        let days = WINDOW_DAYS.max((LARGER / INCIDENTS_PER_DAY) as i64) + 1;
        let window = (now() - Duration::days(days)).format("%Y-%m-%d").to_string();
        assert!(oldest[..10] >= *window.as_str(), "{oldest} lies before the window");
        assert_eq!(large["users"].len(), small["users"].len() + LARGER / INCIDENTS_PER_EXTRA_USER);
        let audit_per_incident = large["audit_logs"].len() / LARGER;
        assert!((8..=14).contains(&audit_per_incident), "{audit_per_incident} audit entries per incident");
    }

    #[test]
    fn beyond_the_full_rate_a_larger_data_set_is_a_longer_history_with_the_same_queue() {
        let full_rate = WINDOW_DAYS as usize * INCIDENTS_PER_DAY;
        let queue = |incidents: usize| {
            let mut sink = Dataset::new();
            let statuses = Demo::new(now(), incidents, &mut sink).recent_statuses();
            statuses.iter().filter(|s| !matches!(s, IncidentStatus::Closed | IncidentStatus::Resolved)).count()
        };
        assert!(queue(full_rate / 2) < queue(full_rate), "the queue grows with the rate");
        assert_eq!(queue(full_rate), queue(100 * full_rate), "a longer history leaves the queue as it was");
        // Nor does anything wait for years: the rollback requests still waiting are recent ones.
        let data = dataset(now(), 3 * full_rate);
        let window = (now() - Duration::days(WINDOW_DAYS + 1)).format("%Y-%m-%d").to_string();
        let waiting = data["rollback_requests"]
            .values()
            .filter(|r| matches!(r["status"].as_str(), Some("requested" | "in_progress")));
        assert!(waiting.clone().count() > 0);
        for rollback in waiting {
            assert!(
                rollback["created_at"].as_str().unwrap()[..10] >= *window.as_str(),
                "{rollback} has waited for years"
            );
        }
    }

    #[test]
    fn every_role_has_an_active_login() {
        let data = dataset(now(), DEMO_INCIDENTS);
        assert_eq!(logins().iter().map(|l| l.role).collect::<Vec<_>>(), Role::iter().collect::<Vec<_>>());
        for login in logins() {
            let user = data["users"].values().find(|u| u["email"] == login.email).expect("the login is a user");
            assert_eq!((&user["role"], &user["status"]), (&json!(login.role.as_str()), &json!("active")));
        }
    }

    #[test]
    fn records_tell_a_consistent_story() {
        records_tell_a_consistent_story_at(DEMO_INCIDENTS);
        records_tell_a_consistent_story_at(LARGER);
    }

    fn records_tell_a_consistent_story_at(size: usize) {
        let data = dataset(now(), size);
        let stamp = ts(now());
        for (table, record) in data.iter().flat_map(|(table, records)| records.values().map(move |r| (table, r))) {
            for field in
                ["created_at", "updated_at", "detection_timestamp", "resolution_timestamp", "sent_at", "completed_at"]
            {
                assert!(
                    record[field].as_str().is_none_or(|at| at <= stamp.as_str()),
                    "{table}.{field} lies ahead: {record}"
                );
            }
        }
        let incidents = data["incidents"].values();
        assert!(incidents.clone().filter(|i| i["status"] == "closed").count() >= 10);
        for incident in incidents {
            let done = incident["status"] == "resolved" || incident["status"] == "closed";
            assert_eq!(incident["resolution_timestamp"].is_string(), done);
            assert!(!done || incident["resolution_timestamp"].as_str() > incident["detection_timestamp"].as_str());
            assert!(incident["created_at"].as_str() >= incident["detection_timestamp"].as_str());
        }
        for table in ["performance_metrics", "post_incident_reviews"] {
            assert!(
                data[table].values().all(|r| get(&data, "incidents", &r["incident_id"])["status"] == "closed"),
                "{table}"
            );
        }
        for rollback in data["rollback_requests"].values() {
            assert!(matches!(
                get(&data, "change_requests", &rollback["change_id"])["status"].as_str(),
                Some("failed" | "rolled_back")
            ));
        }
        for change in data["change_requests"].values() {
            assert_eq!(change["approved_by_user"].is_null(), change["status"] == "requested");
        }
        for sla in data["service_level_agreements"].values() {
            assert_eq!(get(&data, "subscriptions", &sla["subscription_id"])["status"], "active");
        }
    }

    #[test]
    fn escalations_reach_a_fitting_user() {
        let data = dataset(now(), DEMO_INCIDENTS);
        for escalation in data["incident_escalations"].values() {
            let target = get(&data, "users", &escalation["escalated_to_user"]);
            let roles: &[&str] = match escalation["escalation_level"].as_str().unwrap() {
                "management" => &["incident_manager", "executive"],
                "technical" => &["technical_support", "system_administrator"],
                "executive" => &["executive"],
                _ => &["vendor_contact"],
            };
            assert!(roles.contains(&target["role"].as_str().unwrap()), "{escalation}");
            if escalation["escalation_level"] == "vendor" {
                let component = get(
                    &data,
                    "infrastructure_components",
                    &get(&data, "incidents", &escalation["incident_id"])["component_id"],
                );
                assert_eq!(get(&data, "products", &component["product_id"])["support_vendor_id"], target["vendor_id"]);
            }
        }
    }

    #[test]
    fn demo_contacts_have_incidents_and_some_subscriptions_end_soon() {
        let data = dataset(now(), DEMO_INCIDENTS);
        let vendor_of = |incident: &Value| {
            let component = get(&data, "infrastructure_components", &incident["component_id"]);
            get(&data, "products", &component["product_id"])["support_vendor_id"].clone()
        };
        assert!(data["incidents"].values().any(|i| i["client_id"] == "1"));
        assert!(data["incidents"].values().any(|i| vendor_of(i) == "1"));
        let (today, soon) =
            (now().format("%Y-%m-%d").to_string(), (now() + Duration::days(30)).format("%Y-%m-%d").to_string());
        let ends_soon = |s: &&Value| {
            s["status"] == "active" && s["end_date"].as_str() > Some(&today) && s["end_date"].as_str() <= Some(&soon)
        };
        assert!(data["subscriptions"].values().filter(ends_soon).count() >= 2);
    }

    /// A timestamp of the format.
    fn time(value: &Value) -> Time {
        let text = value.as_str().expect("a timestamp");
        chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").expect("the format's timestamp").and_utc()
    }

    fn median(mut values: Vec<f64>) -> f64 {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    }

    #[test]
    fn the_audit_trail_comes_in_time_order() {
        let data = dataset(now(), LARGER);
        let mut entries: Vec<&Value> = data["audit_logs"].values().collect();
        entries.sort_by_key(|e| e["audit_id"].as_str().unwrap().parse::<usize>().unwrap());
        assert!(entries.windows(2).all(|pair| pair[0]["created_at"].as_str() <= pair[1]["created_at"].as_str()));
    }

    /// Takes records and keeps none.
    struct Discard;

    impl Sink for Discard {
        fn add(&mut self, _table: &'static str, _id: &str, _record: Value) {}
    }

    #[test]
    fn the_generator_holds_back_about_a_week_of_audit_entries_whatever_the_size() {
        // The queue of waiting entries is all the generator keeps that depends on the data; its allocation is the
        // most it ever held. A week at 50 incidents a day, about 12 entries each, plus the set-up's entries.
        let most_waiting = |size| {
            let mut sink = Discard;
            let mut demo = Demo::new(now(), size, &mut sink);
            demo.run();
            demo.timeline.waiting.capacity()
        };
        let (small, large) = (most_waiting(LARGER), most_waiting(10 * LARGER));
        assert!(large <= 8_192, "{large} audit entries held back at {} incidents", 10 * LARGER);
        assert!(large <= 2 * small, "{small} held back at {LARGER} incidents, {large} at ten times as many");
    }

    #[test]
    fn people_are_picked_evenly_from_everyone_who_fits_and_nobody_else() {
        for extra in [0, 1, 7, 8, 9, 37, 100] {
            let people = People { extra };
            let everyone: Vec<(Role, bool, Scope)> = ROSTER
                .iter()
                .map(|&(role, status, scope, _)| (role, status == "active", scope))
                .chain((0..extra).map(|n| {
                    let (role, scope) = People::extra(n);
                    (role, true, scope)
                }))
                .collect();
            let mut wanted: Vec<Box<dyn Fn(Role, Scope) -> bool>> = vec![
                Box::new(|role, scope| scope == Scope::Staff && role == TechnicalSupport),
                Box::new(|role, scope| scope == Scope::Staff && [IncidentManager, Executive].contains(&role)),
                Box::new(|role, _| role == Executive),
                Box::new(|_, _| false),
            ];
            for c in 0..CLIENT_STEMS.len() {
                wanted.push(Box::new(move |role, scope| role == ClientContact && scope == Scope::Client(c)));
            }
            for v in 0..VENDORS.len() {
                wanted.push(Box::new(move |role, scope| role == VendorContact && scope == Scope::Vendor(v)));
            }
            let mut rng = Rng(SEED);
            for wanted in &wanted {
                let fitting: BTreeSet<String> = (everyone.iter().enumerate())
                    .filter(|(_, (role, active, scope))| *active && wanted(*role, *scope))
                    .map(|(index, _)| id_of(index))
                    .collect();
                let mut picked = std::collections::BTreeMap::<String, usize>::new();
                for _ in 0..50 * fitting.len().max(1) {
                    if let Some(id) = people.pick(&mut rng, wanted) {
                        *picked.entry(id).or_default() += 1;
                    }
                }
                assert_eq!(picked.keys().cloned().collect::<BTreeSet<_>>(), fitting, "{extra} extra users");
                assert!(picked.values().all(|&n| n >= 15), "{extra} extra users, uneven picks: {picked:?}");
            }
        }
    }

    #[test]
    fn extra_users_bring_contacts_of_every_client_and_vendor() {
        let scopes: Vec<Scope> = (0..CLIENT_STEMS.len() * EXTRA_ROLES.len()).map(|n| People::extra(n).1).collect();
        assert!((0..CLIENT_STEMS.len()).all(|c| scopes.contains(&Scope::Client(c))));
        assert!((0..VENDORS.len()).all(|v| scopes.contains(&Scope::Vendor(v))));
    }

    #[test]
    fn the_median_resolution_time_grows_with_difficulty_and_falls_with_severity() {
        // (severity, difficulty, median hours)
        let cases = [(0, 1.0, 2.5), (1, 1.0, 10.0), (2, 1.0, 30.0), (3, 1.0, 72.0), (0, 2.0, 5.0), (3, 0.5, 36.0)];
        for (severity, difficulty, hours) in cases {
            assert_eq!(median_resolution_minutes(severity, difficulty), hours * 60.0, "P{}", severity + 1);
        }
        // Types from hardest to easiest; each component's own factor keeps within 0.75–1.35 of its type's.
        assert!(DIFFICULTY.windows(2).all(|pair| pair[0].1 > pair[1].1));
        for index in 0..30 {
            let factor = difficulty("Server", index) / 1.1;
            assert!((0.75..1.35).contains(&factor), "component {index}: {factor}");
        }
    }

    /// Minutes from detection to resolution of each closed incident, with its severity and component.
    fn resolution_times(data: &Dataset) -> Vec<(String, String, f64)> {
        let closed = data["incidents"].values().filter(|i| i["status"] == "closed");
        closed
            .map(|i| {
                let minutes = (time(&i["resolution_timestamp"]) - time(&i["detection_timestamp"])).num_minutes();
                (
                    i["severity"].as_str().unwrap().to_string(),
                    i["component_id"].as_str().unwrap().to_string(),
                    minutes as f64,
                )
            })
            .collect()
    }

    #[test]
    fn resolution_takes_longer_for_less_severe_incidents_and_on_harder_components() {
        let data = dataset(now(), LARGER);
        let times = resolution_times(&data);
        let median_of = |wanted: &dyn Fn(&str, &str) -> bool| {
            median(times.iter().filter(|(severity, component, _)| wanted(severity, component)).map(|t| t.2).collect())
        };
        let by_severity: Vec<f64> = SEVERITIES.iter().map(|&s| median_of(&|severity, _| severity == s)).collect();
        assert!(by_severity.windows(2).all(|pair| pair[0] < pair[1]), "medians P1 to P4: {by_severity:?}");
        // Among P3s, the most common: a component at least twice as hard as another takes longer on its median.
        let difficulty_of = |id: &str| {
            let component = get(&data, "infrastructure_components", &json!(id));
            let index = id.parse::<usize>().unwrap() - 1;
            difficulty(component["component_type"].as_str().unwrap(), index)
        };
        let components: BTreeSet<&str> = times.iter().filter(|t| t.0 == "P3").map(|t| t.1.as_str()).collect();
        let medians: Vec<(f64, f64)> = components
            .into_iter()
            .filter(|&c| times.iter().filter(|t| t.0 == "P3" && t.1 == c).count() >= 30)
            .map(|c| (difficulty_of(c), median_of(&|severity, component| severity == "P3" && component == c)))
            .collect();
        assert!(medians.len() >= 10, "{} components with 30 closed P3s", medians.len());
        for (harder, easier) in medians.iter().flat_map(|a| medians.iter().map(move |b| (a, b))) {
            if harder.0 >= 2.0 * easier.0 {
                assert!(harder.1 > easier.1, "difficulty and median minutes: {harder:?} against {easier:?}");
            }
        }
    }

    #[test]
    fn some_incidents_breach_their_resolution_deadline_and_most_do_not() {
        let data = dataset(now(), LARGER);
        let resolutions: Vec<&Value> =
            data["performance_metrics"].values().filter(|m| m["metric_type"] == "resolution_time").collect();
        let breached = resolutions
            .iter()
            .filter(|m| m["calculated_value_minutes"].as_i64() > m["target_minutes"].as_i64())
            .count();
        let share = breached as f64 / resolutions.len() as f64;
        assert!((0.05..0.25).contains(&share), "{breached} of {} closed incidents breached", resolutions.len());
    }

    #[test]
    fn some_incidents_follow_a_change_on_their_component_in_the_72_hours_before() {
        for size in [DEMO_INCIDENTS, LARGER] {
            let data = dataset(now(), size);
            let component_of = |incident_id: &Value| &get(&data, "incidents", incident_id)["component_id"];
            for change in data["change_requests"].values().filter(|c| c["incident_id"].is_string()) {
                // A change names its component and links to an incident on it opened before the change was asked for.
                let (linked, component) =
                    (get(&data, "incidents", &change["incident_id"]), component_of(&change["incident_id"]));
                let name = get(&data, "infrastructure_components", component)["component_name"].as_str().unwrap();
                assert!(change["title"].as_str().unwrap().ends_with(name), "{change}");
                assert!(change["created_at"].as_str() >= linked["created_at"].as_str(), "{change}");
            }
            let started: Vec<(&Value, Time)> = data["change_requests"]
                .values()
                .filter(|c| c["actual_start_time"].is_string() && c["incident_id"].is_string())
                .map(|c| (component_of(&c["incident_id"]), time(&c["actual_start_time"])))
                .collect();
            let incidents = &data["incidents"];
            let followed = incidents.values().filter(|incident| {
                let detected = time(&incident["detection_timestamp"]);
                started.iter().any(|&(component, start)| {
                    *component == incident["component_id"]
                        && start < detected
                        && detected - start <= Duration::hours(72)
                })
            });
            let share = followed.count() as f64 / incidents.len() as f64;
            assert!(share >= 0.10, "{share} of {size} incidents follow a change on their component");
        }
    }

    #[test]
    fn every_open_p2_has_enough_resolved_p2s_like_it_for_a_forecast() {
        let minimum = crate::forecast::MINIMUM as usize;
        for size in [DEMO_INCIDENTS, LARGER] {
            let data = dataset(now(), size);
            let (incidents, components) = (&data["incidents"], &data["infrastructure_components"]);
            let product_of = |incident: &Value| &components[incident["component_id"].as_str().unwrap()]["product_id"];
            let resolved_p2: Vec<&Value> = incidents
                .values()
                .filter(|i| (i["status"] == "resolved" || i["status"] == "closed") && i["severity"] == "P2")
                .collect();
            let open_p2: Vec<&Value> =
                incidents.values().filter(|i| i["status"] == "open" && i["severity"] == "P2").collect();
            assert!(open_p2.len() >= 2, "{size}: {} open P2s", open_p2.len());
            for incident in open_p2 {
                let like = |same: &dyn Fn(&Value) -> bool| resolved_p2.iter().filter(|i| same(i)).count() >= minimum;
                assert!(
                    like(&|i| i["component_id"] == incident["component_id"])
                        || like(&|i| product_of(i) == product_of(incident))
                        || like(&|i| i["category"] == incident["category"]),
                    "{size}: too few to forecast {incident}"
                );
            }
        }
    }
}
