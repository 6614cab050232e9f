//! What every page's layout needs: the signed-in user, navigation for their role, the CSRF token and a flash.
use super::{csrf, session};
use crate::domain::enums::Role;
pub use crate::forms::FieldError;
use crate::users::User;
use actix_session::Session;

/// An area in the navigation, shown only to the roles that may use it.
pub struct NavLink {
    pub label: &'static str,
    pub href: &'static str,
    pub current: bool,
}

const EVERYONE: &[Role] = &[
    Role::SystemAdministrator,
    Role::IncidentManager,
    Role::TechnicalSupport,
    Role::AccountManager,
    Role::Executive,
    Role::ClientContact,
    Role::VendorContact,
];
const STAFF: &[Role] =
    &[Role::SystemAdministrator, Role::IncidentManager, Role::TechnicalSupport, Role::AccountManager, Role::Executive];

/// The areas, in navigation order, with the roles that may use each.
const AREAS: &[(&str, &str, &[Role])] = &[
    ("Home", "/", EVERYONE),
    ("Incidents", "/incidents", EVERYONE),
    ("Procedures", "/procedures", STAFF),
    ("Knowledge base", "/kb", EVERYONE),
    ("Clients", "/clients", STAFF),
    ("Users", "/users", STAFF),
    ("Vendors", "/vendors", STAFF),
    ("Products", "/products", STAFF),
    ("Components", "/components", STAFF),
    ("Subscriptions", "/subscriptions", STAFF),
    ("SLAs", "/slas", STAFF),
    ("My password", "/account/password", EVERYONE),
];

pub struct Page {
    pub title: String,
    pub user_name: Option<String>,
    pub role_label: Option<&'static str>,
    /// The client or vendor a scoped user acts for.
    pub organisation: Option<String>,
    /// Whether the user is provider staff (contacts see less).
    pub staff: bool,
    pub nav: Vec<NavLink>,
    pub csrf_token: String,
    pub flash: Option<String>,
}

impl Page {
    /// A page for a signed-in user; `current` is the href of the area it belongs to.
    pub fn for_user(session: &Session, user: &User, title: impl Into<String>, current: &str) -> Self {
        let role = user.role();
        let mut nav: Vec<NavLink> = AREAS
            .iter()
            .filter(|(_, _, roles)| roles.contains(&role))
            .map(|(label, href, _)| NavLink { label, href, current: *href == current })
            .collect();
        // Before "My password": the trail is for the roles its rule names.
        if crate::audit::rules::may_read_trail(role).is_ok() {
            let at = nav.len().saturating_sub(1);
            nav.insert(at, NavLink { label: "Audit trail", href: "/audit", current: current == "/audit" });
        }
        Self {
            title: title.into(),
            user_name: Some(user.name.clone()),
            role_label: Some(role.label()),
            organisation: session::organisation(session),
            staff: role.is_staff(),
            nav,
            csrf_token: csrf::token(session),
            flash: session::take_flash(session),
        }
    }

    /// A page for someone not signed in (the sign-in page), with the sign-in form's token.
    pub fn anonymous(session: &Session, csrf_token: String, title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            user_name: None,
            role_label: None,
            organisation: None,
            staff: false,
            nav: Vec::new(),
            csrf_token,
            flash: session::take_flash(session),
        }
    }
}
