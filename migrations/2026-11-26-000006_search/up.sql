-- Full-text search over incident titles, communications and knowledge base articles.
CREATE INDEX incidents_title_search_idx ON incidents USING gin (to_tsvector('english', title));
CREATE INDEX communications_message_search_idx ON communications USING gin (to_tsvector('english', coalesce(message, '')));
CREATE INDEX knowledge_base_articles_search_idx ON knowledge_base_articles
    USING gin (to_tsvector('english', title || ' ' || coalesce(body, '')));
