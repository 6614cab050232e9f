//! How a record type is described: its fields, list, filters, related records and scope.
//! One description drives its list, detail page, forms, validation, queries and audit entries.
use crate::domain::enums::Role;
pub use crate::forms::{Field, FieldKind, RefTable};

/// A list of records that point to the one shown.
#[derive(Debug)]
pub struct Related {
    pub title: &'static str,
    pub resource: &'static Resource,
    /// SQL condition over the related table; `{}` is the shown record's id.
    pub condition: &'static str,
}

/// How users tied to a client are confined in this table.
#[derive(Debug, Clone, Copy)]
pub enum ClientScope {
    /// The table has nothing client-specific: scoped users may read it all.
    Shared,
    /// A condition over the table; `{}` is the client id.
    Condition(&'static str),
}

/// Who may do what with the records (permissions.md). Reading is open to all provider staff.
#[derive(Debug)]
pub struct Permissions {
    pub create: &'static [Role],
    pub update: &'static [Role],
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
    pub scope: ClientScope,
    /// How a vendor contact is confined in this table (`{}` is their vendor); `None`: they see none of it.
    pub vendor_scope: Option<&'static str>,
    /// What contacts may read, on top of their client or vendor scope.
    pub contacts: Contacts,
    /// Fields contacts never see (links into incidents that may lie outside their scope).
    pub hidden_from_contacts: &'static [&'static str],
    pub permissions: Permissions,
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
}

/// Which contacts may read a record type, and with what further condition (e.g. only published articles).
#[derive(Debug, Clone, Copy)]
pub struct Contacts {
    pub client: Option<&'static str>,
    pub vendor: Option<&'static str>,
}

impl Contacts {
    pub const NONE: Contacts = Contacts { client: None, vendor: None };

    pub fn allows_any(self) -> bool {
        self.client.is_some() || self.vendor.is_some()
    }
}

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
    scope: ClientScope::Shared,
    vendor_scope: None,
    contacts: Contacts::NONE,
    hidden_from_contacts: &[],
    permissions: Permissions { create: &[], update: &[] },
    has_updated_at: true,
    versioned: true,
    approval: false,
    search: None,
    extra_columns: &[],
    actor_column: None,
    transitions: &[],
    stamps: &[],
};

impl Resource {
    pub fn field(&'static self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}
