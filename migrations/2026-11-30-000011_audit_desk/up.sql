-- The auditors' desk reads the trail newest first (by time, then by entry), filtered by who, action, record
-- type, role or a time range, a page at a time from the entry a page ended at. Each filter has an index in that
-- order, so a page reads its fifty entries and stops however long the trail and however old the range (ordered
-- by entry number instead, a year three years back walked 600,000 newer entries first: 400 ms on 1.1 million).
-- A record's own entries are few and keep their index.
CREATE INDEX audit_logs_created_idx ON audit_logs (created_at, audit_id);
DROP INDEX audit_logs_user_idx;
CREATE INDEX audit_logs_user_idx ON audit_logs (audit_by_user, created_at, audit_id);
CREATE INDEX audit_logs_action_idx ON audit_logs (action, created_at, audit_id);
CREATE INDEX audit_logs_entity_type_idx ON audit_logs (entity_type, created_at, audit_id);
CREATE INDEX audit_logs_role_idx ON audit_logs (actor_role, created_at, audit_id);

-- PRODUCT ADDITION: each check of the whole chain, run in the background, with its progress and result. Kept in
-- the database, so every server shows the same runs and only one runs at a time.
CREATE TABLE audit_verifications (
    verification_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    requested_by integer NOT NULL REFERENCES users,
    started_at timestamptz NOT NULL,
    -- The worker writes its progress here as it goes; a run whose progress stops (its server stopped) is
    -- interrupted.
    updated_at timestamptz NOT NULL,
    finished_at timestamptz,
    status text NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'intact', 'broken', 'failed', 'interrupted')),
    -- How many entries the trail held when the run started, and how many it has checked.
    total bigint NOT NULL,
    checked bigint NOT NULL DEFAULT 0,
    -- The last entry found intact and its hash: where the walk goes on from.
    last_id bigint,
    head_hash text,
    -- The first broken entry and what is wrong with it; or why the run failed.
    broken_id bigint,
    problem text,
    CONSTRAINT audit_verifications_finished CHECK ((status = 'running') = (finished_at IS NULL))
);
