//! How values are shown to people: times in the viewer's time zone (stored in UTC), and CSV lines for exports.
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// The product's time zone names (domain.md: UTC, EST, PST, CST, GMT, CET) as zones with daylight saving.
pub fn zone(name: &str) -> Tz {
    match name {
        "EST" => chrono_tz::America::New_York,
        "CST" => chrono_tz::America::Chicago,
        "PST" => chrono_tz::America::Los_Angeles,
        "GMT" => chrono_tz::Europe::London,
        "CET" => chrono_tz::Europe::Paris,
        _ => chrono_tz::UTC,
    }
}

/// "2026-11-26 10:24 EST".
pub fn datetime(at: DateTime<Utc>, zone_name: &str) -> String {
    at.with_timezone(&zone(zone_name)).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// The day of a moment in the viewer's zone: "2026-11-22".
pub fn date(at: DateTime<Utc>, zone_name: &str) -> String {
    at.with_timezone(&zone(zone_name)).format("%Y-%m-%d").to_string()
}

/// A time as a `datetime-local` input shows it in the user's zone: "2026-11-26T10:24".
pub fn local_input(at: DateTime<Utc>, zone_name: &str) -> String {
    at.with_timezone(&zone(zone_name)).format("%Y-%m-%dT%H:%M").to_string()
}

/// "5 minutes ago", "3 hours ago", "2 days ago".
pub fn ago(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let minutes = (now - at).num_minutes();
    let (amount, unit) = match minutes {
        m if m < 1 => return "just now".into(),
        m if m < 60 => (m, "minute"),
        m if m < 60 * 24 => (m / 60, "hour"),
        m => (m / (60 * 24), "day"),
    };
    format!("{amount} {unit}{} ago", if amount == 1 { "" } else { "s" })
}

/// Reads a timestamp as PostgreSQL's JSON gives it.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%:z"))
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// One CSV line. A cell that a spreadsheet would run as a formula is prefixed with an apostrophe.
pub fn csv_line(cells: impl IntoIterator<Item = String>) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let cells: Vec<String> = cells
        .into_iter()
        .map(|c| if c.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{c}") } else { c })
        .collect();
    writer.write_record(&cells).expect("writing to memory");
    writer.into_inner().expect("writing to memory")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_are_shown_in_the_users_zone() {
        let at = Utc.with_ymd_and_hms(2026, 7, 1, 12, 0, 0).unwrap();
        assert_eq!(datetime(at, "UTC"), "2026-07-01 12:00 UTC");
        assert_eq!(datetime(at, "EST"), "2026-07-01 08:00 EDT");
        assert_eq!(datetime(at, "CET"), "2026-07-01 14:00 CEST");
        assert_eq!(local_input(at, "EST"), "2026-07-01T08:00");
        assert_eq!(ago(at - chrono::Duration::minutes(1), at), "1 minute ago");
        assert_eq!(ago(at - chrono::Duration::hours(5), at), "5 hours ago");
        assert_eq!(ago(at - chrono::Duration::days(3), at), "3 days ago");
        assert_eq!(ago(at, at), "just now");
        assert_eq!(
            parse("2026-07-01T12:00:00.5+00:00").map(|t| datetime(t, "PST")).as_deref(),
            Some("2026-07-01 05:00 PDT")
        );
    }

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_line(["a,b".to_string(), "=1+1".to_string(), "plain".to_string()]), b"\"a,b\",'=1+1,plain\n");
    }
}
