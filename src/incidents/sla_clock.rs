//! SLA clocks: how an incident stands against its response and resolution targets. Pure.
use chrono::{DateTime, Duration, Utc};

/// A target's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clock {
    /// Done within the target.
    Met,
    /// Done, but late by this much.
    Missed(Duration),
    /// Running, with this much left.
    Running(Duration),
    /// Running, with less than a quarter of the target left.
    AtRisk(Duration),
    /// Running, and over the target by this much.
    Breached(Duration),
}

impl Clock {
    /// Starts at detection; stops when `done` (acknowledged, or resolved) is reached.
    pub fn of(start: DateTime<Utc>, target: Duration, done: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Clock {
        let deadline = start + target;
        match done {
            Some(at) if at <= deadline => Clock::Met,
            Some(at) => Clock::Missed(at - deadline),
            None if now > deadline => Clock::Breached(now - deadline),
            None if (deadline - now) * 4 < target => Clock::AtRisk(deadline - now),
            None => Clock::Running(deadline - now),
        }
    }

    /// Words that carry the meaning without colour: "2 h 5 min left", "Breached by 30 min".
    pub fn describe(&self) -> String {
        match self {
            Clock::Met => "Met".into(),
            Clock::Missed(by) => format!("Missed by {}", span(*by)),
            Clock::Running(left) => format!("{} left", span(*left)),
            Clock::AtRisk(left) => format!("At risk: {} left", span(*left)),
            Clock::Breached(by) => format!("Breached by {}", span(*by)),
        }
    }

    /// A short word for styling and filtering.
    pub fn class(&self) -> &'static str {
        match self {
            Clock::Met => "met",
            Clock::Missed(_) => "missed",
            Clock::Running(_) => "running",
            Clock::AtRisk(_) => "at-risk",
            Clock::Breached(_) => "breached",
        }
    }

    pub fn needs_attention(&self) -> bool {
        matches!(self, Clock::AtRisk(_) | Clock::Breached(_))
    }
}

/// "3 d 4 h", "2 h 5 min", "12 min".
pub fn span(duration: Duration) -> String {
    let minutes = duration.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours) {
        (0, 0) => format!("{mins} min"),
        (0, _) => format!("{hours} h {mins} min"),
        _ => format!("{days} d {hours} h"),
    }
}

/// An incident's two clocks, or none when no approved SLA applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaClocks {
    pub response: Clock,
    pub resolution: Clock,
}

impl SlaClocks {
    pub fn of(
        detected: DateTime<Utc>,
        acknowledged: Option<DateTime<Utc>>,
        resolved: Option<DateTime<Utc>>,
        response_minutes: i32,
        resolution_hours: i32,
        now: DateTime<Utc>,
    ) -> SlaClocks {
        SlaClocks {
            response: Clock::of(detected, Duration::minutes(response_minutes.into()), acknowledged, now),
            resolution: Clock::of(detected, Duration::hours(resolution_hours.into()), resolved, now),
        }
    }

    /// The clock that matters most now: a breach, then a risk, then a miss, then a running clock; of two alike, the
    /// one whose deadline came or comes first. So a running headline's deadline is the incident's SLA due time, by
    /// which the incident list sorts.
    pub fn headline(&self) -> &Clock {
        let urgency = |clock: &Clock| match clock {
            Clock::Breached(by) => (4, *by),
            Clock::AtRisk(left) => (3, -*left),
            Clock::Missed(by) => (2, *by),
            Clock::Running(left) => (1, -*left),
            Clock::Met => (0, Duration::zero()),
        };
        if urgency(&self.response) >= urgency(&self.resolution) { &self.response } else { &self.resolution }
    }
}

/// An SLA clock as pages show it: words, and a class that only adds colour.
pub struct ClockView {
    pub text: String,
    pub class: &'static str,
}

impl ClockView {
    pub fn none() -> Self {
        ClockView { text: "No applicable SLA".into(), class: "none" }
    }

    pub fn of(clock: &Clock) -> Self {
        ClockView { text: clock.describe(), class: clock.class() }
    }
}

/// The clocks of an incident against its client's approved SLA, if one applies.
pub fn clocks(
    target: Option<(i32, i32)>,
    detected: chrono::DateTime<chrono::Utc>,
    acknowledged: Option<chrono::DateTime<chrono::Utc>>,
    resolved: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<SlaClocks> {
    target.map(|(response, resolution)| SlaClocks::of(detected, acknowledged, resolved, response, resolution, now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, hour, minute, 0).unwrap()
    }

    #[test]
    fn clocks_are_within_target_at_risk_breached_met_or_missed() {
        let target = Duration::minutes(60);
        let table = [
            (None, at(9, 20), Clock::Running(Duration::minutes(40))),
            (None, at(9, 50), Clock::AtRisk(Duration::minutes(10))),
            (None, at(10, 30), Clock::Breached(Duration::minutes(30))),
            (Some(at(9, 45)), at(12, 0), Clock::Met),
            (Some(at(10, 15)), at(12, 0), Clock::Missed(Duration::minutes(15))),
        ];
        for (done, now, expected) in table {
            assert_eq!(Clock::of(at(9, 0), target, done, now), expected, "done {done:?} now {now}");
        }
        assert_eq!(Clock::Breached(Duration::minutes(150)).describe(), "Breached by 2 h 30 min");
        assert_eq!(Clock::AtRisk(Duration::minutes(5)).describe(), "At risk: 5 min left");
        assert_eq!(span(Duration::hours(76)), "3 d 4 h");
    }

    #[test]
    fn the_headline_is_the_clock_that_needs_attention() {
        let clocks = SlaClocks::of(at(9, 0), Some(at(9, 10)), None, 15, 2, at(10, 45));
        assert_eq!(clocks.response, Clock::Met);
        assert_eq!(clocks.resolution, Clock::AtRisk(Duration::minutes(15)));
        assert_eq!(clocks.headline(), &Clock::AtRisk(Duration::minutes(15)));
        // Both breached: the one breached the longest, whose deadline came first.
        let late = SlaClocks::of(at(9, 0), None, None, 30, 1, at(11, 0));
        assert_eq!(late.headline(), &Clock::Breached(Duration::minutes(90)));
        // Both running: the one that runs out first.
        let calm = SlaClocks::of(at(9, 0), None, None, 60, 8, at(9, 10));
        assert_eq!(calm.headline(), &Clock::Running(Duration::minutes(50)));
    }
}
