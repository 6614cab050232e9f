-- PRODUCT ADDITION: server-side sessions, so signing out, a password change or an administrator's reset ends
-- a session for good (a cookie copied earlier is then worthless). The cookie carries only the random key.
CREATE TABLE sessions (
    session_key text PRIMARY KEY,
    -- The signed-in user, if any, so that all of a user's sessions can be ended at once.
    user_id integer REFERENCES users ON DELETE CASCADE,
    state jsonb NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

-- Uniqueness is compared without regard to case, as the forms and the import compare it.
ALTER TABLE clients DROP CONSTRAINT clients_registration_number_key, DROP CONSTRAINT clients_contact_email_key;
CREATE UNIQUE INDEX clients_registration_number_key ON clients (lower(registration_number));
CREATE UNIQUE INDEX clients_contact_email_key ON clients (lower(contact_email));
ALTER TABLE vendors DROP CONSTRAINT vendors_vendor_name_key, DROP CONSTRAINT vendors_contact_email_key, DROP CONSTRAINT vendors_contact_phone_key;
CREATE UNIQUE INDEX vendors_vendor_name_key ON vendors (lower(vendor_name));
CREATE UNIQUE INDEX vendors_contact_email_key ON vendors (lower(contact_email));
CREATE UNIQUE INDEX vendors_contact_phone_key ON vendors (lower(contact_phone));
ALTER TABLE products DROP CONSTRAINT products_product_name_key;
CREATE UNIQUE INDEX products_product_name_key ON products (lower(product_name));
ALTER TABLE infrastructure_components DROP CONSTRAINT infrastructure_components_name_key;
CREATE UNIQUE INDEX infrastructure_components_name_key ON infrastructure_components (product_id, lower(component_name)) NULLS NOT DISTINCT;
