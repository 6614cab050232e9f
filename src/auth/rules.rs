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

/// Failed attempts an account may make before it is slowed: a person mistyping is not held up.
pub const ACCOUNT_FREE_ATTEMPTS: u32 = 3;
/// Failed attempts one client address may make, across all accounts, before it is slowed: enough for an office
/// behind one address whose people mistype, too few for spraying a password over many accounts.
pub const ADDRESS_FREE_ATTEMPTS: u32 = 20;
/// A quiet spell this long forgives earlier failures.
pub const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);

/// How long to wait after `failures` failed attempts where `free` are allowed: nothing for the free ones, then 1,
/// 2, 4 … seconds, never more than a minute, so a guesser is slowed while the real user is not locked out.
pub fn delay_after(failures: u32, free: u32) -> Duration {
    const MAX: Duration = Duration::from_secs(60);
    if failures < free {
        return Duration::ZERO;
    }
    let exponent = (failures - free).min(6);
    Duration::from_secs(1 << exponent).min(MAX)
}

/// How much of the wait is left `since` the last attempt; none once the failures are forgiven.
pub fn wait_left(failures: u32, free: u32, since: Duration) -> Duration {
    if since >= FORGET_AFTER { Duration::ZERO } else { delay_after(failures, free).saturating_sub(since) }
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
            let delay = delay_after(failures, ACCOUNT_FREE_ATTEMPTS);
            assert_eq!(delay, Duration::from_secs(seconds), "after {failures} failures");
        }
        assert_eq!(delay_after(19, ADDRESS_FREE_ATTEMPTS), Duration::ZERO, "an address has more free attempts");
        assert_eq!(delay_after(21, ADDRESS_FREE_ATTEMPTS), Duration::from_secs(2));
    }

    #[test]
    fn the_wait_runs_down_and_a_quiet_spell_forgives() {
        let seconds = Duration::from_secs;
        let table = [
            (4, seconds(0), seconds(2)),
            (4, seconds(1), seconds(1)),
            (4, seconds(5), seconds(0)),
            (10, seconds(30), seconds(30)),
            (10, FORGET_AFTER, seconds(0)),
        ];
        for (failures, since, left) in table {
            assert_eq!(wait_left(failures, ACCOUNT_FREE_ATTEMPTS, since), left, "{failures} failures, {since:?} ago");
        }
    }
}
