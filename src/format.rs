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

/// Writes a CSV export a batch of rows at a time, so memory stays flat however many there are: the header, then
/// each batch `read` gives (it is handed the last row of the batch before, none at first, to read on from) as lines,
/// until a batch comes short or the reader has gone (`send` returns false).
pub fn write_csv<R, E>(
    header: impl IntoIterator<Item = String>,
    batch: usize,
    send: &mut dyn FnMut(Vec<u8>) -> bool,
    mut read: impl FnMut(Option<&R>) -> Result<Vec<R>, E>,
    line: impl Fn(&R) -> Vec<String>,
) -> Result<(), E> {
    if !send(csv_line(header)) {
        return Ok(());
    }
    let mut last: Option<R> = None;
    loop {
        let rows = read(last.as_ref())?;
        let chunk: Vec<u8> = rows.iter().flat_map(|row| csv_line(line(row))).collect();
        if (!chunk.is_empty() && !send(chunk)) || rows.len() < batch {
            return Ok(());
        }
        last = rows.into_iter().last();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn an_export_is_written_a_batch_at_a_time_until_a_short_batch_or_the_reader_leaves() {
        let rows: Vec<i32> = (1..=5).collect();
        // Batches of two, each read on from the last row of the one before.
        let read = |last: Option<&i32>| -> Result<Vec<i32>, ()> {
            let from = last.map_or(0, |n| *n as usize);
            Ok(rows.iter().skip(from).take(2).copied().collect())
        };
        let mut chunks = Vec::new();
        let mut send = |chunk: Vec<u8>| {
            chunks.push(String::from_utf8(chunk).unwrap());
            true
        };
        write_csv(["n".to_string()], 2, &mut send, read, |n| vec![n.to_string()]).unwrap();
        assert_eq!(chunks, ["n\n", "1\n2\n", "3\n4\n", "5\n"]);
        // A reader that leaves after the header gets nothing more, and nothing more is read.
        let mut reads = 0;
        let counting = |last: Option<&i32>| {
            reads += 1;
            read(last)
        };
        write_csv(["n".to_string()], 2, &mut |_| false, counting, |n| vec![n.to_string()]).unwrap();
        assert_eq!(reads, 0);
    }

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
