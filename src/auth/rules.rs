//! Pure sign-in rules.
use crate::domain::enums::UserStatus;
use std::time::Duration;

/// The one message for an unknown email and a wrong password, so neither reveals which accounts exist.
pub const BAD_CREDENTIALS: &str = "The email address or password is not correct.";

/// Whether a user with this status may act; the reason names the rule when not.
pub fn may_act(status: UserStatus) -> Result<(), String> {
    match status {
        UserStatus::Active => Ok(()),
        UserStatus::Inactive => {
            Err("Sign-in: this account is inactive. Ask a system administrator to reactivate it.".into())
        }
        UserStatus::OnLeave => {
            Err("Sign-in: this account is marked on leave. Ask a system administrator to make it active.".into())
        }
    }
}

/// How long an account must wait after `failures` consecutive failed sign-ins: nothing for the first three,
/// then 1, 2, 4 … seconds, never more than a minute, so a guesser is slowed while the real user is not locked out.
pub fn delay_after(failures: u32) -> Duration {
    const FREE_ATTEMPTS: u32 = 3;
    const MAX: Duration = Duration::from_secs(60);
    if failures < FREE_ATTEMPTS {
        return Duration::ZERO;
    }
    let exponent = (failures - FREE_ATTEMPTS).min(6);
    Duration::from_secs(1 << exponent).min(MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_active_users_may_act() {
        assert!(may_act(UserStatus::Active).is_ok());
        assert!(may_act(UserStatus::Inactive).unwrap_err().contains("inactive"));
        assert!(may_act(UserStatus::OnLeave).unwrap_err().contains("on leave"));
    }

    #[test]
    fn delay_grows_and_is_capped() {
        let table = [(0, 0), (2, 0), (3, 1), (4, 2), (5, 4), (8, 32), (9, 60), (50, 60)];
        for (failures, seconds) in table {
            assert_eq!(delay_after(failures), Duration::from_secs(seconds), "after {failures} failures");
        }
    }
}
