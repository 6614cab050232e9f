//! Administration pages. One set of handlers serves every described record type.
use super::queries::{self, Filter, ListOptions, PAGE_SIZE};
use super::rules;
use super::service::{self, Refusal, sight_of};
use super::spec::{FieldKind, Resource};
use super::view::{self, RecordView, RowView};
use super::{kinds, procedures, resources};
use crate::access::{Action, Sight, Target};
use crate::audit;
use crate::auth::password;
use crate::domain::enums::ApprovalStatus;
use crate::error::AppError;
use crate::format;
use crate::forms::view::{CheckGroup, FormField, form_fields};
use crate::users::User;
use crate::web::AppState;
use crate::web::page::{FieldError, Page};
use crate::web::respond::{after_action, conflict, html, see_other, unprocessable};
use crate::web::session::{self, CurrentUser};
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::Connection;
use std::collections::HashMap;

/// A record type with list, detail and form pages.
pub trait Described: 'static {
    fn resource() -> &'static Resource;
}

macro_rules! described {
    ($($marker:ident => $resource:path),+ $(,)?) => {
        $(
            pub struct $marker;
            impl Described for $marker {
                fn resource() -> &'static Resource { &$resource }
            }
        )+
    };
}

described! {
    Clients => resources::CLIENTS,
    Users => resources::USERS,
    Vendors => resources::VENDORS,
    Products => resources::PRODUCTS,
    Components => resources::COMPONENTS,
    Subscriptions => resources::SUBSCRIPTIONS,
    Slas => resources::SLAS,
    Problems => procedures::PROBLEM_TICKETS,
    WorkOrders => procedures::WORK_ORDERS,
    Workarounds => procedures::WORKAROUNDS,
    Analyses => procedures::ANALYSES,
    Changes => procedures::CHANGES,
    Rollbacks => procedures::ROLLBACKS,
    Metrics => procedures::METRICS,
    Reports => procedures::REPORTS,
    Articles => procedures::ARTICLES,
    Reviews => procedures::REVIEWS,
}

type Form = web::Form<HashMap<String, String>>;

mod approvals;
mod detail_page;
mod list_page;
mod procedure_actions;
mod record_forms;
mod user_password;

pub use approvals::*;
pub use detail_page::*;
pub use list_page::*;
pub use procedure_actions::*;
pub use record_forms::*;
pub use user_password::*;
