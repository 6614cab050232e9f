//! What an actor sees. `Scope::incidents` is the one definition of "the incidents this actor may see"; every other
//! table's rows are tied to it, or to the actor's client or vendor, by `Rows`. Both come out as diesel expressions,
//! which diesel queries filter by and hand-written SQL embeds (`PreparedSql::fragment`), so the two can never
//! disagree.
use super::Actor;
use crate::db::prepared::{PreparedSql, literal, prepared};
use crate::domain::enums::Role;
use crate::schema::{incident_escalations, incidents, infrastructure_components, products, users};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer};

/// Which incidents an actor may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Provider staff: every client.
    All,
    /// A client contact, or staff confined to one client.
    Client(i32),
    /// A vendor contact: incidents on components of products their vendor supports, and incidents escalated to
    /// one of its people.
    Vendor(i32),
    /// A contact without an organisation sees nothing: an empty scope never widens access.
    Nothing,
}

/// A condition on the incidents table.
pub type IncidentCondition = Box<dyn BoxableExpression<incidents::table, Pg, SqlType = Bool>>;

impl Scope {
    pub fn of(actor: &Actor) -> Scope {
        match actor.role {
            Role::ClientContact => actor.client_id.map_or(Scope::Nothing, Scope::Client),
            Role::VendorContact => actor.vendor_id.map_or(Scope::Nothing, Scope::Vendor),
            // An account manager may be confined to a client's portfolio; other staff see every client.
            _ => actor.client_id.map_or(Scope::All, Scope::Client),
        }
    }

    /// The incidents this scope may see: the one definition, as a condition on the incidents table.
    pub fn incidents(self) -> IncidentCondition {
        match self {
            Scope::All => Box::new(literal::<Bool>("TRUE")),
            Scope::Client(client) => Box::new(incidents::client_id.eq(client)),
            Scope::Vendor(vendor) => {
                let supported = infrastructure_components::table
                    .inner_join(products::table)
                    .filter(products::support_vendor_id.eq(vendor))
                    .select(infrastructure_components::component_id);
                // Escalated to one of its people at the vendor level (as `vendor_escalations` says): probed per
                // incident by the partial index on escalations, so the cost follows the incidents read, where
                // `incident_id IN (...)` hashed every escalation the vendor ever had on every view. `OFFSET 0`
                // keeps PostgreSQL from turning the probe back into that hash (it does so for a plain EXISTS
                // under OR): the vendor's dashboard count at a million incidents took 22 ms so, 0.6 ms probed.
                let escalated = diesel::dsl::sql::<Bool>(
                    "EXISTS (SELECT 1 FROM incident_escalations e WHERE e.incident_id = incidents.incident_id \
                     AND e.escalation_level = 'vendor' \
                     AND e.escalated_to_user IN (SELECT user_id FROM users WHERE vendor_id = ",
                )
                .bind::<Integer, _>(vendor)
                .sql(") OFFSET 0)");
                Box::new(incidents::component_id.eq_any(supported).or(escalated))
            }
            Scope::Nothing => Box::new(literal::<Bool>("FALSE")),
        }
    }

    /// The ids of the incidents this scope may see, for the tables that hang off incidents.
    pub fn incident_ids(self) -> incidents::BoxedQuery<'static, Pg, Integer> {
        incidents::table.filter(self.incidents()).select(incidents::incident_id).into_boxed()
    }

    /// Which clients' incident counts add up to this scope's: `Some(None)` all of them, `Some(Some(c))` client `c`'s,
    /// `None` when the scope is not a set of whole clients (a vendor's).
    pub fn whole_clients(self) -> Option<Option<i32>> {
        match self {
            Scope::All => Some(None),
            Scope::Client(client) => Some(Some(client)),
            Scope::Vendor(_) | Scope::Nothing => None,
        }
    }
}

/// What decides whether a scope sees an incident, known without asking the database again: its client, the vendor
/// that supports its component, and the vendors it was escalated to. `Scope::sees` reads the same definition as
/// `Scope::incidents` over these facts, to decide about people other than the actor (whom a communication may
/// reach); tests/app/scope.rs holds the two to the same answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentFacts {
    pub client_id: i32,
    pub supporting_vendor: Option<i32>,
    pub escalated_vendors: Vec<i32>,
}

impl Scope {
    /// Whether this scope sees the incident these facts describe.
    pub fn sees(self, incident: &IncidentFacts) -> bool {
        match self {
            Scope::All => true,
            Scope::Client(client) => client == incident.client_id,
            Scope::Vendor(vendor) => {
                incident.supporting_vendor == Some(vendor) || incident.escalated_vendors.contains(&vendor)
            }
            Scope::Nothing => false,
        }
    }
}

/// The facts that decide who sees an incident, read from the database.
pub fn incident_facts(conn: &mut PgConnection, incident_id: i32) -> QueryResult<Option<IncidentFacts>> {
    let Some((client_id, supporting_vendor)) = incidents::table
        .find(incident_id)
        .inner_join(infrastructure_components::table.left_join(products::table))
        .select((incidents::client_id, products::support_vendor_id.nullable()))
        .first::<(i32, Option<i32>)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let escalated_vendors: Vec<Option<i32>> = vendor_escalations()
        .inner_join(users::table.on(users::user_id.eq(incident_escalations::escalated_to_user)))
        .filter(incident_escalations::incident_id.eq(incident_id))
        .select(users::vendor_id)
        .load(conn)?;
    Ok(Some(IncidentFacts {
        client_id,
        supporting_vendor,
        escalated_vendors: escalated_vendors.into_iter().flatten().collect(),
    }))
}

/// The escalations that bring an incident into a vendor's scope: those at the vendor level, to whichever vendor
/// the person escalated to works for.
pub fn vendor_escalations() -> incident_escalations::BoxedQuery<'static, Pg> {
    incident_escalations::table.filter(incident_escalations::escalation_level.eq("vendor")).into_boxed()
}

/// How the rows of a table are tied to what an actor sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// The provider's catalogue (vendors, products, components): no client's.
    Catalogue,
    /// Components one may report an incident on: a vendor's own, a client's subscribed ones, or all for staff.
    ReportableComponents,
    /// Clients: one's own; for a vendor, the clients subscribed to its products.
    Clients,
    /// Rows of a client, by their `client_id` (subscriptions).
    OfClient,
    /// Rows of a client's subscription, by their `subscription_id` (SLAs).
    OfSubscription,
    /// People: the provider's own, and those of one's own client or vendor.
    People,
    /// The incidents themselves.
    Incidents,
    /// Rows of an incident, by their `incident_id` (the procedure records staff keep).
    OfIncident,
    /// Incident reports: contacts read the published ones.
    Reports,
    /// Knowledge base articles: about an incident one sees, or about none; contacts read the published ones.
    Articles,
    /// Work orders: those of incidents one sees; a vendor's contacts, those assigned to its people.
    WorkOrders,
}

/// What one actor sees of every table: their scope, and whether they read as a contact (who sees only what is
/// published or addressed to them, never the provider's internal records).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sight {
    pub scope: Scope,
    pub contact: bool,
}

impl Sight {
    /// The product itself, for checks that do not depend on who looks.
    pub const EVERYTHING: Sight = Sight { scope: Scope::All, contact: false };

    pub fn of(actor: &Actor) -> Sight {
        Sight { scope: actor.scope(), contact: !actor.role.is_staff() }
    }

    /// The rows of `table` (a described table's name, never a value) that this sight sees, as an SQL condition; `None`
    /// when it sees them all.
    pub fn rows(self, rows: Rows, table: &str) -> Option<PreparedSql<'static>> {
        let column = |name: &str| format!("{table}.{name}");
        let of_incidents =
            |column: String| prepared(format!("{column} IN (")).fragment(self.scope.incident_ids()).sql(")");
        let published = || prepared(format!("{table}.status = 'published'"));
        // Articles about no incident, or about one the actor sees.
        let unlinked_or_of_incidents = || {
            prepared(format!("({} IS NULL OR ", column("incident_id")))
                .append(of_incidents(column("incident_id")))
                .sql(")")
        };
        // The rows whose `column` is among what `select` gives for the actor's organisation `id` (the text of
        // `select` ends where the id goes).
        let among = |column: String, select: &str, id: i32| {
            prepared(format!("{column} IN ({select}")).bind::<Integer, _>(id).sql(")")
        };
        let nothing = || Some(prepared("false"));
        let internal = matches!(rows, Rows::OfClient | Rows::OfSubscription | Rows::OfIncident);
        if self.contact && internal {
            return nothing();
        }
        match (rows, self.scope) {
            (_, Scope::Nothing) => nothing(),
            (Rows::Catalogue, _) => None,
            (Rows::Incidents, Scope::All) if !self.contact => None,
            (Rows::Incidents, scope) => Some(prepared("").fragment(scope.incidents())),
            (Rows::Reports, _) if self.contact => {
                Some(PreparedSql::join([of_incidents(column("incident_id")), published()], " AND "))
            }
            (Rows::Articles, _) if self.contact => {
                Some(PreparedSql::join([unlinked_or_of_incidents(), published()], " AND "))
            }
            (Rows::WorkOrders, Scope::Vendor(vendor)) => {
                Some(among(column("assigned_to_user"), "SELECT user_id FROM users WHERE vendor_id = ", vendor))
            }
            (Rows::WorkOrders, _) if self.contact => nothing(),
            (_, Scope::All) => None,
            (Rows::OfIncident | Rows::Reports | Rows::WorkOrders, _) => Some(of_incidents(column("incident_id"))),
            (Rows::Articles, _) => Some(unlinked_or_of_incidents()),
            (Rows::ReportableComponents, Scope::Vendor(vendor)) => {
                Some(among(column("product_id"), "SELECT product_id FROM products WHERE support_vendor_id = ", vendor))
            }
            (Rows::ReportableComponents, Scope::Client(client)) if self.contact => Some(among(
                column("product_id"),
                "SELECT product_id FROM subscriptions WHERE status = 'active' AND client_id = ",
                client,
            )),
            (Rows::ReportableComponents, _) => None,
            (Rows::Clients, Scope::Vendor(vendor)) => Some(among(
                column("client_id"),
                "SELECT s.client_id FROM subscriptions s JOIN products p USING (product_id) WHERE p.support_vendor_id = ",
                vendor,
            )),
            (Rows::Clients | Rows::OfClient, Scope::Client(client)) => {
                Some(prepared(format!("{} = ", column("client_id"))).bind::<Integer, _>(client))
            }
            (Rows::OfSubscription, Scope::Client(client)) => Some(among(
                column("subscription_id"),
                "SELECT subscription_id FROM subscriptions WHERE client_id = ",
                client,
            )),
            (Rows::People, Scope::Client(client)) => Some(
                prepared(format!("({} IS NULL OR {} = ", column("client_id"), column("client_id")))
                    .bind::<Integer, _>(client)
                    .sql(")"),
            ),
            (Rows::People, Scope::Vendor(vendor)) => Some(
                prepared(format!(
                    "({} IS NULL AND ({} IS NULL OR {} = ",
                    column("client_id"),
                    column("vendor_id"),
                    column("vendor_id")
                ))
                .bind::<Integer, _>(vendor)
                .sql("))"),
            ),
            (Rows::OfClient | Rows::OfSubscription, Scope::Vendor(_)) => nothing(),
        }
    }

    /// Whether this sight sees a communication sent to `recipient` or to the group `recipients`: staff see every
    /// one; contacts those addressed to them, and client contacts also those to their client's contacts or to all
    /// stakeholders.
    pub fn sees_communication(self, viewer: i32, recipient: Option<i32>, recipients: Option<&str>) -> bool {
        if !self.contact {
            return true;
        }
        recipient == Some(viewer)
            || match self.scope {
                Scope::Client(_) => matches!(recipients, Some("client_contacts" | "all_stakeholders")),
                Scope::Vendor(_) => recipients == Some("all_stakeholders"),
                Scope::All | Scope::Nothing => false,
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::enums::UserStatus;
    use Role::*;

    fn actor(role: Role, client_id: Option<i32>, vendor_id: Option<i32>) -> Actor {
        Actor { user_id: 1, role, client_id, vendor_id, status: UserStatus::Active }
    }

    #[test]
    fn scope_follows_role_client_and_vendor_and_an_empty_one_widens_nothing() {
        let table = [
            (actor(ClientContact, Some(3), None), Scope::Client(3)),
            (actor(ClientContact, None, None), Scope::Nothing),
            (actor(ClientContact, None, Some(2)), Scope::Nothing),
            (actor(VendorContact, None, Some(2)), Scope::Vendor(2)),
            (actor(VendorContact, None, None), Scope::Nothing),
            (actor(AccountManager, Some(5), None), Scope::Client(5)),
            (actor(TechnicalSupport, None, None), Scope::All),
            (actor(Executive, None, Some(9)), Scope::All),
        ];
        for (actor, scope) in table {
            assert_eq!(actor.scope(), scope, "{actor:?}");
        }
    }

    #[test]
    fn contacts_see_their_own_communications_and_their_groups() {
        let client = Sight::of(&actor(ClientContact, Some(3), None));
        let vendor = Sight::of(&actor(VendorContact, None, Some(2)));
        let staff = Sight::of(&actor(TechnicalSupport, None, None));
        let table = [
            (client, Some(1), None, true),
            (client, Some(7), None, false),
            (client, None, Some("client_contacts"), true),
            (client, None, Some("all_stakeholders"), true),
            (client, None, Some("technical_team"), false),
            (vendor, None, Some("client_contacts"), false),
            (vendor, None, Some("all_stakeholders"), true),
            (vendor, Some(1), None, true),
            (staff, Some(7), Some("technical_team"), true),
        ];
        for (sight, recipient, group, sees) in table {
            assert_eq!(sight.sees_communication(1, recipient, group), sees, "{sight:?} {recipient:?} {group:?}");
        }
    }

    #[test]
    fn contacts_never_see_internal_tables_and_scoped_staff_see_their_clients() {
        let contact = Sight::of(&actor(ClientContact, Some(3), None));
        for rows in [Rows::OfClient, Rows::OfSubscription, Rows::OfIncident] {
            let sql = contact.rows(rows, "t").map(|c| diesel::debug_query::<Pg, _>(&c).to_string());
            assert_eq!(sql.as_deref(), Some("false -- binds: []"), "{rows:?}");
        }
        assert!(Sight::EVERYTHING.rows(Rows::OfIncident, "t").is_none());
        let scoped = Sight::of(&actor(AccountManager, Some(3), None));
        let sql = diesel::debug_query::<Pg, _>(&scoped.rows(Rows::OfClient, "subscriptions").unwrap()).to_string();
        assert_eq!(sql, "subscriptions.client_id = $1 -- binds: [3]");
    }
}
