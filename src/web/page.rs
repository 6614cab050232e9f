//! What every page's layout needs: the signed-in user, navigation for their role, the CSRF token and a flash.
use super::{csrf, session};
use crate::access::{Action, Area, Target};
pub use crate::forms::FieldError;
use crate::users::User;
use actix_session::Session;

/// An area in the navigation, shown only to those who may use it.
pub struct NavLink {
    pub label: &'static str,
    pub href: &'static str,
    pub current: bool,
}

/// The areas, in navigation order, with the action that opens each: an area appears to those who may take it.
const AREAS: &[(&str, &str, Option<Action>)] = &[
    ("Home", "/", None),
    ("Incidents", "/incidents", Some(Action::Read(Area::Incidents))),
    ("Procedures", "/procedures", Some(Action::Read(Area::Problems))),
    ("Knowledge base", "/kb", Some(Action::Read(Area::Articles))),
    ("Notifications", "/notifications", None),
    ("Clients", "/clients", Some(Action::Read(Area::Clients))),
    ("Users", "/users", Some(Action::Read(Area::Users))),
    ("Vendors", "/vendors", Some(Action::Read(Area::Vendors))),
    ("Products", "/products", Some(Action::Read(Area::Products))),
    ("Components", "/components", Some(Action::Read(Area::Components))),
    ("Subscriptions", "/subscriptions", Some(Action::Read(Area::Subscriptions))),
    ("SLAs", "/slas", Some(Action::Read(Area::Slas))),
    ("My password", "/account/password", None),
];

pub struct Page {
    pub title: String,
    pub user_name: Option<String>,
    pub role_label: Option<&'static str>,
    /// The client or vendor a scoped user acts for.
    pub organisation: Option<String>,
    pub nav: Vec<NavLink>,
    /// The user's saved views of the incident list: (name, address).
    pub views: Vec<(String, String)>,
    pub csrf_token: String,
    pub flash: Option<String>,
    /// The signed-in user's unread notifications, for the header.
    pub unread: i64,
}

impl Page {
    /// A page for a signed-in user; `current` is the href of the area it belongs to.
    pub fn for_user(session: &Session, user: &User, title: impl Into<String>, current: &str) -> Self {
        let actor = user.actor();
        let role = actor.role;
        let mut nav: Vec<NavLink> = AREAS
            .iter()
            .filter(|(_, _, action)| action.is_none_or(|action| actor.can(action, &Target::Any)))
            .map(|(label, href, _)| NavLink { label, href, current: *href == current })
            .collect();
        // Before "My password": the trail is for the roles its rule names.
        if actor.can(Action::Read(Area::AuditTrail), &Target::Any) {
            let at = nav.len().saturating_sub(1);
            nav.insert(at, NavLink { label: "Audit trail", href: "/audit", current: current == "/audit" });
        }
        Self {
            title: title.into(),
            user_name: Some(user.name.clone()),
            role_label: Some(role.label()),
            organisation: session::organisation(session),
            nav,
            views: session::saved_views(session)
                .into_iter()
                .map(|v| (v.href(), v.name))
                .map(|(href, name)| (name, href))
                .collect(),
            csrf_token: csrf::masked(&csrf::token(session)),
            flash: session::take_flash(session),
            unread: user.unread_notifications,
        }
    }

    /// A page for someone not signed in (the sign-in page), with the sign-in form's token.
    pub fn anonymous(session: &Session, token: String, title: impl Into<String>) -> Self {
        let csrf_token = csrf::masked(&token);
        Self {
            title: title.into(),
            user_name: None,
            role_label: None,
            organisation: None,
            nav: Vec::new(),
            views: Vec::new(),
            csrf_token,
            flash: session::take_flash(session),
            unread: 0,
        }
    }
}
