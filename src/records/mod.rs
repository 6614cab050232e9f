//! Records described as data: the administered ones (clients, users, vendors, products, components,
//! subscriptions, SLAs) and the policy's procedure records (problem tickets, work orders, …).
//! Each record type is described once (`resources`); the pages, checks and queries follow the description.
pub mod handlers;
pub mod procedure_rules;
pub mod procedure_service;
pub mod procedures;
pub mod queries;
pub mod report;
pub mod resources;
pub mod rules;
pub mod service;
pub mod spec;
pub mod tiers;
pub mod view;

use crate::domain::enums::Role;
use crate::users::User;

/// Whose eyes a record query serves: staff may be confined to a client; contacts to their client or vendor,
/// and only to what a record type opens to contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub client: Option<i32>,
    pub vendor: Option<i32>,
    pub contact: bool,
}

impl Viewer {
    /// The product itself (checks that do not depend on who looks).
    pub const EVERYTHING: Viewer = Viewer { client: None, vendor: None, contact: false };

    pub fn of(user: &User) -> Self {
        let role = user.role();
        Viewer {
            client: user.client_id,
            vendor: if role == Role::VendorContact { user.vendor_id } else { None },
            contact: !role.is_staff(),
        }
    }
}
