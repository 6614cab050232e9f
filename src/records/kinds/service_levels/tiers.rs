//! The subscription tier table of domain.md: the response and resolution times an SLA may promise.
//! A business day counts as 24 hours and a week as 7 days; a single value in the table is the only one allowed.
use crate::domain::enums::{Severity, SlaTier};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub min: i64,
    pub max: i64,
}

const fn range(min: i64, max: i64) -> Bounds {
    Bounds { min, max }
}

const HOUR: i64 = 60;
const DAY_HOURS: i64 = 24;

/// Response bounds in minutes and resolution bounds in hours.
pub fn bounds(tier: SlaTier, severity: Severity) -> (Bounds, Bounds) {
    use Severity::*;
    use SlaTier::*;
    match (tier, severity) {
        (Premium, P1) => (range(15, 30), range(2, 4)),
        (Premium, P2) => (range(HOUR, 2 * HOUR), range(8, 24)),
        (Premium, P3) => (range(4 * HOUR, 8 * HOUR), range(48, 72)),
        (Premium, P4) => (range(24 * HOUR, 48 * HOUR), range(128, 128)),
        (Standard, P1) => (range(HOUR, 2 * HOUR), range(8, 24)),
        (Standard, P2) => (range(4 * HOUR, 8 * HOUR), range(24, 48)),
        (Standard, P3) => (range(24 * HOUR, 24 * HOUR), range(72, 120)),
        (Standard, P4) => (range(48 * HOUR, 72 * HOUR), range(168, 168)),
        (Basic, P1) => (range(4 * HOUR, 8 * HOUR), range(24, 48)),
        (Basic, P2) => (range(24 * HOUR, 24 * HOUR), range(72, 120)),
        (Basic, P3) => (range(48 * HOUR, 72 * HOUR), range(5 * DAY_HOURS, 10 * DAY_HOURS)),
        (Basic, P4) => (range(5 * 24 * HOUR, 7 * 24 * HOUR), range(14 * DAY_HOURS, 14 * DAY_HOURS)),
    }
}

/// Checks an SLA's times against its tier; each message names the bound that was broken.
pub fn check(
    tier: SlaTier,
    severity: Severity,
    response_minutes: i64,
    resolution_hours: i64,
) -> Vec<(&'static str, String)> {
    let (response, resolution) = bounds(tier, severity);
    let mut errors = Vec::new();
    let describe = |what: &str, unit: &str, value: i64, b: Bounds| {
        let bound =
            if value < b.min { format!("at least {} {unit}", b.min) } else { format!("at most {} {unit}", b.max) };
        format!(
            "{what} of {value} {unit} breaks the {} tier's bound for {}: it must be {bound}.",
            tier.label(),
            severity.as_str()
        )
    };
    if response_minutes < response.min || response_minutes > response.max {
        errors.push(("response_time_minutes", describe("A response time", "minutes", response_minutes, response)));
    }
    if resolution_hours < resolution.min || resolution_hours > resolution.max {
        errors.push(("resolution_time_hours", describe("A resolution time", "hours", resolution_hours, resolution)));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use Severity::*;
    use SlaTier::*;

    #[test]
    fn times_inside_the_tier_pass_and_outside_name_the_bound() {
        let cases: &[(SlaTier, Severity, i64, i64, &[&str])] = &[
            (Premium, P1, 15, 2, &[]),
            (Premium, P1, 30, 4, &[]),
            (Premium, P1, 14, 4, &["at least 15 minutes"]),
            (Premium, P1, 31, 5, &["at most 30 minutes", "at most 4 hours"]),
            (Standard, P3, 1440, 72, &[]),
            (Standard, P3, 1441, 71, &["at most 1440 minutes", "at least 72 hours"]),
            (Basic, P4, 7200, 336, &[]),
            (Basic, P4, 7199, 337, &["at least 7200 minutes", "at most 336 hours"]),
        ];
        for (tier, severity, response, resolution, expected) in cases {
            let errors = check(*tier, *severity, *response, *resolution);
            assert_eq!(errors.len(), expected.len(), "{tier:?} {severity:?} {response} {resolution}: {errors:?}");
            for ((_, message), bound) in errors.iter().zip(expected.iter()) {
                assert!(message.contains(bound), "{message}");
                assert!(message.contains(tier.label()), "{message}");
            }
        }
    }
}
