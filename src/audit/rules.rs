//! Who may read the audit trail (permissions.md: "audit log, read all: system_administrator, executive").
//! Pure; until the access module decides every action, this is the one place that says it.
use crate::domain::enums::Role;

/// The whole trail is for system administrators and executives; everyone else sees at most the history of a
/// record they may see, on its own page.
pub fn may_read_trail(role: Role) -> Result<(), String> {
    match role {
        Role::SystemAdministrator | Role::Executive => Ok(()),
        other => {
            let role = other.label().to_lowercase();
            let article = if role.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
            Err(format!(
                "Audit trail: only system administrators and executives may read the whole audit trail; you are signed in as {article} {role}."
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Role::*;

    #[test]
    fn only_system_administrators_and_executives_read_the_trail() {
        let table = [
            (SystemAdministrator, true),
            (IncidentManager, false),
            (TechnicalSupport, false),
            (AccountManager, false),
            (Executive, true),
            (ClientContact, false),
            (VendorContact, false),
        ];
        for (role, allowed) in table {
            assert_eq!(may_read_trail(role).is_ok(), allowed, "{role:?}");
        }
        assert_eq!(
            may_read_trail(IncidentManager).unwrap_err(),
            "Audit trail: only system administrators and executives may read the whole audit trail; you are signed in as an incident manager."
        );
    }
}
