//! What the history says about an incident: the changes made on its component just before it was detected (one of
//! which an engineer may mark as the suspected cause), and the resolved incidents most like it, with their fixes.
//! Everything is read within the viewer's sight (`access::Sight`): a client contact never sees another client's
//! incident, nor the provider's internal records.
pub mod handlers;
pub mod queries;
pub mod service;

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// How far before detection a change counts as recent.
pub const RECENT_HOURS: i64 = 72;
/// How many similar incidents the page shows.
pub const SIMILAR: i64 = 5;

/// A change on the incident's component, or linked to another incident on it, whose window started in the
/// `RECENT_HOURS` before detection.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct RecentChange {
    pub change_id: i32,
    pub title: String,
    pub status: String,
    pub risk_level: String,
    pub started_at: DateTime<Utc>,
    /// Whether the window is the actual one (else the scheduled one).
    pub actual: bool,
    /// The other incident on the component the change is linked to, when it is not marked with the component.
    pub through_incident: Option<i32>,
}

/// Why a similar incident is like this one, most alike first.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Likeness {
    SameComponent,
    SameProduct,
    SameCategory,
    AlikeTitle,
}

impl Likeness {
    pub fn label(self) -> &'static str {
        match self {
            Likeness::SameComponent => "Same component",
            Likeness::SameProduct => "Same product",
            Likeness::SameCategory => "Same category",
            Likeness::AlikeTitle => "Alike title",
        }
    }
}

/// A fix of a similar incident: a workaround, its analysis' findings, a knowledge base article.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Fix {
    pub id: i32,
    /// Its own words (a description, findings, a title); empty when it has none, then told by `code` in words.
    pub text: String,
    /// What kind of fix it is, as stored (a workaround's effectiveness, an analysis' method).
    #[serde(default)]
    pub code: Option<String>,
}

impl Fix {
    /// The fix's own words, or else its kind's label.
    fn in_words(&mut self, label: fn(&str) -> Option<&'static str>) {
        if self.text.is_empty() {
            self.text = self.code.as_deref().and_then(label).unwrap_or("Recorded without a description").to_string();
        }
    }
}

impl Insight {
    /// Fixes told in words, never by their stored codes.
    fn in_words(mut self) -> Self {
        use crate::domain::enums::{AnalysisMethod, Effectiveness};
        for similar in &mut self.similar {
            similar
                .workarounds
                .iter_mut()
                .for_each(|fix| fix.in_words(|code| Effectiveness::parse(code).map(|e| e.label())));
            similar
                .analyses
                .iter_mut()
                .for_each(|fix| fix.in_words(|code| AnalysisMethod::parse(code).map(|m| m.label())));
        }
        self
    }
}

/// A resolved or closed incident like this one, and how it was resolved.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct SimilarIncident {
    pub incident_id: i32,
    pub title: String,
    pub severity: String,
    pub likeness: Likeness,
    pub resolved_at: Option<DateTime<Utc>>,
    pub workarounds: Vec<Fix>,
    pub analyses: Vec<Fix>,
    pub articles: Vec<Fix>,
}

/// What the history says about one incident, as its page shows it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct Insight {
    /// `None` when the viewer may not read change requests.
    pub recent_changes: Option<Vec<RecentChange>>,
    pub similar: Vec<SimilarIncident>,
}

/// How titles are compared: trigram likeness where the server has `pg_trgm`, else full-text rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TitleMatch {
    Trigram,
    FullText,
}
