//! Checks of the whole chain run in the background: a request starts one, a worker thread walks the trail and
//! writes its progress and result into `audit_verifications`, and every page (on every server) reads them from
//! there. Only one check runs at a time.
use super::{Actor, Changes, chain};
use crate::clock::Clock;
use crate::db::DbPool;
use crate::schema::{audit_logs, audit_verifications, users};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

/// A run whose progress has not moved for this long has stopped (its server stopped or lost the database).
const STALLED_AFTER: Duration = Duration::seconds(60);
/// Entries checked between two progress reports.
const STEP: u64 = 5_000;
/// Serialises starting a check across servers ("verify" in ASCII).
const START_LOCK: i64 = 0x7665_7269_6679;

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = audit_verifications, check_for_backend(diesel::pg::Pg))]
pub struct Run {
    pub verification_id: i64,
    pub requested_by: i32,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub status: String,
    pub total: i64,
    pub checked: i64,
    pub last_id: Option<i64>,
    pub head_hash: Option<String>,
    pub broken_id: Option<i64>,
    pub problem: Option<String>,
}

impl Run {
    pub fn running(&self) -> bool {
        self.status == "running"
    }

    /// Whether a running check stopped making progress.
    pub fn stalled(&self, now: DateTime<Utc>) -> bool {
        self.running() && now - self.updated_at > STALLED_AFTER
    }
}

/// The newest check, with the name of who asked for it.
pub fn latest(conn: &mut PgConnection) -> QueryResult<Option<(Run, String)>> {
    audit_verifications::table
        .inner_join(users::table)
        .order(audit_verifications::verification_id.desc())
        .select((Run::as_select(), users::name))
        .first(conn)
        .optional()
}

/// The checks a panel shows: the newest (with who asked for it), the newest that finished its walk (intact or
/// broken), and the newest intact one; often one and the same.
#[derive(Debug, Default)]
pub struct Recent {
    pub latest: Option<(Run, String)>,
    pub finished: Option<Run>,
    pub intact: Option<Run>,
}

pub fn recent(conn: &mut PgConnection) -> QueryResult<Recent> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(embed)]
        run: Run,
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let rows: Vec<Row> = crate::db::prepared::prepared(
        "SELECT v.*, u.name FROM audit_verifications v JOIN users u ON u.user_id = v.requested_by \
         WHERE v.verification_id IN ((SELECT max(verification_id) FROM audit_verifications), \
           (SELECT max(verification_id) FROM audit_verifications WHERE status IN ('intact', 'broken')), \
           (SELECT max(verification_id) FROM audit_verifications WHERE status = 'intact')) \
         ORDER BY v.verification_id DESC",
    )
    .load(conn)?;
    let find = |wanted: &[&str]| rows.iter().find(|r| wanted.contains(&r.run.status.as_str())).map(|r| r.run.clone());
    Ok(Recent {
        latest: rows.first().map(|r| (r.run.clone(), r.name.clone())),
        finished: find(&["intact", "broken"]),
        intact: find(&["intact"]),
    })
}

/// The newest entry's hash and how many entries there are, and whether that number is exact. Entries cannot be
/// changed or removed, so those an intact check counted up to its last entry are still there and only newer
/// ones are counted, not the whole trail on every view. Before any check, the newest entry's number stands for
/// the count (ids may skip a number where a change was rolled back).
pub fn size(conn: &mut PgConnection, intact: Option<&Run>) -> QueryResult<(String, i64, bool)> {
    #[derive(QueryableByName)]
    struct Size {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        head: Option<String>,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        beyond: i64,
    }
    let head = "SELECT (SELECT entry_hash FROM audit_logs ORDER BY audit_id DESC LIMIT 1) AS head, ";
    let counted = intact.and_then(|run| Some((run.last_id?, run.checked)));
    let size: Size = match counted {
        // The bound is a parameter, so the plan knows how few entries lie beyond it.
        Some((last_id, _)) => {
            crate::db::prepared::prepared(format!("{head}(SELECT count(*) FROM audit_logs WHERE audit_id > "))
                .bind::<diesel::sql_types::BigInt, _>(last_id)
                .sql(") AS beyond")
                .get_result(conn)?
        }
        None => crate::db::prepared::prepared(format!(
            "{head}(SELECT coalesce(max(audit_id), 0) FROM audit_logs) AS beyond"
        ))
        .get_result(conn)?,
    };
    let head = size.head.unwrap_or_else(|| chain::GENESIS.to_string());
    Ok(match counted {
        Some((_, checked)) => (head, checked + size.beyond, true),
        None => (head, size.beyond, false),
    })
}

/// Starts a check unless one is running: returns the running or new one, and whether it is new (the caller then
/// hands it to `run`). Starting one is audited. Runs in the caller's transaction.
pub fn start(conn: &mut PgConnection, clock: &Clock, actor: Actor) -> QueryResult<(i64, bool)> {
    diesel::sql_query(format!("SELECT pg_advisory_xact_lock({START_LOCK})")).execute(conn)?;
    let now = clock.now();
    if let Some((run, _)) = latest(conn)?.filter(|(run, _)| run.running()) {
        if !run.stalled(now) {
            return Ok((run.verification_id, false));
        }
        diesel::update(audit_verifications::table.find(run.verification_id))
            .set((
                audit_verifications::status.eq("interrupted"),
                audit_verifications::finished_at.eq(now),
                audit_verifications::problem.eq("The check stopped making progress (its server stopped)."),
            ))
            .execute(conn)?;
    }
    let user = actor.user_id.expect("a signed-in user starts a check");
    let id: i64 = diesel::insert_into(audit_verifications::table)
        .values((
            audit_verifications::requested_by.eq(user),
            audit_verifications::started_at.eq(now),
            audit_verifications::updated_at.eq(now),
            audit_verifications::total.eq(0),
        ))
        .returning(audit_verifications::verification_id)
        .get_result(conn)?;
    let changes = Changes::new().field("status", None::<String>, Some("running"));
    super::record(conn, clock, actor, "execute", "audit_verification", id, changes)?;
    Ok((id, true))
}

/// Walks the whole chain for check `id`, writing its progress every few thousand entries and its result at the
/// end. Meant for a thread of its own; a database failure is written as the check's result when it can be.
pub fn run(pool: &DbPool, clock: &Clock, id: i64) {
    let outcome = pool
        .get()
        .map_err(|e| e.to_string())
        .and_then(|mut conn| walk(&mut conn, clock, id).map_err(|e| e.to_string()));
    if let Err(problem) = outcome {
        tracing::error!(%problem, verification = id, "audit chain check failed");
        let failed = pool.get().map_err(|e| e.to_string()).and_then(|mut conn| {
            diesel::update(audit_verifications::table.find(id).filter(audit_verifications::status.eq("running")))
                .set((
                    audit_verifications::status.eq("failed"),
                    audit_verifications::finished_at.eq(clock.now()),
                    audit_verifications::problem.eq(format!("The check could not finish: {problem}")),
                ))
                .execute(&mut conn)
                .map_err(|e| e.to_string())
        });
        if let Err(problem) = failed {
            tracing::error!(%problem, verification = id, "the failed check could not be recorded");
        }
    }
}

fn walk(conn: &mut PgConnection, clock: &Clock, id: i64) -> QueryResult<()> {
    let total: i64 = audit_logs::table.count().get_result(conn)?;
    let progress = |conn: &mut PgConnection, walked: &chain::Verification| {
        diesel::update(audit_verifications::table.find(id))
            .set((
                audit_verifications::total.eq(total.max(walked.entries as i64)),
                audit_verifications::checked.eq(walked.entries as i64),
                audit_verifications::last_id.eq((walked.entries > 0).then_some(walked.last_id)),
                audit_verifications::head_hash.eq(&walked.head_hash),
                audit_verifications::updated_at.eq(clock.now()),
            ))
            .execute(conn)
    };
    let mut walked = chain::Verification::start();
    loop {
        let before = walked.entries;
        walked = chain::verify_from(conn, walked, STEP)?;
        progress(conn, &walked)?;
        if walked.broken.is_some() || walked.entries - before < STEP {
            break;
        }
    }
    let (status, broken_id, problem) = match &walked.broken {
        None => ("intact", None, None),
        Some(link) => ("broken", Some(link.audit_id), Some(link.problem.clone())),
    };
    diesel::update(audit_verifications::table.find(id))
        .set((
            audit_verifications::status.eq(status),
            audit_verifications::finished_at.eq(clock.now()),
            audit_verifications::broken_id.eq(broken_id),
            audit_verifications::problem.eq(problem),
        ))
        .execute(conn)?;
    Ok(())
}
