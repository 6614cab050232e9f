//! Saving and deleting a view, each with its audit entry.
use super::SavedView;
use crate::audit::{self, Actor, Changes};
use crate::clock::Clock;
use crate::error::Refusal;
use crate::incidents::list;
use crate::users::User;
use diesel::PgConnection;

/// The most views one person keeps: the navigation lists them all.
pub const MOST: usize = 20;
/// The longest name, in characters.
pub const MAX_NAME: usize = 60;
/// The longest address a view keeps.
const MAX_QUERY: usize = 2_000;

/// Whether a name can be given to a new view, besides the user's other views: the reason if not.
pub fn check_name(name: &str, others: &[SavedView]) -> Result<(), String> {
    if crate::forms::is_blank(name) {
        return Err("Enter a name for the view.".into());
    }
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(format!("Name the view in up to {MAX_NAME} characters of ordinary text."));
    }
    if others.iter().any(|v| v.name.to_lowercase() == name.to_lowercase()) {
        return Err(format!("You already have a view called “{name}”; choose another name."));
    }
    if others.len() >= MOST {
        return Err(format!("You keep {MOST} views already; delete one before saving another."));
    }
    Ok(())
}

/// Saves the incident list's filters and order (`query`, its address parameters) under a name.
pub fn save(
    conn: &mut PgConnection,
    clock: &Clock,
    user: &User,
    name: &str,
    query: &str,
) -> Result<SavedView, Refusal<SavedView>> {
    let name = name.trim();
    let params: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let staff =
        user.actor().can(crate::access::Action::ReadInternal(crate::access::Area::Incidents), &Default::default());
    let read = list::read(&params, staff).map_err(|message| Refusal::field("name", message))?;
    // What is kept is the list's own writing of the address, so the view opens exactly what was shown.
    let query = serde_urlencoded::to_string(list::parameters(&read.filter, read.order)).unwrap_or_default();
    if query.len() > MAX_QUERY {
        return Err(Refusal::field("name", "These filters are too long to keep; search for fewer words."));
    }
    let others = super::of_user(conn, user.user_id)?;
    check_name(name, &others).map_err(|message| Refusal::field("name", message))?;
    let id = super::insert(conn, user.user_id, name, &query, clock.now())?;
    let changes = Changes::new().field("name", None::<String>, Some(name)).field("query", None::<String>, Some(&query));
    audit::record(conn, clock, Actor::user(user.user_id, user.role()), "create", "saved_view", id, changes)?;
    Ok(SavedView { id, name: name.to_string(), query })
}

/// Deletes one of the user's own views; anyone else's is not found.
pub fn delete(
    conn: &mut PgConnection,
    clock: &Clock,
    user: &User,
    view_id: i32,
) -> Result<SavedView, Refusal<SavedView>> {
    let view = super::delete_own(conn, user.user_id, view_id)?.ok_or(Refusal::NotFound)?;
    let changes = Changes::new().field("name", Some(&view.name), None::<String>).field(
        "query",
        Some(&view.query),
        None::<String>,
    );
    audit::record(conn, clock, Actor::user(user.user_id, user.role()), "delete", "saved_view", view.id, changes)?;
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(name: &str) -> SavedView {
        SavedView { id: 1, name: name.into(), query: String::new() }
    }

    #[test]
    fn a_name_is_given_once_per_person_in_ordinary_words() {
        let mine = [view("My P1s")];
        let table = [
            ("Unassigned", Ok(())),
            ("", Err("Enter a name")),
            ("\u{200B} ", Err("Enter a name")),
            ("my p1s", Err("already have a view called")),
            ("tab\there", Err("ordinary text")),
        ];
        for (name, expected) in table {
            match (check_name(name, &mine), expected) {
                (Ok(()), Ok(())) => {}
                (Err(message), Err(words)) => assert!(message.contains(words), "{name:?}: {message}"),
                (got, _) => panic!("{name:?}: {got:?}"),
            }
        }
        assert!(check_name(&"x".repeat(61), &[]).is_err());
        let full: Vec<SavedView> = (0..MOST).map(|n| view(&format!("View {n}"))).collect();
        assert!(check_name("One more", &full).unwrap_err().contains("delete one"));
    }
}
