//! The hash chain: each entry's hash covers its content and the hash of the entry before it.
use super::AuditEntry;
use crate::schema::audit_logs;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The advisory lock that serialises appends ("audit" in ASCII).
pub const LOCK_KEY: i64 = 0x0061_7564_6974;

/// What an entry's hash covers, serialised as JSON with fields in this order.
#[derive(Serialize)]
pub struct Content<'a> {
    pub audit_id: i64,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub audit_by_user: Option<i32>,
    pub actor_role: Option<&'a str>,
    #[serde(serialize_with = "micros")]
    pub created_at: DateTime<Utc>,
    /// jsonb reorders object keys; serde_json's map is sorted, so the text is the same before and after storage.
    pub changes: &'a Value,
}

fn micros<S: serde::Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&timestamp(at))
}

/// A timestamp as the hash covers it, to the microsecond that PostgreSQL keeps.
pub fn timestamp(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub fn hash(prev_hash: &str, content: &Content<'_>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(serde_json::to_vec(content).expect("audit content serialises"));
    hex::encode(hasher.finalize())
}

fn recompute(prev_hash: &str, entry: &AuditEntry) -> String {
    hash(
        prev_hash,
        &Content {
            audit_id: entry.audit_id,
            action: &entry.action,
            entity_type: &entry.entity_type,
            entity_id: &entry.entity_id,
            audit_by_user: entry.audit_by_user,
            actor_role: entry.actor_role.as_deref(),
            created_at: entry.created_at,
            changes: &entry.changes,
        },
    )
}

/// The newest entry's hash: printed on reports, so a printout can be tied to the trail as it stood.
pub fn head(conn: &mut PgConnection) -> QueryResult<String> {
    Ok(audit_logs::table
        .select(audit_logs::entry_hash)
        .order(audit_logs::audit_id.desc())
        .first::<String>(conn)
        .optional()?
        .unwrap_or_else(|| GENESIS.to_string()))
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub audit_id: i64,
    pub problem: String,
}

impl std::fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "audit entry {}: {}", self.audit_id, self.problem)
    }
}

/// The result of walking the chain: how far it got, and the first broken link if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub entries: u64,
    pub head_hash: String,
    pub broken: Option<BrokenLink>,
    /// The id of the last entry found intact, from which a later walk may go on.
    pub last_id: i64,
}

impl Verification {
    /// Where nothing has been walked yet.
    pub fn start() -> Self {
        Verification { entries: 0, head_hash: GENESIS.to_string(), broken: None, last_id: i64::MIN }
    }
}

/// Walks the whole chain in id order, in pages, and stops at the first broken link.
pub fn verify(conn: &mut PgConnection) -> QueryResult<Verification> {
    verify_from(conn, Verification::start(), u64::MAX)
}

/// Walks on from where `from` stopped (the entries before it count as checked), at most `most` entries more.
/// Entries cannot be changed once written (the table refuses it), so a dashboard can keep checking the chain
/// as it grows without walking it all again.
pub fn verify_from(conn: &mut PgConnection, from: Verification, most: u64) -> QueryResult<Verification> {
    const PAGE: i64 = 5_000;
    if from.broken.is_some() {
        return Ok(from);
    }
    let Verification { mut entries, head_hash: mut expected_prev, mut last_id, .. } = from;
    let mut walked = 0u64;
    while walked < most {
        let page: Vec<AuditEntry> = audit_logs::table
            .filter(audit_logs::audit_id.gt(last_id))
            .order(audit_logs::audit_id.asc())
            .limit(PAGE.min(i64::try_from(most - walked).unwrap_or(PAGE)))
            .select(AuditEntry::as_select())
            .load(conn)?;
        for entry in &page {
            let broken = |problem: String| Verification {
                entries: entries + 1,
                head_hash: expected_prev.clone(),
                broken: Some(BrokenLink { audit_id: entry.audit_id, problem }),
                last_id,
            };
            if entry.prev_hash != expected_prev {
                return Ok(broken(format!(
                    "its previous hash {} does not match the hash {} of the entry before it (an entry was removed or altered)",
                    short(&entry.prev_hash),
                    short(&expected_prev)
                )));
            }
            let actual = recompute(&entry.prev_hash, entry);
            if actual != entry.entry_hash {
                return Ok(broken(format!(
                    "its content does not match its hash (stored {}, computed {}): the row was altered",
                    short(&entry.entry_hash),
                    short(&actual)
                )));
            }
            entries += 1;
            walked += 1;
            expected_prev = entry.entry_hash.clone();
            last_id = entry.audit_id;
        }
        if page.is_empty() {
            break;
        }
    }
    Ok(Verification { entries, head_hash: expected_prev, broken: None, last_id })
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn content(changes: &Value) -> Content<'_> {
        Content {
            audit_id: 7,
            action: "update",
            entity_type: "incident",
            entity_id: "41",
            audit_by_user: Some(3),
            actor_role: Some("incident_manager"),
            created_at: Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap(),
            changes,
        }
    }

    #[test]
    fn hash_depends_on_content_and_previous_hash() {
        let changes = serde_json::json!({"status": {"old": "open", "new": "investigating"}});
        let base = hash(GENESIS, &content(&changes));
        assert_eq!(base.len(), 64);
        assert_eq!(base, hash(GENESIS, &content(&changes)), "deterministic");
        assert_ne!(base, hash(&"1".repeat(64), &content(&changes)));
        let other = serde_json::json!({"status": {"old": "open", "new": "closed"}});
        assert_ne!(base, hash(GENESIS, &content(&other)));
    }
}
