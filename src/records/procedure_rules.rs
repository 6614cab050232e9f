//! Rules of the procedures that the record descriptions cannot say: status moves, closed incidents, metric
//! computations, publishing and change approvals. Pure functions returning the reason for a refusal.
use super::spec::Resource;
use crate::domain::enums::{ChangeStatus, IncidentStatus, MetricType};
use chrono::{DateTime, Utc};

fn words(value: &str) -> String {
    value.replace('_', " ")
}

/// Checks a status move against the record type's allowed moves.
pub fn check_transition(resource: &Resource, from: &str, to: &str) -> Result<(), String> {
    if from == to || resource.transitions.is_empty() || resource.transitions.contains(&(from, to)) {
        return Ok(());
    }
    let next: Vec<String> = resource.transitions.iter().filter(|(f, _)| *f == from).map(|(_, t)| words(t)).collect();
    let then = if next.is_empty() {
        format!("A {} that is {} does not change status any more.", resource.noun.to_lowercase(), words(from))
    } else {
        format!("From {} it may move to: {}.", words(from), next.join(", "))
    };
    Err(format!("{} status: it cannot move from {} to {}. {then}", resource.noun, words(from), words(to)))
}

/// Metrics and post-incident reviews are only for closed incidents.
pub fn check_closed(procedure: &str, incident_id: &str, status: IncidentStatus) -> Result<(), String> {
    if status == IncidentStatus::Closed {
        Ok(())
    } else {
        Err(format!(
            "{procedure} can only be recorded for closed incidents. Incident {incident_id} is {}.",
            status.label().to_lowercase()
        ))
    }
}

/// Only a change that was carried out can be rolled back.
pub fn check_rollback_target(change_id: &str, status: ChangeStatus) -> Result<(), String> {
    match status {
        ChangeStatus::InProgress | ChangeStatus::Completed | ChangeStatus::Failed => Ok(()),
        other => Err(format!(
            "Rollback: change {change_id} is {}; only a change that was carried out (in progress, completed or failed) can be rolled back.",
            other.label().to_lowercase()
        )),
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

/// Publishing an article needs its reviewer's approval: only the reviewer publishes it.
pub fn check_publish(reviewer: Option<i32>, actor_id: i32) -> Result<(), String> {
    match reviewer {
        None => Err("Knowledge base: publishing needs a reviewer's approval; choose a reviewer and send the article for review.".into()),
        Some(reviewer) if reviewer != actor_id => Err("Knowledge base: only the article's reviewer may publish it.".into()),
        Some(_) => Ok(()),
    }
}

/// An article's reviewer is someone other than its author, and stays the same from the moment it is sent
/// for review.
pub fn check_reviewer_change(
    status: &str,
    old: Option<&str>,
    new: Option<&str>,
    author: Option<&str>,
) -> Result<(), String> {
    if new.is_some() && new == author {
        return Err("Knowledge base: the reviewer must be someone other than the article's author.".into());
    }
    if old != new && matches!(status, "under_review" | "published" | "archived") {
        return Err("Knowledge base: the reviewer cannot change once the article has been sent for review; move it back to draft first.".into());
    }
    Ok(())
}

/// An edit of a published article's words by anyone but its reviewer sends it back to review: what contacts read
/// is what the reviewer approved.
pub fn back_to_review(from: &str, to: &str, text_changed: bool, reviewer: Option<i32>, editor: i32) -> bool {
    from == "published" && to == "published" && text_changed && reviewer != Some(editor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::procedures::{ANALYSES, ARTICLES};
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
    fn status_moves_follow_each_procedure() {
        assert!(check_transition(&ANALYSES, "in_progress", "completed").is_ok());
        assert!(
            check_transition(&ANALYSES, "in_progress", "reviewed")
                .unwrap_err()
                .contains("From in progress it may move to: completed")
        );
        assert!(check_transition(&ARTICLES, "published", "draft").is_err());
        assert!(
            check_transition(&ARTICLES, "archived", "published")
                .unwrap_err()
                .contains("does not change status any more")
        );
    }

    #[test]
    fn closed_incidents_rollback_targets_publishing_and_change_approvers() {
        assert_eq!(
            check_closed("Performance metrics", "41", IncidentStatus::Resolved).unwrap_err(),
            "Performance metrics can only be recorded for closed incidents. Incident 41 is resolved."
        );
        assert!(check_rollback_target("7", ChangeStatus::Failed).is_ok());
        assert!(check_rollback_target("7", ChangeStatus::Requested).is_err());
        assert!(check_publish(None, 1).is_err());
        assert!(check_publish(Some(2), 1).unwrap_err().contains("only the article's reviewer"));
        assert!(check_publish(Some(1), 1).is_ok());
        assert!(
            check_reviewer_change("draft", None, Some("4"), Some("4"))
                .unwrap_err()
                .contains("other than the article's author")
        );
        assert!(
            check_reviewer_change("under_review", Some("2"), Some("3"), Some("4"))
                .unwrap_err()
                .contains("cannot change")
        );
        assert!(check_reviewer_change("draft", Some("2"), Some("3"), Some("4")).is_ok());
    }

    #[test]
    fn editing_a_published_articles_words_sends_it_back_to_review_unless_the_reviewer_does() {
        let table = [
            ("published", "published", true, Some(2), 1, true),
            ("published", "published", true, Some(1), 1, false),
            ("published", "published", false, Some(2), 1, false),
            ("published", "archived", true, Some(2), 1, false),
            ("draft", "draft", true, Some(2), 1, false),
            ("published", "published", true, None, 1, true),
        ];
        for (from, to, text_changed, reviewer, editor, back) in table {
            assert_eq!(back_to_review(from, to, text_changed, reviewer, editor), back, "{from} → {to} {reviewer:?}");
        }
    }
}
