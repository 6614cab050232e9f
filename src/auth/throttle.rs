//! Per-account memory of failed sign-ins, kept in the server process.
use super::rules::delay_after;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries idle this long are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// Above this many tracked accounts, idle ones are swept, so guessing many emails cannot grow memory for long.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    /// How long `email` must still wait before another attempt is checked (zero when it may try now).
    pub fn wait_for(&self, email: &str, now: Instant) -> Duration {
        let failures = self.failures.lock().expect("throttle lock");
        match failures.get(&key(email)) {
            Some((count, last)) => (*last + delay_after(*count)).saturating_duration_since(now),
            None => Duration::ZERO,
        }
    }

    pub fn failed(&self, email: &str, now: Instant) {
        let mut failures = self.failures.lock().expect("throttle lock");
        if failures.len() > SWEEP_ABOVE {
            failures.retain(|_, (_, last)| now.duration_since(*last) < FORGET_AFTER);
        }
        let entry = failures.entry(key(email)).or_insert((0, now));
        if now.duration_since(entry.1) >= FORGET_AFTER {
            entry.0 = 0;
        }
        entry.0 += 1;
        entry.1 = now;
    }

    pub fn succeeded(&self, email: &str) {
        self.failures.lock().expect("throttle lock").remove(&key(email));
    }
}

fn key(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_after_repeated_failures_and_reset_on_success() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(throttle.wait_for("Ann@Example.org", start), Duration::ZERO);
            throttle.failed("ann@example.org", start);
        }
        assert_eq!(throttle.wait_for("ANN@example.org", start), Duration::from_secs(1));
        assert_eq!(throttle.wait_for("ann@example.org", start + Duration::from_secs(1)), Duration::ZERO);
        throttle.failed("ann@example.org", start);
        assert_eq!(throttle.wait_for("ann@example.org", start), Duration::from_secs(2));
        assert_eq!(throttle.wait_for("bob@example.org", start), Duration::ZERO, "other accounts are not slowed");
        throttle.succeeded("ann@example.org");
        assert_eq!(throttle.wait_for("ann@example.org", start), Duration::ZERO);
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_period() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for _ in 0..6 {
            throttle.failed("ann@example.org", start);
        }
        let later = start + FORGET_AFTER;
        throttle.failed("ann@example.org", later);
        assert_eq!(throttle.wait_for("ann@example.org", later), Duration::ZERO, "count restarted at one");
    }
}
