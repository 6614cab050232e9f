//! The rule of a new password, which the user forms and the sign-in pages share: its length only (NIST SP
//! 800-63B: length, not composition rules). Hashing is `auth::password`'s.

pub const MIN_PASSWORD_LENGTH: usize = 12;
/// Longer inputs are refused before hashing, so nobody can make the server hash megabytes.
pub const MAX_PASSWORD_LENGTH: usize = 256;

/// Whether a new password is acceptable; the reason when not.
pub fn check_new_password(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_LENGTH {
        Err(format!("Enter a password of at least {MIN_PASSWORD_LENGTH} characters."))
    } else if password.len() > MAX_PASSWORD_LENGTH {
        Err(format!("Enter a password of at most {MAX_PASSWORD_LENGTH} characters."))
    } else {
        Ok(())
    }
}
