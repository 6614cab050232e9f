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
    /// Starts an attempt: refused with the time left while `email` must wait; otherwise the attempt is counted
    /// at once, before the password is checked, so parallel guesses cannot slip past the delay. A success
    /// clears the count.
    pub fn begin(&self, email: &str, now: Instant) -> Result<(), Duration> {
        let mut failures = self.failures.lock().expect("throttle lock");
        if let Some((count, last)) = failures.get(&key(email)) {
            let wait = (*last + delay_after(*count)).saturating_duration_since(now);
            if !wait.is_zero() {
                return Err(wait);
            }
        }
        Self::count(&mut failures, email, now);
        Ok(())
    }

    fn count(failures: &mut HashMap<String, (u32, Instant)>, email: &str, now: Instant) {
        if failures.len() > SWEEP_ABOVE {
            failures.retain(|_, (_, last)| now.duration_since(*last) < FORGET_AFTER);
        }
        let entry = failures.entry(key(email)).or_insert((0, now));
        // A long quiet period forgives earlier failures.
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
    fn attempts_are_counted_as_they_start_and_waits_grow() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(throttle.begin("Ann@Example.org", start), Ok(()));
        }
        assert_eq!(throttle.begin("ANN@example.org", start), Err(Duration::from_secs(1)), "the fourth waits");
        let later = start + Duration::from_secs(1);
        assert_eq!(throttle.begin("ann@example.org", later), Ok(()));
        assert_eq!(throttle.begin("ann@example.org", later), Err(Duration::from_secs(2)));
        assert_eq!(throttle.begin("bob@example.org", later), Ok(()), "other accounts are not slowed");
        throttle.succeeded("ann@example.org");
        assert_eq!(throttle.begin("ann@example.org", later), Ok(()));
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_period() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for second in 0..12 {
            let _ = throttle.begin("ann@example.org", start + Duration::from_secs(second * 70));
        }
        let later = start + Duration::from_secs(12 * 70) + FORGET_AFTER;
        assert_eq!(throttle.begin("ann@example.org", later), Ok(()));
        assert_eq!(throttle.begin("ann@example.org", later), Ok(()), "the count restarted");
    }
}
