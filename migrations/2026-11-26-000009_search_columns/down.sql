DROP INDEX incidents_title_search_idx, communications_message_search_idx;
ALTER TABLE incidents DROP COLUMN title_search;
ALTER TABLE communications DROP COLUMN message_search;
CREATE INDEX incidents_title_search_idx ON incidents USING gin (to_tsvector('english', title));
CREATE INDEX communications_message_search_idx ON communications USING gin (to_tsvector('english', coalesce(message, '')));
