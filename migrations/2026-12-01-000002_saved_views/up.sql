-- PRODUCT ADDITION: a person's named views of the incident list (its filters and order, as its address carries
-- them), shown in their navigation. Each belongs to one user; names are unique per user, without case.
CREATE TABLE saved_views (
    view_id serial PRIMARY KEY,
    user_id integer NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    query text NOT NULL CHECK (length(query) <= 2000),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX saved_views_user_name_key ON saved_views (user_id, lower(name));
