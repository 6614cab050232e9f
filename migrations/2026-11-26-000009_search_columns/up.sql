-- The incident list's search reads stored search vectors instead of indexes on expressions: a condition on a
-- column has the column's statistics, so the planner can tell a common word (walk the newest-first index and stop
-- after a page) from a rare one (take the few matches from the GIN index). The knowledge base keeps its index.
DROP INDEX incidents_title_search_idx, communications_message_search_idx;
ALTER TABLE incidents ADD COLUMN title_search tsvector GENERATED ALWAYS AS (to_tsvector('english', title)) STORED;
CREATE INDEX incidents_title_search_idx ON incidents USING gin (title_search);
ALTER TABLE communications
    ADD COLUMN message_search tsvector GENERATED ALWAYS AS (to_tsvector('english', coalesce(message, ''))) STORED;
CREATE INDEX communications_message_search_idx ON communications USING gin (message_search);
