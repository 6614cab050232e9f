//! How a record type is described: its fields, list, filters, related records, and the access area and rows it
//! belongs to. One description drives its list, detail page, forms, validation, queries and audit entries.
use super::kinds::{Behaviour, Plain};
pub use crate::access::{Area, Rows};
pub use crate::forms::{Field, FieldKind, RefTable};

/// A new record as the incident's timeline tells of it: its title, and its fields as its page shows them.
pub struct Created<'a> {
    pub title: &'a str,
    pub shown: &'a dyn Fn(&str) -> Option<String>,
    pub record: &'a super::queries::Record,
}

impl Created<'_> {
    /// A field as shown, in lower case (a label inside a sentence), or empty.
    pub fn lower(&self, field: &str) -> String {
        (self.shown)(field).unwrap_or_default().to_lowercase()
    }
}

/// A list of records that point to the one shown.
#[derive(Debug)]
pub struct Related {
    pub title: &'static str,
    pub resource: &'static Resource,
    pub link: Link,
}

/// How the records of a list are tied to one record, by its id.
#[derive(Debug, Clone, Copy)]
pub enum Link {
    /// The column holds the record's id.
    Column(&'static str),
    /// The column holds a value of `select` in the rows of `table` whose `by` is the record's id (a client's SLAs,
    /// through its subscriptions).
    Through { column: &'static str, select: &'static str, table: &'static str, by: &'static str },
}

#[derive(Debug)]
pub struct Resource {
    /// The audit log's entity type: "client".
    pub kind: &'static str,
    /// "Client", "Clients".
    pub noun: &'static str,
    pub plural: &'static str,
    pub path: &'static str,
    pub table: &'static str,
    pub key: &'static str,
    /// SQL expression naming one record.
    pub title: &'static str,
    pub fields: &'static [Field],
    /// Field names shown as list columns, after the title.
    pub columns: &'static [&'static str],
    /// Field names offered as list filters (choices and references).
    pub filters: &'static [&'static str],
    /// Groups of fields that must be unique together, compared without case.
    pub unique: &'static [&'static [&'static str]],
    pub related: &'static [Related],
    /// The access area: who may read, create, change and decide these records.
    pub area: Area,
    /// How the records are tied to what an actor sees.
    pub rows: Rows,
    /// Fields that are the provider's internal links (into incidents and people that may lie outside a contact's
    /// scope): shown only to those who may see internal details.
    pub internal: &'static [&'static str],
    pub has_updated_at: bool,
    /// Whether records carry a `lock_version` (every record that can be edited does).
    pub versioned: bool,
    /// Whether records wait for approval (subscriptions and SLAs).
    pub approval: bool,
    /// The text a list's search looks in, as an SQL expression (its full-text index must match it).
    pub search: Option<&'static str>,
    /// Columns read with each record besides its fields (e.g. a report's snapshot).
    pub extra_columns: &'static [&'static str],
    /// The column set to the acting user when a record is created (issued_by_user, created_by_user, …).
    pub actor_column: Option<&'static str>,
    /// The status moves allowed, as (from, to); empty when any move is allowed.
    pub transitions: &'static [(&'static str, &'static str)],
    /// Timestamps set when a record enters a status: (status, column).
    pub stamps: &'static [(&'static str, &'static str)],
    /// What the kind does beyond its description (`kinds`): its rules, creation extras, decisions, page actions.
    pub behaviour: &'static dyn Behaviour,
    /// How the incident's timeline tells of a new record of the kind.
    pub created_words: fn(&Created<'_>) -> String,
}

/// The column a procedure keeps its state in, which `transitions` and `stamps` speak of and requests are decided by.
pub const STATUS: &str = crate::column!(
    [
        problem_tickets,
        work_orders,
        workarounds,
        root_cause_analysis,
        change_requests,
        rollback_requests,
        incident_reports,
        knowledge_base_articles,
        post_incident_reviews
    ],
    status
);

/// What most record types have; each description states how it differs.
pub const DEFAULTS: Resource = Resource {
    kind: "",
    noun: "",
    plural: "",
    path: "",
    table: "",
    key: "",
    title: "",
    fields: &[],
    columns: &[],
    filters: &[],
    unique: &[],
    related: &[],
    area: Area::Clients,
    rows: Rows::Catalogue,
    internal: &[],
    has_updated_at: true,
    versioned: true,
    approval: false,
    search: None,
    extra_columns: &[],
    actor_column: None,
    transitions: &[],
    stamps: &[],
    behaviour: &Plain,
    created_words: |created| created.title.to_string(),
};

impl Resource {
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}
