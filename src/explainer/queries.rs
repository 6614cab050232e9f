//! What the explainer reads: the facts that decide who sees an incident, and the people of each group.
use crate::domain::enums::Role;
use crate::schema::{clients, incident_escalations, incidents, infrastructure_components, products, users, vendors};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// What decides who sees an incident: its client, the vendor that supports its component, and the vendors it was
/// escalated to.
#[derive(Debug, Clone)]
pub struct IncidentFacts {
    pub client_id: i32,
    pub client_name: String,
    pub component_name: String,
    pub supporting_vendor: Option<(i32, String)>,
    /// (vendor, its name, when), the earliest escalation to each vendor first.
    pub escalations: Vec<(i32, String, DateTime<Utc>)>,
}

pub fn incident_facts(conn: &mut PgConnection, incident_id: i32) -> QueryResult<Option<IncidentFacts>> {
    let Some((client_id, client_name, component_name, vendor_id, vendor_name)) = incidents::table
        .find(incident_id)
        .inner_join(clients::table)
        .inner_join(infrastructure_components::table.left_join(products::table.left_join(vendors::table)))
        .select((
            incidents::client_id,
            clients::client_name,
            infrastructure_components::component_name,
            vendors::vendor_id.nullable(),
            vendors::vendor_name.nullable(),
        ))
        .first::<(i32, String, String, Option<i32>, Option<String>)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let escalations: Vec<(i32, String, DateTime<Utc>)> = crate::access::scope::vendor_escalations()
        .inner_join(users::table.on(users::user_id.eq(incident_escalations::escalated_to_user)))
        .inner_join(vendors::table.on(vendors::vendor_id.nullable().eq(users::vendor_id)))
        .filter(incident_escalations::incident_id.eq(incident_id))
        .order(incident_escalations::escalated_at)
        .select((vendors::vendor_id, vendors::vendor_name, incident_escalations::escalated_at))
        .load(conn)?;
    let mut seen = std::collections::HashSet::new();
    let escalations = escalations.into_iter().filter(|(vendor, _, _)| seen.insert(*vendor)).collect();
    Ok(Some(IncidentFacts {
        client_id,
        client_name,
        component_name,
        supporting_vendor: vendor_id.zip(vendor_name),
        escalations,
    }))
}

/// An active user, as the explainer groups them: (role, client, vendor, name).
pub type Member = (String, Option<i32>, Option<i32>, String);

/// The active users of the provider, and those of `client` and `vendors`, by name.
pub fn members(conn: &mut PgConnection, client: Option<i32>, vendors: &[i32]) -> QueryResult<Vec<Member>> {
    let mut query = users::table
        .filter(users::status.eq("active"))
        .filter(users::client_id.is_null().and(users::vendor_id.is_null()))
        .into_boxed();
    if let Some(client) = client {
        query = query.or_filter(users::status.eq("active").and(users::client_id.eq(client)));
    }
    query
        .or_filter(users::status.eq("active").and(users::vendor_id.eq_any(vendors.to_vec())))
        .order(users::name)
        .select((users::role, users::client_id, users::vendor_id, users::name))
        .load(conn)
}

/// Whether a member holds `role` and is tied to exactly this client and vendor.
pub fn is(member: &Member, role: Role, client: Option<i32>, vendor: Option<i32>) -> bool {
    member.0 == role.as_str() && member.1 == client && member.2 == vendor
}
