//! Rules of the procedures that the record descriptions cannot say: status moves, closed incidents, metric
//! computations, publishing and change approvals. Pure functions returning the reason for a refusal.
use super::spec::Resource;
use crate::domain::enums::{AnalysisStatus, ArticleStatus, ChangeStatus, IncidentStatus, MetricType, RollbackStatus};
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

// ---- statuses given at submission (the policy lists each record's status as an optional input) ----

/// An analysis submitted as completed or reviewed says when it was completed; one in progress has no such time.
pub fn check_analysis_submission(status: AnalysisStatus, completed_at_given: bool) -> Result<(), String> {
    match (status, completed_at_given) {
        (AnalysisStatus::InProgress, true) => Err(
            "Root cause analysis: an analysis in progress has no completion time; leave Completed at empty, or submit it as completed."
                .into(),
        ),
        (AnalysisStatus::Completed | AnalysisStatus::Reviewed, false) => Err(format!(
            "Root cause analysis: an analysis submitted as {} needs the time it was completed.",
            status.label().to_lowercase()
        )),
        _ => Ok(()),
    }
}

/// Whether a change submitted with this status is approved as it is submitted: any status after approval needs
/// the submitter to be its approver (`approver` says whether they are, or why not). Rolled back and rejected
/// come only from their own actions.
pub fn change_submitted_as(status: ChangeStatus, approver: Result<(), String>) -> Result<bool, String> {
    match status {
        ChangeStatus::Requested => Ok(false),
        ChangeStatus::RolledBack => Err(
            "Change request status: a change becomes rolled back when a rollback of it is carried out; submit it as requested or approved."
                .into(),
        ),
        ChangeStatus::Rejected => Err(
            "Change request status: a change is rejected by deciding on it, with a reason; submit it as requested.".into(),
        ),
        _ => approver.map(|()| true).map_err(|reason| {
            format!(
                "A change submitted as {} is approved as it is submitted, which you may not do. {reason} Submit it as requested.",
                status.label().to_lowercase()
            )
        }),
    }
}

/// Whether a rollback submitted with this status is approved as it is submitted, as for changes; a time it was
/// carried out goes only with a failed one (an approved rollback is carried out with its own action, which also
/// rolls its change back). Errors name the field to correct.
pub fn rollback_submitted_as(
    status: RollbackStatus,
    approver: Result<(), String>,
    completed_at_given: bool,
) -> Result<bool, (&'static str, String)> {
    if completed_at_given && status != RollbackStatus::Failed {
        return Err((
            "completed_at",
            "Rollback: only a rollback submitted as failed has a time it was carried out; an approved rollback is carried out with its Carry out button, which also marks its change rolled back."
                .into(),
        ));
    }
    match status {
        RollbackStatus::Requested => Ok(false),
        RollbackStatus::Rejected => {
            Err(("status", "Rollback status: a rollback is rejected by deciding on it, with a reason; submit it as requested.".into()))
        }
        _ => approver.map(|()| true).map_err(|reason| {
            (
                "status",
                format!(
                    "A rollback submitted as {} is approved as it is submitted, which you may not do. {reason} Submit it as requested.",
                    status.label().to_lowercase()
                ),
            )
        }),
    }
}

/// An article is published by its reviewer after review, never as it is submitted (its reviewer is not its author).
pub fn check_article_submission(status: ArticleStatus) -> Result<(), String> {
    if status == ArticleStatus::Published {
        Err("Knowledge base: an article is published by its reviewer once reviewed; submit it as a draft or for review.".into())
    } else {
        Ok(())
    }
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

    #[test]
    fn statuses_given_at_submission_are_honoured_unless_a_rule_says_otherwise() {
        use AnalysisStatus as A;
        for (status, completed_at, ok) in [
            (A::InProgress, false, true),
            (A::InProgress, true, false),
            (A::Completed, true, true),
            (A::Completed, false, false),
            (A::Reviewed, true, true),
            (A::Reviewed, false, false),
        ] {
            assert_eq!(check_analysis_submission(status, completed_at).is_ok(), ok, "{status:?} {completed_at}");
        }
        let approver = || Ok(());
        let not_approver = || Err("Only incident managers and executives approve changes.".to_string());
        use ChangeStatus as C;
        for (status, may, expected) in [
            (C::Requested, false, Ok(false)),
            (C::Requested, true, Ok(false)),
            (C::Approved, true, Ok(true)),
            (C::Approved, false, Err("submitted as approved")),
            (C::Scheduled, true, Ok(true)),
            (C::InProgress, false, Err("submitted as in progress")),
            (C::Completed, true, Ok(true)),
            (C::Failed, true, Ok(true)),
            (C::RolledBack, true, Err("rollback of it is carried out")),
            (C::Rejected, true, Err("rejected by deciding on it")),
        ] {
            let outcome = change_submitted_as(status, if may { approver() } else { not_approver() });
            match expected {
                Ok(approved) => assert_eq!(outcome, Ok(approved), "{status:?}"),
                Err(words) => assert!(outcome.unwrap_err().contains(words), "{status:?}"),
            }
        }
        use RollbackStatus as R;
        for (status, may, completed_at, expected) in [
            (R::Requested, false, false, Ok(false)),
            (R::Approved, true, false, Ok(true)),
            (R::Approved, false, false, Err("status")),
            (R::InProgress, true, false, Ok(true)),
            (R::Failed, true, true, Ok(true)),
            (R::Failed, false, true, Err("status")),
            (R::Approved, true, true, Err("completed_at")),
            (R::Requested, false, true, Err("completed_at")),
            (R::Rejected, true, false, Err("status")),
        ] {
            let outcome = rollback_submitted_as(status, if may { approver() } else { not_approver() }, completed_at);
            match expected {
                Ok(approved) => assert_eq!(outcome, Ok(approved), "{status:?}"),
                Err(field) => assert_eq!(outcome.unwrap_err().0, field, "{status:?}"),
            }
        }
        assert!(check_article_submission(ArticleStatus::UnderReview).is_ok());
        assert!(check_article_submission(ArticleStatus::Published).unwrap_err().contains("by its reviewer"));
        assert!(check_given_value(MetricType::ResolutionTime, None, 240).is_ok());
        assert!(check_given_value(MetricType::ResolutionTime, Some(240), 240).is_ok());
        assert!(
            check_given_value(MetricType::ResolutionTime, Some(200), 240).unwrap_err().contains("240 minutes, not 200")
        );
    }
}
