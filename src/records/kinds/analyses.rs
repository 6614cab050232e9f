//! Root cause analyses: the status given at submission and the completion time go together.
use super::{Behaviour, Creation, Refusal};
use crate::column;
use crate::domain::enums::AnalysisStatus;
use diesel::PgConnection;

#[derive(Debug)]
pub struct Analyses;

impl Behaviour for Analyses {
    fn creation_extras(&self, _conn: &mut PgConnection, new: &mut Creation<'_>) -> Result<bool, Refusal> {
        let status = new
            .submitted
            .choice(column!(root_cause_analysis, status), AnalysisStatus::parse)
            .unwrap_or(AnalysisStatus::InProgress);
        check_analysis_submission(status, new.submitted.is_set(column!(root_cause_analysis, completed_at)))
            .map_err(|message| Refusal::field("completed_at", message))?;
        Ok(false)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_analysis_says_when_it_was_completed_exactly_when_it_is_submitted_as_completed() {
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
    }
}
