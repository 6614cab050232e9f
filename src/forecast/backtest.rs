//! Measures the forecast on the history (`incident-desk forecast backtest`): the incidents are replayed in the
//! order of their detection, and at each detection the forecast is drawn, by the same rules as the pages use, from
//! the incidents resolved before that moment alone. Each forecast is then held against what happened: did the
//! incident breach its SLA's resolution deadline, and was it flagged at detection?
use super::{Basis, Figures, Forecast, choose, likely_to_breach, percentile};
use crate::db::prepared::prepared;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamptz};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// An incident as the replay reads it.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct Past {
    #[diesel(sql_type = Integer)]
    pub incident_id: i32,
    #[diesel(sql_type = Timestamptz)]
    pub detected: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub resolved: Option<DateTime<Utc>>,
    #[diesel(sql_type = Text)]
    pub severity: String,
    #[diesel(sql_type = Integer)]
    pub client_id: i32,
    #[diesel(sql_type = Integer)]
    pub component_id: i32,
    #[diesel(sql_type = Nullable<Integer>)]
    pub product_id: Option<i32>,
    #[diesel(sql_type = Text)]
    pub category: String,
}

impl Past {
    /// The keys it counts under, as the summary table writes them.
    fn keys(&self) -> Vec<(Basis, String)> {
        [
            Some((Basis::Component, self.component_id.to_string())),
            self.product_id.map(|product| (Basis::Product, product.to_string())),
            Some((Basis::Category, self.category.clone())),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// A key of the summary table: severity, basis, key.
type Key = (String, Basis, String);

/// The history as known at a moment: the resolution minutes of every incident resolved before it, per key, kept
/// sorted; and the resolutions still to come, soonest first.
#[derive(Default)]
pub struct Replay {
    known: HashMap<Key, Vec<f64>>,
    coming: BinaryHeap<Reverse<(DateTime<Utc>, usize)>>,
    /// The keys and minutes of the resolutions still to come, by their place in `coming`.
    waiting: HashMap<usize, (Vec<Key>, f64)>,
    seen: usize,
}

impl Replay {
    /// The forecast of `incident` at its detection, from the incidents resolved before it; then its own
    /// resolution joins what will be known from that moment on. Incidents must come in detection order.
    pub fn next(&mut self, incident: &Past) -> Option<Forecast> {
        while let Some(Reverse((at, place))) = self.coming.peek().copied() {
            if at >= incident.detected {
                break;
            }
            self.coming.pop();
            let (keys, minutes) = self.waiting.remove(&place).expect("a waiting resolution");
            for key in keys {
                let durations = self.known.entry(key).or_default();
                let at = durations.partition_point(|d| *d < minutes);
                durations.insert(at, minutes);
            }
        }
        let forecast = choose(incident.keys().into_iter().filter_map(|(basis, key)| {
            let durations = self.known.get(&(incident.severity.clone(), basis, key))?;
            let figures = Figures {
                n: durations.len() as i64,
                median_minutes: percentile(durations, 0.5),
                p80_minutes: percentile(durations, 0.8),
            };
            Some((basis, figures))
        }));
        if let Some(resolved) = incident.resolved {
            let keys =
                incident.keys().into_iter().map(|(basis, key)| (incident.severity.clone(), basis, key)).collect();
            let minutes = (resolved - incident.detected).num_milliseconds() as f64 / 60_000.0;
            self.seen += 1;
            self.coming.push(Reverse((resolved, self.seen)));
            self.waiting.insert(self.seen, (keys, minutes));
        }
        forecast
    }
}

/// What the backtest found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Findings {
    pub incidents: usize,
    /// Incidents with an SLA whose outcome is known: resolved, or still open past their deadline.
    pub judged: usize,
    pub forecasts: usize,
    pub breaches: usize,
    pub flagged: usize,
    pub flagged_breaches: usize,
    /// How long before the deadline each flagged breach was flagged, in minutes.
    warnings: Vec<f64>,
}

impl Findings {
    /// Holds an incident's forecast against what happened, by `now`; `resolution_hours` is its SLA's target.
    pub fn add(
        &mut self,
        incident: &Past,
        forecast: Option<&Forecast>,
        resolution_hours: Option<i32>,
        now: DateTime<Utc>,
    ) {
        self.incidents += 1;
        self.forecasts += usize::from(forecast.is_some());
        let Some(hours) = resolution_hours else { return };
        let deadline = incident.detected + Duration::hours(hours.into());
        let breached = match incident.resolved {
            Some(resolved) => resolved > deadline,
            None if now > deadline => true,
            None => return,
        };
        let flagged = forecast.is_some_and(|f| likely_to_breach(f, Some(hours)));
        self.judged += 1;
        self.breaches += usize::from(breached);
        self.flagged += usize::from(flagged);
        if flagged && breached {
            self.flagged_breaches += 1;
            // Flagged at detection: the whole of the resolution target ahead.
            self.warnings.push((deadline - incident.detected).num_minutes() as f64);
        }
    }

    /// The share of actual breaches flagged in advance.
    pub fn caught(&self) -> f64 {
        share(self.flagged_breaches, self.breaches)
    }

    /// The share of flags whose incident did not breach.
    pub fn false_alarms(&self) -> f64 {
        share(self.flagged - self.flagged_breaches, self.flagged)
    }

    /// The median time from the flag to the deadline of the breaches flagged, in minutes.
    pub fn median_warning(&self) -> Option<f64> {
        let mut warnings = self.warnings.clone();
        warnings.sort_by(f64::total_cmp);
        (!warnings.is_empty()).then(|| percentile(&warnings, 0.5))
    }

    /// The findings as the command prints them.
    pub fn report(&self) -> String {
        let percent = |share: f64| format!("{:.1} %", share * 100.0);
        let warning = self
            .median_warning()
            .map_or("none flagged".into(), |m| crate::incidents::sla_clock::span(Duration::minutes(m.round() as i64)));
        format!(
            "Incidents replayed: {}\nWith a forecast at detection: {} ({})\nWith an SLA and a known outcome: {}\n\
             Breaches of the resolution deadline: {}\nFlagged likely to breach: {}\n\
             Breaches flagged in advance: {} of {} ({})\nMedian warning before the deadline: {}\n\
             Flags that did not breach: {} of {} ({})\n",
            self.incidents,
            self.forecasts,
            percent(share(self.forecasts, self.incidents)),
            self.judged,
            self.breaches,
            self.flagged,
            self.flagged_breaches,
            self.breaches,
            percent(self.caught()),
            warning,
            self.flagged - self.flagged_breaches,
            self.flagged,
            percent(self.false_alarms()),
        )
    }
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

/// Replays every incident in the database in detection order, read in batches so memory holds only the durations.
/// The SLA targets are those that apply now.
pub fn run(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<Findings> {
    const BATCH: i64 = 10_000;
    let targets = crate::service_levels::applicable(conn)?;
    let (mut replay, mut findings) = (Replay::default(), Findings::default());
    let mut after: Option<(DateTime<Utc>, i32)> = None;
    loop {
        // Before any incident: the first year of the era, which PostgreSQL's timestamps hold.
        let (at, id) = after.unwrap_or((DateTime::<Utc>::from_timestamp(-62_135_596_800, 0).unwrap_or_default(), 0));
        let batch: Vec<Past> = prepared(
            "SELECT i.incident_id, i.detection_timestamp AS detected, i.resolution_timestamp AS resolved, i.severity, \
             i.client_id, i.component_id, c.product_id, i.category \
             FROM incidents i JOIN infrastructure_components c USING (component_id) \
             WHERE (i.detection_timestamp, i.incident_id) > (",
        )
        .bind::<Timestamptz, _>(at)
        .sql(", ")
        .bind::<Integer, _>(id)
        .sql(") ORDER BY i.detection_timestamp, i.incident_id LIMIT ")
        .bind::<diesel::sql_types::BigInt, _>(BATCH)
        .load(conn)?;
        for incident in &batch {
            let forecast = replay.next(incident);
            let hours = targets.get(incident.client_id, &incident.severity).map(|(_, hours)| hours);
            findings.add(incident, forecast.as_ref(), hours, now);
        }
        match batch.last() {
            Some(last) if batch.len() as i64 == BATCH => after = Some((last.detected, last.incident_id)),
            _ => return Ok(findings),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::hours(hour)
    }

    fn incident(id: i32, detected: i64, hours: Option<i64>) -> Past {
        Past {
            incident_id: id,
            detected: at(detected),
            resolved: hours.map(|h| at(detected + h)),
            severity: "P2".into(),
            client_id: 1,
            component_id: 7,
            product_id: Some(3),
            category: "Data".into(),
        }
    }

    /// The forecast of the last incident after replaying all of them.
    fn last_forecast(history: &[Past]) -> Option<Forecast> {
        let mut replay = Replay::default();
        history.iter().map(|incident| replay.next(incident)).last().flatten()
    }

    #[test]
    fn a_forecast_uses_only_incidents_resolved_before_the_detection() {
        // Five incidents resolved in 2, 4, 6, 8 and 10 hours, all done by hour 100; then one detected at hour 100.
        let mut history: Vec<Past> = (0..5).map(|n| incident(n, n as i64 * 10, Some(2 + 2 * n as i64))).collect();
        let target = incident(99, 100, Some(1));
        let forecast = last_forecast(&[history.clone(), vec![target.clone()]].concat()).expect("five before it");
        assert_eq!(forecast.basis, Basis::Component);
        assert_eq!(
            (forecast.figures.n, forecast.figures.median_minutes, forecast.figures.p80_minutes),
            (5, 360.0, 504.0)
        );

        // An incident detected before it but resolved after the moment of the forecast changes nothing, however long
        // it took; so does one resolved at that very moment.
        history.push(incident(50, 90, Some(500)));
        history.push(incident(51, 95, Some(5)));
        history.push(incident(52, 96, None));
        assert_eq!(last_forecast(&[history.clone(), vec![target.clone()]].concat()), Some(forecast));
        // Once resolved before the detection, it counts.
        history.push(incident(53, 97, Some(2)));
        assert_eq!(last_forecast(&[history, vec![target]].concat()).map(|f| f.figures.n), Some(6));
    }

    #[test]
    fn breaches_flagged_and_false_alarms_are_counted_against_what_happened() {
        let now = at(1000);
        let forecast = |p80: f64| Forecast {
            basis: Basis::Category,
            figures: Figures { n: 9, median_minutes: 60.0, p80_minutes: p80 },
        };
        let mut findings = Findings::default();
        // (resolution hours after detection, p80 minutes of its forecast, SLA hours)
        findings.add(&incident(1, 0, Some(10)), Some(&forecast(600.0)), Some(8), now); // breach, flagged
        findings.add(&incident(2, 0, Some(10)), Some(&forecast(120.0)), Some(8), now); // breach, missed
        findings.add(&incident(3, 0, Some(2)), Some(&forecast(600.0)), Some(8), now); // false alarm
        findings.add(&incident(4, 0, Some(2)), None, Some(8), now); // too few, no breach
        findings.add(&incident(5, 0, None), Some(&forecast(600.0)), Some(4), now); // open past its deadline: a breach
        findings.add(&incident(6, 999, None), Some(&forecast(600.0)), Some(8), now); // open, deadline ahead: not judged
        findings.add(&incident(7, 0, Some(10)), Some(&forecast(600.0)), None, now); // no SLA: not judged
        assert_eq!((findings.incidents, findings.judged, findings.forecasts), (7, 5, 6));
        assert_eq!((findings.breaches, findings.flagged, findings.flagged_breaches), (3, 3, 2));
        assert!((findings.caught() - 2.0 / 3.0).abs() < 1e-9);
        assert!((findings.false_alarms() - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(findings.median_warning(), Some(6.0 * 60.0));
    }
}
