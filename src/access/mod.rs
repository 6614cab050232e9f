//! Who may see and do what: the one place that knows the rules of access. `scope` says which rows an actor sees
//! (one definition of "the incidents this actor may see", rendered for diesel and for SQL text alike); `rules::may`
//! says whether an actor may take an action on a target, and names the rule that decided. Queries, services,
//! handlers, the route table, the access-matrix test and the explainer all ask these two; nothing else restates a
//! scope or role rule.
pub mod rules;
pub mod scope;

pub use rules::{Action, Area, Decision, Rule, STAFF, Target, may};
pub use scope::{Rows, Scope, Sight};

use crate::domain::enums::{Role, UserStatus};

/// The signed-in user as access sees them: who, in which role, tied to which client or vendor, and whether they
/// may act at all. Read once per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i32,
    pub role: Role,
    pub client_id: Option<i32>,
    pub vendor_id: Option<i32>,
    pub status: UserStatus,
}

impl Actor {
    /// What this actor may see.
    pub fn scope(&self) -> Scope {
        Scope::of(self)
    }

    /// Whether the actor may do `action` to `target` (see `rules::may`).
    pub fn may(&self, action: Action, target: &Target) -> Decision {
        may(self, action, target)
    }

    /// `may`, for code that only needs the answer.
    pub fn can(&self, action: Action, target: &Target) -> bool {
        may(self, action, target).is_ok()
    }
}
