//! Post-incident reviews: held once the incident is closed; a new one opens with a draft of the incident's story
//! from the record, which the facilitator edits; follow-up actions are work orders raised from the review, and its
//! page says how many are done.
use super::{Behaviour, PageActions, Refusal, closed_incident_only};
use crate::access::{Action, Actor, Area, Sight, Target};
use crate::column;
use crate::forms::FieldError;
use crate::incidents::Incident;
use crate::incidents::sla_clock::span;
use crate::intelligence::RecentChange;
use crate::records::queries::Record;
use crate::records::row::Cells;
use crate::schema::{
    change_requests, communications, incident_escalations, root_cause_analysis, users, work_orders, workarounds,
};
use crate::users::User;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::HashMap;

#[derive(Debug)]
pub struct Reviews;

impl Behaviour for Reviews {
    fn check(&self, conn: &mut PgConnection, submitted: &Cells) -> Result<Vec<FieldError>, Refusal> {
        let incident_id = submitted.reference(column!(post_incident_reviews, incident_id));
        closed_incident_only(conn, "Post-incident reviews", incident_id)
    }

    fn prefill(
        &self,
        conn: &mut PgConnection,
        user: &User,
        typed: &mut HashMap<String, String>,
    ) -> Result<(), Refusal> {
        let Some(incident_id) = typed.get("incident_id").and_then(|v| v.trim().parse::<i32>().ok()) else {
            return Ok(());
        };
        if typed.get("notes").is_some_and(|notes| !notes.trim().is_empty()) {
            return Ok(());
        }
        let actor = user.actor();
        // An incident outside the user's scope gets no draft; the form refuses it when submitted.
        let Some(incident) = crate::incidents::queries::find(conn, actor.scope(), incident_id)? else {
            return Ok(());
        };
        let facts = story(conn, &incident, Sight::of(&actor))?;
        typed.insert("notes".into(), draft(&facts, &user.timezone));
        Ok(())
    }

    fn page_actions(&self, actor: &Actor, _target: &Target, id: i32, record: &Record) -> PageActions {
        let incident = record.integer(column!(post_incident_reviews, incident_id));
        let links = match incident {
            Some(incident) if actor.can(Action::Create(Area::WorkOrders), &Target::Any) => vec![(
                "Raise a follow-up action".to_string(),
                format!("/work-orders/new?incident_id={incident}&review_id={id}"),
            )],
            _ => Vec::new(),
        };
        PageActions { links, ..PageActions::default() }
    }

    fn page_facts(&self, conn: &mut PgConnection, id: i32) -> Result<Vec<String>, Refusal> {
        let (done, all): (i64, i64) = work_orders::table
            .filter(work_orders::review_id.eq(id))
            .select((
                diesel::dsl::sql::<diesel::sql_types::BigInt>("count(*) FILTER (WHERE status = 'completed')"),
                diesel::dsl::count_star(),
            ))
            .first(conn)?;
        Ok(vec![follow_ups(done, all)])
    }
}

/// How many follow-up actions are done, in words.
pub fn follow_ups(done: i64, all: i64) -> String {
    match all {
        0 => "Follow-up actions: none raised yet.".to_string(),
        _ => format!("Follow-up actions: {done} of {all} done."),
    }
}

/// What a review's draft tells: the incident's times against its SLA, and what was done about it.
#[derive(Debug, Clone, Default)]
pub struct Story {
    pub detected: Option<DateTime<Utc>>,
    pub reported: Option<DateTime<Utc>>,
    pub acknowledged: Option<DateTime<Utc>>,
    pub resolved: Option<DateTime<Utc>>,
    pub closed: Option<DateTime<Utc>>,
    /// The SLA's response (minutes) and resolution (hours) targets, when one applies.
    pub sla: Option<(i64, i64)>,
    /// (when, level, to whom, why)
    pub escalations: Vec<(DateTime<Utc>, String, String, Option<String>)>,
    /// The suspected cause: (change id, title).
    pub suspected: Option<(i32, String)>,
    pub recent_changes: Vec<RecentChange>,
    pub workarounds: Vec<String>,
    pub findings: Vec<String>,
    /// (sent at, type, to)
    pub communications: Vec<(DateTime<Utc>, String, String)>,
}

/// A time against its target: "42 min (target 30 min: missed)".
fn against(taken: chrono::Duration, target: Option<chrono::Duration>) -> String {
    match target {
        Some(target) => {
            let verdict = if taken <= target { "met" } else { "missed" };
            format!("{} (target {}: {verdict})", span(taken), span(target))
        }
        None => format!("{} (no SLA applies)", span(taken)),
    }
}

/// The draft of a review's notes, in the facilitator's time zone.
pub fn draft(story: &Story, zone: &str) -> String {
    let at = |time: Option<DateTime<Utc>>| time.map_or("not yet".to_string(), |t| crate::format::datetime(t, zone));
    let mut text = String::from("Key times\n");
    for (label, time) in [
        ("Detected", story.detected),
        ("Reported", story.reported),
        ("Acknowledged", story.acknowledged),
        ("Resolved", story.resolved),
        ("Closed", story.closed),
    ] {
        text.push_str(&format!("- {label}: {}\n", at(time)));
    }
    if let Some(detected) = story.detected {
        let response = story.sla.map(|(minutes, _)| chrono::Duration::minutes(minutes));
        let resolution = story.sla.map(|(_, hours)| chrono::Duration::hours(hours));
        if let Some(acknowledged) = story.acknowledged {
            text.push_str(&format!("- Time to acknowledge: {}\n", against(acknowledged - detected, response)));
        }
        if let Some(resolved) = story.resolved {
            text.push_str(&format!("- Time to resolve: {}\n", against(resolved - detected, resolution)));
        }
    }
    let mut section = |title: &str, lines: Vec<String>| {
        text.push_str(&format!("\n{title}\n"));
        if lines.is_empty() {
            text.push_str("- None\n");
        }
        for line in lines {
            text.push_str(&format!("- {line}\n"));
        }
    };
    section(
        "Escalations",
        story
            .escalations
            .iter()
            .map(|(when, level, to, why)| {
                let why = why.as_deref().map(|w| format!(": {w}")).unwrap_or_default();
                format!("{}: {level} escalation to {to}{why}", at(Some(*when)))
            })
            .collect(),
    );
    let mut changes: Vec<String> =
        story.suspected.iter().map(|(id, title)| format!("Suspected cause: change {id}, {title}")).collect();
    changes.extend(
        story
            .recent_changes
            .iter()
            .filter(|change| story.suspected.as_ref().is_none_or(|(id, _)| *id != change.change_id))
            .map(|change| {
                format!("Change {}, {} (started {})", change.change_id, change.title, at(Some(change.started_at)))
            }),
    );
    section("Suspected and recent changes", changes);
    section("Workarounds", story.workarounds.clone());
    section("Root cause analysis findings", story.findings.clone());
    section(
        "Communications sent",
        story.communications.iter().map(|(when, kind, to)| format!("{}: {kind} to {to}", at(Some(*when)))).collect(),
    );
    text.push_str("\nWhat went well\n- \n\nWhat did not\n- \n\nActions agreed\n- \n");
    text
}

/// The facts of the incident's story, as `sight` may see them.
pub fn story(conn: &mut PgConnection, incident: &Incident, sight: Sight) -> QueryResult<Story> {
    let id = incident.incident_id;
    let sla = crate::service_levels::target(conn, incident.client_id, &incident.severity)?
        .map(|t| (i64::from(t.response_time_minutes), i64::from(t.resolution_time_hours)));
    let escalations = incident_escalations::table
        .inner_join(users::table.on(users::user_id.eq(incident_escalations::escalated_to_user)))
        .filter(incident_escalations::incident_id.eq(id))
        .order(incident_escalations::escalated_at)
        .select((
            incident_escalations::escalated_at,
            incident_escalations::escalation_level,
            users::name,
            incident_escalations::reason,
        ))
        .load::<(DateTime<Utc>, String, String, Option<String>)>(conn)?
        .into_iter()
        .map(|(when, level, to, why)| {
            let level =
                crate::domain::enums::EscalationLevel::parse(&level).map_or(level, |l| l.label().to_lowercase());
            (when, level, to, why)
        })
        .collect();
    let suspected = match incident.suspected_change_id {
        Some(change) => change_requests::table
            .find(change)
            .select((change_requests::change_id, change_requests::title))
            .first(conn)
            .optional()?,
        None => None,
    };
    let workarounds = workarounds::table
        .filter(workarounds::incident_id.eq(id))
        .order(workarounds::implemented_at)
        .select((workarounds::description, workarounds::effectiveness_level))
        .load::<(Option<String>, String)>(conn)?
        .into_iter()
        .map(|(description, level)| description.unwrap_or(level))
        .collect();
    let findings = root_cause_analysis::table
        .filter(root_cause_analysis::incident_id.eq(id))
        .filter(root_cause_analysis::findings.is_not_null())
        .order(root_cause_analysis::created_at)
        .select(root_cause_analysis::findings.assume_not_null())
        .load(conn)?;
    let communications = communications::table
        .left_join(users::table.on(users::user_id.nullable().eq(communications::recipient_id)))
        .filter(communications::incident_id.eq(id))
        .filter(communications::delivery_status.eq_any(["sent", "delivered"]))
        .order(communications::created_at)
        .select((
            communications::sent_at,
            communications::created_at,
            communications::communication_type,
            users::name.nullable(),
            communications::recipient_type,
        ))
        .load::<(Option<DateTime<Utc>>, DateTime<Utc>, String, Option<String>, Option<String>)>(conn)?
        .into_iter()
        .map(|(sent, created, kind, person, group)| {
            let to = person.or_else(|| group.map(|g| g.replace('_', " "))).unwrap_or_else(|| "no one named".into());
            (sent.unwrap_or(created), kind, to)
        })
        .collect();
    Ok(Story {
        detected: Some(incident.detection_timestamp),
        reported: Some(incident.created_at),
        acknowledged: incident.acknowledged_at,
        resolved: incident.resolution_timestamp,
        closed: incident.closed_at,
        sla,
        escalations,
        suspected,
        recent_changes: crate::intelligence::queries::recent_changes_of(conn, incident, sight)?,
        workarounds,
        findings,
        communications,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_draft_tells_the_key_times_against_the_sla_and_what_was_done() {
        let at = |hour: u32, minute: u32| Utc.with_ymd_and_hms(2026, 11, 2, hour, minute, 0).unwrap();
        let story = Story {
            detected: Some(at(9, 0)),
            reported: Some(at(9, 10)),
            acknowledged: Some(at(9, 45)),
            resolved: Some(at(12, 0)),
            closed: None,
            sla: Some((30, 4)),
            suspected: Some((7, "Upgrade the gateway".into())),
            workarounds: vec!["Raise the timeout".into()],
            ..Story::default()
        };
        let text = draft(&story, "UTC");
        assert!(text.contains("- Detected: 2026-11-02 09:00"), "{text}");
        assert!(text.contains("- Closed: not yet"));
        assert!(text.contains("- Time to acknowledge: 45 min (target 30 min: missed)"), "{text}");
        assert!(text.contains("- Time to resolve: 3 h 0 min (target 4 h 0 min: met)"), "{text}");
        assert!(text.contains("Suspected cause: change 7, Upgrade the gateway"));
        assert!(text.contains("Workarounds\n- Raise the timeout"));
        assert!(text.contains("Escalations\n- None"));
        let no_sla = draft(&Story { sla: None, ..story }, "UTC");
        assert!(no_sla.contains("45 min (no SLA applies)"));
    }

    #[test]
    fn follow_ups_say_how_many_are_done() {
        assert_eq!(follow_ups(0, 0), "Follow-up actions: none raised yet.");
        assert_eq!(follow_ups(1, 3), "Follow-up actions: 1 of 3 done.");
    }
}
