//! Performance metrics: computed from the incident's own times once it is closed, against the recorder's target
//! or else the SLA's.
use super::{Behaviour, Creation, Refusal, closed_incident_only};
use crate::column;
use crate::domain::enums::MetricType;
use crate::forms::FieldError;
use crate::records::queries::Extra;
use crate::records::row::Cells;
use crate::schema::{incident_escalations, incidents};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

#[derive(Debug)]
pub struct Metrics;

impl Behaviour for Metrics {
    fn check(&self, conn: &mut PgConnection, submitted: &Cells) -> Result<Vec<FieldError>, Refusal> {
        closed_incident_only(
            conn,
            "Performance metrics",
            submitted.reference(column!(performance_metrics, incident_id)),
        )
    }

    fn creation_extras(&self, conn: &mut PgConnection, new: &mut Creation<'_>) -> Result<bool, Refusal> {
        let incident_id = new
            .submitted
            .reference(column!(performance_metrics, incident_id))
            .ok_or_else(|| Refusal::field("incident_id", "Choose the incident the metric is of."))?;
        let metric = new
            .submitted
            .choice(column!(performance_metrics, metric_type), MetricType::parse)
            .ok_or_else(|| Refusal::field("metric_type", "Choose the metric."))?;
        let (times, client_id, severity) = incident_times(conn, incident_id)?;
        let minutes = metric_minutes(metric, &times).map_err(|message| Refusal::field("metric_type", message))?;
        let given = new.submitted.integer(column!(performance_metrics, calculated_value_minutes));
        check_given_value(metric, given, minutes)
            .map_err(|message| Refusal::field("calculated_value_minutes", message))?;
        // The recorder's target when given ("if specified"); else the SLA's, where it has one for the metric.
        let target = match new.submitted.integer(column!(performance_metrics, target_minutes)) {
            Some(target) => Some(target),
            None => match (metric, crate::service_levels::target(conn, client_id, &severity)?) {
                (MetricType::ResponseTime, Some(sla)) => Some(i64::from(sla.response_time_minutes)),
                (MetricType::ResolutionTime, Some(sla)) => Some(i64::from(sla.resolution_time_hours) * 60),
                _ => None,
            },
        };
        new.extras.push(Extra::new(column!(performance_metrics, calculated_value_minutes), minutes));
        new.extras.push(Extra::new(column!(performance_metrics, target_minutes), target));
        new.extras.push(Extra::new(column!(performance_metrics, recorded_at), new.clock.now()));
        Ok(false)
    }
}

/// An incident's times, as the metrics need them.
#[derive(Debug, Clone, Copy)]
pub struct IncidentTimes {
    pub detected: DateTime<Utc>,
    pub created: DateTime<Utc>,
    pub acknowledged: Option<DateTime<Utc>>,
    pub resolved: Option<DateTime<Utc>>,
    pub first_escalation: Option<DateTime<Utc>>,
}

fn incident_times(conn: &mut PgConnection, incident_id: i32) -> Result<(IncidentTimes, i32, String), Refusal> {
    #[allow(clippy::type_complexity)]
    let (detected, created, acknowledged, resolved, client_id, severity): (
        DateTime<Utc>,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        i32,
        String,
    ) = incidents::table
        .find(incident_id)
        .select((
            incidents::detection_timestamp,
            incidents::created_at,
            incidents::acknowledged_at,
            incidents::resolution_timestamp,
            incidents::client_id,
            incidents::severity,
        ))
        .first(conn)?;
    let first_escalation = incident_escalations::table
        .filter(incident_escalations::incident_id.eq(incident_id))
        .select(diesel::dsl::min(incident_escalations::escalated_at))
        .first::<Option<DateTime<Utc>>>(conn)?;
    Ok((IncidentTimes { detected, created, acknowledged, resolved, first_escalation }, client_id, severity))
}

/// The value of a metric in whole minutes, from the incident's own times; names the missing time if any.
pub fn metric_minutes(metric: MetricType, times: &IncidentTimes) -> Result<i64, String> {
    let (end, name) = match metric {
        MetricType::DetectionTime => (Some(times.created), "report"),
        MetricType::ResponseTime => (times.acknowledged, "acknowledgement"),
        MetricType::ResolutionTime => (times.resolved, "resolution"),
        MetricType::EscalationTime => (times.first_escalation, "first escalation"),
    };
    let end = end.ok_or_else(|| {
        format!("Performance metric: the incident has no {name} time, which a {} needs.", metric.label().to_lowercase())
    })?;
    let minutes = (end - times.detected).num_minutes();
    if minutes < 0 {
        return Err(format!(
            "Performance metric: the incident's {name} time is before its detection time, so no {} can be computed.",
            metric.label().to_lowercase()
        ));
    }
    Ok(minutes)
}

/// A metric's value, when the recorder gives one, must be what the incident's times give.
pub fn check_given_value(metric: MetricType, given: Option<i64>, computed: i64) -> Result<(), String> {
    match given {
        Some(given) if given != computed => Err(format!(
            "Performance metric: the incident's times give a {} of {computed} minutes, not {given}; leave the value empty to use it.",
            metric.label().to_lowercase()
        )),
        _ => Ok(()),
    }
}

/// A metric in words: "Recorded the resolution time: 32 h 38 min against a target of 24 h 0 min (missed)".
pub fn words(record: &crate::records::queries::Record, kind: &str) -> String {
    use crate::incidents::sla_clock::span;
    let calculated = record.integer(column!(performance_metrics, calculated_value_minutes));
    let value = calculated.map(|m| span(chrono::Duration::minutes(m)));
    let target = record.integer(column!(performance_metrics, target_minutes));
    let verdict = match (calculated, target) {
        (Some(value), Some(target)) if value <= target => " (met)",
        (Some(_), Some(_)) => " (missed)",
        _ => "",
    };
    match (value, target) {
        (Some(value), Some(target)) => format!(
            "Recorded the {}: {value} against a target of {}{verdict}",
            kind.to_lowercase(),
            span(chrono::Duration::minutes(target))
        ),
        (Some(value), None) => format!("Recorded the {}: {value}, with no target", kind.to_lowercase()),
        _ => format!("Recorded the {}", kind.to_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, hour, minute, 0).unwrap()
    }

    #[test]
    fn metrics_are_minutes_from_detection_and_name_a_missing_time() {
        let times = IncidentTimes {
            detected: at(9, 0),
            created: at(9, 12),
            acknowledged: Some(at(9, 30)),
            resolved: Some(at(13, 0)),
            first_escalation: None,
        };
        let table = [
            (MetricType::DetectionTime, Ok(12)),
            (MetricType::ResponseTime, Ok(30)),
            (MetricType::ResolutionTime, Ok(240)),
            (MetricType::EscalationTime, Err("no first escalation time")),
        ];
        for (metric, expected) in table {
            let result = metric_minutes(metric, &times);
            match expected {
                Ok(minutes) => assert_eq!(result, Ok(minutes), "{metric:?}"),
                Err(words) => assert!(result.unwrap_err().contains(words), "{metric:?}"),
            }
        }
        let backwards = IncidentTimes { created: at(8, 0), ..times };
        assert!(
            metric_minutes(MetricType::DetectionTime, &backwards).unwrap_err().contains("before its detection time")
        );
    }

    #[test]
    fn a_given_value_must_be_what_the_times_give() {
        assert!(check_given_value(MetricType::ResolutionTime, None, 240).is_ok());
        assert!(check_given_value(MetricType::ResolutionTime, Some(240), 240).is_ok());
        assert!(
            check_given_value(MetricType::ResolutionTime, Some(200), 240).unwrap_err().contains("240 minutes, not 200")
        );
    }
}
